"""The deploy checks of the cache django_lamba shares between workers (E014, W006)."""

from __future__ import annotations

import secrets
import threading
from typing import Any

from django.core.cache import caches
from django.core.cache.backends.dummy import DummyCache
from django.core.cache.backends.locmem import LocMemCache
from django.core.checks import CheckMessage, Error, Tags, Warning, register

from ..conf import lamba_settings

#: Seconds the deploy check waits for the cache's set/get round trip.
CACHE_CHECK_TIMEOUT = 3.0


@register(Tags.caches, deploy=True)
def check_cache(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    """Check that ``LAMBA_CACHE_ALIAS`` is usable and shared by every worker (``--deploy``)."""
    alias = lamba_settings.CACHE_ALIAS
    try:
        backend = caches[alias]
    except Exception as exc:  # unknown alias, backend or client library that cannot import
        return [unusable_cache(alias, f"cannot be loaded ({type(exc).__name__}: {exc})")]
    if isinstance(backend, (LocMemCache, DummyCache)):
        return [
            Warning(
                f"LAMBA_CACHE_ALIAS ({alias!r}) is a {type(backend).__name__}, which no two "
                "processes share.",
                hint="Each worker then keeps its own contexts and JWKS, and only the workers "
                "of one host (through lock files) agree on refreshes. Use a shared cache such "
                "as Redis or Memcached (CACHES), and point LAMBA_CACHE_ALIAS at it.",
                id="django_lamba.W006",
            )
        ]
    problem = round_trip(backend)
    return [unusable_cache(alias, problem)] if problem else []


def round_trip(backend: Any, reader: Any = None, *, timeout: float | None = None) -> str | None:
    """Set a short-lived value and read it back (through ``reader``, another connection to the
    same cache, when given); describe what went wrong, if anything."""
    key = f"lamba:check:{secrets.token_hex(8)}"
    outcome: list[str | None] = []
    reader = backend if reader is None else reader

    def attempt() -> None:
        try:
            backend.set(key, "ok", timeout=10)
            answer = reader.get(key)
            backend.delete(key)
            outcome.append(None if answer == "ok" else "did not return the value it was given")
        except Exception as exc:  # any backend's connection or import error
            outcome.append(f"failed a set/get round trip ({type(exc).__name__}: {exc})")

    # A daemon thread: a cache that hangs must not hang ``manage.py check`` with it.
    worker = threading.Thread(target=attempt, name="django-lamba-cache-check", daemon=True)
    worker.start()
    wait = CACHE_CHECK_TIMEOUT if timeout is None else timeout
    worker.join(wait)
    if not outcome:
        return f"did not answer a set/get round trip within {wait:.0f} s"
    return outcome[0]


def unusable_cache(alias: str, problem: str) -> Error:
    return Error(
        f"The cache LAMBA_CACHE_ALIAS names ({alias!r}) {problem}.",
        hint="django_lamba keeps contexts, the JWKS and refresh coordination there. Fix the "
        "cache's configuration in CACHES (backend, LOCATION, its client library) or point "
        "LAMBA_CACHE_ALIAS at a cache that works.",
        id="django_lamba.E014",
    )
