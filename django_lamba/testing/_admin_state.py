"""What the emulated admin API keeps beyond users and memberships: invitations, the role
catalog, rotated secrets, webhook endpoints and their deliveries, custom domains.

Plain records, reset with the rest of the emulator's state (``EmulatorState.admin``).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from ._models import PlanLimit

#: The scope that grants every admin call; without it a management token needs the call's own.
ADMIN_SCOPE = "customer.admin"
#: How long an invitation stays open.
INVITATION_TTL = 7 * 86400.0
#: Roles every Project has; ``viewer`` is what role-less invitations give.
BUILT_IN_ROLES: dict[str, tuple[str, str, tuple[str, ...]]] = {
    "viewer": ("Viewer", "Reads what the Project shows its members.", ()),
    "member": ("Member", "A regular member of the Project.", ("members.read",)),
    "admin": (
        "Administrator",
        "Manages the Project's members and settings.",
        ("members.read", "members.write", "invitations.read", "invitations.write"),
    ),
}
#: Permission keys every Project's catalog lists (the customer-side names of admin scopes).
BUILT_IN_PERMISSIONS: dict[str, str] = {
    "members.read": "See the Project's members.",
    "members.write": "Change members' roles and remove members.",
    "invitations.read": "See invitations.",
    "invitations.write": "Invite people and manage invitations.",
    "roles.read": "See roles and permissions.",
    "applications.read": "See the Project's applications.",
    "applications.write": "Rotate application secrets.",
    "webhooks.read": "See webhook endpoints and deliveries.",
    "webhooks.write": "Manage webhook endpoints and retry deliveries.",
    "domains.read": "See custom domains.",
    "domains.write": "Add and verify custom domains.",
}


@dataclass
class InvitationRecord:
    """An invitation to one Project; ``status`` is derived with ``expired`` on read."""

    id: str
    project_id: str
    email: str
    role_keys: list[str]
    created_at: float
    expires_at: float
    last_sent_at: float
    send_count: int = 1
    status: str = "pending"


@dataclass
class RoleRecord:
    """A custom role added with ``LambaEmulator.add_role``."""

    key: str
    name: str
    description: str
    permissions: list[str]


@dataclass
class EndpointRecord:
    """A webhook endpoint registered through the admin API."""

    id: str
    project_id: str
    url: str
    events: list[str]
    description: str
    enabled: bool
    created_at: float
    secret: str = field(repr=False)


@dataclass
class DeliveryRecord:
    """One attempt to deliver one event to one endpoint."""

    id: str
    endpoint_id: str
    event_id: str
    event_type: str
    status: str
    response_status: int | None
    attempt: int
    created_at: float
    body: bytes = field(repr=False)


@dataclass
class DomainRecord:
    """A custom domain and the TXT record that proves it."""

    id: str
    project_id: str
    host: str
    purpose: str
    environment: str
    token: str
    created_at: float
    verified_at: float | None = None

    @property
    def record_name(self) -> str:
        return f"_lamba-verification.{self.host}"

    @property
    def record_value(self) -> str:
        return f"lamba-verification={self.token}"


@dataclass
class AdminState:
    """Everything the admin routes keep; guarded by ``EmulatorState.lock``."""

    invitations: dict[str, InvitationRecord] = field(default_factory=dict)
    roles: dict[str, RoleRecord] = field(default_factory=dict)
    endpoints: dict[str, EndpointRecord] = field(default_factory=dict)
    deliveries: list[DeliveryRecord] = field(default_factory=list)
    domains: dict[str, DomainRecord] = field(default_factory=dict)
    #: Published DNS TXT records: name -> value.
    dns_txt: dict[str, str] = field(default_factory=dict)
    #: When each application's secret was last rotated, by client id.
    secret_rotated_at: dict[str, float] = field(default_factory=dict)
    #: Seat limits per Project: members plus pending invitations may not pass ``allowed``.
    member_limits: dict[str, PlanLimit] = field(default_factory=dict)

    def pending_invitations(self, project_id: str, now: float) -> list[InvitationRecord]:
        return [
            inv
            for inv in self.invitations.values()
            if inv.project_id == project_id and invitation_status(inv, now) == "pending"
        ]


def invitation_status(invitation: InvitationRecord, now: float) -> str:
    """Return ``pending``, ``accepted``, ``revoked`` or ``expired``."""
    if invitation.status == "pending" and invitation.expires_at <= now:
        return "expired"
    return invitation.status


def event_matches(patterns: list[str], event_type: str) -> bool:
    """Whether an endpoint subscribed to ``patterns`` (``*``, ``user.*``, exact) gets the event."""
    for pattern in patterns:
        if pattern == "*" or pattern == event_type:
            return True
        if pattern.endswith(".*") and event_type.startswith(pattern[:-1]):
            return True
    return False
