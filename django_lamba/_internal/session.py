"""From cookies to ``request.user``: verify, use the cache, refresh at most once.

A warm request (valid JWT, context in the cache) makes no network call. An expired JWT is
refreshed before any call to the API host. A JWT that fails local verification (bad signature,
wrong ``alg`` or issuer, a ``kid`` unknown after the bounded JWKS refetch) is never trusted and
never sent upstream: no context lookup is made for it; only a refresh cookie sent alongside it may
still refresh the session, since that is the customer's own credential and Lamba judges it. The
one exception is a token this server itself just received from Lamba (``note_issued`` after a
sign-in, or a refresh's answer) that our checks disagree with (a configuration mismatch): it is
vouched for and left to the API host. Vouching is keyed by the token's hash and only ever set
from Lamba's own answers, so a client cannot present its way into it.

A token that cannot be checked locally (opaque, or no usable JWKS at all) is looked up at the API
host; a 401 there is remembered (per process and in the cache, for ``LAMBA_CONTEXT_CACHE_TTL``) so
the same garbage is not asked about again. A 401 from the API host refreshes once and retries
once; a second 401 signs the customer out. Outages never sign anyone out, and a 429 holds that
token's lookups back for ``Retry-After``.

A session is signed in only in a Project this site serves (``binding``): a token whose claims
name another scope is refused before any network call, and every context (cached or fetched, for
JWTs and opaque tokens alike) is checked before it becomes a user. A refused session keeps its
cookies (its tokens may still be switched into an allowed Project, explicitly) and is never
healed by a switch-context of our own.

A cookie resolved moments ago in this process is answered from ``warm``. The request's state is
a ``requeststate.RequestState``; refusals are raised by ``refusals``; signing out and serving a
stale context during an outage are in ``fallbacks``.
"""

from __future__ import annotations

import logging
import re
import weakref
from functools import partial

from ..exceptions import LambaError, LambaUnauthorized
from ..types import LambaAuthorization, LambaContext, TokenSet
from ..user import LambaAnonymousUser, LambaUser
from . import binding, clock, store, warm
from .accesstokens import MAX_TOKEN_LENGTH, Verdict
from .fallbacks import signed_out, stale_user
from .lookups import fetch_authorization, fetch_context
from .refresh import refresh_once
from .refusals import Refused, check_claims, check_context
from .requeststate import RequestState as RequestState
from .users import build_user
from .verified import expiry_of
from .verified import verify as _verify

logger = logging.getLogger("django_lamba.session")

#: RFC 6750 ``b64token``: anything else in a token cookie is garbage, never sent upstream.
_TOKEN_SHAPE = re.compile(r"[A-Za-z0-9\-._~+/]+=*")


def _usable(token: str | None) -> str | None:
    if not token or len(token) > MAX_TOKEN_LENGTH or not _TOKEN_SHAPE.fullmatch(token):
        return None
    return token


def resolve_user(state: RequestState) -> LambaUser | LambaAnonymousUser:
    """Resolve the request's Lamba user once; later calls return the same object."""
    with state.lock:
        user = state.user
        if user is None:
            # A cookie resolved moments ago (``warm``) first: most requests end there.
            access = state.access_token
            if access:
                user = warm.user(access, _loader(state, access))
            if user is None:
                user = _resolve(state)
            state.user = user
            state.resolved = True
        return user


def resolve_access_token(access_token: str) -> LambaUser | LambaAnonymousUser:
    """Resolve an access token alone, as a cookie would be but never refreshed.

    For a ``Bearer`` token, a token set Lamba just issued, or finding out who signs out: an
    expired token answers "nobody" rather than rotating tokens behind the caller's back.
    """
    return resolve_user(RequestState(access_token=access_token, had_cookies=True))


def _resolve(state: RequestState) -> LambaUser | LambaAnonymousUser:
    if not state.access_token and not state.refresh_token:
        return LambaAnonymousUser()
    state.access_token = _usable(state.access_token)
    state.refresh_token = _usable(state.refresh_token)
    try:
        return _resolve_or_raise(state)
    except Refused as refused:
        # Not signed in here, but not signed out either: the cookies (and any rotation this
        # request made) stay, so an explicit switch into an allowed Project can still use them.
        return LambaAnonymousUser(lamba_refusal=refused.reason)
    except LambaUnauthorized as exc:
        logger.info("Lamba session ended (%s); signing the customer out", exc.error_code or "401")
        return signed_out(state)
    except LambaError as exc:
        # An outage is not a logout: keep the cookies, say why nobody is signed in.
        try:
            stale = stale_user(state, _loader(state, state.current_access_token))
        except Refused as refused:
            return LambaAnonymousUser(lamba_refusal=refused.reason)
        if stale is not None:
            return stale
        state.outage = exc
        return LambaAnonymousUser(lamba_error=exc)


