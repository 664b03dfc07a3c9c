"""The socket level of a call: a real deadline on every read, and a bounded body read.

A read timeout is not a deadline: it bounds each wait for the next bytes, so a server that drips
one byte a second holds a call forever. Here every ``recv`` on a pooled connection is cut to the
time the current call has left (a :class:`Deadline` set with :func:`bound`), and the body is read
in chunks, compressed or not, never past :data:`MAX_RESPONSE_BYTES`. What the bytes mean is read
by ``answers``.
"""

from __future__ import annotations

import socket
import ssl
import zlib
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

import requests
import urllib3
from requests.adapters import HTTPAdapter
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool

#: The largest body read from Lamba, after decompression; anything larger is an outage.
MAX_RESPONSE_BYTES = 1024 * 1024
#: Bytes asked for per read of the body.
CHUNK_BYTES = 16 * 1024
#: The content codings the client asks for, and the only ones it decodes.
ACCEPT_ENCODING = "gzip, deflate"


class DeadlinePassed(TimeoutError):
    """The call's deadline passed while it waited on the network."""


class BodyTooLarge(Exception):
    """The body is larger than the cap (said by ``Content-Length``, or found while reading)."""


class BodyUnreadable(Exception):
    """The body could not be read or decoded (a dropped connection, an unknown coding)."""


class Deadline:
    """When one call must be over, on the client's clock."""

    __slots__ = ("clock", "expires_at", "read_timeout")

    def __init__(self, seconds: float, read_timeout: float, clock: Callable[[], float]) -> None:
        self.clock = clock
        self.expires_at = clock() + seconds
        self.read_timeout = read_timeout

    def remaining(self) -> float:
        """Return the seconds left (negative once passed)."""
        return self.expires_at - self.clock()

    def check(self) -> float:
        """Return the seconds left; raise :class:`DeadlinePassed` when none are."""
        left = self.remaining()
        if left <= 0:
            raise DeadlinePassed("The call to Lamba ran out of time.")
        return left


_current: ContextVar[Deadline | None] = ContextVar("django_lamba_call_deadline", default=None)


@contextmanager
def bound(deadline: Deadline) -> Iterator[None]:
    """Make reads on pooled connections in this context stop at ``deadline``."""
    token = _current.set(deadline)
    try:
        yield
    finally:
        _current.reset(token)


def _cut_timeout(sock: socket.socket) -> None:
    """Cut the socket's timeout to the time the current call has left (none left: raise)."""
    deadline = _current.get()
    if deadline is not None:
        sock.settimeout(min(deadline.read_timeout, deadline.check()))


class _DeadlineSocket(socket.socket):
    """A plain socket whose every read stops at the current call's deadline."""

    __slots__ = ()

    def recv(self, bufsize: int, flags: int = 0) -> bytes:
        _cut_timeout(self)
        return super().recv(bufsize, flags)

    def recv_into(self, buffer: Any, nbytes: int = 0, flags: int = 0) -> int:
        _cut_timeout(self)
        return super().recv_into(buffer, nbytes, flags)


class _DeadlineSSLSocket(ssl.SSLSocket):
    """A TLS socket whose every read stops at the current call's deadline."""

    # SSLSocket.recv and recv_into both read through read().
    def read(self, len: int = 1024, buffer: Any = None) -> Any:
        _cut_timeout(self)
        return super().read(len, buffer)


def _watch(sock: Any) -> None:
    """Give a freshly connected socket the deadline-aware reads (exact stdlib types only)."""
    if type(sock) is socket.socket:
        sock.__class__ = _DeadlineSocket
    elif type(sock) is ssl.SSLSocket:
        sock.__class__ = _DeadlineSSLSocket


class _HTTPConnection(HTTPConnection):
    def connect(self) -> None:
        super().connect()
        _watch(self.sock)


class _HTTPSConnection(HTTPSConnection):
    def connect(self) -> None:
        super().connect()
        _watch(self.sock)


