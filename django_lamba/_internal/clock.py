"""The library's one source of time, so that tests can move it instead of sleeping.

``now()`` is wall time (token expiries, cache deadlines, records shared with other processes);
``monotonic()`` measures intervals within this process (circuit pauses, local memo lifetimes,
waits). Both are the installed source itself, read as ``clock.now()`` at each call (never
imported by name): ``django_lamba.testing.clock`` installs a controllable one for tests and
restores the real one afterwards. Every warm request reads both, so neither is a wrapper.
"""

from __future__ import annotations

import time
from collections.abc import Callable

#: The current wall time in seconds since the epoch.
now: Callable[[], float] = time.time
#: A monotonic reading in seconds, for intervals within this process.
monotonic: Callable[[], float] = time.monotonic


def install(wall: Callable[[], float], steady: Callable[[], float]) -> None:
    """Read wall time from ``wall`` and monotonic time from ``steady`` from now on (tests)."""
    global now, monotonic
    now, monotonic = wall, steady


def restore() -> None:
    """Read time from the system clocks again."""
    install(time.time, time.monotonic)
