"""Shared fixtures. The ``lamba*`` fixtures come from the package's own pytest plugin."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any, NoReturn

import pytest
from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
from django.dispatch import Signal

from django_lamba.testing import EmulatedUser, LambaEmulator

REDIS_START_TIMEOUT = 10.0


def in_ci() -> bool:
    """Tell whether this run is CI's, where a missing service is a failure, not a skip."""
    return os.environ.get("CI", "").strip().lower() not in ("", "0", "false", "no")


def pick_free_port() -> int:
    """Return a TCP port on 127.0.0.1 that was free a moment ago."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def skip_or_fail(reason: str) -> NoReturn:
    """Skip on a developer's machine; fail in CI, which must have installed what tests need."""
    if in_ci():
        pytest.fail(f"{reason} (CI=true: .ci/run must install it)", pytrace=False)
    pytest.skip(reason)


@pytest.fixture(autouse=True)
def _closed_circuits() -> Iterator[None]:
    """Start every test with every Lamba host's circuit breaker closed."""
    from django_lamba._internal import breaker

    breaker.reset()
    yield
    breaker.reset()


@pytest.fixture
def viewer(lamba: LambaEmulator) -> EmulatedUser:
    """A customer with the ``viewer`` role and no permissions (``tests.authz_urls.VIEWER``)."""
    from tests.authz_urls import add_viewer

    return add_viewer(lamba)


@pytest.fixture
def admin(lamba: LambaEmulator) -> EmulatedUser:
    """A Project admin and ``owner`` (``tests.authz_urls.ADMIN``)."""
    from tests.authz_urls import add_admin

    return add_admin(lamba)


@pytest.fixture
def heard() -> Iterator[dict[str, list[dict[str, Any]]]]:
    """Record what each of Django's auth signals was sent with."""
    found: dict[str, list[dict[str, Any]]] = {"in": [], "out": [], "failed": []}
    receivers = []
    for name, signal in (
        ("in", user_logged_in),
        ("out", user_logged_out),
        ("failed", user_login_failed),
    ):

        def receiver(sender: Any, _name: str = name, **kwargs: Any) -> None:
            found[_name].append({"sender": sender, **kwargs})

        signal.connect(receiver, weak=False)
        receivers.append((signal, receiver))
    yield found
    for signal, receiver in receivers:
        Signal.disconnect(signal, receiver)


def pytest_report_header(config: pytest.Config) -> list[str]:
    # Under tox this must be the wheel in site-packages, not the source tree.
    try:
        import django_lamba
    except ImportError as exc:
        return [f"django_lamba: not importable ({exc})"]
    return [f"django_lamba: {', '.join(django_lamba.__path__)}"]


@pytest.fixture
def free_port() -> int:
    """A free TCP port on 127.0.0.1."""
    return pick_free_port()


def _redis_answers(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.5) as sock:
            sock.sendall(b"PING\r\n")
            return sock.recv(64).startswith(b"+PONG")
    except OSError:
        return False


def stop_redis(process: subprocess.Popen[bytes]) -> None:
    """Stop a ``redis-server`` started by ``start_redis`` (kill it if it will not stop)."""
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=5)


def start_redis(workdir: Path, port: int | None = None) -> tuple[subprocess.Popen[bytes], int]:
    """Start ``redis-server`` on loopback (on ``port``, or a free one); wait until it answers.

    Another process may take a free port between picking and binding it, so a few are tried.
    """
    executable = shutil.which("redis-server")
    if executable is None:
        skip_or_fail("redis-server is not on PATH (Debian: apt-get install redis-server)")
    log = workdir / "redis.log"
    for _attempt in range(1 if port else 3):
        chosen = port or pick_free_port()
        command = [executable, "--bind", "127.0.0.1", "--port", str(chosen), "--dir", str(workdir)]
        command += ["--save", "", "--appendonly", "no", "--logfile", str(log), "--daemonize", "no"]
        process = subprocess.Popen(
            command,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + REDIS_START_TIMEOUT
        while process.poll() is None and time.monotonic() < deadline:
            if _redis_answers(chosen):
                return process, chosen
            time.sleep(0.05)
        stop_redis(process)
    details = log.read_text(errors="replace")[-2000:] if log.exists() else "(no log)"
    pytest.fail(f"redis-server did not answer PING on 127.0.0.1:\n{details}", pytrace=False)


@pytest.fixture(scope="session")
def redis_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """Run a throwaway ``redis-server`` on loopback; yield its ``redis://127.0.0.1:PORT/0`` URL."""
    process, port = start_redis(tmp_path_factory.mktemp("redis"))
    try:
        yield f"redis://127.0.0.1:{port}/0"
    finally:
        stop_redis(process)
