"""Host-local refresh coordination: a lock file per refresh token, and sealed records beside it.

Lamba revokes a whole session when a rotated refresh token is replayed, so the workers of one host
must refresh a session once even when the shared cache cannot coordinate them: Redis down, its
client library missing, or a per-process cache (``LocMemCache``) that never fails yet shares
nothing. The shared cache's lock fails open in all of these, so the refresh is always taken under
this host lock first; it costs one small file operation, and only on the (rare) refresh path.

* The lock is ``fcntl.flock`` on ``<hash>.lock``: the kernel releases it when its holder dies, so
  a crashed worker never leaves a session locked. The holder unlinks the file before unlocking, and
  whoever locks a file checks that the path still names it, so lock files do not pile up and two
  holders can never lock different files of one name. Threads of one process also meet in an
  in-process set first (``flock`` alone would serialize them too, at the cost of a file each).
* Records (what a refresh token was rotated into, that it failed, that it was signed out, a
  back-off) are files ``<hash>.<kind>``, sealed (``seal``) with a key derived from a secret the
  caller gives (the refresh token) and bound to the file name: only a request holding that token
  can read one, and a record cannot be renamed into another kind. Each file's mtime is set to its
  expiry (the grace window for rotated tokens), so expired records are deleted without being
  decrypted: by whoever reads one too late, and by a sweep of the directory at most every 30 s
  per process whenever a record is written.
* The directory is ``<tempfile.gettempdir()>/django-lamba-<uid>``, created 0700 and refused unless
  it is a real directory owned by this user with no group or other access: a directory another
  local user created first could otherwise be used to watch or delete our records. ``TMPDIR``
  moves it (``tempfile.gettempdir()`` honours it).

This coordinates the workers of one host. Several hosts still need a working shared cache; without
``fcntl`` (Windows) or a usable directory only the threads of one process are coordinated.
"""

from __future__ import annotations

import logging
import os
import stat
import tempfile
import threading
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import Any

from . import clock, seal

try:
    import fcntl

    #: Whether this platform has ``flock`` (not Windows): without it, locks are per process.
    HAS_FLOCK = True
except ImportError:  # pragma: no cover - Windows
    HAS_FLOCK = False

logger = logging.getLogger("django_lamba.cache")

#: Records are tiny (a token set); anything bigger in the directory is not ours.
_MAX_RECORD_BYTES = seal.MAX_SEALED_BYTES
_PURPOSE = "host record"
#: How often one process sweeps expired records, and how old a lock file must be to be swept.
_SWEEP_INTERVAL = 30.0
_STALE_LOCK_AGE = 600.0

_held_lock = threading.Lock()
_held: set[str] = set()
_swept_at = 0.0
_warned = False


def directory() -> Path | None:
    """Return the private directory for this user's lock files and records (``None``: unusable)."""
    global _warned
    if not HAS_FLOCK:
        return None
    path = Path(tempfile.gettempdir()) / f"django-lamba-{os.getuid()}"
    try:
        os.mkdir(path, 0o700)
    except FileExistsError:
        pass
    except OSError as exc:
        if not _warned:
            _warned = True
            logger.error("Cannot create %s (%s): refreshes are coordinated per process", path, exc)
        return None
    try:
        info = os.lstat(path)
    except OSError:
        return None
    if not stat.S_ISDIR(info.st_mode) or info.st_uid != os.getuid() or info.st_mode & 0o077:
        if not _warned:
            _warned = True
            logger.error(
                "%s is not a private directory of this user: refreshes are coordinated per "
                "process only. Remove it (or set TMPDIR) and restart.",
                path,
            )
        return None
    return path


@contextmanager
def try_lock(name: str) -> Iterator[bool]:
    """Take the host lock ``name`` without waiting; yield whether this caller holds it."""
    with _held_lock:
        if name in _held:
            taken = False
        else:
            _held.add(name)
            taken = True
    if not taken:
        yield False
        return
    try:
        folder = directory()
        if folder is None:
            yield True  # per-process only: nothing better is available
            return
        path = folder / f"{name}.lock"
        fd = _flock(path)
        if fd is None:
            yield False
            return
        try:
            yield True
        finally:
            _unlock(path, fd)
    finally:
        with _held_lock:
            _held.discard(name)


