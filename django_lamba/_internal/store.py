"""What django_lamba keeps in Django's cache framework, and under which keys.

Keys carry a hash of the token, never the token. The only tokens ever written to the cache are a
just-rotated token set kept for the refresh grace window (``rotation``), sealed with a key derived
from the refresh token they replace.

The shared cache can fail (an outage reads as a miss) or be process-local, so what must hold
whatever the cache does is also kept closer: back-offs (and, in ``rotation``, what a refresh token
was rotated into and its markers) in sealed host-local records (``hostlock``), shared by the
workers of one host; and signed-out, rejected and vouched-for access tokens in this process's
memory (bounded).
"""

from __future__ import annotations

import hashlib
import logging
import threading
from collections import OrderedDict
from typing import Any

from django.core.cache import BaseCache, caches

from ..conf import lamba_settings
from ..types import LambaAuthorization, LambaContext
from . import clock, hostlock

logger = logging.getLogger("django_lamba.cache")


class SafeCache:
    """The configured cache, where an outage (Redis down) reads as a miss instead of a 500.

    A failed ``add`` answers True: when the cache cannot coordinate, one request still gets to
    refresh or fetch rather than every request waiting for a lock nobody can take.
    """

    def __init__(self, backend: BaseCache) -> None:
        self._backend = backend

    def _failed(self, operation: str, exc: Exception) -> None:
        logger.warning("The Lamba cache failed on %s: %s", operation, type(exc).__name__)

    def get(self, key: str, default: Any = None) -> Any:
        try:
            return self._backend.get(key, default)
        except Exception as exc:  # any backend's connection error
            self._failed("get", exc)
            return default

    def set(self, key: str, value: Any, timeout: float | None = None) -> None:
        try:
            self._backend.set(key, value, timeout=timeout)
        except Exception as exc:
            self._failed("set", exc)

    def add(self, key: str, value: Any, timeout: float | None = None) -> bool:
        try:
            return bool(self._backend.add(key, value, timeout=timeout))
        except Exception as exc:
            self._failed("add", exc)
            return True

    def delete(self, key: str) -> bool:
        """Delete ``key``; True only if this call removed it (False on an outage)."""
        try:
            return bool(self._backend.delete(key))
        except Exception as exc:
            self._failed("delete", exc)
            return False

    def incr(self, key: str, delta: int = 1) -> int:
        """Increment a counter; ``ValueError`` if missing, 0 on an outage (limits fail open)."""
        try:
            return int(self._backend.incr(key, delta))
        except ValueError:
            raise
        except Exception as exc:
            self._failed("incr", exc)
            return 0

    def delete_many(self, keys: list[str]) -> None:
        try:
            self._backend.delete_many(keys)
        except Exception as exc:
            self._failed("delete_many", exc)


def cache() -> SafeCache:
    """Return the cache django_lamba uses (``LAMBA_CACHE_ALIAS``), outage-tolerant."""
    return SafeCache(caches[lamba_settings.CACHE_ALIAS])


def token_hash(token: str) -> str:
    """Return the key-safe hash of a token."""
    return hashlib.sha256(token.encode("utf-8", "surrogatepass")).hexdigest()


def _ttl(expires_at: float | None, ttl: float) -> int:
    if expires_at is not None:
        ttl = min(ttl, expires_at - clock.now())
    return int(ttl)


# --- context and authorization ---------------------------------------------------------------


_ENDED = "ended"


def get_context(access_hash: str) -> LambaContext | None:
    raw = cache().get(f"lamba:ctx:{access_hash}")
    return LambaContext.from_json(raw) if isinstance(raw, dict) else None


# Contexts this process read recently, per access-token hash. Within LAMBA_LOCAL_CONTEXT_TTL a
# warm request skips the shared cache entirely; after it the shared cache is read again and stays
# the truth (a logout elsewhere, a new value), and an unchanged value is not rebuilt.
_local_lock = threading.Lock()
_local: OrderedDict[str, tuple[float, dict[str, Any], LambaContext]] = OrderedDict()
_LOCAL_MAX = 1024


def _remember(access_hash: str, raw: dict[str, Any], context: LambaContext) -> None:
    fresh_until = clock.monotonic() + lamba_settings.LOCAL_CONTEXT_TTL
    with _local_lock:
        _local[access_hash] = (fresh_until, raw, context)
        _local.move_to_end(access_hash)
        while len(_local) > _LOCAL_MAX:
            _local.popitem(last=False)


#: This process's current record of a recent context, by access-token hash, or None (``warm``
#: holds a record by identity). The dict's own ``get``: it is read on every warm request.
local_record = _local.get


def _forget_local(access_hash: str) -> None:
    with _local_lock:
        _local.pop(access_hash, None)


def clear_local_contexts() -> None:
    """Forget this process's recent contexts and token verdicts (tests)."""
    with _local_lock:
        _local.clear()
    for memory in (_ended, _rejected, _vouched):
        memory.clear()


class _Memory:
    """Token hashes this process remembers until a deadline (wall clock), oldest dropped first."""

    def __init__(self, size: int) -> None:
        self._size = size
        self._lock = threading.Lock()
        self._until: OrderedDict[str, float] = OrderedDict()

    def add(self, access_hash: str, seconds: float) -> None:
        if seconds <= 0:
            return
        with self._lock:
            self._until[access_hash] = clock.now() + seconds
            self._until.move_to_end(access_hash)
            while len(self._until) > self._size:
                self._until.popitem(last=False)

    def __contains__(self, access_hash: object) -> bool:
        until = self._until.get(access_hash) if isinstance(access_hash, str) else None
        return until is not None and until > clock.now()

    def clear(self) -> None:
        with self._lock:
            self._until.clear()


