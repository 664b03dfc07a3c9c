"""What django_lamba keeps in Django's cache framework, and under which keys.

Keys carry a hash of the token, never the token. The only tokens ever written to the cache are a
just-rotated token set kept for the refresh grace window, and they are sealed with a key derived
from the refresh token they replace: only a request that holds that refresh token can read them.
"""

from __future__ import annotations

import hashlib
import json
import os
import time
from datetime import datetime, timezone

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from django.core.cache import BaseCache, caches

from ..conf import lamba_settings
from ..types import LambaAuthorization, LambaContext, TokenSet


def cache() -> BaseCache:
    """Return the cache django_lamba uses (``LAMBA_CACHE_ALIAS``)."""
    return caches[lamba_settings.CACHE_ALIAS]


def token_hash(token: str) -> str:
    """Return the key-safe hash of a token."""
    return hashlib.sha256(token.encode("utf-8", "surrogatepass")).hexdigest()


def _ttl(expires_at: float | None, ttl: float) -> int:
    if expires_at is not None:
        ttl = min(ttl, expires_at - time.time())
    return int(ttl)


# --- context and authorization ---------------------------------------------------------------


def get_context(access_hash: str) -> LambaContext | None:
    raw = cache().get(f"lamba:ctx:{access_hash}")
    return LambaContext.from_json(raw) if isinstance(raw, dict) else None


def set_context(access_hash: str, context: LambaContext, expires_at: float | None) -> None:
    """Cache a context for this token, never beyond the token's own expiry."""
    timeout = _ttl(expires_at, lamba_settings.CONTEXT_CACHE_TTL)
    if timeout > 0:
        cache().set(f"lamba:ctx:{access_hash}", context.raw, timeout=timeout)
    stale_ttl = lamba_settings.STALE_CONTEXT_TTL
    if stale_ttl > 0 and context.session.id:
        cache().set(
            f"lamba:stale:{hashlib.sha256(context.session.id.encode()).hexdigest()}",
            {"ctx": context.raw, "at": time.time()},
            timeout=int(stale_ttl),
        )


def get_stale_context(session_id: str) -> LambaContext | None:
    """Return the last known context of a session while Lamba is down (if enabled)."""
    if lamba_settings.STALE_CONTEXT_TTL <= 0 or not session_id:
        return None
    raw = cache().get(f"lamba:stale:{hashlib.sha256(session_id.encode()).hexdigest()}")
    if not isinstance(raw, dict) or not isinstance(raw.get("ctx"), dict):
        return None
    return LambaContext.from_json(raw["ctx"])


def get_authorization(access_hash: str) -> LambaAuthorization | None:
    raw = cache().get(f"lamba:authz:{access_hash}")
    return LambaAuthorization.from_json(raw) if isinstance(raw, dict) else None


def set_authorization(
    access_hash: str, authz: LambaAuthorization, expires_at: float | None
) -> None:
    timeout = _ttl(expires_at, lamba_settings.CONTEXT_CACHE_TTL)
    if timeout > 0:
        cache().set(f"lamba:authz:{access_hash}", authz.raw, timeout=timeout)


def forget_access_token(access_hash: str) -> None:
    """Drop what is cached for an access token (logout, refresh, switch-context)."""
    cache().delete_many([f"lamba:ctx:{access_hash}", f"lamba:authz:{access_hash}"])


# --- refresh coordination --------------------------------------------------------------------


def _seal_key(refresh_token: str) -> bytes:
    return hashlib.sha256(b"django-lamba grace v1\x00" + refresh_token.encode()).digest()


def put_rotated(refresh_token: str, tokens: TokenSet) -> None:
    """Remember, for the grace window, what ``refresh_token`` was rotated into."""
    nonce = os.urandom(12)
    plain = json.dumps(tokens.to_dict()).encode()
    sealed = nonce + AESGCM(_seal_key(refresh_token)).encrypt(nonce, plain, None)
    grace = max(1, int(lamba_settings.REFRESH_GRACE))
    cache().set(f"lamba:rotated:{token_hash(refresh_token)}", sealed, timeout=grace)


def get_rotated(refresh_token: str) -> TokenSet | None:
    sealed = cache().get(f"lamba:rotated:{token_hash(refresh_token)}")
    if not isinstance(sealed, bytes) or len(sealed) < 13:
        return None
    try:
        plain = AESGCM(_seal_key(refresh_token)).decrypt(sealed[:12], sealed[12:], None)
    except InvalidTag:
        return None
    tokens = TokenSet.from_json(json.loads(plain))
    if tokens.refresh_token_expires_at and tokens.refresh_token_expires_at < datetime.now(
        timezone.utc
    ):
        return None
    return tokens


def mark(kind: str, refresh_token: str, timeout: float) -> None:
    """Set a short-lived marker (``failed``, ``logged_out``) about a refresh token."""
    cache().set(f"lamba:{kind}:{token_hash(refresh_token)}", 1, timeout=max(1, int(timeout)))


def is_marked(kind: str, refresh_token: str) -> bool:
    return bool(cache().get(f"lamba:{kind}:{token_hash(refresh_token)}"))


def acquire_lock(refresh_token: str) -> bool:
    lock_timeout = max(1, int(lamba_settings.REFRESH_LOCK_TIMEOUT))
    return bool(cache().add(f"lamba:lock:{token_hash(refresh_token)}", 1, timeout=lock_timeout))


def release_lock(refresh_token: str) -> None:
    cache().delete(f"lamba:lock:{token_hash(refresh_token)}")


def is_locked(refresh_token: str) -> bool:
    return cache().get(f"lamba:lock:{token_hash(refresh_token)}") is not None
