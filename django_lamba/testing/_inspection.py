"""The observation and fault-injection half of ``LambaEmulator``'s public API."""

from __future__ import annotations

from typing import Any, Literal

from ._models import CallCounter, Fault, OutboxMessage, RecordedRequest
from ._state import EmulatorState


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
    ) -> Fault:
        """Make matching requests slow (``latency``) and/or answer ``status`` + ``body`` instead.

        ``path`` matches exactly, or as a prefix when it ends with ``*``. With ``status`` and no
        ``body`` the answer is a ProblemDetails with ``error_code`` (default per status: 402
        ``PLAN_LIMIT_EXCEEDED`` with default plan facts, 403 ``AUTHORIZATION_DENIED``, 429
        ``RATE_LIMIT_EXCEEDED`` as ``application/json``). ``times=None`` keeps the fault forever.
        """
        if status is None and latency <= 0:
            raise ValueError("A fault needs a status, a latency, or both.")
        if host not in ("any", "auth", "api"):
            raise ValueError("host must be 'any', 'auth' or 'api'.")
        if times is not None and times < 1:
            raise ValueError("times must be at least 1, or None for forever.")
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
        )
        return self._state.add_fault(fault)

    def clear_faults(self) -> None:
        """Remove every injected fault."""
        with self._state.lock:
            self._state.faults.clear()
