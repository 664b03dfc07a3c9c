"""Shared answers for views and decorators: HTML or JSON, ProblemDetails, ``answer_for``.

``answer_for`` is the one place that decides what a customer gets for a ``LambaError``: the
status, the ``Retry-After`` header, the message and the ``errorCode``. Every view, decorator,
mixin and DRF class renders that answer; none of them picks a status of its own. What the
request asks for (``wants_json``, ``request_data``, ``safe_next``) is read in ``incoming`` and
importable from here too.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, TypeVar

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.template.loader import render_to_string

from ..conf import lamba_settings
from ..exceptions import (
    AUTHORIZATION_DENIED,
    PLAN_LIMIT_EXCEEDED,
    RATE_LIMIT_EXCEEDED,
    LambaError,
    LambaPaymentRequired,
    LambaRateLimited,
    LambaUnavailable,
    clamp_retry_after,
    code_key,
)
from .incoming import request_data as request_data
from .incoming import safe_next as safe_next
from .incoming import wants_json as wants_json

PROBLEM_JSON = "application/problem+json"

Response = TypeVar("Response", bound=HttpResponse)


def problem(
    status: int,
    title: str,
    *,
    error_code: str,
    detail: str = "",
    retry_after: float | None = None,
    **extra: Any,
) -> JsonResponse:
    """Return an RFC 9457 ProblemDetails response."""
    body: dict[str, Any] = {"type": "about:blank", "title": title, "status": status}
    if detail:
        body["detail"] = detail
    body["errorCode"] = error_code
    body.update(extra)
    response = JsonResponse(body, status=status, content_type=PROBLEM_JSON)
    wait = clamp_retry_after(retry_after)
    if wait is not None:
        response["Retry-After"] = str(wait)
    return response


PLAN_LIMIT_MESSAGE = (
    "This site has reached a plan limit, so this can't be done right now. "
    "Please let the site's owner or administrator know."
)
DENIED_MESSAGE = "You do not have access to this."
UNAVAILABLE_MESSAGE = "The sign-in service is unavailable right now. Please try again shortly."
UNAVAILABLE_CODE = LambaUnavailable.public_code
GENERIC_MESSAGE = "Something went wrong. Please try again."

# Keyed by ``code_key``: Lamba's casing varies, and the codes this package guessed before the
# docs were read (``forbidden``, ``plan_limit_reached``) resolve to their documented twins.
_MESSAGES = {
    "invalid_credentials": "That email or password is not right.",
    "invalid_mfa_code": "That verification code is not right.",
    "identity_already_exists": "An account with this email already exists.",
    "customer_auth_context_binding_required": (
        "This site is not configured with a Lamba Workspace and Project "
        "(LAMBA_CUSTOMER_WORKSPACE_ID / LAMBA_CUSTOMER_PROJECT_ID)."
    ),
    "authorization_denied": DENIED_MESSAGE,
    "validation_failed": "Please correct the errors below.",
}

#: The statuses a customer can act on, as Lamba's 4xx map to them; 422 is answered as 400.
_CUSTOMER_STATUSES = {400: 400, 401: 401, 403: 403, 404: 404, 409: 409, 422: 400}

#: The documented codes, by ``code_key``: answered in Lamba's own casing whatever came in.
_DOCUMENTED_CODES = {
    code_key(code): code
    for code in (AUTHORIZATION_DENIED, PLAN_LIMIT_EXCEEDED, RATE_LIMIT_EXCEEDED)
}


@dataclass(frozen=True)
class ErrorAnswer:
    """What a customer gets for a Lamba error: a status, headers, a message and a code.

    ``message`` is this package's own wording (never Lamba's ``detail``); ``code`` is the
    ``errorCode`` of the ProblemDetails; ``trace_id`` is Lamba's, to quote to support.
    """

    status: int
    code: str
    message: str
    title: str
    retry_after: int | None = None
    trace_id: str = ""
    field_errors: Mapping[str, list[str]] = field(default_factory=dict)

    @property
    def headers(self) -> dict[str, str]:
        """Return the headers the answer carries: on a 429 or 503, ``Retry-After`` and no-store."""
        if self.retry_after is None:
            return {}
        return {"Retry-After": str(self.retry_after), "Cache-Control": "no-store"}

    def apply(self, response: Response) -> Response:
        """Set the answer's headers on ``response`` and return it."""
        for name, value in self.headers.items():
            response[name] = value
        return response

    def problem(self, **extra: Any) -> JsonResponse:
        """Return the answer as ProblemDetails (``errorCode``, ``traceId`` when known)."""
        body: dict[str, Any] = {}
        if self.trace_id:
            body["traceId"] = self.trace_id
        if self.field_errors:
            body["errors"] = dict(self.field_errors)
        if self.retry_after is not None:
            body["retryAfter"] = self.retry_after
        body.update(extra)
        response = problem(
            self.status, self.title, error_code=self.code, detail=self.message, **body
        )
        return self.apply(response)


