"""From cookies to ``request.user``: verify, use the cache, refresh at most once.

A warm request (valid JWT, context in the cache) makes no network call. An expired JWT is
refreshed before any call to the API host. A 401 from the API host refreshes once and retries
once; a second 401 signs the customer out. Outages never sign anyone out.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import OrderedDict
from dataclasses import dataclass, field
from typing import Any

from ..client import get_client
from ..conf import lamba_settings
from ..exceptions import LambaError, LambaUnauthorized
from ..types import LambaAuthorization, LambaContext, TokenSet
from ..user import LambaAnonymousUser, LambaUser
from . import store
from .jwks import Verdict, verify_access_token
from .refresh import refresh_once

logger = logging.getLogger("django_lamba.session")


@dataclass
class RequestState:
    """What the middleware knows about this request's Lamba cookies and what to write back."""

    access_token: str | None = None
    refresh_token: str | None = None
    had_cookies: bool = False
    resolved: bool = False
    #: Tokens to write as cookies on the response (after a refresh).
    new_tokens: TokenSet | None = None
    #: Expire both cookies on the response (definitive rejection or logout).
    clear_cookies: bool = False
    #: A view already wrote (or cleared) the cookies: the middleware must not touch them.
    cookies_written: bool = False
    refreshed: bool = False
    user: LambaUser | LambaAnonymousUser | None = None
    lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    @property
    def current_access_token(self) -> str | None:
        return self.new_tokens.access_token if self.new_tokens else self.access_token


# Verified claims per access-token hash: a JWT's signature does not change, so the RSA check is
# done once per token per process. Bounded, and never past the token's own ``exp``.
_verified_lock = threading.Lock()
_verified: OrderedDict[str, tuple[float, dict[str, Any]]] = OrderedDict()
_VERIFIED_MAX = 4096


def _verify(token: str, token_hash: str) -> tuple[Verdict, dict[str, Any]]:
    now = time.time()
    hit = _verified.get(token_hash)
    if hit is not None and hit[0] > now:
        return Verdict.VALID, hit[1]
    result = verify_access_token(token)
    if result.verdict is Verdict.VALID:
        expires = float(result.claims.get("exp", now)) + lamba_settings.JWT_LEEWAY
        with _verified_lock:
            _verified[token_hash] = (expires, result.claims)
            while len(_verified) > _VERIFIED_MAX:
                _verified.popitem(last=False)
    elif result.verdict is Verdict.INVALID:
        logger.info("Ignoring a Lamba access cookie that failed verification: %s", result.reason)
    return result.verdict, result.claims


def clear_verified_cache() -> None:
    """Forget per-process verification results (tests)."""
    with _verified_lock:
        _verified.clear()


def resolve_user(state: RequestState) -> LambaUser | LambaAnonymousUser:
    """Resolve the request's Lamba user once; later calls return the same object."""
    with state.lock:
        if state.user is None:
            state.user = _resolve(state)
            state.resolved = True
        return state.user


def _signed_out(state: RequestState) -> LambaAnonymousUser:
    state.clear_cookies = True
    state.new_tokens = None
    return LambaAnonymousUser()


def _refresh(state: RequestState) -> str | None:
    """Refresh the session once for this request; return the new access token."""
    if state.refreshed or not state.refresh_token:
        return None
    state.refreshed = True
    old_access = state.current_access_token
    tokens = refresh_once(state.refresh_token)
    state.new_tokens = tokens
    if old_access:
        store.forget_access_token(store.token_hash(old_access))
    return tokens.access_token


def _resolve(state: RequestState) -> LambaUser | LambaAnonymousUser:
    if not state.access_token and not state.refresh_token:
        return LambaAnonymousUser()
    try:
        return _resolve_or_raise(state)
    except LambaUnauthorized as exc:
        logger.info("Lamba session ended (%s); signing the customer out", exc.error_code or "401")
        return _signed_out(state)
    except LambaError as exc:
        # An outage is not a logout: keep the cookies, say why nobody is signed in.
        stale = _stale_user(state)
        if stale is not None:
            return stale
        return LambaAnonymousUser(lamba_error=exc)


def _resolve_or_raise(state: RequestState) -> LambaUser | LambaAnonymousUser:
    access = state.access_token
    expires_at: float | None = None
    if access:
        verdict, claims = _verify(access, store.token_hash(access))
        if verdict is Verdict.VALID:
            expires_at = float(claims["exp"])
        elif verdict is not Verdict.UNKNOWN:
            access = None  # expired or untrustworthy: only a refresh can help
    if not access:
        access = _refresh(state)
        if not access:
            return _signed_out(state)
        expires_at = _expiry_of(access, state.new_tokens)
    context = _context(access, expires_at)
    if context is None:
        # The API host said 401: refresh once and retry once.
        access = _refresh(state)
        if not access:
            return _signed_out(state)
        context = _context(access, _expiry_of(access, state.new_tokens))
        if context is None:
            return _signed_out(state)
    return LambaUser(context, authorization_loader=lambda: _authorization(state))


def _expiry_of(access: str, tokens: TokenSet | None) -> float | None:
    verdict, claims = _verify(access, store.token_hash(access))
    if verdict is Verdict.VALID:
        return float(claims["exp"])
    if tokens and tokens.access_token_expires_at:
        return tokens.access_token_expires_at.timestamp()
    return None


def _context(access: str, expires_at: float | None) -> LambaContext | None:
    """Return the context for ``access`` from the cache or Lamba; ``None`` on a 401."""
    access_hash = store.token_hash(access)
    context = store.get_context(access_hash)
    if context is not None:
        return context
    try:
        context = get_client().get_context(access)
    except LambaUnauthorized:
        return None
    store.set_context(access_hash, context, expires_at)
    return context


def _authorization(state: RequestState) -> LambaAuthorization:
    access = state.current_access_token
    if not access:
        return LambaAuthorization()
    access_hash = store.token_hash(access)
    authz = store.get_authorization(access_hash)
    if authz is None:
        authz = get_client().get_authorization(access)
        verdict, claims = _verify(access, access_hash)
        expires_at = float(claims["exp"]) if verdict is Verdict.VALID else None
        store.set_authorization(access_hash, authz, expires_at)
    return authz


def _stale_user(state: RequestState) -> LambaUser | None:
    access = state.current_access_token
    if not access or lamba_settings.STALE_CONTEXT_TTL <= 0:
        return None
    verdict, claims = _verify(access, store.token_hash(access))
    session_id = str(claims.get("sid") or "")
    context = store.get_stale_context(session_id) if session_id else None
    if context is None:
        return None
    logger.warning("Lamba is unavailable; serving the last known context of a session")
    return LambaUser(context, authorization_loader=lambda: _authorization(state), stale=True)
