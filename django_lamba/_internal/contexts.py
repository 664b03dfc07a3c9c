"""The typed ``/v1/me/context``: who is signed in, and in which Workspace and Project.

Public through ``django_lamba.types`` (import them from there). ``from_json`` ignores fields it
does not know and tolerates missing optional ones.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from ..exceptions import LambaUnavailable
from .jsonfields import flag, obj, parse_datetime, text, text_list


@dataclass(frozen=True)
class LambaProfile:
    """The signed-in Lamba user, as ``/v1/me/context`` describes them."""

    id: str
    email: str = ""
    username: str = ""
    display_name: str = ""
    email_verified: bool = False
    phone_verified: bool = False
    avatar_url: str = ""

    @classmethod
    def from_json(cls, data: Any) -> LambaProfile:
        body = obj(data)
        return cls(
            id=text(body, "id"),
            email=text(body, "email"),
            username=text(body, "username"),
            display_name=text(body, "displayName"),
            email_verified=flag(body, "emailVerified"),
            phone_verified=flag(body, "phoneVerified"),
            avatar_url=text(body, "avatarUrl"),
        )


@dataclass(frozen=True)
class LambaWorkspace:
    """The Workspace the session is scoped to."""

    id: str
    name: str = ""
    raw: dict[str, Any] = field(default_factory=dict, compare=False)

    @classmethod
    def from_json(cls, data: Any) -> LambaWorkspace | None:
        body = obj(data)
        if not body:
            return None
        return cls(id=text(body, "id"), name=text(body, "name"), raw=body)


@dataclass(frozen=True)
class LambaProject:
    """The Project (and environment) the session is scoped to."""

    id: str
    name: str = ""
    environment: str = ""
    raw: dict[str, Any] = field(default_factory=dict, compare=False)

    @classmethod
    def from_json(cls, data: Any) -> LambaProject | None:
        body = obj(data)
        if not body:
            return None
        return cls(
            id=text(body, "id"),
            name=text(body, "name"),
            environment=text(body, "environment"),
            raw=body,
        )


@dataclass(frozen=True)
class LambaSessionInfo:
    """The Lamba session behind the cookies."""

    id: str = ""
    last_seen_at: datetime | None = None
    mfa_satisfied: bool = False
    amr: tuple[str, ...] = ()

    @classmethod
    def from_json(cls, data: Any) -> LambaSessionInfo:
        body = obj(data)
        return cls(
            id=text(body, "id"),
            last_seen_at=parse_datetime(body.get("lastSeenAt")),
            mfa_satisfied=flag(body, "mfaSatisfied"),
            amr=text_list(body.get("amr")),
        )


@dataclass(frozen=True)
class LambaContext:
    """``GET /v1/me/context``: who is signed in, and where."""

    user: LambaProfile
    active_workspace: LambaWorkspace | None = None
    active_project: LambaProject | None = None
    membership: dict[str, Any] | None = None
    role_keys: tuple[str, ...] = ()
    session: LambaSessionInfo = field(default_factory=LambaSessionInfo)
    raw: dict[str, Any] = field(default_factory=dict, compare=False, repr=False)

    @classmethod
    def from_json(cls, data: Any) -> LambaContext:
        """Build from the context body; one without a user id is unusable."""
        body = obj(data)
        user = LambaProfile.from_json(body.get("user"))
        if not user.id:
            raise LambaUnavailable("Lamba answered /v1/me/context without a user id.")
        membership = body.get("membership")
        return cls(
            user=user,
            active_workspace=LambaWorkspace.from_json(body.get("activeWorkspace")),
            active_project=LambaProject.from_json(body.get("activeProject")),
            membership=membership if isinstance(membership, dict) else None,
            role_keys=text_list(body.get("roleKeys")),
            session=LambaSessionInfo.from_json(body.get("session")),
            raw=body,
        )

    @property
    def environment(self) -> str:
        return self.active_project.environment if self.active_project else ""