#: Access tokens signed out here, so a replayed cookie is anonymous even with the cache down.
_ended = _Memory(16384)
#: Access tokens the API host answered 401 for: not asked about again for a while.
_rejected = _Memory(4096)
#: Access tokens Lamba issued to this server although they fail local verification.
_vouched = _Memory(1024)
#: The longest a signed-out token whose expiry is unknown (opaque) is remembered.
ENDED_MAX_TTL = 86400.0


def lookup_context(access_hash: str) -> tuple[LambaContext | None, bool]:
    """Return ``(cached context or None, whether this access token was signed out)``."""
    if access_hash in _ended:
        return None, True
    local = _local.get(access_hash)
    if local is not None and local[0] > clock.monotonic():
        return local[2], False
    raw = cache().get(f"lamba:ctx:{access_hash}")
    if raw == _ENDED:
        _forget_local(access_hash)
        return None, True
    if not isinstance(raw, dict):
        _forget_local(access_hash)
        return None, False
    context = local[2] if local is not None and local[1] == raw else LambaContext.from_json(raw)
    _remember(access_hash, raw, context)
    return context, False


def end_access_token(access_hash: str, expires_at: float | None) -> None:
    """Remember until it expires that an access token was signed out, here and in the cache.

    Whatever Lamba answered: a replayed cookie is then anonymous at once, in this process even
    when the shared cache is down. The expiry is the one the token claims (only ever used to keep
    this marker long enough); a token without one is remembered for ``ENDED_MAX_TTL``.
    """
    remaining = ENDED_MAX_TTL if expires_at is None else expires_at - clock.now()
    seconds = max(1, int(min(remaining, ENDED_MAX_TTL) + lamba_settings.JWT_LEEWAY + 0.999))
    _ended.add(access_hash, seconds)
    _forget_local(access_hash)
    cache().delete(f"lamba:authz:{access_hash}")
    cache().set(f"lamba:ctx:{access_hash}", _ENDED, timeout=seconds)


def note_rejected(access_hash: str) -> None:
    """Remember that the API host answered 401 for this access token (here and in the cache)."""
    seconds = max(1, int(lamba_settings.CONTEXT_CACHE_TTL))
    _rejected.add(access_hash, seconds)
    cache().set(f"lamba:rejected:{access_hash}", 1, timeout=seconds)


def is_rejected(access_hash: str) -> bool:
    """Whether the API host recently answered 401 for this access token."""
    if access_hash in _rejected:
        return True
    if cache().get(f"lamba:rejected:{access_hash}"):
        _rejected.add(access_hash, lamba_settings.CONTEXT_CACHE_TTL)
        return True
    return False


def set_context(access_hash: str, context: LambaContext, expires_at: float | None) -> None:
    """Cache a context for this token, never beyond the token's own expiry."""
    timeout = _ttl(expires_at, lamba_settings.CONTEXT_CACHE_TTL)
    if timeout > 0:
        cache().set(f"lamba:ctx:{access_hash}", context.raw, timeout=timeout)
        _remember(access_hash, context.raw, context)
    stale_ttl = lamba_settings.STALE_CONTEXT_TTL
    if stale_ttl > 0 and context.session.id:
        cache().set(
            _stale_key(context.session.id),
            {"ctx": context.raw, "at": clock.now()},
            timeout=int(stale_ttl),
        )


def _stale_key(session_id: str) -> str:
    return f"lamba:stale:{hashlib.sha256(session_id.encode()).hexdigest()}"


def forget_stale_context(session_id: str) -> None:
    """Drop the last known context of a session that ended."""
    if session_id:
        cache().delete(_stale_key(session_id))


def get_stale_context(session_id: str) -> LambaContext | None:
    """Return the last known context of a session while Lamba is down (if enabled)."""
    if lamba_settings.STALE_CONTEXT_TTL <= 0 or not session_id:
        return None
    raw = cache().get(_stale_key(session_id))
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
    _forget_local(access_hash)
    cache().delete_many([f"lamba:ctx:{access_hash}", f"lamba:authz:{access_hash}"])


# --- tokens Lamba issued, back-offs ----------------------------------------------------------


def vouch(access_hash: str, expires_at: float | None) -> None:
    """Remember that Lamba itself issued this token although it fails local verification.

    Only ever called with a token this server just received from Lamba (a sign-in's or a
    refresh's answer), never with one a client presented.
    """
    timeout = _ttl(expires_at, lamba_settings.CONTEXT_CACHE_TTL)
    if timeout > 0:
        _vouched.add(access_hash, timeout)
        cache().set(f"lamba:vouched:{access_hash}", 1, timeout=timeout)


def is_vouched(access_hash: str) -> bool:
    return access_hash in _vouched or bool(cache().get(f"lamba:vouched:{access_hash}"))


def hold(kind: str, token: str, seconds: float) -> None:
    """Back off from calls about ``token`` for ``seconds`` (after a 429 or an outage)."""
    if seconds > 0:
        until = clock.now() + seconds
        cache().set(f"lamba:hold:{kind}:{token_hash(token)}", until, timeout=int(seconds + 1.999))
        hostlock.put_record(token_hash(token), f"hold-{kind}", token, until, seconds)


def held(kind: str, token: str) -> float:
    """Return how many seconds remain of a back-off set with :func:`hold` (0 if none)."""
    until = cache().get(f"lamba:hold:{kind}:{token_hash(token)}")
    if not isinstance(until, (int, float)):
        until = hostlock.get_record(token_hash(token), f"hold-{kind}", token)
    if not isinstance(until, (int, float)):
        return 0.0
    return max(0.0, float(until) - clock.now())
