"""Several gunicorn workers, one Redis, one expired session: exactly one refresh reaches Lamba.

Lamba treats a reused refresh token as theft and revokes the session, so a page that fires many
requests with an expired access token must cause one ``POST /v1/auth/refresh`` in total, across
every worker process, and every response must hand the browser the same rotated tokens.
"""

from __future__ import annotations

import importlib.util
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from http.cookies import SimpleCookie
from pathlib import Path
from typing import Any

import pytest
import requests

import django_lamba
from django_lamba.testing import LambaEmulator
from tests.conftest import pick_free_port, skip_or_fail

pytestmark = pytest.mark.multiprocess

WORKERS = 4
CONCURRENT = 50
EMAIL = "storm@example.com"
ACCESS_COOKIE = "lamba_access_token"
REFRESH_COOKIE = "lamba_refresh_token"
START_TIMEOUT = 30.0
REQUEST_TIMEOUT = (3.05, 20.0)
REPO_ROOT = Path(__file__).resolve().parent.parent


@dataclass
class Server:
    url: str
    log: Path

    def log_tail(self) -> str:
        """Return the end of gunicorn's stderr (shown when an assertion fails)."""
        return self.log.read_text(errors="replace")[-3000:] if self.log.exists() else ""


@dataclass
class Answer:
    status: int
    body: dict[str, Any]
    cookies: dict[str, str]


@pytest.fixture(scope="module")
def emulator() -> Iterator[LambaEmulator]:
    """Run a private emulator: the call counts below must see only this module's traffic."""
    with LambaEmulator() as emu:
        emu.add_user(EMAIL, "correct-horse-battery", roles=["member"])
        yield emu


def _pythonpath() -> str:
    # The workers must import the same django_lamba as this process (the wheel under tox), and
    # the `tests` package from the source tree.
    installed = str(Path(next(iter(django_lamba.__path__))).resolve().parent)
    parts = [installed, str(REPO_ROOT), os.environ.get("PYTHONPATH", "")]
    return os.pathsep.join(dict.fromkeys(part for part in parts if part))


def _stop_group(process: subprocess.Popen[bytes]) -> None:
    """Stop gunicorn's arbiter and workers (its own process group), forcefully if need be."""
    for sig, wait in ((signal.SIGTERM, 10), (signal.SIGKILL, 5)):
        try:
            os.killpg(process.pid, sig)
        except ProcessLookupError:
            break
        try:
            process.wait(timeout=wait)
            break
        except subprocess.TimeoutExpired:
            continue


def _wait_until_ready(process: subprocess.Popen[bytes], url: str, ready_dir: Path) -> None:
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"gunicorn exited with status {process.returncode}")
        if len(list(ready_dir.iterdir())) >= WORKERS:
            try:
                if requests.get(f"{url}/ping/", timeout=1).status_code == 200:
                    return
            except requests.RequestException:
                pass
        time.sleep(0.1)
    raise RuntimeError(f"gunicorn did not start {WORKERS} workers in {START_TIMEOUT:.0f}s")


@contextmanager
def serve(emulator: LambaEmulator, workdir: Path, extra_env: dict[str, str]) -> Iterator[Server]:
    """Serve tests.multiproc_project with several sync workers; ``extra_env`` picks the cache."""
    if importlib.util.find_spec("gunicorn") is None:
        skip_or_fail("gunicorn is not installed (pip install 'django-lamba[test]')")
    ready_dir = workdir / "ready"
    ready_dir.mkdir()
    # The workers' host-local lock files and records: private to this server, never shared.
    private_tmp = workdir / "tmp"
    private_tmp.mkdir()
    log = workdir / "gunicorn.log"
    port = pick_free_port()
    env = {
        **os.environ,
        "PYTHONPATH": _pythonpath(),
        "TMPDIR": str(private_tmp),
        "DJANGO_SETTINGS_MODULE": "tests.multiproc_project.settings",
        "LAMBA_TEST_READY_DIR": str(ready_dir),
        "LAMBA_CUSTOMER_AUTH_BASE_URL": emulator.auth_url,
        "LAMBA_CUSTOMER_API_BASE_URL": emulator.api_url,
        "LAMBA_CUSTOMER_WORKSPACE_ID": emulator.workspace_id,
        "LAMBA_CUSTOMER_PROJECT_ID": emulator.project_id,
        "LAMBA_CUSTOMER_ENV": emulator.environment,
        **extra_env,
    }
    command = [
        sys.executable,
        "-m",
        "gunicorn",
        "tests.multiproc_project.wsgi:application",
        "--config",
        "python:tests.multiproc_project.gunicorn_conf",
        "--bind",
        f"127.0.0.1:{port}",
        "--workers",
        str(WORKERS),
        "--worker-class",
        "sync",
        "--timeout",
        "30",
        "--graceful-timeout",
        "3",
        "--log-level",
        "warning",
    ]
    with log.open("wb") as stderr:
        process = subprocess.Popen(
            command,
            cwd=REPO_ROOT,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=stderr,
            stderr=stderr,
            start_new_session=True,  # its own process group: teardown kills the workers too
        )
    server = Server(f"http://127.0.0.1:{port}", log)
    try:
        try:
            _wait_until_ready(process, server.url, ready_dir)
        except RuntimeError as exc:
            pytest.fail(f"{exc}\n{server.log_tail()}", pytrace=False)
        yield server
    finally:
        _stop_group(process)


