"""``request.lamba``: the one place a request's Lamba session lives, and how views change it.

``LambaMiddleware`` puts a ``LambaRequest`` on every request (in the spirit of django-htmx's
``request.htmx``). Read the session from it (``access_token``, ``rotated``, ``context``,
``authorization``, ``refusal``); change it only through its methods (``sign_in``, ``sign_out``,
``switch``). The middleware's response phase reads only this object to write, rotate or clear
the token cookies, so no view ever touches them directly::

    def my_view(request):
        token = request.lamba.access_token  # for calling Lamba on the customer's behalf
        if request.lamba.refusal:  # a live session this site does not accept
            ...
"""

from __future__ import annotations

import logging
import weakref
from collections.abc import Callable

from django.contrib.auth.signals import user_logged_out
from django.http import HttpRequest, HttpResponseBase
from django.middleware.csrf import rotate_token

from ._internal import store
from ._internal.refresh import note_logout
from ._internal.session import RequestState, resolve_access_token, resolve_user
from ._internal.verified import note_issued
from .client import get_client
from .conf import lamba_settings
from .cookies import delete_token_cookies, fits_in_cookies, mark_private, set_token_cookies
from .exceptions import LambaError
from .types import LambaAuthorization, LambaContext, TokenSet
from .user import LambaAnonymousUser, LambaUser, signal_sender

__all__ = ["LambaHttpRequest", "LambaRequest", "get_lamba"]

logger = logging.getLogger("django_lamba.state")


