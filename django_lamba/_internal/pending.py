"""Half-finished sign-ins (the MFA step), kept server-side.

The browser holds only a random handle; the login and password wait in the cache, sealed with a
key derived from that handle, for a few minutes and a bounded number of code attempts.
"""

from __future__ import annotations

import hashlib
import json
import os
import secrets
from typing import Any

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from . import store

PENDING_TTL = 300
MAX_ATTEMPTS = 5


def _key(handle: str) -> tuple[str, bytes]:
    digest = hashlib.sha256(b"django-lamba pending v1\x00" + handle.encode()).digest()
    return f"lamba:pending:{hashlib.sha256(digest).hexdigest()}", digest


def stash(data: dict[str, Any]) -> str:
    """Keep ``data`` server-side and return the handle that unlocks it."""
    handle = secrets.token_urlsafe(32)
    cache_key, secret = _key(handle)
    nonce = os.urandom(12)
    payload = json.dumps({"data": data, "attempts": 0}).encode()
    store.cache().set(
        cache_key, nonce + AESGCM(secret).encrypt(nonce, payload, None), timeout=PENDING_TTL
    )
    return handle


def peek(handle: str) -> dict[str, Any] | None:
    """Return the stashed data and count one attempt; ``None`` once expired or used up."""
    if not handle or len(handle) > 100:
        return None
    cache_key, secret = _key(handle)
    sealed = store.cache().get(cache_key)
    if not isinstance(sealed, bytes) or len(sealed) < 13:
        return None
    try:
        payload = json.loads(AESGCM(secret).decrypt(sealed[:12], sealed[12:], None))
    except (InvalidTag, ValueError):
        return None
    payload["attempts"] += 1
    if payload["attempts"] > MAX_ATTEMPTS:
        store.cache().delete(cache_key)
        return None
    nonce = os.urandom(12)
    resealed = nonce + AESGCM(secret).encrypt(nonce, json.dumps(payload).encode(), None)
    store.cache().set(cache_key, resealed, timeout=PENDING_TTL)
    data: dict[str, Any] = payload["data"]
    return data


def discard(handle: str) -> None:
    store.cache().delete(_key(handle)[0])