@pytest.fixture(scope="module")
def gunicorn(
    emulator: LambaEmulator, redis_server: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Server]:
    """Serve tests.multiproc_project with several sync workers sharing the Redis cache."""
    if importlib.util.find_spec("gunicorn") is None:
        skip_or_fail("gunicorn is not installed (pip install 'django-lamba[test]')")
    import redis

    # A database of its own, emptied, so nothing another test cached can answer for us.
    redis_url = redis_server.rsplit("/", 1)[0] + "/7"
    redis.Redis.from_url(redis_url, socket_timeout=5).flushdb()
    workdir = tmp_path_factory.mktemp("gunicorn")
    with serve(emulator, workdir, {"LAMBA_TEST_REDIS_URL": redis_url}) as server:
        yield server


def _get(url: str, access: str, refresh: str) -> Answer:
    # requests never sends a Secure cookie over http: send the Cookie header ourselves.
    response = requests.get(
        url,
        headers={
            "Accept": "application/json",
            "Cookie": f"{ACCESS_COOKIE}={access}; {REFRESH_COOKIE}={refresh}",
        },
        timeout=REQUEST_TIMEOUT,
        allow_redirects=False,
    )
    jar: SimpleCookie = SimpleCookie()
    for line in response.raw.headers.getlist("Set-Cookie"):
        jar.load(line)
    body = response.json() if response.status_code == 200 else {"text": response.text[:300]}
    return Answer(response.status_code, body, {name: morsel.value for name, morsel in jar.items()})


def _fire(url: str, access: str, refresh: str, count: int) -> list[Answer]:
    """Send ``count`` requests at once (released together by a barrier)."""
    barrier = threading.Barrier(count, timeout=10)

    def one(_: int) -> Answer:
        barrier.wait()
        return _get(url, access, refresh)

    with ThreadPoolExecutor(max_workers=count) as pool:
        return list(pool.map(one, range(count), timeout=60))


@dataclass
class Storm:
    old_refresh: str
    answers: list[Answer]
    calls: dict[str, int]
    revoked: list[str]


def expired_storm(emulator: LambaEmulator, server: Server, email: str, count: int) -> Storm:
    """Fire ``count`` concurrent requests carrying one expired access token and its refresh."""
    # Expired by more than the default 30 s JWT leeway, so every worker must refresh.
    tokens = emulator.issue_session(
        email,
        workspace_id=emulator.workspace_id,
        project_id=emulator.project_id,
        access_token_ttl=-120,
    )
    emulator.reset_calls()
    answers = _fire(
        f"{server.url}/whoami/", tokens["access_token"], tokens["refresh_token"], count
    )
    return Storm(
        tokens["refresh_token"], answers, emulator.calls.snapshot(), emulator.revoked_sessions
    )


@pytest.fixture(scope="module")
def storm(emulator: LambaEmulator, gunicorn: Server) -> Storm:
    """The concurrent expired-token requests this module's tests look at."""
    return expired_storm(emulator, gunicorn, EMAIL, CONCURRENT)


def assert_refreshed_once(storm: Storm, server: Server, email: str, count: int) -> None:
    """Every request answered as ``email``, across processes, after one refresh and no reuse."""
    failed = [answer for answer in storm.answers if answer.status != 200]
    assert not failed, f"{failed[:3]}\n{server.log_tail()}"
    assert [answer.body["email"] for answer in storm.answers] == [email] * count
    # The refresh lock only means something if several processes took part.
    assert len({answer.body["pid"] for answer in storm.answers}) >= 2
    assert storm.calls.get("POST /v1/auth/refresh") == 1, storm.calls
    assert storm.revoked == []  # Lamba saw no reuse


def test_concurrent_expired_requests_refresh_once_across_workers(
    storm: Storm, gunicorn: Server
) -> None:
    assert_refreshed_once(storm, gunicorn, EMAIL, CONCURRENT)

    # Every response hands the browser the rotated pair, and it is the same pair everywhere.
    refreshes = {answer.cookies.get(REFRESH_COOKIE) for answer in storm.answers}
    accesses = {answer.cookies.get(ACCESS_COOKIE) for answer in storm.answers}
    assert len(refreshes) == 1 and None not in refreshes, refreshes
    assert len(accesses) == 1 and None not in accesses
    assert refreshes != {storm.old_refresh}


def test_warm_requests_after_the_refresh_make_no_upstream_calls(
    storm: Storm, emulator: LambaEmulator, gunicorn: Server
) -> None:
    rotated = storm.answers[0].cookies
    access, refresh = rotated[ACCESS_COOKIE], rotated[REFRESH_COOKIE]
    emulator.reset_calls()

    answers = _fire(f"{gunicorn.url}/whoami/", access, refresh, CONCURRENT)

    assert [answer.status for answer in answers] == [200] * CONCURRENT, gunicorn.log_tail()
    assert [answer.body["email"] for answer in answers] == [EMAIL] * CONCURRENT
    assert emulator.calls.snapshot() == {}
    # A valid token and a cached context: nothing to rotate, so no cookie is rewritten.
    assert all(not answer.cookies for answer in answers)
    assert emulator.revoked_sessions == []
