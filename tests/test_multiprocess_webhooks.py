"""Four gunicorn workers, one Redis: a session revoked by webhook is 401 on every worker at once.

Each worker keeps a session's context in its own memory (``LAMBA_LOCAL_CONTEXT_TTL``, set to a
minute here so that only the revocation check can end it). The emulator revokes the session and
delivers ``session.revoked`` to one worker, as Lamba does; every worker must then answer 401
within one second of the webhook. Measured as a polling deadline: requests are sent until each
worker has answered 401, and each must have decided so before the deadline (the workers report
when they decided on the host's monotonic clock, which every process shares on Linux, so a slow
answer on a busy machine does not count against them).
"""

from __future__ import annotations

import importlib.util
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import pytest
import requests

from django_lamba.testing import LambaEmulator
from tests.conftest import skip_or_fail
from tests.test_multiprocess import (
    ACCESS_COOKIE,
    REFRESH_COOKIE,
    REPO_ROOT,
    WORKERS,
    Server,
    _pythonpath,
    serve,
)

pytestmark = pytest.mark.multiprocess

EMAIL = "revoked@example.com"
SECRET = "whsec_multiprocess_revocation"
BOUND = 1.0  # seconds from sending the webhook until every worker answers 401
WARM_UP_LIMIT = 400  # requests, at most, to reach every worker while warming up


@dataclass
class Answer:
    status: int
    pid: int
    at: float


@pytest.fixture(scope="module")
def emulator() -> Iterator[LambaEmulator]:
    with LambaEmulator() as emu:
        emu.add_user(EMAIL, "correct-horse-battery", roles=["member"])
        yield emu


@pytest.fixture(scope="module")
def gunicorn(
    emulator: LambaEmulator, redis_server: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Server]:
    """The workers share Redis and a migrated SQLite file (the webhook stores its event)."""
    if importlib.util.find_spec("gunicorn") is None:
        skip_or_fail("gunicorn is not installed (pip install 'django-lamba[test]')")
    import redis

    redis_url = redis_server.rsplit("/", 1)[0] + "/8"
    redis.Redis.from_url(redis_url, socket_timeout=5).flushdb()
    workdir = tmp_path_factory.mktemp("gunicorn-webhooks")
    env = {
        "LAMBA_TEST_REDIS_URL": redis_url,
        "LAMBA_TEST_DB": str(workdir / "db.sqlite3"),
        "LAMBA_WEBHOOK_SECRET": SECRET,
        "LAMBA_LOCAL_CONTEXT_TTL": "60",
    }
    subprocess.run(
        [
            sys.executable,
            "-m",
            "django",
            "migrate",
            "--noinput",
            "--skip-checks",
            "--verbosity",
            "0",
        ],
        cwd=REPO_ROOT,
        env={
            **os.environ,
            **env,
            "PYTHONPATH": _pythonpath(),
            "DJANGO_SETTINGS_MODULE": "tests.multiproc_project.settings",
        },
        check=True,
        timeout=120,
    )
    with serve(emulator, workdir, env) as server:
        yield server


def _burst(url: str, cookie: str, count: int) -> list[Answer]:
    """Send ``count`` requests at once: sync workers take one each, so all of them answer."""

    def one(_: int) -> Answer:
        response = requests.get(
            url,
            headers={"Accept": "application/json", "Cookie": cookie},
            timeout=(3.05, 10),
            allow_redirects=False,
        )
        body = response.json()
        return Answer(response.status_code, int(body["pid"]), float(body["at"]))

    with ThreadPoolExecutor(max_workers=count) as pool:
        return list(pool.map(one, range(count)))


def test_revocation_by_webhook_is_seen_by_every_worker_within_one_second(
    emulator: LambaEmulator, gunicorn: Server
) -> None:
    tokens = emulator.issue_session(
        EMAIL, workspace_id=emulator.workspace_id, project_id=emulator.project_id
    )
    session_id = emulator.session_id_for(tokens["access_token"])
    assert session_id is not None
    cookie = (
        f"{ACCESS_COOKIE}={tokens['access_token']}; {REFRESH_COOKIE}={tokens['refresh_token']}"
    )
    url = f"{gunicorn.url}/session/"

    # Every worker serves the session from its own memory before the webhook.
    warm: set[int] = set()
    for _ in range(WARM_UP_LIMIT // (2 * WORKERS)):
        answers = _burst(url, cookie, 2 * WORKERS)
        assert all(answer.status == 200 for answer in answers), gunicorn.log_tail()
        warm |= {answer.pid for answer in answers}
        if len(warm) == WORKERS:
            break
    assert len(warm) == WORKERS, f"only workers {warm} answered"
    _burst(url, cookie, 2 * WORKERS)  # each worker's local copy is fresh now

    emulator.configure_webhooks(f"{gunicorn.url}/lamba/webhook/", SECRET)
    sent = time.monotonic()
    emulator.revoke_session(session_id)  # delivers session.revoked before returning
    deadline = sent + BOUND
    assert [(d.type, d.status) for d in emulator.webhook_deliveries] == [
        ("session.revoked", 204)
    ], gunicorn.log_tail()

    seen: list[Answer] = []
    refused: set[int] = set()
    while refused != warm and time.monotonic() < deadline:
        answers = _burst(url, cookie, 2 * WORKERS)
        seen += answers
        refused |= {answer.pid for answer in answers if answer.status == 401}

    first_401 = {
        pid: min(a.at for a in seen if a.pid == pid and a.status == 401) for pid in refused
    }
    in_time = {pid for pid, at in first_401.items() if at <= deadline}
    assert in_time == warm, (
        f"401 within {BOUND}s from {sorted(in_time)} of {sorted(warm)}; "
        f"{[(a.pid, a.status, round(a.at - sent, 3)) for a in seen[:40]]}\n{gunicorn.log_tail()}"
    )
    # Once a worker has seen the revocation, it stays seen.
    assert [a for a in seen if a.status == 200 and a.at > first_401[a.pid]] == []
