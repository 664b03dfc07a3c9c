"""The webhook half of ``LambaEmulator``: deliver signed events, and send Lamba's own.

``deliver_webhook`` POSTs one event a test chose. ``configure_webhooks`` registers an endpoint, as
in Lamba's console: from then on the emulator sends the events Lamba sends by itself when a
session ends (``session.revoked``, ``user.logout``), signed with the endpoint's secret. A session
ended through a control (``revoke_session``, ``disable_user``) is delivered before the control
returns; one ended by an HTTP call (``POST /v1/auth/logout``, a reused refresh token) is delivered
in the background after the answer, as Lamba does; ``wait_for_webhooks()`` waits for those.
Lamba retries non-2xx answers; the emulator does not (each delivery's status is recorded).
"""

from __future__ import annotations

import threading
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any

from . import _webhooks
from ._state import EmulatorState

#: What Lamba sends for each way a session can end (reasons not listed send nothing: a
#: switch-context replaces a session, a Project-scope revocation keeps the identity signed in).
EVENT_FOR_REASON = {
    "logout": "user.logout",
    "revoked": "session.revoked",
    "user_disabled": "session.revoked",
    "refresh_token_reused": "session.revoked",
    "code_reused": "session.revoked",
}
DEFAULT_EVENTS = ("session.revoked", "user.logout")


@dataclass(frozen=True)
class WebhookDelivery:
    """One event the emulator POSTed, and the status it got (0: the endpoint was unreachable)."""

    event_id: str
    type: str
    data: dict[str, Any]
    status: int


@dataclass(frozen=True)
class _Endpoint:
    url: str
    secret: str
    events: frozenset[str]


@dataclass(frozen=True)
class WebhookEndpoint:
    """A site's ``lamba:webhook`` the emulator delivers to (the ``lamba_webhooks`` fixture)."""

    emulator: EmulatorWebhooks = field(repr=False)
    url: str
    secret: str

    def deliver(self, event_type: str, data: Any = None, **options: Any) -> tuple[int, bytes]:
        """POST one signed event here; ``options`` as for ``LambaEmulator.deliver_webhook``."""
        return self.emulator.deliver_webhook(
            self.url, event_type, data, secret=self.secret, **options
        )

    @property
    def deliveries(self) -> list[WebhookDelivery]:
        """The events Lamba sent here by itself (ended sessions), once background ones finished."""
        return self.emulator.wait_for_webhooks()


class EmulatorWebhooks:
    """Webhook controls, mixed into ``LambaEmulator``."""

    _state: EmulatorState
    workspace_id: str
    project_id: str
    environment: str

    def _init_webhooks(self) -> None:
        self._webhook_lock = threading.Lock()
        self._endpoint: _Endpoint | None = None
        self._revocations_seen = 0
        self._deliveries: list[WebhookDelivery] = []
        self._senders: list[threading.Thread] = []

    def configure_webhooks(
        self, url: str | None, secret: str = "", *, events: Iterable[str] = DEFAULT_EVENTS
    ) -> None:
        """Register (``url=None``: remove) the endpoint Lamba sends its own events to."""
        if url is not None and not secret:
            raise ValueError("A webhook endpoint needs its signing secret.")
        with self._state.lock, self._webhook_lock:
            self._endpoint = None if url is None else _Endpoint(url, secret, frozenset(events))
            self._revocations_seen = len(self._state.revocations)

    @property
    def webhook_deliveries(self) -> list[WebhookDelivery]:
        """Every event sent to the configured endpoint so far, in order."""
        with self._webhook_lock:
            return list(self._deliveries)

    def wait_for_webhooks(self, timeout: float = 10.0) -> list[WebhookDelivery]:
        """Wait for background deliveries to finish; return every delivery so far."""
        with self._webhook_lock:
            senders, self._senders = self._senders, []
        for sender in senders:
            sender.join(timeout)
        return self.webhook_deliveries

    def _reset_webhooks(self) -> None:
        self.wait_for_webhooks()
        with self._webhook_lock:
            self._endpoint = None
            self._revocations_seen = 0
            self._deliveries.clear()

    def _send_lamba_events(self, *, background: bool) -> None:
        """Deliver the events for sessions ended since the last call (if an endpoint is set)."""
        with self._state.lock, self._webhook_lock:
            revocations = self._state.revocations[self._revocations_seen :]
            self._revocations_seen = len(self._state.revocations)
            endpoint = self._endpoint
            if endpoint is None:
                return
            events = [
                event
                for session_id, reason in revocations
                if (event := self._event_for(session_id, reason)) is not None
                and event[0] in endpoint.events
            ]
        if not events:
            return
        if not background:
            self._deliver_all(endpoint, events)
            return
        sender = threading.Thread(
            target=self._deliver_all, args=(endpoint, events), name="lamba-emulator-webhooks"
        )
        sender.daemon = True
        with self._webhook_lock:
            self._senders.append(sender)
        sender.start()

    def _event_for(self, session_id: str, reason: str) -> tuple[str, dict[str, Any]] | None:
        event_type = EVENT_FOR_REASON.get(reason)
        session = self._state.sessions.get(session_id)
        if event_type is None or session is None or session.kind == "management":
            return None
        stamp = datetime.fromtimestamp(self._state.now(), timezone.utc)
        return event_type, {
            "sessionId": session.id,
            "userId": session.subject,
            "reason": reason,
            "workspaceId": session.workspace_id or self.workspace_id,
            "projectId": session.project_id or self.project_id,
            "environment": session.environment or self.environment,
            "revokedAt": stamp.isoformat(timespec="milliseconds").replace("+00:00", "Z"),
        }

    def _deliver_all(self, endpoint: _Endpoint, events: list[tuple[str, dict[str, Any]]]) -> None:
        for event_type, data in events:
            event_id = _webhooks.new_event_id()
            body = _webhooks.event_body(
                event_type,
                data,
                event_id=event_id,
                workspace_id=data["workspaceId"],
                project_id=data["projectId"],
                environment=data["environment"],
            )
            try:
                status, _ = _webhooks.deliver(
                    endpoint.url,
                    body,
                    event_type=event_type,
                    secret=endpoint.secret,
                    workspace_id=data["workspaceId"],
                )
            except OSError:  # refused, timed out: Lamba would retry later
                status = 0
            with self._webhook_lock:
                self._deliveries.append(WebhookDelivery(event_id, event_type, data, status))

    def deliver_webhook(
        self,
        url: str,
        event_type: str,
        data: Any = None,
        *,
        secret: str,
        event_id: str | None = None,
        timestamp: int | None = None,
        legacy: bool = False,
        workspace_id: str | None = None,
        project_id: str | None = None,
        environment: str | None = None,
    ) -> tuple[int, bytes]:
        """POST a webhook event to ``url``, signed with ``secret`` as Lamba signs it.

        The event is for this emulator's Workspace, Project and environment unless told
        otherwise; ``timestamp`` (Unix seconds) defaults to now, ``event_id`` to a new one.
        Returns the answer's status and body; send the same ``event_id`` again to redeliver.
        """
        workspace = self.workspace_id if workspace_id is None else workspace_id
        body = _webhooks.event_body(
            event_type,
            data,
            event_id=event_id or _webhooks.new_event_id(),
            workspace_id=workspace,
            project_id=self.project_id if project_id is None else project_id,
            environment=self.environment if environment is None else environment,
        )
        return _webhooks.deliver(
            url,
            body,
            event_type=event_type,
            secret=secret,
            workspace_id=workspace,
            timestamp=timestamp,
            legacy=legacy,
        )
