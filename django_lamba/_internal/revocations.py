"""The revocation generation: how every worker learns, within a bound, that something ended.

Each worker keeps recent contexts in its own memory (``LAMBA_LOCAL_CONTEXT_TTL``), which no other
process can reach. When a webhook ends a session (or changes a user's authorization), the worker
that handles it bumps a counter in the shared cache; every worker reads that counter at most once
per ``LAMBA_REVOCATION_CHECK_INTERVAL`` and, when it moved, drops its local contexts, so the next
request reads the shared cache, where the session is already marked ended. A warm request between
two checks costs one comparison of two floats.

A second counter, the authorization epoch, is part of every cached authorization's key: bumping it
(a role changed, for users nobody can list) makes every worker fetch authorization afresh.
"""

from __future__ import annotations

import threading

from ..conf import lamba_settings
from .safecache import cache

_GENERATION = "lamba:revocation:generation"
_AUTHZ_EPOCH = "lamba:revocation:authz-epoch"

_lock = threading.Lock()
#: The monotonic time of this process's next look at the shared cache: until then, ``changed``
#: answers False (a caller on a hot path may compare against it first).
next_check = 0.0
_seen: object = None
_authz_epoch = 0


def changed(now: float) -> bool:
    """Whether a revocation was announced since this process last looked (``now``: monotonic).

    Looks at the shared cache at most once per ``LAMBA_REVOCATION_CHECK_INTERVAL``; in between
    it answers False at the cost of one comparison.
    """
    global next_check, _seen, _authz_epoch
    if now < next_check:
        return False
    with _lock:
        if now < next_check:
            return False
        next_check = now + lamba_settings.REVOCATION_CHECK_INTERVAL
    found = cache().get_many([_GENERATION, _AUTHZ_EPOCH])
    epoch = found.get(_AUTHZ_EPOCH)
    _authz_epoch = epoch if isinstance(epoch, int) else 0
    generation = found.get(_GENERATION)
    if generation == _seen:
        return False
    _seen = generation
    return True


def authz_epoch() -> int:
    """The authorization epoch this process last read (part of authorization cache keys)."""
    return _authz_epoch


def _bump(key: str) -> None:
    shared = cache()
    shared.add(key, 0, timeout=None)
    try:
        shared.incr(key)
    except ValueError:  # evicted between the two calls
        shared.set(key, 1, timeout=None)


def announce() -> None:
    """Tell every worker that sessions ended: each drops its local contexts at its next check."""
    global next_check
    _bump(_GENERATION)
    next_check = 0.0  # this process looks at its next request


def announce_authorization_change() -> None:
    """Tell every worker to fetch authorization afresh (and drop its local contexts)."""
    _bump(_AUTHZ_EPOCH)
    announce()


def clear() -> None:
    """Forget what this process read (tests)."""
    global next_check, _seen, _authz_epoch
    with _lock:
        next_check, _seen, _authz_epoch = 0.0, None, 0
