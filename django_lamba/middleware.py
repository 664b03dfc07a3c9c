"""``LambaMiddleware``: put the Lamba customer on ``request.user``, lazily.

Install it after ``AuthenticationMiddleware``. With no Lamba cookie the request is left alone (a
Django session user, e.g. an admin, stays ``request.user``) and nothing touches the network. With
a cookie, ``request.user`` and ``request.auser()`` resolve the customer on first use; the
response then gets the rotated cookies (or the cleared ones), ``Vary: Cookie`` and
``Cache-Control: private, no-store``.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from asgiref.sync import iscoroutinefunction, markcoroutinefunction, sync_to_async
from django.http import HttpRequest, HttpResponseBase
from django.utils.functional import SimpleLazyObject

from ._internal import correlation
from ._internal.session import RequestState, resolve_user
from .cookies import delete_token_cookies, mark_private, read_tokens, set_token_cookies
from .user import LambaAnonymousUser, LambaUser

_STATE_ATTR = "_lamba_state"


def get_state(request: HttpRequest) -> RequestState:
    """Return this request's Lamba state (an empty one if the middleware did not run)."""
    state = getattr(request, _STATE_ATTR, None)
    if state is None:
        state = RequestState()
        setattr(request, _STATE_ATTR, state)
    return state


def _user_for(request: HttpRequest, state: RequestState, fallback: Any) -> Any:
    user = resolve_user(state)
    if isinstance(user, LambaUser):
        return user
    # Nobody signed in with Lamba: a Django session user (e.g. staff in the admin) still counts.
    if fallback is not None and getattr(fallback, "is_authenticated", False):
        return fallback
    return user


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
        token = self.process_request(request)
        try:
            response = self.get_response(request)
        finally:
            correlation.reset(token)
        return self.process_response(request, response)

    async def __acall__(self, request: HttpRequest) -> HttpResponseBase:
        token = self.process_request(request)
        try:
            get_response: Callable[[HttpRequest], Awaitable[HttpResponseBase]] = self.get_response
            response = await get_response(request)
        finally:
            correlation.reset(token)
        return self.process_response(request, response)

    def process_request(self, request: HttpRequest) -> object:
        """Attach the state and the lazy user; return the correlation-id reset token."""
        # META, not request.headers: building HttpHeaders parses every header of the request.
        token = correlation.begin(request.META.get("HTTP_X_CORRELATION_ID"))
        access, refresh = read_tokens(request)
        state = RequestState(
            access_token=access,
            refresh_token=refresh,
            had_cookies=access is not None or refresh is not None,
        )
        setattr(request, _STATE_ATTR, state)
        fallback = getattr(request, "user", None)
        if not state.had_cookies:
            if fallback is None:
                request.user = SimpleLazyObject(LambaAnonymousUser)  # type: ignore[assignment]
            return token

        request.user = SimpleLazyObject(  # type: ignore[assignment]
            lambda: _user_for(request, state, fallback)
        )

        async def auser() -> Any:
            return await sync_to_async(_user_for, thread_sensitive=False)(request, state, fallback)

        request.auser = auser
        return token

    def process_response(
        self, request: HttpRequest, response: HttpResponseBase
    ) -> HttpResponseBase:
        """Write rotated or cleared cookies, and keep customer pages out of shared caches."""
        state: RequestState | None = getattr(request, _STATE_ATTR, None)
        if state is None:
            return response
        if state.resolved or (state.had_cookies and state.new_tokens):
            mark_private(response)
        if state.cookies_written:
            return response
        if state.clear_cookies:
            delete_token_cookies(response)
        elif state.new_tokens is not None:
            set_token_cookies(response, state.new_tokens)
        return response
