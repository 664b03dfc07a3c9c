"""One WSGI call loop for every configuration: a prebuilt environ straight into ``WSGIHandler``."""

from __future__ import annotations

import gc
import statistics
import sys
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from io import BytesIO
from typing import Any

from django.core.handlers.wsgi import WSGIHandler
from django.test.utils import override_settings

SESSION = "django.contrib.sessions.middleware.SessionMiddleware"
AUTHENTICATION = "django.contrib.auth.middleware.AuthenticationMiddleware"
LAMBA = "django_lamba.middleware.LambaMiddleware"

PATH = "/whoami/"

#: Requests per timed slice: the quietest slice of each configuration is its floor figure.
SLICE = 100


def build_handler(middleware: Sequence[str]) -> WSGIHandler:
    """Return a handler with its own middleware chain (loaded once, at construction)."""
    with override_settings(MIDDLEWARE=list(middleware)):
        return WSGIHandler()


def environ_for(cookies: dict[str, str]) -> dict[str, Any]:
    """Return the environ of ``GET /whoami/`` carrying ``cookies``, as a WSGI server builds it."""
    environ: dict[str, Any] = {
        "REQUEST_METHOD": "GET",
        "SCRIPT_NAME": "",
        "PATH_INFO": PATH,
        "QUERY_STRING": "",
        "SERVER_NAME": "testserver",
        "SERVER_PORT": "80",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "REMOTE_ADDR": "127.0.0.1",
        "HTTP_HOST": "testserver",
        "HTTP_ACCEPT": "text/html,application/xhtml+xml,*/*;q=0.8",
        "HTTP_USER_AGENT": "django-lamba-benchmark",
        "wsgi.version": (1, 0),
        "wsgi.url_scheme": "http",
        "wsgi.input": BytesIO(b""),
        "wsgi.errors": sys.stderr,
        "wsgi.multithread": False,
        "wsgi.multiprocess": True,
        "wsgi.run_once": False,
    }
    if cookies:
        environ["HTTP_COOKIE"] = "; ".join(f"{name}={value}" for name, value in cookies.items())
    return environ


@dataclass
class Answer:
    status: str = ""
    headers: list[tuple[str, str]] = field(default_factory=list)
    body: bytes = b""


def call(handler: WSGIHandler, environ: dict[str, Any]) -> Answer:
    """Make one request and return what the WSGI server would have sent."""
    answer = Answer()

    def start_response(status: str, headers: list[tuple[str, str]], *_: Any) -> None:
        answer.status, answer.headers = status, headers

    result = handler(dict(environ), start_response)
    try:
        answer.body = b"".join(result)
    finally:
        result.close()  # sends request_finished, as WSGI servers do
    return answer


def loop(handler: WSGIHandler, environ: dict[str, Any], count: int) -> tuple[float, float]:
    """Make ``count`` requests back to back; return elapsed (wall, this process's CPU) seconds."""

    def start_response(status: str, headers: list[tuple[str, str]], *_: Any) -> None:
        return None

    cpu = time.process_time()
    started = time.perf_counter()
    for _ in range(count):
        result = handler(dict(environ), start_response)
        for _chunk in result:
            pass
        result.close()
    return time.perf_counter() - started, time.process_time() - cpu


@dataclass
class Configuration:
    key: str
    label: str
    handler: WSGIHandler
    environ: dict[str, Any]
    expected_body: bytes
    #: Requests per second (wall clock), one per round.
    rates: list[float] = field(default_factory=list)
    #: CPU microseconds per request, one per round (less sensitive to a busy machine).
    cpu_micros: list[float] = field(default_factory=list)
    #: CPU microseconds per request of the quietest ``SLICE`` requests of all rounds.
    floor_micros: float = float("inf")

    @property
    def median_rate(self) -> float:
        return statistics.median(self.rates)

    @property
    def micros(self) -> float:
        return 1e6 / self.median_rate

    @property
    def best_micros(self) -> float:
        """The fastest round's µs/request: what is left when the machine's noise is least."""
        return 1e6 / max(self.rates)

    @property
    def median_cpu_micros(self) -> float:
        return statistics.median(self.cpu_micros)


def check(configuration: Configuration) -> None:
    """Refuse to time a configuration that does not answer 200 with the expected body."""
    answer = call(configuration.handler, configuration.environ)
    if not answer.status.startswith("200") or answer.body != configuration.expected_body:
        raise SystemExit(
            f"{configuration.label}: expected 200 {configuration.expected_body!r}, "
            f"got {answer.status} {answer.body[:200]!r}"
        )


def _slices(requests: int) -> list[int]:
    """``requests`` cut into ``SLICE``-sized runs (the last one may be shorter)."""
    return [min(SLICE, requests - start) for start in range(0, requests, SLICE)]


def measure(
    configurations: Iterable[Configuration],
    *,
    rounds: int,
    requests: int,
    warmup: int,
    progress: Callable[[str], None] | None = None,
) -> None:
    """Interleave rounds (the order rotates each round) and record req/s per configuration.

    Each round is timed in slices of ``SLICE`` requests too: on a shared machine the quietest
    slice (CPU time) is the steadiest figure, since a neighbour's burst spoils whole rounds.
    """
    ordered = list(configurations)
    for configuration in ordered:
        check(configuration)
        loop(configuration.handler, configuration.environ, warmup)
    for number in range(rounds):
        shift = number % len(ordered)
        for configuration in ordered[shift:] + ordered[:shift]:
            gc.collect()
            wall = cpu = 0.0
            for size in _slices(requests):
                slice_wall, slice_cpu = loop(configuration.handler, configuration.environ, size)
                wall, cpu = wall + slice_wall, cpu + slice_cpu
                floor = slice_cpu / size * 1e6
                configuration.floor_micros = min(configuration.floor_micros, floor)
            configuration.rates.append(requests / wall)
            configuration.cpu_micros.append(cpu / requests * 1e6)
        if progress is not None:
            progress(f"round {number + 1}/{rounds} done")
    for configuration in ordered:
        check(configuration)  # still answering the same after the timed rounds
