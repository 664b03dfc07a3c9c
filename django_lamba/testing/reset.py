"""``reset()``: forget everything django_lamba memoises per process, between tests.

django_lamba keeps small per-process memos in front of the shared cache (verified JWT claims,
recent contexts and token verdicts, JWKS copies, the tenant-binding policy, circuit breakers,
the user factory). A test that changes settings, swaps the emulator's keys or ends a session
must not meet the previous test's memos. The pytest plugin calls ``reset(shared_cache=True)``
before and after every ``lamba`` test, and the app calls ``reset()`` whenever a ``LAMBA_*``
setting or ``CACHES`` changes (``override_settings``, pytest-django's ``settings``).
"""

from __future__ import annotations

import logging

from django.core.cache import caches

from django_lamba.conf import lamba_settings

__all__ = ["reset"]

logger = logging.getLogger("django_lamba.testing")


def reset(*, shared_cache: bool = False) -> None:
    """Forget django_lamba's per-process memos; with ``shared_cache``, clear the Lamba cache too.

    In-flight work (single-flight context calls, held host locks, pooled HTTP connections) is
    left alone: it is not a memo, and other threads may be waiting on it.
    """
    # Imported on first use: pytest loads this plugin before Django is set up, and the memos'
    # modules import django.contrib.auth's models.
    from django_lamba._internal.memos import forget_all

    forget_all()
    if shared_cache:
        clear_shared_cache()


def clear_shared_cache() -> None:
    """Clear ``LAMBA_CACHE_ALIAS`` (tokens, contexts, authorizations, JWKS) for every process."""
    try:
        caches[lamba_settings.CACHE_ALIAS].clear()
    except Exception as exc:  # a test of a broken cache must still be able to start
        logger.debug("Could not clear the Lamba cache: %r", exc)
