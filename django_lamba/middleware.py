"""``LambaMiddleware``: put the Lamba customer on ``request.user``, lazily.

Install it after ``AuthenticationMiddleware``. With no Lamba cookie the request is left alone (a
Django session user, e.g. an admin, stays ``request.user``) and nothing touches the network. With
a cookie, ``request.user`` and ``request.auser()`` resolve the customer on first use; the
response then gets the rotated cookies (or the cleared ones), ``Vary: Cookie`` and
``Cache-Control: private, no-store``.

An outage is never an anonymous user. When Lamba cannot say who holds the cookies (a 5xx, an
HTML or garbage body, a timeout, an open circuit, a 429, a 402) and no stale context may stand
in, evaluating ``request.user`` raises that ``LambaError``, wherever it happens first: Django's
``login_required``, a template's ``user.is_authenticated``, a view. ``process_exception`` turns
it into the same answer the package's own decorators give (503 page or ProblemDetails with
``Retry-After``; 429; the plan-limit page), and a 500 that another middleware made of it is
replaced by that answer on the way out. The cookies are never cleared by an outage.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from functools import partial
from typing import Any

from asgiref.sync import iscoroutinefunction, markcoroutinefunction, sync_to_async
from django.http import HttpRequest, HttpResponseBase

from ._internal import correlation
from ._internal.access import error_response
from ._internal.lazy import LazyRequestClasses, LazyUser
from ._internal.responses import answer_response, session_answer
from .conf import lamba_settings
from .cookies import read_access_token, read_refresh_token
from .exceptions import LambaError
from .state import LambaRequest, get_lamba
from .user import LambaAnonymousUser, LambaUser


def get_state(request: HttpRequest) -> LambaRequest:
    """Deprecated: use ``request.lamba`` (this returns it; ``current_access_token`` too)."""
    return get_lamba(request)


def _user_for(request: HttpRequest) -> Any:
    """``request.user``: the Lamba customer, else the user an earlier middleware had put there.

    During an outage, a lazy user that raises the ``LambaError`` wherever it is first used:
    reading ``request.user`` itself (``hasattr``, Django's auth context processor) never fails.
    """
    lamba: LambaRequest = request.lamba  # type: ignore[attr-defined]
    user = lamba.user
    if isinstance(user, LambaUser):  # a customer: what most reads find
        return user
    try:
        return _user_of(lamba)
    except LambaError:
        return LazyUser(partial(_user_of, lamba))


def _user_of(lamba: LambaRequest) -> Any:
    user = lamba.user
    if isinstance(user, LambaUser):
        return user
    # Nobody signed in with Lamba: a Django session user (e.g. staff in the admin) still counts.
    fallback = lamba.django_user
    if fallback is not None and getattr(fallback, "is_authenticated", False):
        return fallback
    error = getattr(user, "lamba_error", None)
    if isinstance(error, LambaError):
        # The cookies may belong to a signed-in customer: never let "Lamba is down" read as
        # "nobody is signed in" (a login redirect, a public page for a customer).
        raise error.with_traceback(None)
    return user


async def _auser(request: HttpRequest) -> Any:
    """``await request.auser()``: ``request.user`` without blocking the event loop."""
    return await _auser_of(request.lamba)  # type: ignore[attr-defined]


async def _auser_of(lamba: LambaRequest) -> Any:
    # A local user row (LAMBA_LOCAL_USERS) is read through the ORM: in Django's thread for sync
    # work, as Django's own auser() does, whose database connection Django closes at the end of
    # the request. Without rows, any thread: a call to Lamba then queues behind no other work.
    thread_sensitive = lamba_settings.LOCAL_USERS
    return await sync_to_async(_user_of, thread_sensitive=thread_sensitive)(lamba)


#: The request classes whose ``user`` is ``_user_for(request)`` on first read.
_lazy_requests = LazyRequestClasses(_user_for, _auser)


def _outage_response(request: HttpRequest, error: LambaError) -> HttpResponseBase:
    """Answer a request whose customer Lamba could not resolve: 503, 429 or the plan page."""
    return answer_response(request, session_answer(error))


class LambaMiddleware:
    """Resolve the Lamba customer from the token cookies on demand."""

    sync_capable = True
    async_capable = True

    def __init__(self, get_response: Callable[[HttpRequest], Any]) -> None:
        self.get_response = get_response
        self.async_mode = iscoroutinefunction(get_response)
        if self.async_mode:
            markcoroutinefunction(self)

    def __call__(self, request: HttpRequest) -> Any:
        if self.async_mode:
            return self.__acall__(request)
        # META, not request.headers: building HttpHeaders parses every header of the request.
        started = correlation.enter(request.META.get("HTTP_X_CORRELATION_ID"))
        try:
            self.process_request(request)
            response = self.get_response(request)
        finally:
            correlation.leave(started)
        return self.process_response(request, response)

    async def __acall__(self, request: HttpRequest) -> HttpResponseBase:
        token = correlation.begin(request.META.get("HTTP_X_CORRELATION_ID"))
        try:
            self.process_request(request)
            get_response: Callable[[HttpRequest], Awaitable[HttpResponseBase]] = self.get_response
            response = await get_response(request)
        finally:
            correlation.reset(token)
        return self.process_response(request, response)

    def process_request(self, request: HttpRequest) -> None:
        """Attach ``request.lamba``, and the lazy ``request.user`` and ``request.auser``."""
        access = read_access_token(request)
        if access is None:
            refresh = read_refresh_token(request)
            if refresh is None:  # no Lamba cookie at all
                request.lamba = LambaRequest(request)  # type: ignore[attr-defined]
                if getattr(request, "user", None) is None:
                    request.user = LazyUser(LambaAnonymousUser)  # type: ignore[assignment]
                return
        else:
            refresh = None  # read only if a refresh is needed: rarely
        # What an earlier middleware put there (Django's session user) comes off the request,
        # so that the class's lazy ``user`` answers; ``_user_for`` falls back to it.
        state = request.__dict__
        fallback = state.pop("user", None)
        state.pop("auser", None)
        lamba = LambaRequest(
            request, access, refresh, read_refresh_token if access else None, fallback
        )
        request.lamba = lamba  # type: ignore[attr-defined]
        if not _lazy_requests.attach(request):
            # Through ``lamba``, which holds the request weakly: no reference cycle.
            request.user = LazyUser(partial(_user_of, lamba))  # type: ignore[assignment]
            request.auser = partial(_auser_of, lamba)

    def process_exception(
        self, request: HttpRequest, exception: Exception
    ) -> HttpResponseBase | None:
        """Answer a ``LambaError`` a view let through (an outage reading ``request.user``, or
        a call of its own) as the package's decorators would, instead of a 500."""
        if not isinstance(exception, LambaError):
            return None
        lamba = getattr(request, "lamba", None)
        if isinstance(lamba, LambaRequest) and exception is lamba.outage:
            return _outage_response(request, exception)
        return error_response(request, exception)

    def process_response(
        self, request: HttpRequest, response: HttpResponseBase
    ) -> HttpResponseBase:
        """Write rotated or cleared cookies, and keep customer pages out of shared caches."""
        lamba = getattr(request, "lamba", None)
        if not isinstance(lamba, LambaRequest):
            return response
        if lamba.outage is not None and response.status_code == 500:
            # Another middleware (e.g. LoginRequiredMiddleware) read request.user during the
            # outage, and Django made a 500 of it: answer what the outage is instead.
            response = _outage_response(request, lamba.outage)
        return lamba.apply(response)
