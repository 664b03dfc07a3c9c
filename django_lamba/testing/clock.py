"""Move django_lamba's clock in tests instead of sleeping.

::

    from django_lamba.testing.clock import frozen

    with frozen() as clock:
        ...  # the library's wall time stands still
        clock.advance(301)  # every deadline 301 s on is now due

Wall time (token expiries, cache and record deadlines) stands still until advanced. Monotonic time
(circuit pauses, local memo lifetimes) keeps running, so waits with a deadline still end, and is
moved forward by ``advance`` too. To move the emulator's tokens in step, give it the same clock:
``lamba.clock = clock.now``. Only django_lamba's own deadlines move: the cache backend's
expiries (Redis, ``LocMemCache``) follow the real clock.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

from .._internal import clock as library_clock

__all__ = ["FrozenClock", "frozen"]


class FrozenClock:
    """A wall clock that stands still until advanced, and a monotonic one that can jump ahead."""

    def __init__(self, at: float) -> None:
        self._lock = threading.Lock()
        self._at = at
        self._ahead = 0.0

    def now(self) -> float:
        """Return the frozen wall time."""
        return self._at

    def monotonic(self) -> float:
        """Return the real monotonic time plus every ``advance`` so far."""
        return time.monotonic() + self._ahead

    def advance(self, seconds: float) -> None:
        """Move both clocks ``seconds`` forward."""
        if seconds < 0:
            raise ValueError("A clock only moves forward.")
        with self._lock:
            self._at += seconds
            self._ahead += seconds


@contextmanager
def frozen(at: float | None = None) -> Iterator[FrozenClock]:
    """Freeze django_lamba's wall clock at ``at`` (default: now) for the ``with`` block."""
    clock = FrozenClock(time.time() if at is None else at)
    library_clock.install(clock.now, clock.monotonic)
    try:
        yield clock
    finally:
        library_clock.restore()
