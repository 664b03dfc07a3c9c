"""Where a warm django_lamba request spends its time: timed steps, then cProfile.

The step timings wrap the functions the warm path calls (where they are looked up) with a
``perf_counter_ns`` accumulator, run the ordinary loop, and put the originals back. Functions
that a refactoring renamed are skipped, so the breakdown degrades instead of breaking.
"""

from __future__ import annotations

import cProfile
import importlib
import io
import pstats
import time
from collections import defaultdict
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from django.core.handlers.wsgi import WSGIHandler

from .harness import call, loop

#: (module, attribute path) of what the warm path calls, outermost first. Names are patched where
#: they are looked up, e.g. ``read_tokens`` in ``django_lamba.middleware``.
STEPS: list[tuple[str, str]] = [
    ("django_lamba.middleware", "LambaMiddleware.__call__"),
    ("django_lamba.middleware", "LambaMiddleware.process_request"),
    ("django_lamba._internal.correlation", "enter"),
    ("django_lamba.middleware", "read_access_token"),
    ("django_lamba.cookies", "_cookie_in_header"),
    ("django_lamba.state", "resolve_user"),  # the first read of request.user
    ("django_lamba._internal.session", "warm.user"),
    # Reached only when the warm memo misses (about once per LAMBA_LOCAL_CONTEXT_TTL).
    ("django_lamba._internal.session", "_usable"),
    ("django_lamba._internal.store", "token_hash"),
    ("django_lamba._internal.session", "_verify"),
    ("django_lamba._internal.store", "lookup_context"),
    ("django_lamba._internal.store", "cache"),
    ("django_lamba.middleware", "LambaMiddleware.process_response"),
    ("django_lamba.state", "mark_private"),
]


def _timed(function: Callable[..., Any], label: str, totals: dict[str, int]) -> Any:
    clock = time.perf_counter_ns

    def timed(*args: Any, **kwargs: Any) -> Any:
        started = clock()
        try:
            return function(*args, **kwargs)
        finally:
            totals[label] += clock() - started

    return timed


@contextmanager
def _instrumented(totals: dict[str, int]) -> Iterator[list[str]]:
    restore: list[tuple[Any, str, Any]] = []
    labels: list[str] = []
    try:
        for module_name, path in STEPS:
            owner: Any = importlib.import_module(module_name)
            *parents, name = path.split(".")
            for parent in parents:
                owner = getattr(owner, parent)
            original = vars(owner).get(name)
            if original is None:
                continue  # renamed or removed: skip the step
            label = f"{module_name.rsplit('.', 1)[-1]}.{path}"
            wrapped: Any = _timed(getattr(owner, name), label, totals)
            if isinstance(original, (classmethod, staticmethod)):
                wrapped = staticmethod(wrapped)  # the bound original already carries the class
            setattr(owner, name, wrapped)
            restore.append((owner, name, original))
            labels.append(label)
        yield labels
    finally:
        for owner, name, original in reversed(restore):
            setattr(owner, name, original)


def breakdown(
    handler: WSGIHandler, environ: dict[str, Any], requests: int
) -> tuple[float, list[tuple[str, float]]]:
    """Return the instrumented µs/request and, per step, its inclusive µs per request."""
    totals: dict[str, int] = defaultdict(int)
    call(handler, environ)  # warm: verified claims and context cached again
    with _instrumented(totals) as labels:
        loop(handler, environ, min(500, requests))
        totals.clear()
        wall, _cpu = loop(handler, environ, requests)
    # A step the warm path never reached (e.g. a helper only cold requests use) is left out.
    per_request = [(label, totals[label] / requests / 1000) for label in labels if totals[label]]
    return wall / requests * 1e6, per_request


def profile(handler: WSGIHandler, environ: dict[str, Any], requests: int, top: int = 30) -> str:
    """Return cProfile's report of ``requests`` warm requests (own time, then cumulative)."""
    call(handler, environ)
    profiler = cProfile.Profile()
    profiler.enable()
    loop(handler, environ, requests)
    profiler.disable()
    out = io.StringIO()
    stats = pstats.Stats(profiler, stream=out)
    stats.sort_stats("tottime").print_stats(top)
    stats.sort_stats("cumulative").print_stats("django_lamba", top)
    return out.getvalue()
