"""Sending one call to Lamba: its headers, its deadline, the breaker, and its retries.

Every call has connect and read timeouts, a deadline (``LAMBA_TOTAL_TIMEOUT``, retries included,
however slowly the answer trickles in) and an ``X-Correlation-Id``; none ever sends the
console-only scope headers. Only idempotent calls are retried (see :func:`send`). What comes back
is read by ``transport`` (bounded) and understood by ``answers``; each attempt is reported to
``observe`` (signal, log record, recorder), only when someone listens.
"""

from __future__ import annotations

import logging
import os
import random
import threading
import time
from typing import Any
from urllib.parse import urlsplit

import requests

from ..conf import lamba_settings
from ..exceptions import LambaError, LambaRateLimited, LambaUnavailable
from . import answers, breaker, correlation, observe, transport

logger = logging.getLogger("django_lamba.client")

#: Methods retried without being asked; other calls are retried only when marked idempotent.
IDEMPOTENT_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
#: The most retries of one call, whatever ``LAMBA_MAX_RETRIES`` says (the contract's limit for
#: synchronous traffic).
MAX_RETRIES_CEILING = 3
#: The most random extra wait, in seconds, added to a 429's ``Retry-After``.
RATE_LIMIT_JITTER = 1.0

_session_lock = threading.Lock()
_sessions: dict[int, requests.Session] = {}


def pooled_session() -> requests.Session:
    """Return this process's pooled session (a new one after a fork, e.g. in gunicorn)."""
    pid = os.getpid()
    session = _sessions.get(pid)
    if session is None:
        with _session_lock:
            session = _sessions.get(pid)
            if session is None:
                session = requests.Session()
                adapter = transport.DeadlineAdapter(
                    pool_connections=4, pool_maxsize=32, max_retries=0
                )
                session.mount("http://", adapter)
                session.mount("https://", adapter)
                session.trust_env = False
                _sessions.clear()
                _sessions[pid] = session
    return session


def retry_sleep(seconds: float) -> None:
    """Wait between two attempts of one call (tests replace this so they never sleep)."""
    time.sleep(seconds)


def retry_jitter(upper: float) -> float:
    """Return a random extra wait in ``[0, upper]`` so throttled clients do not retry in step."""
    # Spreading retries out needs no cryptographic randomness.
    return random.uniform(0.0, upper) if upper > 0 else 0.0  # noqa: S311


def _max_retry_wait() -> float:
    """Return ``LAMBA_MAX_RETRY_WAIT``, with nonsense (negative, NaN) read as 0."""
    value = lamba_settings.MAX_RETRY_WAIT
    return value if value >= 0 else 0.0


