"""``RequestState``: what a request's Lamba cookies are, and what to write back for them."""

from __future__ import annotations

import threading
import weakref
from collections.abc import Callable

from django.http import HttpRequest

from ..exceptions import LambaError
from ..types import TokenSet
from ..user import LambaAnonymousUser, LambaUser


class RequestState:
    """What the middleware knows about this request's Lamba cookies and what to write back.

    Built on every request with a cookie: slots, so building and reading it costs no dict.
    """

    __slots__ = (
        "__weakref__",  # the user's authorization loader holds the state weakly
        "_read_refresh",
        "_refresh_token",
        "_request_ref",
        "access_token",
        "clear_cookies",
        "cookies_written",
        "had_cookies",
        "lock",
        "new_tokens",
        "outage",
        "refreshed",
        "resolved",
        "user",
    )

    def __init__(
        self,
        access_token: str | None = None,
        refresh_token: str | None = None,
        had_cookies: bool = False,
        read_refresh: Callable[[HttpRequest], str | None] | None = None,
        request_ref: weakref.ref[HttpRequest] | None = None,
    ) -> None:
        self.access_token = access_token
        self._refresh_token = refresh_token
        #: ``read_refresh(request)`` reads the refresh cookie on first use (a warm request never
        #: needs it), from the request ``request_ref`` holds weakly.
        self._read_refresh = read_refresh
        self._request_ref = request_ref
        self.had_cookies = had_cookies
        self.lock = threading.Lock()
        self.resolved = False
        #: Tokens to write as cookies on the response (after a refresh).
        self.new_tokens: TokenSet | None = None
        #: Expire both cookies on the response (definitive rejection or logout).
        self.clear_cookies = False
        #: A view already wrote (or cleared) the cookies: the middleware must not touch them.
        self.cookies_written = False
        self.refreshed = False
        self.user: LambaUser | LambaAnonymousUser | None = None
        #: Why Lamba could not say who holds the cookies (then ``request.user`` raises it).
        self.outage: LambaError | None = None

    @property
    def refresh_token(self) -> str | None:
        read = self._read_refresh
        if read is not None:
            request = None if self._request_ref is None else self._request_ref()
            self._refresh_token = None if request is None else read(request)
            self._read_refresh = None
        return self._refresh_token

    @refresh_token.setter
    def refresh_token(self, value: str | None) -> None:
        self._refresh_token, self._read_refresh = value, None

    def __repr__(self) -> str:  # never the tokens
        return f"<RequestState cookies={self.had_cookies} resolved={self.resolved}>"

    @property
    def current_access_token(self) -> str | None:
        return self.new_tokens.access_token if self.new_tokens else self.access_token
