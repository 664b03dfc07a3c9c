"""The management token: one ``client_credentials`` fetch at a time, shared by every worker.

The token is kept in the shared cache, sealed (``seal``, purpose ``management-token``) with a key
derived from the client secret, so only code that holds the secret can read it, and a cache
dump shows no bearer token. It is renewed ahead of its expiry (a minute early, or halfway
through a short lifetime) by one worker at a time: the first to ``add`` the cache lock fetches,
the others keep using the still-valid token or, when there is none, poll the cache for the
winner's. A waiter that sees nothing within the call deadline fails open and fetches itself,
so a stuck lock costs one extra fetch, never an outage. It never reaches a browser or a log.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timezone

from django.core.cache.backends.base import InvalidCacheBackendError
from django.core.cache.backends.dummy import DummyCache

from ..conf import lamba_settings
from ..types import ClientCredentialsToken
from . import clock, seal, store

logger = logging.getLogger("django_lamba.management")

PURPOSE = "management-token"
#: Renew this many seconds before the token expires.
RENEW_BEFORE = 60.0
_POLL_INTERVAL = 0.02


@dataclass(frozen=True)
class Credentials:
    """Who asks for the token and for which scope; the secret never shows in ``repr()``."""

    auth_base_url: str
    client_id: str
    client_secret: str = field(repr=False)
    workspace_id: str
    project_id: str
    environment: str
    scope: str = ""

    def slot(self) -> str:
        """Return the cache key part naming these credentials (reveals nothing about them)."""
        parts = (
            self.auth_base_url,
            self.client_id,
            self.client_secret,
            self.workspace_id,
            self.project_id,
            self.environment,
            self.scope,
        )
        return seal.slot_id(PURPOSE, "\x00".join(parts))


def _cache() -> store.SafeCache:
    """Return the shared cache; a ``LAMBA_CACHE_ALIAS`` naming no cache reads as an outage."""
    try:
        return store.cache()
    except InvalidCacheBackendError:
        # Reported by the system checks and lamba_check; the admin API still answers.
        return store.SafeCache(DummyCache("", {}))


def _keys(credentials: Credentials) -> tuple[str, str]:
    slot = credentials.slot()
    return f"lamba:mgmt:{slot}", f"lamba:mgmt-lock:{slot}"


def _read(credentials: Credentials) -> tuple[str, float, float] | None:
    """Return the cached ``(token, renew_at, expires_at)``; ``None`` for a miss or garbage."""
    key, _ = _keys(credentials)
    raw = seal.unseal(credentials.client_secret, PURPOSE, key, _cache().get(key))
    if not isinstance(raw, dict):
        return None
    token, renew_at, expires_at = (
        raw.get("access_token"),
        raw.get("renew_at"),
        raw.get("expires_at"),
    )
    if not isinstance(token, str) or not token:
        return None
    if not isinstance(renew_at, (int, float)) or not isinstance(expires_at, (int, float)):
        return None
    return token, float(renew_at), float(expires_at)


def cached(credentials: Credentials, *, renewing: bool = False) -> str | None:
    """Return the cached token while it needs no renewal (``renewing``: while it is valid)."""
    found = _read(credentials)
    if found is None:
        return None
    token, renew_at, expires_at = found
    return token if clock.now() < (expires_at if renewing else renew_at) else None


def put(credentials: Credentials, token: ClientCredentialsToken) -> str:
    """Cache a freshly fetched ``token`` (sealed) for every worker; return its access token."""
    # The token's expiry is on the real clock; what counts here is its lifetime, on ours.
    lifetime = (token.expires_at - datetime.now(timezone.utc)).total_seconds()
    lifetime = max(lifetime, 0.0)
    now = clock.now()
    record = {
        "access_token": token.access_token,
        "expires_at": now + lifetime,
        "renew_at": now + max(lifetime - RENEW_BEFORE, lifetime / 2),
    }
    key, _ = _keys(credentials)
    sealed = seal.seal(credentials.client_secret, PURPOSE, key, record)
    _cache().set(key, sealed, timeout=max(1, int(lifetime)))
    logger.info(
        "Fetched a management token for client %s (valid %.0f s)",
        credentials.client_id,
        lifetime,
    )
    return token.access_token


def get_token(
    credentials: Credentials, fetch: Callable[[Credentials], ClientCredentialsToken]
) -> str:
    """Return a management token, calling ``fetch`` at most once across workers when needed."""
    token = cached(credentials)
    if token is not None:
        return token
    _, lock = _keys(credentials)
    wait = lamba_settings.TOTAL_TIMEOUT + 1
    lock_timeout = max(1, int(wait + 0.999))
    deadline = clock.monotonic() + wait
    while True:
        if _cache().add(lock, 1, timeout=lock_timeout):
            try:
                # Another worker may have renewed it between our look and our lock.
                token = cached(credentials)
                return token if token is not None else put(credentials, fetch(credentials))
            finally:
                _cache().delete(lock)
        # Someone else is renewing: the current token is still good until it expires.
        token = cached(credentials, renewing=True)
        if token is not None:
            return token
        if clock.monotonic() >= deadline:
            logger.warning("Gave up waiting for a concurrent management token fetch")
            return put(credentials, fetch(credentials))
        time.sleep(_POLL_INTERVAL)


def drop(credentials: Credentials, token: str) -> None:
    """Forget ``token`` (Lamba refused it) unless another worker has replaced it already."""
    found = _read(credentials)
    if found is not None and found[0] == token:
        key, _ = _keys(credentials)
        _cache().delete(key)
