"""The observation and fault-injection half of ``LambaEmulator``'s public API."""

from __future__ import annotations

from http import HTTPStatus
from typing import Any, Literal

from ._request_records import CallCounter, Fault, RecordedRequest
from ._session_records import OutboxMessage
from ._state import EmulatorState

#: The page ``inject_html_error`` serves, like a load balancer whose backend is gone.
LOAD_BALANCER_PAGE = (
    "<html>\r\n<head><title>{status} {phrase}</title></head>\r\n<body>\r\n"
    "<center><h1>{status} {phrase}</h1></center>\r\n<hr><center>nginx</center>\r\n"
    "</body>\r\n</html>\r\n"
)


def _phrase(status: int) -> str:
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return "Error"


class EmulatorInspection:
    """What tests read back (outbox, calls, requests, revocations) and the faults they inject."""

    _state: EmulatorState

    @property
    def revoked_sessions(self) -> list[str]:
        """Return ids of sessions ended by logout, reuse, disabling, code replay or revocation.

        Sessions replaced by switch-context, and sessions that only lost their Project scope
        (``revoke_scope``), are not listed; see ``revocations`` for those.
        """
        with self._state.lock:
            return [
                sid
                for sid, why in self._state.revocations
                if why not in ("context_switched", "scope_revoked")
            ]

    @property
    def revocations(self) -> list[tuple[str, str]]:
        """Return ``(session_id, reason)`` for every session ended or scope revoked, in order."""
        with self._state.lock:
            return list(self._state.revocations)

    @property
    def outbox(self) -> list[OutboxMessage]:
        """Return a copy of every magic link and SMS code sent, oldest first."""
        with self._state.lock:
            return list(self._state.outbox)

    def last_magic_link(self, email: str) -> str:
        """Return the URL of the newest magic link sent to ``email``."""
        wanted = email.strip().casefold()
        for message in reversed(self.outbox):
            if message.kind == "magic_link" and message.to.casefold() == wanted and message.url:
                return message.url
        raise LookupError(f"No magic link was sent to {email!r}.")

    def last_sms_code(self, phone: str) -> str:
        """Return the newest SMS code sent to ``phone``."""
        for message in reversed(self.outbox):
            if message.kind == "sms" and message.to == phone:
                return message.token_or_code
        raise LookupError(f"No SMS code was sent to {phone!r}.")

    @property
    def calls(self) -> CallCounter:
        """Return the live request counter keyed ``"METHOD /path"``."""
        return self._state.calls

    def call_count(self, method: str, path: str) -> int:
        """Return how many ``method path`` requests arrived."""
        return self._state.calls.get(f"{method.upper()} {path}")

    @property
    def requests_log(self) -> list[RecordedRequest]:
        """Return a copy of the recorded requests, oldest first."""
        with self._state.lock:
            return list(self._state.requests_log)

    def reset_calls(self) -> None:
        """Forget the call counts and the request log."""
        with self._state.lock:
            self._state.calls.clear()
            self._state.requests_log.clear()

    def inject_fault(
        self,
        path: str,
        *,
        method: str | None = None,
        status: int | None = None,
        body: str | bytes | dict[str, Any] | list[Any] | None = None,
        content_type: str | None = None,
        latency: float = 0.0,
        retry_after: int | str | None = None,
        times: int | None = 1,
        host: Literal["any", "auth", "api"] = "any",
        error_code: str | None = None,
        drip_interval: float = 0.0,
        drip_bytes: int = 1,
        drip_headers: bool = False,
    ) -> Fault:
        """Make matching requests slow (``latency``) and/or answer ``status`` + ``body`` instead.

        ``path`` matches exactly, or as a prefix when it ends with ``*``. With ``status`` and no
        ``body`` the answer is a ProblemDetails with ``error_code`` (default per status: 402
        ``PLAN_LIMIT_EXCEEDED`` with default plan facts, 403 ``AUTHORIZATION_DENIED``, 429
        ``RATE_LIMIT_EXCEEDED`` as ``application/json``). ``times=None`` keeps the fault forever.
        With ``drip_interval`` the answer (the real one, or the canned one) is sent
        ``drip_bytes`` at a time, ``drip_interval`` seconds apart: the body only, or the status
        line and headers too with ``drip_headers=True``.
        """
        if status is None and latency <= 0 and drip_interval <= 0:
            raise ValueError("A fault needs a status, a latency, a drip, or a mix of them.")
        if host not in ("any", "auth", "api"):
            raise ValueError("host must be 'any', 'auth' or 'api'.")
        if times is not None and times < 1:
            raise ValueError("times must be at least 1, or None for forever.")
        if drip_interval < 0 or drip_bytes < 1:
            raise ValueError("drip_interval must not be negative and drip_bytes must be >= 1.")
        fault = Fault(
            path=path,
            method=method.upper() if method else None,
            status=status,
            body=body,
            content_type=content_type,
            latency=latency,
            retry_after=retry_after,
            times=times,
            host=host,
            error_code=error_code,
            drip_interval=drip_interval,
            drip_bytes=drip_bytes,
            drip_headers=drip_headers,
        )
        return self._state.add_fault(fault)

    def inject_drip(
        self,
        path: str,
        *,
        interval: float = 1.0,
        size: int = 1,
        headers: bool = False,
        method: str | None = None,
        times: int | None = 1,
        host: Literal["any", "auth", "api"] = "any",
    ) -> Fault:
        """Send the real answer of matching requests ``size`` bytes every ``interval`` seconds.

        A server that never stalls long enough to trip a read timeout, yet takes minutes:
        only a deadline on the whole call stops it. ``headers=True`` drips the status line and
        headers too.
        """
        return self.inject_fault(
            path,
            method=method,
            times=times,
            host=host,
            drip_interval=interval,
            drip_bytes=size,
            drip_headers=headers,
        )

    def inject_html_error(
        self,
        path: str,
        *,
        status: int = 502,
        method: str | None = None,
        times: int | None = 1,
        host: Literal["any", "auth", "api"] = "any",
    ) -> Fault:
        """Answer matching requests as a load balancer does: ``status`` with an HTML page."""
        return self.inject_fault(
            path,
            method=method,
            status=status,
            body=LOAD_BALANCER_PAGE.format(status=status, phrase=_phrase(status)),
            content_type="text/html",
            times=times,
            host=host,
        )

    def inject_deep_json(
        self,
        path: str,
        *,
        depth: int = 200_000,
        status: int = 200,
        method: str | None = None,
        times: int | None = 1,
        host: Literal["any", "auth", "api"] = "any",
    ) -> Fault:
        """Answer matching requests with ``depth`` opening brackets as ``application/json``.

        200,000 ``[`` is about 200 KB: small enough for any size cap, deep enough to exhaust
        a recursive parser's stack.
        """
        if depth < 1:
            raise ValueError("depth must be at least 1.")
        return self.inject_fault(
            path,
            method=method,
            status=status,
            body=b"[" * depth,
            content_type="application/json",
            times=times,
            host=host,
        )

    def clear_faults(self) -> None:
        """Remove every injected fault."""
        with self._state.lock:
            self._state.faults.clear()