def _flock(path: Path) -> int | None:
    """Lock ``path`` (created if need be); ``None`` if someone else holds it."""
    try:
        fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW | os.O_CLOEXEC, 0o600)
    except OSError:
        return None
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        os.close(fd)
        return None
    # The previous holder unlinks the file before unlocking it: if it did so after we opened it,
    # we hold a lock on a file nobody else can find. Only the file the path names counts.
    try:
        named = os.stat(path, follow_symlinks=False)
    except OSError:
        named = None
    mine = os.fstat(fd)
    if named is None or (named.st_dev, named.st_ino) != (mine.st_dev, mine.st_ino):
        fcntl.flock(fd, fcntl.LOCK_UN)
        os.close(fd)
        return None
    return fd


def _unlock(path: Path, fd: int) -> None:
    with suppress(OSError):
        os.unlink(path)  # while still locked: see _flock
    fcntl.flock(fd, fcntl.LOCK_UN)
    os.close(fd)


def put_record(name: str, kind: str, secret: str, data: Any, ttl: float) -> None:
    """Keep ``data`` (JSON) for ``ttl`` seconds as ``<name>.<kind>``, sealed with ``secret``."""
    folder = directory()
    if folder is None or ttl <= 0:
        return
    until = clock.now() + ttl
    sealed = seal.seal(secret, _PURPOSE, f"{name}.{kind}", {"until": until, "data": data})
    try:
        fd, temporary = tempfile.mkstemp(dir=folder, prefix=".tmp-")
        try:
            with os.fdopen(fd, "wb") as handle:
                handle.write(sealed)
            os.utime(temporary, (until, until))
            os.replace(temporary, folder / f"{name}.{kind}")
        except BaseException:
            os.unlink(temporary)
            raise
    except OSError as exc:
        logger.warning("Could not keep a host-local refresh record: %s", type(exc).__name__)
        return
    _sweep_now_and_then(folder)


def get_record(name: str, kind: str, secret: str) -> Any:
    """Return the data of the unexpired record ``<name>.<kind>`` sealed with ``secret``."""
    folder = directory()
    if folder is None:
        return None
    path = folder / f"{name}.{kind}"
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_CLOEXEC)
    except OSError:
        return None
    with os.fdopen(fd, "rb") as handle:
        sealed = handle.read(_MAX_RECORD_BYTES + 1)
    record = seal.unseal(secret, _PURPOSE, f"{name}.{kind}", sealed)
    if not isinstance(record, dict) or not isinstance(record.get("until"), (int, float)):
        return None
    if record["until"] <= clock.now():
        with suppress(OSError):
            os.unlink(path)  # past its window: nobody may read it any more
        return None
    return record.get("data")


def _sweep_now_and_then(folder: Path) -> None:
    global _swept_at
    now = clock.now()
    if now - _swept_at < _SWEEP_INTERVAL:
        return
    _swept_at = now
    sweep(folder, now)


def sweep(folder: Path, now: float) -> None:
    """Delete expired records and lock files their (crashed) holders left behind."""
    try:
        entries = list(os.scandir(folder))
    except OSError:
        return
    for entry in entries:
        try:
            mtime = entry.stat(follow_symlinks=False).st_mtime
            if entry.name.endswith(".lock"):
                if now - mtime > _STALE_LOCK_AGE:
                    with try_lock(entry.name[: -len(".lock")]):
                        pass  # a lock nobody holds is unlinked on release
            elif entry.name.startswith(".tmp-"):
                if now - mtime > _STALE_LOCK_AGE:
                    os.unlink(entry.path)
            elif mtime <= now:  # a record's mtime is its expiry
                os.unlink(entry.path)
        except OSError:
            continue
