"""What each call to Lamba tells the operator: a log line, a signal, the request's recorder.

``wire.send`` reports every attempt of every call here, once it is over. Whoever listens gets an
:class:`UpstreamCall`: the ``upstream_call`` signal's receivers (re-exported as
``django_lamba.signals.upstream_call``), the ``django_lamba.upstream`` logger at DEBUG with the
facts as structured ``extra``, and the :class:`Recorder` of the current context, if one is
recording (the debug-toolbar panel, the doctor). Nobody listening costs one check per call:
:func:`watching` is read before anything is built.

The recorder also counts cache hits and misses (context, authorization, JWKS) and refreshes,
reported by the modules that make them through :func:`note_cache` and :func:`note_refresh`,
which do nothing unless a recorder is set. Nothing here ever holds a token or a body.
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import asdict, dataclass, field
from email.utils import parsedate_to_datetime
from typing import Any

from django.dispatch import Signal

from ..exceptions import LambaError, LambaPaymentRequired, LambaRateLimited

#: One record per call to Lamba, at DEBUG, with the :class:`UpstreamCall` fields as ``extra``.
logger = logging.getLogger("django_lamba.upstream")
#: Lamba's error answers, always logged with their errorCode and traceId (INFO, 5xx WARNING).
client_logger = logging.getLogger("django_lamba.client")

#: Sent after every attempt of every call to Lamba; ``sender`` is ``UpstreamCall``, ``call`` the
#: :class:`UpstreamCall`. Receivers run in the calling thread: keep them quick, never raise.
upstream_call = Signal()


@dataclass(frozen=True)
class UpstreamCall:
    """One attempt of one call to Lamba, as the operator may see it (no token, no body)."""

    method: str
    host: str
    path: str
    #: The answer's status; ``None`` when none came (timeout, connection error, body too large).
    status: int | None
    duration_ms: float
    #: ``"ok"``, ``"error"`` (an error answer), ``"timeout"`` or ``"unreachable"``.
    outcome: str
    correlation_id: str
    error_code: str | None = None
    trace_id: str | None = None
    attempt: int = 1
    #: Lamba's ``Date`` header as a Unix time (whole seconds), when it sent one.
    server_date: float | None = None

    def as_extra(self) -> dict[str, Any]:
        """Return the fields for a log record's ``extra`` (none clashes with LogRecord's)."""
        return asdict(self)


@dataclass
class Recorder:
    """What one request (or one doctor run) caused: its calls, cache hits and refreshes."""

    calls: list[UpstreamCall] = field(default_factory=list)
    #: ``{"context:hit": 2, "jwks:miss": 1, ...}``
    cache: Counter[str] = field(default_factory=Counter)
    #: ``"refreshed"`` (this request called Lamba) or ``"reused"`` (another's fresh rotation).
    refreshes: list[str] = field(default_factory=list)


_recorder: ContextVar[Recorder | None] = ContextVar("django_lamba_recorder", default=None)


@contextmanager
def recording() -> Iterator[Recorder]:
    """Record what happens in this context (and the threads it hands work to) until the end."""
    recorder = Recorder()
    token = _recorder.set(recorder)
    try:
        yield recorder
    finally:
        _recorder.reset(token)


def watching() -> bool:
    """Whether anyone wants to hear about calls (checked before anything is built)."""
    return (
        _recorder.get() is not None
        or bool(upstream_call.receivers)
        or logger.isEnabledFor(logging.DEBUG)
    )


def note_cache(kind: str, hit: bool) -> None:
    """Count a cache ``hit`` or miss of ``kind`` (context, authorization, jwks) if recording."""
    recorder = _recorder.get()
    if recorder is not None:
        recorder.cache[f"{kind}:{'hit' if hit else 'miss'}"] += 1


def note_refresh(how: str) -> None:
    """Note a refresh (``"refreshed"`` or ``"reused"``) if recording."""
    recorder = _recorder.get()
    if recorder is not None:
        recorder.refreshes.append(how)


def server_date(value: str | None) -> float | None:
    """Return an HTTP ``Date`` header as a Unix time, or ``None`` if absent or malformed."""
    if not value:
        return None
    try:
        return parsedate_to_datetime(value).timestamp()
    except (TypeError, ValueError, IndexError, OverflowError):
        return None


def report(call: UpstreamCall) -> None:
    """Tell the recorder, the signal's receivers and the upstream logger about ``call``."""
    recorder = _recorder.get()
    if recorder is not None:
        recorder.calls.append(call)
    if upstream_call.receivers:
        upstream_call.send_robust(sender=UpstreamCall, call=call)
    if logger.isEnabledFor(logging.DEBUG):
        logger.debug(
            "Lamba %s %s%s -> %s (%.0f ms) errorCode=%s traceId=%s",
            call.method,
            call.host,
            call.path,
            call.status if call.status is not None else call.outcome,
            call.duration_ms,
            call.error_code or "-",
            call.trace_id or "-",
            extra=call.as_extra(),
        )


def log_error(method: str, path: str, status: int, error: LambaError, elapsed_ms: float) -> None:
    """Log an error answer for the operator: always errorCode and traceId, never a token."""
    facts = ""
    level = logging.INFO if status < 500 else logging.WARNING
    if isinstance(error, LambaPaymentRequired):
        # The site owner has to act on this (upgrade, or clean up usage): say what was hit.
        level = logging.WARNING
        facts = " limit={} allowed={} current={} plan={}".format(
            *(
                "-" if v is None else v
                for v in (error.limit, error.allowed, error.current, error.plan)
            )
        )
    elif isinstance(error, LambaRateLimited):
        facts = f" retryAfter={'-' if error.retry_after is None else error.retry_after}"
    client_logger.log(
        level,
        "Lamba %s %s -> %s errorCode=%s traceId=%s%s (%.0f ms)",
        method,
        path,
        status,
        error.error_code or "-",
        error.trace_id or "-",
        facts,
        elapsed_ms,
    )
