"""Request records the emulator keeps: headers, recorded requests, call counts, faults."""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

HostKind = Literal["auth", "api"]


@dataclass
class Fault:
    """An injected failure: latency, a canned answer and/or an answer dripped out slowly."""

    path: str
    method: str | None = None
    status: int | None = None
    body: str | bytes | dict[str, Any] | list[Any] | None = None
    content_type: str | None = None
    latency: float = 0.0
    retry_after: int | str | None = None
    times: int | None = 1
    host: Literal["any", "auth", "api"] = "any"
    error_code: str | None = None
    #: Seconds between two pieces of the answer (0: sent at once).
    drip_interval: float = 0.0
    #: Bytes per piece when dripping.
    drip_bytes: int = 1
    #: Drip the status line and headers too, not just the body.
    drip_headers: bool = False
    hits: int = 0

    def matches(self, host: HostKind, method: str, path: str) -> bool:
        """Return whether this fault applies to the request (``path`` may end with ``*``)."""
        if self.times is not None and self.times <= 0:
            return False
        if self.host != "any" and self.host != host:
            return False
        if self.method is not None and self.method.upper() != method:
            return False
        if self.path.endswith("*"):
            return path.startswith(self.path[:-1])
        return path == self.path


class Headers(Mapping[str, str]):
    """A read-only, case-insensitive mapping of request headers."""

    def __init__(self, items: Mapping[str, str] | list[tuple[str, str]]) -> None:
        pairs = list(items.items()) if isinstance(items, Mapping) else items
        self._data: dict[str, tuple[str, str]] = {k.lower(): (k, v) for k, v in pairs}

    def __getitem__(self, key: str) -> str:
        return self._data[key.lower()][1]

    def __iter__(self) -> Iterator[str]:
        return (original for original, _ in self._data.values())

    def __len__(self) -> int:
        return len(self._data)

    def __contains__(self, key: object) -> bool:
        return isinstance(key, str) and key.lower() in self._data

    def __repr__(self) -> str:
        return f"Headers({dict(self.items())!r})"


@dataclass(frozen=True)
class RecordedRequest:
    """One request the emulator received, as tests see it in ``requests_log``."""

    host: HostKind
    method: str
    path: str
    query: dict[str, list[str]]
    headers: Headers
    json: Any
    form: dict[str, str] | None
    body: bytes = field(repr=False)


class CallCounter:
    """A thread-safe count of requests keyed ``"METHOD /path"`` (path without query)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._counts: Counter[str] = Counter()

    def increment(self, key: str) -> None:
        """Add one to ``key``."""
        with self._lock:
            self._counts[key] += 1

    def clear(self) -> None:
        """Forget all counts."""
        with self._lock:
            self._counts.clear()

    def snapshot(self) -> dict[str, int]:
        """Return a copy of the counts."""
        with self._lock:
            return dict(self._counts)

    def total(self) -> int:
        """Return the number of requests counted."""
        with self._lock:
            return sum(self._counts.values())

    def __getitem__(self, key: str) -> int:
        with self._lock:
            return self._counts[key]

    def get(self, key: str, default: int = 0) -> int:
        """Return the count for ``key``."""
        with self._lock:
            return self._counts.get(key, default)

    def __contains__(self, key: object) -> bool:
        with self._lock:
            return key in self._counts

    def __iter__(self) -> Iterator[str]:
        return iter(self.snapshot())

    def __len__(self) -> int:
        with self._lock:
            return len(self._counts)

    def __repr__(self) -> str:
        return f"CallCounter({self.snapshot()!r})"
