"""The correlation id of the request being served, sent to Lamba as ``X-Correlation-Id``."""

from __future__ import annotations

import re
import uuid
from contextvars import ContextVar


class _RequestId:
    """A request's correlation id, made on first use (most requests never call Lamba)."""

    __slots__ = ("value",)

    def __init__(self, value: str | None) -> None:
        self.value = value


_current: ContextVar[_RequestId | None] = ContextVar("lamba_correlation_id", default=None)

# Accept what a proxy or an upstream service plausibly sends; anything else gets a fresh id.
_SAFE = re.compile(r"^[A-Za-z0-9._:-]{8,128}$")


def from_incoming(value: str | None) -> str:
    """Return ``value`` if it is a safe correlation id, else a new UUID4."""
    if value and _SAFE.match(value):
        return value
    return str(uuid.uuid4())


def begin(incoming: str | None) -> object:
    """Start a request: keep a safe incoming id, else make one on first use; return reset token."""
    return _current.set(_RequestId(incoming if incoming and _SAFE.match(incoming) else None))


def set_current(value: str | None) -> object:
    """Make ``value`` the correlation id of the current context; returns a reset token."""
    return _current.set(_RequestId(value))


def reset(token: object) -> None:
    _current.reset(token)  # type: ignore[arg-type]


def current() -> str:
    """Return the current request's correlation id, or a fresh one outside a request."""
    request_id = _current.get()
    if request_id is None:
        return str(uuid.uuid4())
    if request_id.value is None:
        # Shared by every context copied from the request's (sync_to_async threads too).
        request_id.value = str(uuid.uuid4())
    return request_id.value
