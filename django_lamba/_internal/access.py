"""Who may open a view, and the answer for those who may not (shared by decorators and mixins).

Anonymous callers get a sign-in redirect or a 401; signed-in callers without the permission get
a 403 (``django_lamba/forbidden.html`` or ProblemDetails). Any other Lamba error is answered as
``responses.answer_for`` maps it: a 402 gets the plan-limit page, a 429 keeps its ``Retry-After``,
an outage is a 503 with ``Retry-After``. Nothing here retries a call to Lamba.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from asgiref.sync import sync_to_async
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse, HttpResponseBase
from django.shortcuts import resolve_url
from django.template.loader import render_to_string

from ..exceptions import AUTHORIZATION_DENIED, LambaError
from . import binding
from .responses import answer_for, answer_response, problem, session_answer, wants_json

#: A check on a signed-in user; may raise ``LambaError`` when Lamba cannot answer.
Requirement = Callable[[Any], bool]

DEFAULT_DENIED_MESSAGE = "Your account does not have access to this page."


def login_url() -> str:
    return resolve_url("lamba:login")


def anonymous_response(
    request: HttpRequest, user: Any, *, login_url_: str | None = None
) -> HttpResponseBase:
    """Answer a caller who is not signed in: Lamba's error if resolving the session met one
    (an outage is a 503, never a sign-in page), else 401 JSON or a login redirect."""
    error = getattr(user, "lamba_error", None)
    if isinstance(error, LambaError):
        return answer_response(request, session_answer(error))
    refusal = getattr(user, "lamba_refusal", None)
    if refusal is not None:
        return refused_response(request, refusal)
    if wants_json(request):
        response: HttpResponse = problem(
            401,
            "Not signed in",
            error_code="authentication_required",
            detail="Sign in to continue.",
        )
        response["WWW-Authenticate"] = 'Cookie realm="lamba"'
        return response
    from django.contrib.auth.views import redirect_to_login

    # Shown by the sign-in page; a no-op when the project has no django.contrib.messages.
    messages.info(request, "Please sign in to see that page.", fail_silently=True)
    return redirect_to_login(request.get_full_path(), resolve_url(login_url_ or login_url()))


def refused_response(request: HttpRequest, refusal: str) -> HttpResponse:
    """Answer a live Lamba session this site does not accept (tenant binding): 401.

    Pages get ``django_lamba/reenter_project.html``: a button per allowed Project that POSTs to
    ``lamba:switch_context``, the explicit way back into the Project (a lost scope is never
    restored silently). JSON callers get ProblemDetails whose ``errorCode`` is the refusal.
    """
    message = binding.REASONS.get(refusal, binding.REASONS[binding.REENTRY_REQUIRED])
    if wants_json(request):
        response = problem(
            401, "Not signed in to this Project", error_code=refusal, detail=message
        )
        response["WWW-Authenticate"] = 'Cookie realm="lamba"'
        return response
    bound = binding.policy()
    context = {
        "message": message,
        "refusal": refusal,
        "projects": [
            {"workspace_id": workspace, "project_id": project}
            for workspace, project in (bound.allowed if bound else ())
        ],
        "environment": bound.environment if bound else "",
        "next": request.get_full_path(),
        "login_url": login_url(),
    }
    html = render_to_string("django_lamba/reenter_project.html", context, request=request)
    return HttpResponse(html, status=401)


def forbidden_response(request: HttpRequest, message: str = "") -> HttpResponse:
    """Answer 403 for a signed-in caller without access: a page, or ProblemDetails."""
    message = message or DEFAULT_DENIED_MESSAGE
    if wants_json(request):
        return problem(403, "Not allowed", error_code=AUTHORIZATION_DENIED, detail=message)
    html = render_to_string("django_lamba/forbidden.html", {"message": message}, request=request)
    return HttpResponse(html, status=403)


def error_response(
    request: HttpRequest,
    error: LambaError,
    *,
    raise_exception: bool = False,
    login_url_: str | None = None,
    message: str = "",
) -> HttpResponseBase:
    """Answer a ``LambaError`` met while checking access, as ``answer_for`` maps it."""
    answer = answer_for(error)
    if answer.status == 401:
        # The session ended between resolving the user and reading its authorization.
        return anonymous_response(request, None, login_url_=login_url_)
    if answer.status == 403:
        if raise_exception:
            raise PermissionDenied(message or DEFAULT_DENIED_MESSAGE)
        return forbidden_response(request, message)
    return answer_response(request, answer)


def denied_response(
    request: HttpRequest,
    user: Any,
    requirement: Requirement | None,
    *,
    raise_exception: bool = False,
    login_url_: str | None = None,
    message: str = "",
) -> HttpResponseBase | None:
    """Return the answer for a caller who may not pass, or ``None`` to let them through.

    ``requirement=None`` only asks for a signed-in user. ``raise_exception`` raises Django's
    ``PermissionDenied`` for signed-in callers who fail it (anonymous ones are still sent to
    sign in, and outages are still a 503).
    """
    if not getattr(user, "is_authenticated", False):
        return anonymous_response(request, user, login_url_=login_url_)
    if requirement is None:
        return None
    try:
        allowed = requirement(user)
    except LambaError as error:
        return error_response(
            request,
            error,
            raise_exception=raise_exception,
            login_url_=login_url_,
            message=message,
        )
    if allowed:
        return None
    if raise_exception:
        raise PermissionDenied(message or DEFAULT_DENIED_MESSAGE)
    return forbidden_response(request, message)


async def aget_user(request: HttpRequest) -> Any:
    """Return the user without blocking the event loop (Django 4.2 has no ``request.auser``)."""
    auser = getattr(request, "auser", None)
    if auser is not None:
        return await auser()

    def evaluate() -> Any:
        user = request.user
        user.is_authenticated  # noqa: B018  (forces the lazy object in a worker thread)
        return user

    return await sync_to_async(evaluate)()
