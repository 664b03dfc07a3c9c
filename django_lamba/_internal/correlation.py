"""The correlation id of the request being served, sent to Lamba as ``X-Correlation-Id``."""

from __future__ import annotations

import re
import uuid
from contextvars import ContextVar

_current: ContextVar[str | None] = ContextVar("lamba_correlation_id", default=None)

# Accept what a proxy or an upstream service plausibly sends; anything else gets a fresh id.
_SAFE = re.compile(r"^[A-Za-z0-9._:-]{8,128}$")


def from_incoming(value: str | None) -> str:
    """Return ``value`` if it is a safe correlation id, else a new UUID4."""
    if value and _SAFE.match(value):
        return value
    return str(uuid.uuid4())


def set_current(value: str | None) -> object:
    """Make ``value`` the correlation id of the current context; returns a reset token."""
    return _current.set(value)


def reset(token: object) -> None:
    _current.reset(token)  # type: ignore[arg-type]


def current() -> str:
    """Return the current request's correlation id, or a fresh one outside a request."""
    return _current.get() or str(uuid.uuid4())