class LambaRequest:
    """This request's Lamba session: the tokens in play, who they belong to, what to write back.

    Everything that needs Lamba is lazy: nothing is verified or fetched until ``user``,
    ``context`` or ``authorization`` is first read (``request.user`` reads ``user``).
    """

    __slots__ = ("__weakref__", "_request_ref", "_state", "django_user")  # built per request

    #: The user an earlier middleware had put on ``request.user`` (Django's session user, e.g.
    #: staff signed in to the admin): ``request.user`` when no Lamba customer is signed in.
    django_user: object | None

    def __init__(
        self,
        request: HttpRequest | None = None,
        access_token: str | None = None,
        refresh_token: str | None = None,
        read_refresh: Callable[[HttpRequest], str | None] | None = None,
        django_user: object | None = None,
    ) -> None:
        """``read_refresh(request)`` reads the refresh cookie when first needed (instead of
        ``refresh_token``): a warm request never needs it."""
        self.django_user = django_user
        # Only a weak reference to the request, which holds this object: a strong one would make
        # every request with a cookie a reference cycle, freed by the cyclic collector only.
        ref = self._request_ref = None if request is None else weakref.ref(request)
        had_cookies = access_token is not None or refresh_token is not None or bool(read_refresh)
        self._state = RequestState(access_token, refresh_token, had_cookies, read_refresh, ref)

    @property
    def _request(self) -> HttpRequest | None:
        """The request (None when detached, or once the request itself is gone)."""
        ref = self._request_ref
        return None if ref is None else ref()

    def __repr__(self) -> str:  # never the tokens
        return f"<LambaRequest cookies={self.has_cookies} rotated={self.rotated}>"

    # --- reading ------------------------------------------------------------------------------

    @property
    def has_cookies(self) -> bool:
        """Whether the request carried a Lamba token cookie (valid or not)."""
        return self._state.had_cookies

    @property
    def access_token(self) -> str | None:
        """The access token in play: the rotated one after a refresh, else the cookie's.

        Resolve the user first (``request.user``) when the answer matters: a refresh happens
        only then.
        """
        return self._state.current_access_token

    @property
    def current_access_token(self) -> str | None:
        """Deprecated alias of ``access_token`` (the old ``get_state(request)`` attribute)."""
        return self.access_token

    @property
    def refresh_token(self) -> str | None:
        tokens = self._state.new_tokens
        return tokens.refresh_token if tokens else self._state.refresh_token

    @property
    def rotated(self) -> bool:
        """Whether the tokens were refreshed during this request (new cookies on the way)."""
        return self._state.new_tokens is not None and not self._state.cookies_written

    @property
    def user(self) -> LambaUser | LambaAnonymousUser:
        """The Lamba customer behind the cookies (resolved once; anonymous when there is none)."""
        return resolve_user(self._state)

    @property
    def context(self) -> LambaContext | None:
        """``/v1/me/context`` of the signed-in customer, or None."""
        user = self.user
        return user.context if isinstance(user, LambaUser) else None

    @property
    def authorization(self) -> LambaAuthorization | None:
        """``/v1/me/authorization`` (fetched on first use; ``LambaError`` on an outage)."""
        user = self.user
        return user.authorization if isinstance(user, LambaUser) else None

    @property
    def refusal(self) -> str | None:
        """Why a live session is not signed in here (``project_reentry_required``, ...)."""
        return getattr(self.user, "lamba_refusal", None)

    @property
    def outage(self) -> LambaError | None:
        """Why Lamba could not say who holds the cookies (known once the user was resolved)."""
        return self._state.outage

    # --- changing the session -----------------------------------------------------------------

    def sign_in(self, tokens: TokenSet, *, new_identity: bool = True) -> bool:
        """Make ``tokens`` this browser's session: the response writes them as the cookies.

        Returns False (and writes nothing) when Lamba issued tokens too large for a cookie.
        ``new_identity`` rotates the CSRF secret, as ``django.contrib.auth.login`` does; a
        switch of the same customer's scope keeps it, so their other tabs keep working.
        """
        if not fits_in_cookies(tokens):
            return False
        self._forget_cached(self._state.access_token, self._state.current_access_token)
        self._state.new_tokens = tokens
        self._state.clear_cookies = False
        self._state.cookies_written = False
        note_issued(tokens)
        if new_identity and self._request is not None:
            rotate_token(self._request)
        return True

    def sign_out(self, *, revoke: bool = True) -> None:
        """End the session here whatever Lamba answers; with ``revoke``, end it at Lamba too.

        Every token in play is remembered as signed out (a replayed cookie is anonymous at once,
        a late refresh is discarded) and the response clears both cookies.
        """
        state = self._state
        user = self._signing_out()
        rotated = state.new_tokens
        access, refresh = state.access_token, state.refresh_token
        note_logout(
            refresh,
            rotated.refresh_token if rotated else None,
            access_tokens=(access, rotated.access_token if rotated else None),
        )
        if revoke and (access or refresh):
            try:
                get_client().logout(access, refresh)
            except LambaError as error:
                logger.info("Lamba logout failed (%s); clearing cookies anyway", error)
        state.new_tokens = None
        state.clear_cookies = True
        state.cookies_written = False
        state.user = LambaAnonymousUser()
        if self._request is not None:
            user_logged_out.send(sender=signal_sender(user), request=self._request, user=user)

    def switch(
        self, workspace_id: str, project_id: str, environment: str | None = None
    ) -> TokenSet:
        """Trade the session for one scoped to another Workspace/Project; return the new tokens.

        Raises ``LambaError`` (the session is then left as it was). On success the old tokens'
        cached context and authorization are dropped and the old session is remembered as
        ended (Lamba replaced it); finish with ``sign_in(tokens, new_identity=False)``.
        """
        access = self.access_token
        if not access:
            raise LambaError(status=401, error_code="not_a_lamba_session")
        tokens = get_client().switch_context(
            access, workspace_id, project_id, environment or lamba_settings.ENV
        )
        state = self._state
        self._forget_cached(state.access_token, state.current_access_token)
        rotated = state.new_tokens.refresh_token if state.new_tokens else None
        note_logout(state.refresh_token, rotated)
        return tokens

    # --- the response phase (LambaMiddleware) -------------------------------------------------

    def apply(self, response: HttpResponseBase) -> HttpResponseBase:
        """Write what this request decided: new, rotated or cleared cookies; private caching."""
        state = self._state
        if state.resolved or (state.had_cookies and state.new_tokens) or state.clear_cookies:
            mark_private(response)
        if state.cookies_written:
            return response
        if state.clear_cookies:
            delete_token_cookies(response)
        elif state.new_tokens is not None:
            set_token_cookies(response, state.new_tokens)
        state.cookies_written = True
        return response

    # --- internals ----------------------------------------------------------------------------

    def _signing_out(self) -> LambaUser | None:
        """Who is signing out, for ``user_logged_out``: never worth a refresh to find out."""
        state = self._state
        if state.user is not None:
            return state.user if isinstance(state.user, LambaUser) else None
        if not state.access_token:
            return None
        found = resolve_access_token(state.access_token)
        return found if isinstance(found, LambaUser) else None

    @staticmethod
    def _forget_cached(*tokens: str | None) -> None:
        for token in dict.fromkeys(tokens):
            if token:
                store.forget_access_token(store.token_hash(token))


class LambaHttpRequest(HttpRequest):
    """For type checkers: annotate views with it to get ``request.lamba`` typed."""

    lamba: LambaRequest


def get_lamba(request: HttpRequest) -> LambaRequest:
    """Return ``request.lamba`` (a detached, cookie-less one if the middleware did not run)."""
    lamba = getattr(request, "lamba", None)
    if not isinstance(lamba, LambaRequest):
        lamba = LambaRequest(request)
    return lamba
