"""The emulator's state: every container, one lock; outbox, rate limits, faults, records."""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Callable
from typing import Literal

from ._admin_state import AdminState
from ._directory import EmulatorDirectory
from ._errors import rate_limit_exceeded
from ._models import (
    EmulatedUser,
    ManagementClient,
    Membership,
    OidcClient,
    PlanLimit,
    Project,
    Workspace,
)
from ._request_records import CallCounter, Fault, HostKind, RecordedRequest
from ._session_records import AuthCode, MagicLink, OpaqueGrant, OutboxMessage, PhoneCode, Session
from ._tokens import SigningKey, first_signing_key

TokenFormat = Literal["jwt", "opaque"]

DEFAULT_WORKSPACE_ID = "ws_demo"
DEFAULT_WORKSPACE_NAME = "Demo Workspace"
DEFAULT_PROJECT_ID = "prj_demo"
DEFAULT_PROJECT_NAME = "Demo Project"
DEFAULT_MANAGEMENT_CLIENT_ID = "mgmt_demo"
DEFAULT_MANAGEMENT_CLIENT_SECRET = "mgmt_demo_secret"


class EmulatorState(EmulatorDirectory):
    """All mutable emulator data; every read-modify-write happens under ``lock``.

    Directory operations (users, Projects, memberships) come from ``EmulatorDirectory``.
    """

    def __init__(
        self, *, access_token_ttl: float, refresh_token_ttl: float, token_format: TokenFormat
    ) -> None:
        self.lock = threading.RLock()
        self.issuer = ""
        self.token_format: TokenFormat = token_format
        self._initial_access_ttl = access_token_ttl
        self._initial_refresh_ttl = refresh_token_ttl
        self.keys: list[SigningKey] = [first_signing_key()]
        self.calls = CallCounter()
        self.on_outbox: Callable[[OutboxMessage], None] | None = None
        #: Called after every HTTP request is answered (the emulator's own webhook events).
        self.after_request: Callable[[], None] | None = None
        self.clear()

    # --- lifecycle -----------------------------------------------------------------------

    def clear(self) -> None:
        """Forget everything but keys and hooks; restore tunables; seed the default scope."""
        with self.lock:
            self.clock: Callable[[], float] = time.time
            self.access_token_ttl: float = self._initial_access_ttl
            self.refresh_token_ttl: float = self._initial_refresh_ttl
            self.magic_link_ttl = 15 * 60.0
            self.phone_code_ttl = 5 * 60.0
            self.auth_code_ttl = 5 * 60.0
            self.rate_limit = 5
            self.rate_limit_window = 60.0
            self.workspaces: dict[str, Workspace] = {}
            self.projects: dict[str, Project] = {}
            self.users: dict[str, EmulatedUser] = {}
            self.memberships: dict[tuple[str, str], Membership] = {}
            self.sessions: dict[str, Session] = {}
            self.refresh_index: dict[str, str] = {}
            self.opaque_access: dict[str, OpaqueGrant] = {}
            self.magic_links: dict[str, MagicLink] = {}
            self.phone_codes: dict[str, PhoneCode] = {}
            self.auth_codes: dict[str, AuthCode] = {}
            self.oidc_clients: dict[str, OidcClient] = {}
            self.management_clients: dict[str, ManagementClient] = {}
            self.outbox: list[OutboxMessage] = []
            self.pending_outbox: list[OutboxMessage] = []
            self.faults: list[Fault] = []
            self.requests_log: list[RecordedRequest] = []
            self.revocations: list[tuple[str, str]] = []
            self.rate_hits: dict[str, deque[float]] = {}
            self.plan_limits: dict[str, PlanLimit] = {}
            self.admin = AdminState()
            self.calls.clear()
            self.add_workspace(DEFAULT_WORKSPACE_ID, DEFAULT_WORKSPACE_NAME)
            self.add_project(DEFAULT_WORKSPACE_ID, DEFAULT_PROJECT_ID, DEFAULT_PROJECT_NAME)
            self.management_clients[DEFAULT_MANAGEMENT_CLIENT_ID] = ManagementClient(
                DEFAULT_MANAGEMENT_CLIENT_ID, DEFAULT_MANAGEMENT_CLIENT_SECRET
            )

    def now(self) -> float:
        """Return the emulator's current time."""
        return self.clock()

    @property
    def signing_key(self) -> SigningKey:
        """Return the key new tokens are signed with."""
        return self.keys[-1]

    def keys_by_kid(self) -> dict[str, SigningKey]:
        """Return the published keys by ``kid``."""
        return {key.kid: key for key in self.keys}

    # --- outbox, rate limits, faults, records --------------------------------------------

    def send(self, message: OutboxMessage) -> None:
        """Put a message in the outbox and queue it for the ``on_outbox`` hook."""
        with self.lock:
            self.outbox.append(message)
            self.pending_outbox.append(message)

    def drain_pending_outbox(self) -> list[OutboxMessage]:
        """Return and forget the messages not yet passed to ``on_outbox``."""
        with self.lock:
            pending, self.pending_outbox = self.pending_outbox, []
            return pending

    def hit_rate_limit(self, bucket: str) -> None:
        """Count one request against ``bucket``; raise a 429 problem when over the limit."""
        with self.lock:
            now = self.now()
            hits = self.rate_hits.setdefault(bucket, deque())
            while hits and hits[0] <= now - self.rate_limit_window:
                hits.popleft()
            if len(hits) >= self.rate_limit:
                wait = max(1, int(hits[0] + self.rate_limit_window - now + 0.999))
                raise rate_limit_exceeded(
                    wait, "Too many requests for this identifier. Try again later."
                )
            hits.append(now)

    def add_fault(self, fault: Fault) -> Fault:
        """Register a fault; the first matching fault wins."""
        with self.lock:
            self.faults.append(fault)
            return fault

    def take_fault(self, host: HostKind, method: str, path: str) -> Fault | None:
        """Return (and use up one of) the first fault matching the request, if any."""
        with self.lock:
            for fault in self.faults:
                if fault.matches(host, method, path):
                    fault.hits += 1
                    if fault.times is not None:
                        fault.times -= 1
                    return fault
            return None

    def record(self, request: RecordedRequest) -> None:
        """Count the request and append it to the log."""
        with self.lock:
            self.calls.increment(f"{request.method} {request.path}")
            self.requests_log.append(request)
