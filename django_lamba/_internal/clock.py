"""The library's one source of time, so that tests can move it instead of sleeping.

``now()`` is wall time (token expiries, cache deadlines, records shared with other processes);
``monotonic()`` measures intervals within this process (circuit pauses, local memo lifetimes,
waits). Both read the installed source; ``django_lamba.testing.clock`` installs a controllable
one for tests and restores the real one afterwards.
"""

from __future__ import annotations

import time
from collections.abc import Callable

_wall: Callable[[], float] = time.time
_monotonic: Callable[[], float] = time.monotonic


def now() -> float:
    """Return the current wall time in seconds since the epoch."""
    return _wall()


def monotonic() -> float:
    """Return a monotonic reading in seconds, for intervals within this process."""
    return _monotonic()


def install(wall: Callable[[], float], monotonic: Callable[[], float]) -> None:
    """Read time from ``wall`` and ``monotonic`` from now on (tests)."""
    global _wall, _monotonic
    _wall, _monotonic = wall, monotonic


def restore() -> None:
    """Read time from the system clocks again."""
    install(time.time, time.monotonic)
