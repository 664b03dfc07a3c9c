"""Session records the emulator keeps: sessions, opaque grants, pending codes, the outbox."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

SessionKind = Literal["customer", "oidc", "management"]


@dataclass
class Session:
    """A session: a customer login, an OIDC grant or a management-client grant."""

    id: str
    kind: SessionKind
    subject: str
    created_at: float
    last_seen_at: float
    workspace_id: str | None = None
    project_id: str | None = None
    environment: str | None = None
    amr: list[str] = field(default_factory=list)
    mfa_satisfied: bool = False
    client_id: str | None = None
    scope: str = ""
    refresh_token: str | None = field(default=None, repr=False)
    refresh_expires_at: float | None = None
    auth_code: str | None = field(default=None, repr=False)
    revoked_reason: str | None = None

    @property
    def revoked(self) -> bool:
        """Return whether the session has been ended."""
        return self.revoked_reason is not None


@dataclass
class OpaqueGrant:
    """What an opaque access token stands for, including the Project it was scoped to."""

    session_id: str
    expires_at: float
    project_id: str | None = None


@dataclass
class MagicLink:
    """A pending single-use magic-link token."""

    token: str = field(repr=False)
    user_id: str
    expires_at: float
    used: bool = False


@dataclass
class PhoneCode:
    """A pending single-use SMS code and the wrong attempts made against it."""

    phone: str
    code: str = field(repr=False)
    user_id: str
    expires_at: float
    attempts: int = 0


@dataclass
class AuthCode:
    """A pending OIDC authorization code."""

    code: str = field(repr=False)
    client_id: str
    redirect_uri: str
    user_id: str
    scope: str
    nonce: str | None
    code_challenge: str
    expires_at: float
    amr: list[str] = field(default_factory=list)
    used: bool = False
    session_id: str | None = None


@dataclass(frozen=True)
class OutboxMessage:
    """A magic link or SMS code the emulator "sent"."""

    kind: Literal["magic_link", "sms"]
    to: str
    token_or_code: str
    url: str | None
    created_at: float
