"""Directory records the emulator keeps: users, Workspaces, Projects, memberships, clients."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

ENVIRONMENTS = ("test", "prod")


@dataclass
class EmulatedUser:
    """A Lamba User known to the emulator (treat as read-only; use the emulator's methods)."""

    id: str
    email: str
    password: str | None = field(default=None, repr=False)
    username: str | None = None
    display_name: str | None = None
    phone: str | None = None
    mfa_code: str | None = field(default=None, repr=False)
    disabled: bool = False
    email_verified: bool = True
    phone_verified: bool = False
    avatar_url: str | None = None
    bio: str | None = None
    headline: str | None = None
    is_public_profile_enabled: bool = False
    links: list[Any] | dict[str, Any] = field(default_factory=list)
    created_at: float = 0.0
    last_login_at: float | None = None
    #: Social providers linked to this user (``/v1/me/linked-identities``), e.g. ``"google"``.
    social_providers: list[str] = field(default_factory=list)
    #: Bumped by every profile change; sessions remember the one they read (stale edits: 409).
    profile_revision: int = 0
    profile_reads: dict[str, int] = field(default_factory=dict, repr=False)


@dataclass
class Workspace:
    """A Lamba Workspace."""

    id: str
    name: str


@dataclass
class Project:
    """A Lamba Project inside a Workspace."""

    id: str
    workspace_id: str
    name: str


@dataclass(frozen=True)
class PlanLimit:
    """A plan limit a Project has reached: which (``"mau"``), how many allowed, how many used."""

    limit: str = "mau"
    allowed: int = 1000
    current: int = 1000
    plan: str = "free"
    legacy_body: bool = False

    def facts(self) -> dict[str, Any]:
        """Return the fields both 402 body shapes carry."""
        return {
            "limit": self.limit,
            "allowed": self.allowed,
            "current": self.current,
            "plan": self.plan,
        }

    def message(self) -> str:
        """Return a human sentence for the ``detail`` / ``message`` field."""
        return (
            f"This Project has reached the {self.limit} limit of its {self.plan} plan "
            f"({self.current} of {self.allowed})."
        )


@dataclass
class Membership:
    """A user's runtime membership of one Project: roles, direct permissions, admin flag."""

    user_id: str
    project_id: str
    roles: list[str] = field(default_factory=list)
    permissions: list[str] = field(default_factory=list)
    is_project_admin: bool = False
    joined_at: float = 0.0


@dataclass
class OidcClient:
    """An App Client for Authorization Code + PKCE (public when ``client_secret`` is None)."""

    client_id: str
    redirect_uris: list[str]
    client_secret: str | None = field(default=None, repr=False)


@dataclass
class ManagementClient:
    """A Management Client for ``client_credentials``, optionally bound to one scope."""

    client_id: str
    client_secret: str = field(repr=False)
    workspace_id: str | None = None
    project_id: str | None = None
    environment: str | None = "test"
    #: The admin scopes the client was granted (``None``: any, ``customer.admin`` by default).
    scopes: tuple[str, ...] | None = None
