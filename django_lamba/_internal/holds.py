"""Back-offs from calls about one token (after a 429 or an outage), in the cache and on the host.

Kept in the shared cache and in a sealed host-local record (``hostlock``), so the workers of one
host honour a back-off even while the shared cache is down.
"""

from __future__ import annotations

from . import clock, hostlock
from .safecache import cache, token_hash


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
