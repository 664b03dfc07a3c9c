"""View decorators: sign-in required (and, built on the same answers, permissions and roles).

Anonymous HTML callers are redirected to ``lamba:login?next=...``; JSON, ``Accept:
application/json`` and htmx callers get a 401 ProblemDetails. When Lamba is unreachable the answer
is a 503 with ``Retry-After``, never a sign-in page, so an outage does not look like a logout.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar, overload

from asgiref.sync import iscoroutinefunction, sync_to_async
from django.http import HttpRequest, HttpResponse, HttpResponseBase
from django.shortcuts import resolve_url

from ._internal.responses import problem, unavailable, wants_json

View = TypeVar("View", bound=Callable[..., Any])


def login_url() -> str:
    return resolve_url("lamba:login")


def anonymous_response(
    request: HttpRequest, user: Any, *, login_url_: str | None = None
) -> HttpResponseBase:
    """Answer a caller who is not signed in: 503 on outage, else 401 JSON or a login redirect."""
    error = getattr(user, "lamba_error", None)
    if error is not None:
        return unavailable(request, error)
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

    return redirect_to_login(request.get_full_path(), resolve_url(login_url_ or login_url()))


@overload
def lamba_login_required(view: View) -> View: ...


@overload
def lamba_login_required(*, login_url: str | None = None) -> Callable[[View], View]: ...


def lamba_login_required(
    view: View | None = None, *, login_url: str | None = None
) -> View | Callable[[View], View]:
    """Require a signed-in user; usable bare or with ``login_url=``, on sync and async views."""

    def decorator(view_func: View) -> View:
        if iscoroutinefunction(view_func):

            @wraps(view_func)
            async def async_wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> Any:
                user = await _auser(request)
                if not user.is_authenticated:
                    return anonymous_response(request, user, login_url_=login_url)
                return await view_func(request, *args, **kwargs)

            return async_wrapper  # type: ignore[return-value]

        @wraps(view_func)
        def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> Any:
            user = request.user
            if not user.is_authenticated:
                return anonymous_response(request, user, login_url_=login_url)
            return view_func(request, *args, **kwargs)

        return wrapper  # type: ignore[return-value]

    if view is not None:
        return decorator(view)
    return decorator


async def _auser(request: HttpRequest) -> Any:
    """Return the user without blocking the event loop (Django 4.2 has no ``request.auser``)."""
    auser = getattr(request, "auser", None)
    if auser is not None:
        return await auser()

    def evaluate() -> Any:
        user = request.user
        user.is_authenticated  # noqa: B018  (forces the lazy object in a worker thread)
        return user

    return await sync_to_async(evaluate)()