class _HTTPConnectionPool(HTTPConnectionPool):
    ConnectionCls = _HTTPConnection


class _HTTPSConnectionPool(HTTPSConnectionPool):
    ConnectionCls = _HTTPSConnection


class DeadlineAdapter(HTTPAdapter):
    """An adapter whose connections honour the deadline set with :func:`bound`."""

    def init_poolmanager(self, *args: Any, **kwargs: Any) -> None:
        super().init_poolmanager(*args, **kwargs)
        self.poolmanager.pool_classes_by_scheme = {
            "http": _HTTPConnectionPool,
            "https": _HTTPSConnectionPool,
        }


# --- the body ------------------------------------------------------------------------------


class _Decoder:
    """Undo one content coding, never producing more than ``limit`` bytes in all."""

    def __init__(self, coding: str) -> None:
        if coding in ("gzip", "x-gzip"):
            self._zlib: Any = zlib.decompressobj(16 + zlib.MAX_WBITS)
        elif coding == "deflate":
            self._zlib = zlib.decompressobj(32 + zlib.MAX_WBITS)  # zlib or gzip header
        elif coding in ("", "identity"):
            self._zlib = None
        else:
            raise BodyUnreadable(f"Unsupported content coding {coding[:40]!r}.")

    def decode(self, data: bytes, room: int) -> bytes:
        """Return at most ``room + 1`` bytes (one more than fits tells the body is too large)."""
        if self._zlib is None:
            return data
        try:
            # max_length caps what a small compressed chunk may expand to (a gzip bomb).
            return bytes(self._zlib.decompress(data, room + 1))
        except zlib.error:
            raise BodyUnreadable("The body does not decompress.") from None


def _content_length(response: requests.Response) -> int | None:
    value = response.headers.get("Content-Length", "").strip()
    return int(value) if value.isdigit() and len(value) < 20 else None


def read_body(
    response: requests.Response, deadline: Deadline, limit: int = MAX_RESPONSE_BYTES
) -> bytes:
    """Read a streamed response's body, decoded, within ``deadline`` and ``limit`` bytes.

    On any failure the response is closed, and with it the connection (it may still be sending).
    Raises :class:`DeadlinePassed`, :class:`BodyTooLarge` or :class:`BodyUnreadable`.
    """
    try:
        body = _read(response, deadline, limit)
    except BaseException:
        response.close()
        raise
    # Read to the end: urllib3 has put the connection back in its pool already.
    release = getattr(response.raw, "release_conn", None)
    if callable(release):
        release()
    return body


def _read(response: requests.Response, deadline: Deadline, limit: int) -> bytes:
    if response.status_code in (204, 304) or response.status_code < 200:
        return b""  # these never have a body, whatever the headers say
    length = _content_length(response)
    if length is not None and length > limit:
        raise BodyTooLarge(f"The body is {length} bytes.")
    codings = [
        part.strip().lower()
        for part in response.headers.get("Content-Encoding", "").split(",")
        if part.strip().lower() not in ("", "identity")
    ]
    if len(codings) > 1:
        raise BodyUnreadable("The body has more than one content coding.")
    decoder = _Decoder(codings[0] if codings else "")
    raw = response.raw
    if raw is None:
        return b""
    parts: list[bytes] = []
    size = raw_size = 0
    while True:
        deadline.check()
        try:
            chunk = raw.read(CHUNK_BYTES, decode_content=False)
        except (urllib3.exceptions.HTTPError, OSError, ValueError) as exc:
            if isinstance(exc, (TimeoutError, urllib3.exceptions.TimeoutError)):
                raise DeadlinePassed("The body did not arrive in time.") from None
            deadline.check()
            raise BodyUnreadable(f"The body could not be read ({type(exc).__name__}).") from None
        if not chunk:
            return b"".join(parts)
        raw_size += len(chunk)
        data = decoder.decode(chunk, limit - size)
        size += len(data)
        if size > limit or raw_size > limit:
            raise BodyTooLarge(f"The body is over {limit} bytes.")
        parts.append(data)
