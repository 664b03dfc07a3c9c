"""Shared answers for views and decorators: HTML or JSON, safe redirects, ProblemDetails."""

from __future__ import annotations

import json
from typing import Any

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import resolve_url
from django.template.loader import render_to_string
from django.utils.http import url_has_allowed_host_and_scheme

from ..conf import lamba_settings
from ..exceptions import (
    LambaError,
    LambaForbidden,
    LambaPaymentRequired,
    LambaRateLimited,
    LambaUnavailable,
    clamp_retry_after,
    code_key,
)

PROBLEM_JSON = "application/problem+json"


def wants_json(request: HttpRequest) -> bool:
    """Return whether the caller is a script (JSON body, JSON Accept, htmx) rather than a page."""
    if request.content_type == "application/json":
        return True
    if request.headers.get("HX-Request") == "true":
        return True
    accept = request.headers.get("Accept", "")
    return "json" in accept and "text/html" not in accept


def request_data(request: HttpRequest) -> dict[str, Any]:
    """Return the submitted fields from a JSON body or a form POST (never raises)."""
    if request.content_type == "application/json":
        try:
            data = json.loads(request.body or b"{}")
        except (ValueError, UnicodeDecodeError):
            return {}
        return data if isinstance(data, dict) else {}
    return dict(request.POST.items())


def safe_next(request: HttpRequest, default: str | None = None) -> str:
    """Return ``next`` if it points at this site, else the default redirect."""
    fallback = resolve_url(default or lamba_settings.LOGIN_REDIRECT_URL)
    candidate = request.POST.get("next") or request.GET.get("next") or ""
    if request.content_type == "application/json":
        candidate = str(request_data(request).get("next") or candidate)
    if not candidate or any(ord(ch) < 32 or ord(ch) == 127 for ch in candidate):
        return fallback
    try:
        allowed = url_has_allowed_host_and_scheme(
            candidate, allowed_hosts={request.get_host()}, require_https=request.is_secure()
        )
    except (ValueError, TypeError):
        allowed = False
    return candidate if allowed and "\\" not in candidate else fallback


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

# Keyed by ``code_key``: Lamba's casing varies, and the codes this package guessed before the
# docs were read (``forbidden``, ``plan_limit_reached``) resolve to their documented twins.
_MESSAGES = {
    "invalid_credentials": "That email or password is not right.",
    "invalid_mfa_code": "That verification code is not right.",
    "identity_already_exists": "An account with this email already exists.",
    "plan_limit_exceeded": PLAN_LIMIT_MESSAGE,
    "customer_auth_context_binding_required": (
        "This site is not configured with a Lamba Workspace and Project "
        "(LAMBA_CUSTOMER_WORKSPACE_ID / LAMBA_CUSTOMER_PROJECT_ID)."
    ),
    "authorization_denied": DENIED_MESSAGE,
    "validation_failed": "Please correct the errors below.",
}


def error_message(error: LambaError) -> str:
    """Return the message a person sees for a Lamba error (never upstream's raw ``detail``)."""
    if isinstance(error, LambaRateLimited):
        wait = error.retry_after or 0
        if wait:
            return f"Too many attempts. Try again in {wait} second{'s' if wait != 1 else ''}."
        return "Too many attempts. Try again in a little while."
    if isinstance(error, LambaUnavailable):
        return "The sign-in service is unavailable right now. Please try again shortly."
    message = _MESSAGES.get(code_key(error.error_code))
    if message:
        return message
    # The status decides when the code is one this package does not know.
    if isinstance(error, LambaPaymentRequired):
        return PLAN_LIMIT_MESSAGE
    if isinstance(error, LambaForbidden):
        return DENIED_MESSAGE
    return "Something went wrong. Please try again."


def error_problem(error: LambaError) -> JsonResponse:
    """Return a ProblemDetails for a Lamba error, with ``Retry-After`` where it applies."""
    retry_after = error.retry_after
    if isinstance(error, LambaUnavailable) and retry_after is None:
        retry_after = lamba_settings.RETRY_AFTER_DEFAULT
    body = error.to_problem(detail=error_message(error))
    body.pop("type", None)
    body.pop("title", None)
    body.pop("status", None)
    status = error.status if 400 <= error.status < 600 else 503
    if isinstance(error, LambaUnavailable):
        status = 503
    return problem(
        status,
        type(error).public_title,
        error_code=body.pop("errorCode"),
        retry_after=retry_after,
        **body,
    )


def unavailable(request: HttpRequest, error: LambaError | None = None) -> HttpResponse:
    """Answer 503 (``django_lamba/unavailable.html`` or ProblemDetails) with Retry-After.

    A 429 from Lamba stays a 429, with Lamba's ``Retry-After``, so clients back off as asked.
    """
    error = error or LambaUnavailable()
    retry_after = clamp_retry_after(error.retry_after or lamba_settings.RETRY_AFTER_DEFAULT) or 0
    status = 429 if isinstance(error, LambaRateLimited) else 503
    if wants_json(request):
        response: HttpResponse = error_problem(error)
        response.status_code = status
    else:
        html = render_to_string(
            "django_lamba/unavailable.html",
            {"message": error_message(error), "retry_after": retry_after},
            request=request,
        )
        response = HttpResponse(html, status=status)
    response["Retry-After"] = str(retry_after)
    response["Cache-Control"] = "no-store"
    return response
