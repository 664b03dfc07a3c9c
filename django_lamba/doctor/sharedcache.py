"""The doctor's cache check: is ``LAMBA_CACHE_ALIAS`` working, and shared between processes?

A value is written through the configured backend and read back through a fresh connection to
the same cache (``caches.create_connection``): what one worker writes, another must read. A
``LocMemCache`` passes that inside one process and still shares nothing with the next one.
"""

from __future__ import annotations

from django.core.cache import caches
from django.core.cache.backends.dummy import DummyCache
from django.core.cache.backends.locmem import LocMemCache

from ..checks import round_trip
from ..conf import lamba_settings
from .results import Finding

FIX = (
    "django_lamba keeps contexts, the JWKS and refresh coordination there. Fix the cache's "
    "entry in CACHES (backend, LOCATION, client library) or point LAMBA_CACHE_ALIAS at one "
    "that works."
)


def cache_finding() -> Finding:
    alias = lamba_settings.CACHE_ALIAS
    try:
        backend = caches[alias]
        reader = caches.create_connection(alias)
    except Exception as exc:  # unknown alias, backend or client library that cannot import
        return Finding(
            "cache",
            "fail",
            f"LAMBA_CACHE_ALIAS {alias!r} cannot be loaded ({type(exc).__name__})",
            fix=FIX,
        )
    name = type(backend).__name__
    if isinstance(backend, (LocMemCache, DummyCache)):
        return Finding(
            "cache",
            "warn",
            f"{alias!r} is a {name}: no two processes share it",
            fix="Fine for one process (runserver). With several workers each keeps its own "
            "contexts and JWKS, and only the workers of one host agree on refreshes: use "
            "Redis or Memcached in CACHES and point LAMBA_CACHE_ALIAS at it.",
            facts={"alias": alias, "backend": name},
        )
    problem = round_trip(backend, reader)
    if problem:
        return Finding(
            "cache", "fail", f"{alias!r} ({name}) {problem}", fix=FIX, facts={"alias": alias}
        )
    return Finding(
        "cache",
        "ok",
        f"{alias!r} ({name}): a value written through one connection was read through another",
        facts={"alias": alias, "backend": name},
    )
