"""Host-local refresh coordination: one holder per lock across threads and processes, sealed
records only the refresh token's holder can read, a private directory, and nothing left behind."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from django_lamba._internal import hostlock
from django_lamba.testing.clock import frozen

pytestmark = pytest.mark.skipif(not hostlock.HAS_FLOCK, reason="needs fcntl (POSIX)")

SECRET = "the-refresh-token"
OTHER_SECRET = "another-refresh-token"


@pytest.fixture(autouse=True)
def private_tmpdir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """Each test gets its own temporary directory (``tempfile.gettempdir()`` reads ``tempdir``)."""
    monkeypatch.setattr("tempfile.tempdir", str(tmp_path))
    yield tmp_path


def folder() -> Path:
    found = hostlock.directory()
    assert found is not None
    return found


def test_the_directory_is_private_to_this_user(private_tmpdir: Path) -> None:
    path = folder()
    assert path.parent == private_tmpdir
    assert path.name == f"django-lamba-{os.getuid()}"
    assert path.stat().st_mode & 0o777 == 0o700


def test_a_directory_others_can_reach_is_refused(private_tmpdir: Path) -> None:
    path = private_tmpdir / f"django-lamba-{os.getuid()}"
    path.mkdir(mode=0o755)
    path.chmod(0o755)
    assert hostlock.directory() is None
    with hostlock.try_lock("abc") as held:
        assert held  # per-process only, but still a lock
    hostlock.put_record("abc", "rotated", SECRET, {"a": 1}, 30)
    assert list(path.iterdir()) == []


def test_a_symlink_in_place_of_the_directory_is_refused(private_tmpdir: Path) -> None:
    target = private_tmpdir / "elsewhere"
    target.mkdir(mode=0o700)
    (private_tmpdir / f"django-lamba-{os.getuid()}").symlink_to(target)
    assert hostlock.directory() is None


def test_one_thread_holds_a_lock_the_others_are_refused() -> None:
    results: list[bool] = []
    inside = threading.Event()
    release = threading.Event()

    def holder() -> None:
        with hostlock.try_lock("session") as held:
            results.append(held)
            inside.set()
            release.wait(5)

    thread = threading.Thread(target=holder)
    thread.start()
    assert inside.wait(5)
    with hostlock.try_lock("session") as held:
        assert not held
    with hostlock.try_lock("another-session") as held:
        assert held
    release.set()
    thread.join()
    assert results == [True]
    with hostlock.try_lock("session") as held:
        assert held


HOLD_IN_CHILD = """
import sys, time
from django_lamba._internal import hostlock
from django_lamba.testing.clock import frozen
with hostlock.try_lock("session") as held:
    print("held" if held else "refused", flush=True)
    time.sleep(float(sys.argv[1]))
"""


def test_another_process_is_refused_while_the_lock_is_held(private_tmpdir: Path) -> None:
    env = {**os.environ, "TMPDIR": str(private_tmpdir), "PYTHONPATH": os.pathsep.join(sys.path)}
    child = subprocess.Popen(
        [sys.executable, "-c", HOLD_IN_CHILD, "1.5"], env=env, stdout=subprocess.PIPE, text=True
    )
    try:
        assert child.stdout is not None
        assert child.stdout.readline().strip() == "held"
        with hostlock.try_lock("session") as held:
            assert not held
    finally:
        child.wait(10)
    with hostlock.try_lock("session") as held:
        assert held


def test_a_lock_whose_holder_died_is_free(private_tmpdir: Path) -> None:
    env = {**os.environ, "TMPDIR": str(private_tmpdir), "PYTHONPATH": os.pathsep.join(sys.path)}
    child = subprocess.Popen(
        [sys.executable, "-c", HOLD_IN_CHILD, "30"], env=env, stdout=subprocess.PIPE, text=True
    )
    assert child.stdout is not None
    assert child.stdout.readline().strip() == "held"
    child.kill()
    child.wait(10)
    with hostlock.try_lock("session") as held:
        assert held


def test_released_locks_leave_no_files() -> None:
    for index in range(20):
        with hostlock.try_lock(f"session-{index}") as held:
            assert held
    assert [p.name for p in folder().iterdir() if p.name.endswith(".lock")] == []


def test_a_record_is_read_back_only_with_its_key() -> None:
    hostlock.put_record("abc", "rotated", SECRET, {"access_token": "x"}, 30)
    assert hostlock.get_record("abc", "rotated", SECRET) == {"access_token": "x"}
    assert hostlock.get_record("abc", "rotated", OTHER_SECRET) is None
    assert hostlock.get_record("abd", "rotated", SECRET) is None
    assert b"access_token" not in (folder() / "abc.rotated").read_bytes()


def test_a_record_renamed_to_another_kind_is_refused() -> None:
    hostlock.put_record("abc", "failed", SECRET, 1, 30)
    os.replace(folder() / "abc.failed", folder() / "abc.logged_out")
    assert hostlock.get_record("abc", "logged_out", SECRET) is None


def test_records_expire_and_are_swept() -> None:
    with frozen() as clock:
        hostlock.put_record("old", "rotated", SECRET, 1, 0.2)
        hostlock.put_record("new", "rotated", SECRET, 1, 60)
        hostlock.put_record("older", "rotated", SECRET, 1, 0.2)
        assert hostlock.get_record("old", "rotated", SECRET) == 1
        clock.advance(0.3)
        assert hostlock.get_record("old", "rotated", SECRET) is None
        assert not (folder() / "old.rotated").exists()  # read too late: deleted
        hostlock.sweep(folder(), clock.now())
    assert sorted(p.name for p in folder().iterdir()) == ["new.rotated"]


def test_a_lock_file_left_by_a_crash_is_swept_when_old() -> None:
    stale = folder() / "crashed.lock"
    stale.touch()
    old = time.time() - 3600
    os.utime(stale, (old, old))
    hostlock.sweep(folder(), time.time())
    assert not stale.exists()


def test_garbage_in_the_directory_is_not_a_record() -> None:
    (folder() / "abc.rotated").write_bytes(b"garbage")
    assert hostlock.get_record("abc", "rotated", SECRET) is None
    (folder() / "abc.rotated").write_bytes(os.urandom(200))
    assert hostlock.get_record("abc", "rotated", SECRET) is None


def test_without_a_usable_directory_records_are_simply_absent(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    def unusable() -> Any:
        return None

    monkeypatch.setattr(hostlock, "directory", unusable)
    hostlock.put_record("abc", "rotated", SECRET, 1, 30)
    assert hostlock.get_record("abc", "rotated", SECRET) is None
