"""The calls behind a user: ``/v1/me/context`` and ``/v1/me/authorization``, cached.

One ``/v1/me/context`` call per token per process at a time (the others wait for it); a 401 is
remembered so the same token is not asked about again; a 429 holds that token's lookups back for
``Retry-After``. What Lamba answers is cached, never beyond the token's own expiry.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field

from ..client import get_client
from ..conf import lamba_settings
from ..exceptions import LambaError, LambaRateLimited, LambaUnauthorized, LambaUnavailable
from ..types import LambaAuthorization, LambaContext
from . import store
from .accesstokens import Verdict, unverified_expiry
from .refresh import MAX_BACKOFF
from .verified import verify


def _hold_on_rate_limit(access: str, exc: LambaRateLimited) -> None:
    if exc.retry_after:
        store.hold("api", access, min(exc.retry_after, MAX_BACKOFF))


def _raise_if_held(access: str) -> None:
    wait = store.held("api", access)
    if wait > 0:
        raise LambaRateLimited(retry_after=wait)


@dataclass
class _Flight:
    """One in-progress ``/v1/me/context`` call that other threads wait for instead of repeating."""

    done: threading.Event = field(default_factory=threading.Event)
    context: LambaContext | None = None
    error: LambaError | None = None


_flights_lock = threading.Lock()
_flights: dict[str, _Flight] = {}


def fetch_context(access: str, expires_at: float | None) -> LambaContext | None:
    """Return ``/v1/me/context`` for ``access`` (one call per token per process at a time)."""
    access_hash = store.token_hash(access)
    with _flights_lock:
        flight = _flights.get(access_hash)
        leader = flight is None
        if flight is None:
            flight = _flights[access_hash] = _Flight()
    if not leader:
        # E.g. every request that waited for one refresh now wants the new token's context.
        if not flight.done.wait(lamba_settings.TOTAL_TIMEOUT):
            raise LambaUnavailable("A concurrent /v1/me/context call did not finish in time.")
        if flight.error is not None:
            raise flight.error
        return flight.context
    try:
        flight.context = _fetch_context_now(access, expires_at)
        return flight.context
    except LambaError as exc:
        flight.error = exc
        raise
    finally:
        with _flights_lock:
            _flights.pop(access_hash, None)
        flight.done.set()


def _fetch_context_now(access: str, expires_at: float | None) -> LambaContext | None:
    """Return ``/v1/me/context`` for ``access`` and cache it; ``None`` on a 401 (now or lately)."""
    access_hash = store.token_hash(access)
    if store.is_rejected(access_hash):
        return None
    _raise_if_held(access)
    try:
        context = get_client().get_context(access)
    except LambaUnauthorized:
        store.note_rejected(access_hash)
        return None
    except LambaRateLimited as exc:
        _hold_on_rate_limit(access, exc)
        raise
    if expires_at is None:
        # The API host accepted this token, so the expiry it claims is genuine.
        expires_at = unverified_expiry(access)
    store.set_context(access_hash, context, expires_at)
    return context


def fetch_authorization(access: str) -> LambaAuthorization:
    _raise_if_held(access)
    try:
        authz = get_client().get_authorization(access)
    except LambaRateLimited as exc:
        _hold_on_rate_limit(access, exc)
        raise
    access_hash = store.token_hash(access)
    verdict, claims = verify(access, access_hash)
    expires_at = float(claims["exp"]) if verdict is Verdict.VALID else unverified_expiry(access)
    store.set_authorization(access_hash, authz, expires_at)
    return authz
