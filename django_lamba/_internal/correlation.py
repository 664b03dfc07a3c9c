"""The correlation id of the request being served, sent to Lamba as ``X-Correlation-Id``.

The id lives in a context variable, so every call to Lamba a request makes carries it, from any
context copied from the request's (``sync_to_async`` threads too), and concurrent requests never
mix theirs. It is made on first use: most requests never call Lamba.

Setting a context variable and resetting it afterwards costs microseconds, twice per request.
So a thread serving requests one after another (``enter``, ``leave``: the synchronous
middleware) keeps one record in its own context and reuses it, marked idle between requests:
an idle record counts as no request at all. The record is reused only by the thread that made
it and only while idle, so a nested request, a context inherited by another thread, or
anything unexpected gets a record of its own, set and reset as before. Asynchronous requests
always do that (``begin``, ``reset``): tasks of one event loop share a thread.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable
from contextvars import ContextVar, Token
from threading import get_ident
from typing import Any


class _RequestId:
    """A request's correlation id (``value``, made on first use) while ``idle`` is False.

    ``thread`` is the thread that may reuse it for its next request (``enter``), or None.
    """

    __slots__ = ("idle", "thread", "value")

    def __init__(self, value: str | None, thread: int | None = None) -> None:
        self.value = value
        self.idle = False
        self.thread = thread


_current: ContextVar[_RequestId | None] = ContextVar("lamba_correlation_id", default=None)

# Accept what a proxy or an upstream service plausibly sends; anything else gets a fresh id.
_SAFE = re.compile(r"^[A-Za-z0-9._:-]{8,128}$")


def from_incoming(value: str | None) -> str:
    """Return ``value`` if it is a safe correlation id, else a new UUID4."""
    if value and _SAFE.match(value):
        return value
    return str(uuid.uuid4())


def begin(incoming: str | None) -> Token[Any]:
    """Start a request: keep a safe incoming id, else make one on first use; return reset token."""
    return _current.set(_RequestId(incoming if incoming and _SAFE.match(incoming) else None))


def enter(incoming: str | None) -> object:
    """``begin`` for a thread that serves its requests one at a time; end with ``leave``."""
    value = incoming if incoming and _SAFE.match(incoming) else None
    record = _current.get()
    if record is not None and record.idle and record.thread == get_ident():
        record.value, record.idle = value, False
        return record
    thread = get_ident() if record is None else None  # kept: this context's first request
    record = _RequestId(value, thread)
    token = _current.set(record)
    return record if thread is not None else token


def leave(started: object) -> None:
    """End what ``enter`` started, given what it returned."""
    if type(started) is _RequestId:
        started.value, started.idle = None, True
    else:
        _current.reset(started)  # type: ignore[arg-type]


def set_current(value: str | None) -> Token[Any]:
    """Make ``value`` the correlation id of the current context; returns a reset token."""
    return _current.set(_RequestId(value))


#: End what ``begin`` or ``set_current`` started, given the token it returned (the context
#: variable's own method).
reset: Callable[[Token[Any]], None] = _current.reset


def current() -> str:
    """Return the current request's correlation id, or a fresh one outside a request."""
    request_id = _current.get()
    if request_id is None or request_id.idle:
        return str(uuid.uuid4())
    if request_id.value is None:
        # Shared by every context copied from the request's (sync_to_async threads too).
        request_id.value = str(uuid.uuid4())
    return request_id.value
