"""A per-process circuit breaker for each Lamba host.

When a host keeps timing out or failing, every request would otherwise spend a full timeout
before answering 503, and a few hung calls can hold every worker. After
``LAMBA_CIRCUIT_FAILURES`` consecutive failures the host's circuit opens for
``LAMBA_CIRCUIT_RESET`` seconds: calls fail at once with ``LambaUnavailable`` (with that
``Retry-After``). Then one call is let through; its success closes the circuit, its failure opens
it again. Only outages count: a 4xx answer is Lamba working.
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass

from ..conf import lamba_settings
from ..exceptions import LambaUnavailable
from . import clock

logger = logging.getLogger("django_lamba.client")


@dataclass
class _Circuit:
    failures: int = 0
    open_until: float = 0.0


_lock = threading.Lock()
_circuits: dict[str, _Circuit] = {}


def before_call(host: str) -> None:
    """Raise ``LambaUnavailable`` at once while ``host``'s circuit is open."""
    circuit = _circuits.get(host)
    if circuit is None or circuit.open_until == 0.0:
        return
    now = clock.monotonic()
    with _lock:
        if now < circuit.open_until:
            wait = circuit.open_until - now
            raise LambaUnavailable(
                f"Lamba at {host} is failing; not calling it for {wait:.0f} s.", retry_after=wait
            )
        # Half-open: this call is the trial; the others wait for its outcome.
        circuit.open_until = now + lamba_settings.CIRCUIT_RESET


def succeeded(host: str) -> None:
    """Close ``host``'s circuit."""
    circuit = _circuits.get(host)
    if circuit is not None and (circuit.failures or circuit.open_until):
        with _lock:
            circuit.failures = 0
            circuit.open_until = 0.0


def failed(host: str) -> None:
    """Count an outage of ``host``; open its circuit after too many in a row."""
    threshold = lamba_settings.CIRCUIT_FAILURES
    if threshold <= 0:
        return
    with _lock:
        circuit = _circuits.setdefault(host, _Circuit())
        circuit.failures += 1
        if circuit.failures >= threshold:
            circuit.open_until = clock.monotonic() + lamba_settings.CIRCUIT_RESET
            if circuit.failures == threshold:
                logger.warning(
                    "Lamba at %s failed %d times in a row; pausing calls for %.0f s",
                    host,
                    threshold,
                    lamba_settings.CIRCUIT_RESET,
                )


def reset() -> None:
    """Close every circuit (tests)."""
    with _lock:
        _circuits.clear()
