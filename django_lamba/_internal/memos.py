"""Every per-process memo django_lamba keeps, and the one function that forgets them all.

Small memos sit in front of the shared cache: verified JWT claims, recent contexts and token
verdicts, warm users, JWKS copies, the tenant-binding policy, circuit breakers, the user
factory (and local user rows). Settings changes (``override_settings``) and
``django_lamba.testing.reset()`` clear them through here. In-flight work (single-flight context
calls, held host locks, pooled HTTP connections) is not a memo and is left alone: other threads
may be waiting on it.
"""

from __future__ import annotations

from . import binding, breaker, localusers, warm
from .jwks import clear_local_keys
from .store import clear_local_contexts
from .users import clear_user_factory
from .verified import clear_verified_cache


def forget_all() -> None:
    """Forget every per-process memo (not the shared cache)."""
    clear_verified_cache()  # verified access-token claims
    clear_local_contexts()  # recent contexts, ended / rejected / vouched tokens
    warm.clear()  # users resolved moments ago, per access-token cookie
    clear_local_keys()  # JWKS copies, fetch attempts, unknown key ids
    binding.clear()  # the tenant-binding policy and which refusals were logged
    breaker.reset()  # every host's circuit
    clear_user_factory()  # what builds request.user
    localusers.forget()  # local user rows (LAMBA_LOCAL_USERS)