def _user(
    state: RequestState,
    access: str,
    context: LambaContext,
    verified: tuple[str, float] | None = None,
) -> LambaUser:
    """The signed-in user for ``context``, once the context passes the tenant binding.

    ``verified`` is ``(hash, exp)`` of the request's own cookie when it verified locally: the
    user is then kept for the next requests with that cookie (``warm``).
    """
    check_context(access, context)
    user = build_user(
        context,
        authorization_loader=_loader(state, access),
        tokens=TokenSet(access_token=access),
    )
    if verified is not None and not state.refreshed:
        warm.remember(access, *verified, user)
    return user


def _resolve_or_raise(state: RequestState) -> LambaUser:
    access = state.access_token
    expires_at: float | None = None
    if access:
        access_hash = store.token_hash(access)
        verdict, claims = _verify(access, access_hash)
        if verdict in (Verdict.VALID, Verdict.EXPIRED):
            # Signed by Lamba, so its scope claims are genuine: a foreign scope stays foreign
            # after a refresh too, and costs no call to Lamba.
            check_claims(access_hash, claims)
        if verdict in (Verdict.VALID, Verdict.UNKNOWN):
            context, ended = store.lookup_context(access_hash)
            if ended:
                raise LambaUnauthorized(error_code="session_logged_out")
            if context is not None:
                kept = (access_hash, float(claims["exp"])) if verdict is Verdict.VALID else None
                return _user(state, access, context, kept)
        if verdict is Verdict.VALID:
            expires_at = float(claims["exp"])
            if expires_at <= clock.now() and state.refresh_token:
                access = None  # inside our leeway, but the API host would say 401: refresh first
        elif verdict is not Verdict.UNKNOWN:
            access = None  # expired or untrustworthy: only a refresh can help
    if access:
        context = fetch_context(access, expires_at)
        if context is not None:
            kept = (store.token_hash(access), expires_at) if expires_at is not None else None
            return _user(state, access, context, kept)
    # No usable access token, or the API host said 401: refresh once and try once more. A
    # refresh that comes back unscoped (a revoked Project scope) is refused below, never
    # switched back into the Project by us.
    access = _refresh(state)
    access_hash = store.token_hash(access)
    verdict, claims = _verify(access, access_hash)
    if verdict is Verdict.VALID:
        check_claims(access_hash, claims)
    context, ended = store.lookup_context(access_hash)
    if ended:
        raise LambaUnauthorized(error_code="session_logged_out")
    if context is None:
        context = fetch_context(access, expiry_of(access, state.new_tokens))
    if context is None:
        raise LambaUnauthorized(error_code="unauthorized_after_refresh")
    return _user(state, access, context)


def _refresh(state: RequestState) -> str:
    """Refresh the session once for this request; return the new access token."""
    if state.refreshed or not state.refresh_token:
        raise LambaUnauthorized(error_code="refresh_unavailable")
    state.refreshed = True
    old_access = state.current_access_token
    tokens = refresh_once(state.refresh_token)
    state.new_tokens = tokens
    if old_access:
        store.forget_access_token(store.token_hash(old_access))
    return tokens.access_token


def _loader(state: RequestState, access: str | None) -> partial[LambaAuthorization]:
    """The user's authorization loader: this request's ``_authorization``, holding the state
    weakly. The state holds the user, so a strong reference would make every signed-in request
    a reference cycle, left to the cyclic garbage collector instead of freed when it ends.

    While anything holds the request, its ``request.user`` or ``request.lamba``, the state is
    there. A user kept alone past its request answers for ``access`` as a token on its own
    would: never refreshed, since no response is left to write rotated cookies to.
    """
    return partial(_authorization_of, weakref.ref(state), access)


def _authorization_of(ref: weakref.ref[RequestState], access: str | None) -> LambaAuthorization:
    state = ref()
    if state is None:
        state = RequestState(access_token=access, had_cookies=True)
    return _authorization(state)


def _authorization(state: RequestState) -> LambaAuthorization:
    access = state.current_access_token
    if not access:
        return LambaAuthorization()
    authz = store.get_authorization(store.token_hash(access))
    if authz is not None:
        return authz
    try:
        return fetch_authorization(access)
    except LambaUnauthorized:
        if state.refreshed or not state.refresh_token:
            raise
    try:
        access = _refresh(state)
    except LambaUnauthorized:
        signed_out(state)
        raise
    verdict, claims = _verify(access, store.token_hash(access))
    if verdict is Verdict.VALID and binding.refuse_claims(claims) is not None:
        # The refreshed session lost (or changed) its scope mid-request: grant nothing.
        return LambaAuthorization()
    return fetch_authorization(access)
