"""Chaos: gunicorn (4 workers), a real ``redis-server`` that dies and comes back, Lamba failing.

Each scenario fires concurrent requests at a multi-process server and asserts what a busy shop
needs on a bad day: no 500, no refresh-token reuse (Lamba would revoke the session), no cleared
cookies, and a bounded number of calls to Lamba. Each prints one ``chaos:`` line with what it
measured (``pytest -s`` shows them; docs/sessions.md quotes them).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from django_lamba.testing import LambaEmulator
from tests.conftest import start_redis, stop_redis
from tests.test_multiprocess import WORKERS, Answer, Server, _fire, serve

pytestmark = pytest.mark.multiprocess

EMAIL = "chaos@example.com"
BURST = 60
CONTEXT_PATH = "/v1/me/context"
CONTEXT = f"GET {CONTEXT_PATH}"
REFRESH = "POST /v1/auth/refresh"
CIRCUIT_FAILURES = 5  # the default LAMBA_CIRCUIT_FAILURES


@dataclass
class Redis:
    workdir: Path
    port: int
    process: Any

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def kill(self) -> None:
        stop_redis(self.process)

    def restart(self) -> None:
        self.process, _ = start_redis(self.workdir, self.port)


@pytest.fixture
def emulator() -> Iterator[LambaEmulator]:
    """A private emulator per scenario: its call counts see only that scenario's traffic."""
    with LambaEmulator() as emu:
        emu.add_user(EMAIL, "correct-horse-battery", roles=["member"])
        yield emu


@pytest.fixture
def redis(tmp_path: Path) -> Iterator[Redis]:
    """A private ``redis-server`` the scenario may kill and restart on the same port."""
    workdir = tmp_path / "redis"
    workdir.mkdir()
    process, port = start_redis(workdir)
    server = Redis(workdir, port, process)
    try:
        yield server
    finally:
        server.kill()


@pytest.fixture
def site(emulator: LambaEmulator, redis: Redis, tmp_path: Path) -> Iterator[Server]:
    workdir = tmp_path / "gunicorn"
    workdir.mkdir()
    env = {
        "LAMBA_TEST_REDIS_URL": redis.url,
        "LAMBA_READ_TIMEOUT": "1",
        "LAMBA_TOTAL_TIMEOUT": "2",
        "LAMBA_RETRY_AFTER_DEFAULT": "5",
    }
    with serve(emulator, workdir, env) as server:
        yield server


def session(emulator: LambaEmulator, **kwargs: Any) -> dict[str, Any]:
    return emulator.issue_session(
        EMAIL, workspace_id=emulator.workspace_id, project_id=emulator.project_id, **kwargs
    )


def fire(site: Server, tokens: dict[str, Any], count: int = BURST) -> list[Answer]:
    return _fire(f"{site.url}/whoami/", tokens["access_token"], tokens["refresh_token"], count)


def statuses(answers: list[Answer]) -> dict[int, int]:
    found: dict[int, int] = {}
    for answer in answers:
        found[answer.status] = found.get(answer.status, 0) + 1
    return found


def cleared(answers: list[Answer]) -> int:
    return sum(1 for a in answers if "" in a.cookies.values())


def report(scenario: str, **figures: Any) -> None:
    print(f"chaos: {scenario}: " + ", ".join(f"{k}={v}" for k, v in figures.items()))


def test_redis_dies_and_comes_back_without_a_reuse_or_a_500(
    emulator: LambaEmulator, redis: Redis, site: Server
) -> None:
    warm = session(emulator)
    assert statuses(fire(site, warm, 8)) == {200: 8}

    redis.kill()
    emulator.reset_calls()
    started = time.monotonic()
    during = fire(site, warm) + fire(site, session(emulator, access_token_ttl=-120))
    elapsed = time.monotonic() - started
    calls = emulator.calls.snapshot()
    assert statuses(during) == {200: 2 * BURST}, site.log_tail()
    assert calls.get(REFRESH, 0) == 1, "one refresh across every worker, with Redis dead"
    assert emulator.revoked_sessions == []
    assert cleared(during) == 0
    assert calls.get(CONTEXT, 0) <= 2 * WORKERS
    report(
        "redis killed",
        requests=2 * BURST,
        ok=len(during),
        refreshes=calls.get(REFRESH, 0),
        context_calls=calls.get(CONTEXT, 0),
        reuses=len(emulator.revoked_sessions),
        seconds=f"{elapsed:.2f}",
    )

    redis.restart()
    emulator.reset_calls()
    after = fire(site, session(emulator, access_token_ttl=-120))
    calls = emulator.calls.snapshot()
    assert statuses(after) == {200: BURST}, site.log_tail()
    assert calls.get(REFRESH, 0) == 1
    assert emulator.revoked_sessions == []
    report("redis restarted", requests=BURST, refreshes=calls.get(REFRESH, 0))


FAULTS: dict[str, Callable[[LambaEmulator], object]] = {
    "html-502": lambda emu: emu.inject_html_error(CONTEXT_PATH, times=None),
    "500": lambda emu: emu.inject_fault(CONTEXT_PATH, status=500, times=None),
    "503-retry-after": lambda emu: emu.inject_fault(
        CONTEXT_PATH, status=503, retry_after=17, times=None
    ),
    "hang": lambda emu: emu.inject_fault(CONTEXT_PATH, latency=3.0, times=None),
    "drip-feed": lambda emu: emu.inject_drip(CONTEXT_PATH, interval=0.5, times=None),
    "deep-json": lambda emu: emu.inject_deep_json(CONTEXT_PATH, times=None),
}


@pytest.mark.parametrize("fault", sorted(FAULTS))
def test_lamba_failing_is_a_503_for_everyone_and_signs_nobody_out(
    emulator: LambaEmulator, site: Server, fault: str
) -> None:
    tokens = session(emulator)
    FAULTS[fault](emulator)
    emulator.reset_calls()
    started = time.monotonic()
    answers = fire(site, tokens, 30)
    elapsed = time.monotonic() - started
    calls = emulator.calls.snapshot()
    assert statuses(answers) == {503: 30}, site.log_tail()
    assert cleared(answers) == 0
    assert emulator.revoked_sessions == []
    # Each worker's circuit opens after LAMBA_CIRCUIT_FAILURES failed calls in a row (default
    # 5): after that, nothing reaches Lamba until the circuit's pause ends.
    assert calls.get(CONTEXT, 0) <= WORKERS * CIRCUIT_FAILURES
    report(
        f"lamba {fault}",
        requests=30,
        answered_503=len(answers),
        context_calls=calls.get(CONTEXT, 0),
        seconds=f"{elapsed:.2f}",
    )


@pytest.mark.parametrize("skew", [20, 90])
def test_clock_skew_against_lamba_keeps_customers_signed_in(
    emulator: LambaEmulator, site: Server, skew: int
) -> None:
    emulator.clock = lambda: time.time() + skew
    tokens = session(emulator)
    emulator.reset_calls()
    answers = fire(site, tokens, 20) + fire(site, tokens, 20)
    calls = emulator.calls.snapshot()
    assert statuses(answers) == {200: 40}, site.log_tail()
    assert emulator.revoked_sessions == []
    report(
        f"lamba clock +{skew}s",
        requests=40,
        ok=len(answers),
        upstream_calls=sum(calls.values()),
    )