def send(
    method: str,
    url: str,
    *,
    session: requests.Session | None = None,
    call_budget: float | None = None,
    token: str | None = None,
    json: Any = None,
    form: dict[str, str] | None = None,
    params: dict[str, Any] | None = None,
    idempotent: bool | None = None,
) -> Any:
    """Send one call and return the parsed JSON body (``None`` for an empty answer).

    ``session`` defaults to this process's pooled one, ``call_budget`` to
    ``LAMBA_TOTAL_TIMEOUT``. See :meth:`django_lamba.client.LambaClient.request`.
    """
    headers = {
        "Accept": "application/json",
        "Accept-Encoding": transport.ACCEPT_ENCODING,
        "X-Correlation-Id": correlation.current(),
    }
    if token:
        headers["Authorization"] = f"Bearer {token}"
    if idempotent is None:
        idempotent = method.upper() in IDEMPOTENT_METHODS
    retries = min(max(0, lamba_settings.MAX_RETRIES), MAX_RETRIES_CEILING) if idempotent else 0
    attempts = 1 + retries
    session = session or pooled_session()
    connect_timeout = lamba_settings.CONNECT_TIMEOUT
    read_timeout = lamba_settings.READ_TIMEOUT
    budget = lamba_settings.TOTAL_TIMEOUT if call_budget is None else call_budget
    deadline = transport.Deadline(budget, read_timeout, time.monotonic)
    path = url.split("?", 1)[0]
    parts = urlsplit(url)
    host = f"{parts.scheme}://{parts.netloc}"
    watch = observe.watching()
    for attempt in range(1, attempts + 1):
        breaker.before_call(host)
        left = deadline.remaining()
        if left <= 0:
            # Only reached after a retry wait used the rest: that failure already counted.
            raise _timed_out(method, path)
        started = time.monotonic()
        try:
            with transport.bound(deadline):
                response = session.request(
                    method,
                    url,
                    headers=headers,
                    json=json,
                    data=form,
                    params=params,
                    timeout=(min(connect_timeout, left), min(read_timeout, left)),
                    allow_redirects=False,
                    stream=True,
                )
                content = transport.read_body(response, deadline)
        except (requests.Timeout, transport.DeadlinePassed):
            breaker.failed(host)
            if watch:
                _tell(method, parts.path, host, headers, started, attempt, "timeout")
            raise _timed_out(method, path) from None
        except transport.BodyTooLarge:
            breaker.failed(host)
            if watch:
                _tell(method, parts.path, host, headers, started, attempt, "too_large")
            logger.warning(
                "Lamba %s %s answered a body over %s bytes",
                method,
                path,
                transport.MAX_RESPONSE_BYTES,
            )
            raise LambaUnavailable(
                f"Lamba answered {method} {path} with a body that is too large."
            ) from None
        except (requests.RequestException, transport.BodyUnreadable) as exc:
            breaker.failed(host)
            if watch:
                _tell(method, parts.path, host, headers, started, attempt, "unreachable")
            logger.warning("Lamba %s %s failed: %s", method, path, type(exc).__name__)
            wait = _retry_wait(None, attempt, deadline) if attempt < attempts else None
            if wait is not None:
                retry_sleep(wait)
                continue
            raise LambaUnavailable(f"Lamba could not be reached for {method} {path}.") from None
        elapsed_ms = (time.monotonic() - started) * 1000
        if response.status_code < 300:
            logger.debug(
                "Lamba %s %s -> %s (%.0f ms)", method, path, response.status_code, elapsed_ms
            )
            try:
                body = answers.parse_success(response.status_code, content, method, path)
            except LambaUnavailable:
                breaker.failed(host)
                if watch:
                    _tell(method, parts.path, host, headers, started, attempt, "error", response)
                raise
            breaker.succeeded(host)
            if watch:
                _tell(method, parts.path, host, headers, started, attempt, "ok", response)
            return body
        error = answers.error_from_response(response, content)
        # Only outages count against the host: a 4xx answer is Lamba working.
        (breaker.failed if isinstance(error, LambaUnavailable) else breaker.succeeded)(host)
        observe.log_error(method, path, response.status_code, error, elapsed_ms)
        if watch:
            _tell(method, parts.path, host, headers, started, attempt, "error", response, error)
        retryable = attempt < attempts and isinstance(error, (LambaRateLimited, LambaUnavailable))
        wait = _retry_wait(error, attempt, deadline) if retryable else None
        if wait is not None:
            logger.debug("Lamba %s %s: retrying in %.1f s", method, path, wait)
            retry_sleep(wait)
            continue
        raise error
    raise LambaUnavailable(f"Lamba could not answer {method} {path}.")  # pragma: no cover


def _timed_out(method: str, path: str) -> LambaUnavailable:
    logger.warning("Lamba %s %s timed out", method, path)
    return LambaUnavailable(f"Lamba did not answer {method} {path} in time.")


def _retry_wait(
    error: LambaError | None, attempt: int, deadline: transport.Deadline
) -> float | None:
    """Return how long to wait before attempt ``attempt + 1``, or ``None`` to give up.

    ``error`` is ``None`` after a connection error. The wait must leave time for the next
    attempt: a retry that could only start at the deadline is not made.
    """
    room = min(_max_retry_wait(), deadline.remaining())
    if isinstance(error, LambaRateLimited):
        # At least what Lamba asked for; the jitter only fills the room that is left.
        asked = 0.5 * 2.0**attempt if error.retry_after is None else float(error.retry_after)
        if asked > room or asked >= deadline.remaining():
            return None
        return asked + retry_jitter(min(RATE_LIMIT_JITTER, room - asked))
    # An outage: a short backoff with jitter, cut to fit.
    backoff = 0.1 * 2.0**attempt
    if room <= 0 or backoff >= deadline.remaining():
        return None
    return min(backoff + retry_jitter(backoff), room)


def _tell(
    method: str,
    path: str,
    host: str,
    headers: dict[str, str],
    started: float,
    attempt: int,
    outcome: str,
    response: requests.Response | None = None,
    error: LambaError | None = None,
) -> None:
    """Report one attempt to ``observe`` (only called when someone is watching)."""
    observe.report(
        observe.UpstreamCall(
            method=method,
            host=host,
            path=path,
            status=None if response is None else response.status_code,
            duration_ms=round((time.monotonic() - started) * 1000, 1),
            outcome=outcome,
            correlation_id=headers["X-Correlation-Id"],
            error_code=error.error_code if error else None,
            trace_id=error.trace_id if error else None,
            attempt=attempt,
            server_date=None
            if response is None
            else observe.server_date(response.headers.get("Date")),
        )
    )
