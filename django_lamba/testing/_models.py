"""Plain data records the emulator keeps: users, sessions, codes, clients, faults, requests."""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

HostKind = Literal["auth", "api"]
SessionKind = Literal["customer", "oidc", "management"]
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


@dataclass(frozen=True)
class OutboxMessage:
    """A magic link or SMS code the emulator "sent"."""

    kind: Literal["magic_link", "sms"]
    to: str
    token_or_code: str
    url: str | None
    created_at: float


@dataclass
class Fault:
    """An injected failure: latency, a canned answer and/or an answer dripped out slowly."""

    path: str
    method: str | None = None
    status: int | None = None
    body: str | bytes | dict[str, Any] | list[Any] | None = None
    content_type: str | None = None
    latency: float = 0.0
    retry_after: int | str | None = None
    times: int | None = 1
    host: Literal["any", "auth", "api"] = "any"
    error_code: str | None = None
    #: Seconds between two pieces of the answer (0: sent at once).
    drip_interval: float = 0.0
    #: Bytes per piece when dripping.
    drip_bytes: int = 1
    #: Drip the status line and headers too, not just the body.
    drip_headers: bool = False
    hits: int = 0

    def matches(self, host: HostKind, method: str, path: str) -> bool:
        """Return whether this fault applies to the request (``path`` may end with ``*``)."""
        if self.times is not None and self.times <= 0:
            return False
        if self.host != "any" and self.host != host:
            return False
        if self.method is not None and self.method.upper() != method:
            return False
        if self.path.endswith("*"):
            return path.startswith(self.path[:-1])
        return path == self.path


class Headers(Mapping[str, str]):
    """A read-only, case-insensitive mapping of request headers."""

    def __init__(self, items: Mapping[str, str] | list[tuple[str, str]]) -> None:
        pairs = list(items.items()) if isinstance(items, Mapping) else items
        self._data: dict[str, tuple[str, str]] = {k.lower(): (k, v) for k, v in pairs}

    def __getitem__(self, key: str) -> str:
        return self._data[key.lower()][1]

    def __iter__(self) -> Iterator[str]:
        return (original for original, _ in self._data.values())

    def __len__(self) -> int:
        return len(self._data)

    def __contains__(self, key: object) -> bool:
        return isinstance(key, str) and key.lower() in self._data

    def __repr__(self) -> str:
        return f"Headers({dict(self.items())!r})"


@dataclass(frozen=True)
class RecordedRequest:
    """One request the emulator received, as tests see it in ``requests_log``."""

    host: HostKind
    method: str
    path: str
    query: dict[str, list[str]]
    headers: Headers
    json: Any
    form: dict[str, str] | None
    body: bytes = field(repr=False)


class CallCounter:
    """A thread-safe count of requests keyed ``"METHOD /path"`` (path without query)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._counts: Counter[str] = Counter()

    def increment(self, key: str) -> None:
        """Add one to ``key``."""
        with self._lock:
            self._counts[key] += 1

    def clear(self) -> None:
        """Forget all counts."""
        with self._lock:
            self._counts.clear()

    def snapshot(self) -> dict[str, int]:
        """Return a copy of the counts."""
        with self._lock:
            return dict(self._counts)

    def total(self) -> int:
        """Return the number of requests counted."""
        with self._lock:
            return sum(self._counts.values())

    def __getitem__(self, key: str) -> int:
        with self._lock:
            return self._counts[key]

    def get(self, key: str, default: int = 0) -> int:
        """Return the count for ``key``."""
        with self._lock:
            return self._counts.get(key, default)

    def __contains__(self, key: object) -> bool:
        with self._lock:
            return key in self._counts

    def __iter__(self) -> Iterator[str]:
        return iter(self.snapshot())

    def __len__(self) -> int:
        with self._lock:
            return len(self._counts)

    def __repr__(self) -> str:
        return f"CallCounter({self.snapshot()!r})"
