"""The threaded loopback HTTP server and request handler behind each emulated host."""

from __future__ import annotations

import contextlib
import json
import socket
import threading
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from ._dispatch import Dispatcher, logger
from ._http import Drip, Response
from ._request_records import Headers, HostKind
from ._tokens import trace_id

MAX_BODY_BYTES = 1024 * 1024


class EmulatorHTTPServer(ThreadingHTTPServer):
    """A ``ThreadingHTTPServer`` that serves one host kind and can drop its open connections."""

    daemon_threads = True
    allow_reuse_address = True
    # socketserver's default backlog of 5 drops bursts of connections (clients then wait a 1 s
    # SYN retransmit): concurrency tests open dozens at once.
    request_queue_size = 128

    def __init__(
        self, address: tuple[str, int], host_kind: HostKind, dispatcher: Dispatcher
    ) -> None:
        self.host_kind: HostKind = host_kind
        self.dispatcher = dispatcher
        self._connections: set[socket.socket] = set()
        self._connections_lock = threading.Lock()
        super().__init__(address, EmulatorRequestHandler)

    def process_request(self, request: Any, client_address: Any) -> None:
        with self._connections_lock:
            self._connections.add(request)
        super().process_request(request, client_address)

    def shutdown_request(self, request: Any) -> None:
        with self._connections_lock:
            self._connections.discard(request)
        super().shutdown_request(request)

    def close_connections(self) -> None:
        """Shut down every open client connection (idle keep-alive ones included)."""
        with self._connections_lock:
            connections = list(self._connections)
            self._connections.clear()
        for connection in connections:
            with contextlib.suppress(OSError):
                connection.shutdown(socket.SHUT_RDWR)


class EmulatorRequestHandler(BaseHTTPRequestHandler):
    """Read one request, hand it to the dispatcher, write the answer."""

    server: EmulatorHTTPServer
    protocol_version = "HTTP/1.1"
    server_version = "LambaEmulator/1.0"
    sys_version = ""
    timeout = 60
    disable_nagle_algorithm = True

    def version_string(self) -> str:
        """Return the ``Server`` header value."""
        return self.server_version

    def do_GET(self) -> None:
        self._handle()

    def do_POST(self) -> None:
        self._handle()

    def do_PUT(self) -> None:
        self._handle()

    def do_PATCH(self) -> None:
        self._handle()

    def do_DELETE(self) -> None:
        self._handle()

    def do_HEAD(self) -> None:
        self._handle()

    def do_OPTIONS(self) -> None:
        self._handle()

    def _handle(self) -> None:
        body = self._read_body()
        if body is None:
            return
        headers = Headers(list(self.headers.items()))
        response = self.server.dispatcher.dispatch(
            self.server.host_kind, self.command, self.path, headers, body
        )
        self._write(response, headers.get("X-Correlation-Id"))

    def _read_body(self) -> bytes | None:
        if "chunked" in self.headers.get("Transfer-Encoding", "").lower():
            self.send_error(HTTPStatus.LENGTH_REQUIRED, "Chunked request bodies are not accepted.")
            return None
        raw_length = self.headers.get("Content-Length", "0") or "0"
        try:
            length = int(raw_length)
        except ValueError:
            length = -1
        if length < 0:
            self.send_error(HTTPStatus.BAD_REQUEST, "Invalid Content-Length.")
            return None
        if length > MAX_BODY_BYTES:
            self.send_error(HTTPStatus.REQUEST_ENTITY_TOO_LARGE, "The request body is too large.")
            return None
        return self.rfile.read(length) if length else b""

    def _write(self, response: Response, correlation_id: str | None) -> None:
        try:
            head = self._head(response, correlation_id)
            body = b"" if response.status in (204, 304) else response.body
            if self.command == "HEAD":
                body = b""
            drip = response.drip
            if drip is None:
                self.wfile.write(head + body)
            elif drip.headers:
                self._drip(head + body, drip)
            else:
                self.wfile.write(head)
                self.wfile.flush()
                self._drip(body, drip)
            self.wfile.flush()
        except (BrokenPipeError, ConnectionResetError, ConnectionAbortedError, OSError):
            # The client gave up (often on purpose: an injected-latency timeout test).
            self.close_connection = True

    def _head(self, response: Response, correlation_id: str | None) -> bytes:
        """Return the status line and headers of ``response``, as ``send_response`` would."""
        self.log_request(response.status)
        try:
            phrase = HTTPStatus(response.status).phrase
        except ValueError:
            phrase = ""
        # The Date header reads the emulator's clock, so a test can skew Lamba's time.
        now = self.server.dispatcher.state.now()
        headers = {"Server": self.version_string(), "Date": self.date_time_string(now)}
        headers.update(response.headers)
        headers.setdefault("Cache-Control", "no-store")
        if correlation_id and len(correlation_id) <= 200:
            headers["X-Correlation-Id"] = correlation_id
        if response.status not in (204, 304):
            if response.content_type:
                headers["Content-Type"] = response.content_type
            headers["Content-Length"] = str(len(response.body))
        if headers.get("Connection", "").lower() == "close":
            self.close_connection = True
        lines = [f"{self.protocol_version} {response.status} {phrase}"]
        lines += [f"{name}: {value}" for name, value in headers.items()]
        return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1", "strict")

    def _drip(self, data: bytes, drip: Drip) -> None:
        """Send ``data`` a few bytes at a time; stop early when the emulator stops."""
        stopping = self.server.dispatcher.stopping
        size = max(1, drip.size)
        for start in range(0, len(data), size):
            if stopping.wait(drip.interval):
                self.close_connection = True
                return
            self.wfile.write(data[start : start + size])
            self.wfile.flush()

    def send_error(
        self, code: int, message: str | None = None, explain: str | None = None
    ) -> None:
        """Answer a protocol-level error with ProblemDetails instead of an HTML page."""
        status = HTTPStatus(code)
        data = {
            "type": "about:blank",
            "title": status.phrase,
            "status": status.value,
            "detail": message or status.description,
            "errorCode": "validation_failed" if status.value < 500 else "internal_error",
            "traceId": trace_id(),
        }
        body = json.dumps(data).encode("utf-8")
        self.close_connection = True
        try:
            self.send_response(status.value, status.phrase)
            self.send_header("Content-Type", "application/problem+json")
            self.send_header("Content-Length", str(len(body)))
            self.send_header("Connection", "close")
            self.end_headers()
            if self.command != "HEAD":
                self.wfile.write(body)
        except OSError:
            pass

    def log_message(self, format: str, *args: Any) -> None:
        """Log quietly to the ``django_lamba.testing`` logger at DEBUG."""
        logger.debug("%s %s", self.server.host_kind, format % args)

    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        """Log the method and path only (queries may carry codes)."""
        path = str(getattr(self, "path", "-")).split("?", 1)[0]
        logger.debug("%s %s %s -> %s", self.server.host_kind, self.command, path, code)