def _wait(seconds: int | None) -> int:
    """Return the ``Retry-After`` to send: Lamba's, else ``LAMBA_RETRY_AFTER_DEFAULT``; >= 1."""
    if seconds is None:
        seconds = clamp_retry_after(lamba_settings.RETRY_AFTER_DEFAULT)
    # Zero (a date in the past, a breaker about to close) would invite an instant retry storm.
    return max(1, seconds or 0)


def _public_code(error: LambaError) -> str:
    code = error.error_code
    return _DOCUMENTED_CODES.get(code_key(code), code) or type(error).public_code


def answer_for(
    error: LambaError, *, message: str = "", messages: Mapping[str, str] | None = None
) -> ErrorAnswer:
    """Return what the customer gets for ``error``; the one mapping every view uses.

    4xx a customer can act on keep their status (400 with field errors, 401, 403, 404, 409);
    a 402 is a calm plan-limit answer that is never retried; a 429 says how long to wait.
    Everything else is Lamba failing (a 5xx, a timeout, an HTML or garbage body, a status
    this package does not know, an open circuit): a 503 with ``Retry-After``, Lamba's value
    if it sent one, else ``LAMBA_RETRY_AFTER_DEFAULT``. ``message`` (or ``messages``, keyed by
    ``errorCode`` in any casing) replaces the wording for 4xx that keep their status.
    """
    trace_id = error.trace_id
    failed = isinstance(error, LambaUnavailable)
    if not failed and (isinstance(error, LambaRateLimited) or error.status == 429):
        wait = _wait(error.retry_after)
        text = f"Too many attempts. Try again in {wait} second{'s' if wait != 1 else ''}."
        title = LambaRateLimited.public_title
        return ErrorAnswer(429, RATE_LIMIT_EXCEEDED, text, title, wait, trace_id)
    if not failed and (isinstance(error, LambaPaymentRequired) or error.status == 402):
        title = LambaPaymentRequired.public_title
        return ErrorAnswer(402, PLAN_LIMIT_EXCEEDED, PLAN_LIMIT_MESSAGE, title, None, trace_id)
    status = None if failed else _CUSTOMER_STATUSES.get(error.status)
    if status is None:
        title = LambaUnavailable.public_title
        wait = _wait(error.retry_after)
        return ErrorAnswer(503, UNAVAILABLE_CODE, UNAVAILABLE_MESSAGE, title, wait, trace_id)
    key = code_key(error.error_code)
    if not message and messages:
        message = {code_key(code): text for code, text in messages.items()}.get(key, "")
    if not message:
        message = _MESSAGES.get(key) or (DENIED_MESSAGE if status == 403 else GENERIC_MESSAGE)
    return ErrorAnswer(
        status,
        _public_code(error),
        message,
        type(error).public_title,
        None,
        trace_id,
        error.field_errors if status == 400 else {},
    )


def session_answer(error: LambaError) -> ErrorAnswer:
    """Return the answer when resolving the visitor's session met ``error`` (``lamba_error``).

    A plan limit and a rate limit are answered as themselves. Anything else Lamba said while the
    session was being resolved leaves the visitor neither signed in nor signed out (the cookies
    are kept): that is Lamba failing, so a 503 with ``Retry-After``, never a refusal page.
    """
    answer = answer_for(error)
    if answer.status in (402, 429, 503):
        return answer
    outage = LambaUnavailable(retry_after=error.retry_after, trace_id=error.trace_id)
    return answer_for(outage)


#: The page for an answer with no page of its own (a view's form, the switch page).
ANSWER_TEMPLATES = {
    402: "django_lamba/plan_limit.html",
    403: "django_lamba/forbidden.html",
    429: "django_lamba/unavailable.html",
    503: "django_lamba/unavailable.html",
}


def answer_response(
    request: HttpRequest,
    answer: ErrorAnswer,
    *,
    template: str | None = None,
    context: Mapping[str, Any] | None = None,
) -> HttpResponse:
    """Render ``answer``: ProblemDetails for scripts, else a page, with the answer's headers.

    Without ``template`` the page is ``ANSWER_TEMPLATES``' for the status, else
    ``django_lamba/error.html``; it gets ``message``, ``retry_after`` and ``trace_id``.
    """
    if wants_json(request):
        return answer.problem()
    page = template or ANSWER_TEMPLATES.get(answer.status, "django_lamba/error.html")
    values = {
        "message": answer.message,
        "retry_after": answer.retry_after,
        "trace_id": answer.trace_id,
        **(context or {}),
    }
    html = render_to_string(page, values, request=request)
    return answer.apply(HttpResponse(html, status=answer.status))
