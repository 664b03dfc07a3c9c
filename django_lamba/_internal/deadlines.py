"""Token hashes a process remembers until a deadline: signed out, rejected or vouched for here."""

from __future__ import annotations

import threading
from collections import OrderedDict

from . import clock


class Deadlines:
    """Token hashes this process remembers until a deadline (wall clock), oldest dropped first."""

    def __init__(self, size: int) -> None:
        self._size = size
        self._lock = threading.Lock()
        self._until: OrderedDict[str, float] = OrderedDict()

    def add(self, access_hash: str, seconds: float) -> None:
        if seconds <= 0:
            return
        with self._lock:
            self._until[access_hash] = clock.now() + seconds
            self._until.move_to_end(access_hash)
            while len(self._until) > self._size:
                self._until.popitem(last=False)

    def __contains__(self, access_hash: object) -> bool:
        until = self._until.get(access_hash) if isinstance(access_hash, str) else None
        return until is not None and until > clock.now()

    def clear(self) -> None:
        with self._lock:
            self._until.clear()
