"""A cache backend whose every call raises, as a Redis cache does when Redis is down.

Used as ``LAMBA_CACHE_ALIAS`` by the tests that prove django_lamba keeps its promises (one refresh
per rotation, bounded JWKS fetches, no upstream calls for forged tokens) without a shared cache.
"""

from __future__ import annotations

from typing import Any

from django.core.cache.backends.base import BaseCache


class BrokenCache(BaseCache):
    """Every operation fails with ``ConnectionError``."""

    def __init__(self, location: str, params: dict[str, Any]) -> None:
        super().__init__(params)

    def _fail(self, *args: Any, **kwargs: Any) -> Any:
        raise ConnectionError("the cache is down (tests.broken_cache)")

    add = get = set = touch = delete = clear = incr = has_key = _fail
    get_many = set_many = delete_many = _fail


#: A ``CACHES`` entry for it.
BROKEN_CACHE = {"BACKEND": "tests.broken_cache.BrokenCache"}
