"""What a refresh token was rotated into, what became of it, and who is refreshing it.

The records ``refresh`` coordinates with, each kept twice: in the shared cache for the workers of
every host, and as a sealed host-local record (``hostlock``) for the workers of this one, because
the shared cache can be down or per-process. The rotated tokens are sealed with a key derived
from the refresh token they replace: only a request that holds it can read them.
"""

from __future__ import annotations

from ..conf import lamba_settings
from ..types import TokenSet
from . import clock, hostlock, seal, store

_ROTATED = "rotated tokens"


def put_rotated(refresh_token: str, tokens: TokenSet) -> None:
    """Remember, for the grace window, what ``refresh_token`` was rotated into."""
    name = store.token_hash(refresh_token)
    key = f"lamba:rotated:{name}"
    grace = max(1, int(lamba_settings.REFRESH_GRACE))
    sealed = seal.seal(refresh_token, _ROTATED, key, tokens.to_dict())
    store.cache().set(key, sealed, timeout=grace)
    # The workers of this host must find it even when the shared cache is down.
    hostlock.put_record(name, "rotated", refresh_token, tokens.to_dict(), grace)


def get_rotated(refresh_token: str) -> TokenSet | None:
    """Return what ``refresh_token`` was rotated into during the grace window, if anything."""
    key = f"lamba:rotated:{store.token_hash(refresh_token)}"
    raw = seal.unseal(refresh_token, _ROTATED, key, store.cache().get(key))
    if raw is None:
        raw = hostlock.get_record(store.token_hash(refresh_token), "rotated", refresh_token)
    if not isinstance(raw, dict):
        return None
    tokens = TokenSet.from_json(raw)
    expires_at = tokens.refresh_token_expires_at
    if expires_at and expires_at.timestamp() < clock.now():
        return None
    return tokens


def mark(kind: str, refresh_token: str, timeout: float) -> None:
    """Set a short-lived marker (``failed``, ``logged_out``) about a refresh token."""
    seconds = max(1, int(timeout))
    store.cache().set(f"lamba:{kind}:{store.token_hash(refresh_token)}", 1, timeout=seconds)
    hostlock.put_record(store.token_hash(refresh_token), kind, refresh_token, 1, seconds)


def is_marked(kind: str, refresh_token: str) -> bool:
    """Whether a marker set with :func:`mark` is still there, shared or host-local."""
    if store.cache().get(f"lamba:{kind}:{store.token_hash(refresh_token)}"):
        return True
    record = hostlock.get_record(store.token_hash(refresh_token), kind, refresh_token)
    return bool(record == 1)


def acquire_lock(refresh_token: str) -> bool:
    """Take the shared cache's refresh lock (True also when the cache cannot coordinate)."""
    # The lock must outlive the refresh call it guards, or a second worker would reuse the token.
    slowest_call = lamba_settings.TOTAL_TIMEOUT + 1
    lock_timeout = max(1, int(max(lamba_settings.REFRESH_LOCK_TIMEOUT, slowest_call) + 0.999))
    key = f"lamba:lock:{store.token_hash(refresh_token)}"
    return bool(store.cache().add(key, 1, timeout=lock_timeout))


def release_lock(refresh_token: str) -> None:
    """Release the shared cache's refresh lock."""
    store.cache().delete(f"lamba:lock:{store.token_hash(refresh_token)}")


def is_locked(refresh_token: str) -> bool:
    """Whether some worker holds the shared cache's refresh lock."""
    return store.cache().get(f"lamba:lock:{store.token_hash(refresh_token)}") is not None
