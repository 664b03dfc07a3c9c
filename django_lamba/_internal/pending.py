"""Half-finished sign-ins (the MFA step, a magic link, a phone code), kept server-side.

The browser holds only a random handle; the data waits in the cache, sealed (``seal``) with a
key derived from that handle, for a few minutes and a bounded number of code attempts.
"""

from __future__ import annotations

import secrets
from typing import Any

from . import seal, store

PENDING_TTL = 300
MAX_ATTEMPTS = 5
_PURPOSE = "pending sign-in"


def _cache_key(handle: str) -> str:
    return f"lamba:pending:{seal.slot_id(_PURPOSE, handle)}"


def stash(data: dict[str, Any]) -> str:
    """Keep ``data`` server-side and return the handle that unlocks it."""
    handle = secrets.token_urlsafe(32)
    cache_key = _cache_key(handle)
    sealed = seal.seal(handle, _PURPOSE, cache_key, {"data": data, "attempts": 0})
    store.cache().set(cache_key, sealed, timeout=PENDING_TTL)
    return handle


def peek(handle: str) -> dict[str, Any] | None:
    """Return the stashed data and count one attempt; ``None`` once expired or used up."""
    if not handle or len(handle) > 100:
        return None
    cache_key = _cache_key(handle)
    payload = seal.unseal(handle, _PURPOSE, cache_key, store.cache().get(cache_key))
    if not isinstance(payload, dict) or not isinstance(payload.get("data"), dict):
        return None
    attempts = payload.get("attempts")
    if not isinstance(attempts, int) or attempts + 1 > MAX_ATTEMPTS:
        store.cache().delete(cache_key)
        return None
    payload["attempts"] = attempts + 1
    resealed = seal.seal(handle, _PURPOSE, cache_key, payload)
    store.cache().set(cache_key, resealed, timeout=PENDING_TTL)
    data: dict[str, Any] = payload["data"]
    return data


def discard(handle: str) -> None:
    """Forget the stashed data of ``handle``."""
    store.cache().delete(_cache_key(handle))
