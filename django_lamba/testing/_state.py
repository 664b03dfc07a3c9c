"""The emulator's data: users, projects, sessions, codes, clients, faults, records, one lock."""

from __future__ import annotations

import re
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable
from typing import Literal

from ._admin_state import AdminState
from ._errors import rate_limit_exceeded
from ._models import (
    ENVIRONMENTS,
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
from ._tokens import SigningKey, first_signing_key, random_id

TokenFormat = Literal["jwt", "opaque"]

DEFAULT_WORKSPACE_ID = "ws_demo"
DEFAULT_WORKSPACE_NAME = "Demo Workspace"
DEFAULT_PROJECT_ID = "prj_demo"
DEFAULT_PROJECT_NAME = "Demo Project"
DEFAULT_MANAGEMENT_CLIENT_ID = "mgmt_demo"
DEFAULT_MANAGEMENT_CLIENT_SECRET = "mgmt_demo_secret"

E164 = re.compile(r"^\+[1-9]\d{6,14}$")
EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
USERNAME = re.compile(r"^[A-Za-z0-9_.-]{3,32}$")


def _merge(existing: list[str], extra: Iterable[str]) -> list[str]:
    merged = list(existing)
    for item in extra:
        if item not in merged:
            merged.append(item)
    return merged


class EmulatorState:
    """All mutable emulator data; every read-modify-write happens under ``lock``."""

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

    # --- workspaces, projects, users -----------------------------------------------------

    def add_workspace(self, workspace_id: str, name: str) -> Workspace:
        """Create or rename a Workspace."""
        with self.lock:
            workspace = Workspace(workspace_id, name)
            self.workspaces[workspace_id] = workspace
            return workspace

    def add_project(self, workspace_id: str, project_id: str, name: str) -> Project:
        """Create or rename a Project in an existing Workspace."""
        with self.lock:
            if workspace_id not in self.workspaces:
                raise ValueError(f"Unknown workspace {workspace_id!r}.")
            project = Project(project_id, workspace_id, name)
            self.projects[project_id] = project
            return project

    def user_by_email(self, email: str) -> EmulatedUser | None:
        """Return the user with this email (case-insensitive), if any."""
        wanted = email.strip().casefold()
        return next((u for u in self.users.values() if u.email.casefold() == wanted), None)

    def user_by_username(self, username: str) -> EmulatedUser | None:
        """Return the user with this username (case-insensitive), if any."""
        wanted = username.strip().casefold()
        return next(
            (u for u in self.users.values() if u.username and u.username.casefold() == wanted),
            None,
        )

    def user_by_phone(self, phone: str) -> EmulatedUser | None:
        """Return the user with this phone number, if any."""
        return next((u for u in self.users.values() if u.phone == phone), None)

    def require_user(self, email: str) -> EmulatedUser:
        """Return the user with this email or raise ``LookupError``."""
        user = self.user_by_email(email)
        if user is None:
            raise LookupError(f"No emulated user with email {email!r}.")
        return user

    def create_user(
        self,
        email: str,
        password: str | None,
        *,
        username: str | None = None,
        display_name: str | None = None,
        phone: str | None = None,
        mfa_code: str | None = None,
        disabled: bool = False,
        email_verified: bool = True,
    ) -> EmulatedUser:
        """Create a user, refusing duplicates and malformed values with ``ValueError``."""
        with self.lock:
            if not EMAIL.match(email):
                raise ValueError(f"{email!r} is not an email address.")
            if self.user_by_email(email) is not None:
                raise ValueError(f"A user with email {email!r} already exists.")
            if username is not None and self.user_by_username(username) is not None:
                raise ValueError(f"A user with username {username!r} already exists.")
            if phone is not None and not E164.match(phone):
                raise ValueError(f"{phone!r} is not an E.164 phone number.")
            user = EmulatedUser(
                id=random_id("usr"),
                email=email.strip(),
                password=password,
                username=username,
                display_name=display_name,
                phone=phone,
                mfa_code=mfa_code,
                disabled=disabled,
                email_verified=email_verified,
                phone_verified=phone is not None,
                created_at=self.now(),
            )
            self.users[user.id] = user
            return user

    def grant(
        self,
        user: EmulatedUser,
        project_id: str,
        *,
        roles: Iterable[str] = (),
        permissions: Iterable[str] = (),
        is_project_admin: bool | None = None,
    ) -> Membership:
        """Add a membership of ``project_id`` (or extend one) with roles and permissions."""
        with self.lock:
            if project_id not in self.projects:
                raise ValueError(f"Unknown project {project_id!r}.")
            key = (user.id, project_id)
            membership = self.memberships.get(key)
            if membership is None:
                membership = Membership(user.id, project_id, joined_at=self.now())
                self.memberships[key] = membership
            membership.roles = _merge(membership.roles, roles)
            membership.permissions = _merge(membership.permissions, permissions)
            if is_project_admin is not None:
                membership.is_project_admin = is_project_admin
            return membership

    def membership(self, user_id: str, project_id: str | None) -> Membership | None:
        """Return the user's membership of ``project_id``, if any."""
        if project_id is None:
            return None
        return self.memberships.get((user_id, project_id))

    def memberships_of(self, user_id: str) -> list[Membership]:
        """Return all of a user's memberships."""
        return [m for (uid, _), m in self.memberships.items() if uid == user_id]

    def members_of(self, project_id: str) -> list[Membership]:
        """Return the memberships of a Project ordered by the member's email."""
        found = [m for (_, pid), m in self.memberships.items() if pid == project_id]
        return sorted(found, key=lambda m: self.users[m.user_id].email.casefold())

    def check_scope(self, workspace_id: str, project_id: str, environment: str) -> Project | None:
        """Return the Project if the triple names a real scope, else None."""
        project = self.projects.get(project_id)
        if project is None or project.workspace_id != workspace_id:
            return None
        return project if environment in ENVIRONMENTS else None

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
