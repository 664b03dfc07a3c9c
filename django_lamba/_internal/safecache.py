"""The shared cache as django_lamba uses it: outage-tolerant, keyed by token hashes."""

from __future__ import annotations

import hashlib
import logging
from typing import Any

from django.core.cache import BaseCache, caches

from ..conf import lamba_settings

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

    def get_many(self, keys: list[str]) -> dict[str, Any]:
        """Return the keys found (none on an outage)."""
        try:
            return dict(self._backend.get_many(keys))
        except Exception as exc:
            self._failed("get_many", exc)
            return {}

    def touch(self, key: str, timeout: float | None) -> None:
        try:
            self._backend.touch(key, timeout=timeout)
        except Exception as exc:
            self._failed("touch", exc)

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
