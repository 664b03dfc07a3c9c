"""Typed results of admin calls: members, invitations, roles, permissions, applications.

Like ``django_lamba.types``: each ``from_json`` ignores fields it does not know and tolerates
missing optional ones; ``raw`` keeps the whole object. A secret is shown once, on the result that
carries it, and never in its ``repr()``.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from .._internal.jsonfields import flag, obj, parse_datetime, text
from .._internal.jsonfields import text_list as texts
from ..types import mask


def whole(data: dict[str, Any], key: str) -> int | None:
    """Return ``data[key]`` if it is a whole number, else ``None``."""
    value = data.get(key)
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def when(data: dict[str, Any], key: str) -> datetime | None:
    """Return ``data[key]`` parsed as an ISO-8601 timestamp, else ``None``."""
    return parse_datetime(data.get(key))


@dataclass(frozen=True)
class Member:
    """A member of the Project (``/v1/admin/members``): a Project Member, not a console user."""

    user_id: str
    email: str = ""
    display_name: str = ""
    role_keys: tuple[str, ...] = ()
    is_project_admin: bool = False
    status: str = ""
    joined_at: datetime | None = None
    raw: dict[str, Any] = field(default_factory=dict, compare=False, repr=False)

    @classmethod
    def from_json(cls, data: Any) -> Member:
        body = obj(data)
        return cls(
            user_id=text(body, "userId") or text(body, "id"),
            email=text(body, "email"),
            display_name=text(body, "displayName"),
            role_keys=texts(body.get("roleKeys")),
            is_project_admin=flag(body, "isProjectAdmin"),
            status=text(body, "status"),
            joined_at=when(body, "joinedAt"),
            raw=body,
        )

    def __getitem__(self, key: str) -> Any:
        """Deprecated: Lamba's field by its JSON name, as when members were plain dicts."""
        _warn_item_access()
        return self.raw[key]

    def get(self, key: str, default: Any = None) -> Any:
        """Deprecated: like ``dict.get`` on Lamba's JSON object (use the attributes)."""
        _warn_item_access()
        return self.raw.get(key, default)


def _warn_item_access() -> None:
    warnings.warn(
        "Members are typed objects now: use member.email, member.role_keys, ... instead of "
        "member['email']; item access goes away in django-lamba 1.0.",
        DeprecationWarning,
        stacklevel=3,
    )


@dataclass(frozen=True)
class Invitation:
    """An invitation to join the Project; ``status``: ``pending``, ``accepted``, ``revoked``..."""

    id: str
    email: str = ""
    role_keys: tuple[str, ...] = ()
    status: str = ""
    created_at: datetime | None = None
    expires_at: datetime | None = None
    last_sent_at: datetime | None = None
    send_count: int = 0
    raw: dict[str, Any] = field(default_factory=dict, compare=False, repr=False)

    @classmethod
    def from_json(cls, data: Any) -> Invitation:
        body = obj(data)
        return cls(
            id=text(body, "id"),
            email=text(body, "email"),
            role_keys=texts(body.get("roleKeys")),
            status=text(body, "status"),
            created_at=when(body, "createdAt"),
            expires_at=when(body, "expiresAt"),
            last_sent_at=when(body, "lastSentAt"),
            send_count=whole(body, "sendCount") or 0,
            raw=body,
        )

    @property
    def is_pending(self) -> bool:
        return self.status.casefold() == "pending"


@dataclass(frozen=True)
class Permission:
    """A permission key of the Project's catalog (keys are opaque)."""

    key: str
    description: str = ""

    @classmethod
    def from_json(cls, data: Any) -> Permission:
        body = obj(data)
        return cls(key=text(body, "key"), description=text(body, "description"))


@dataclass(frozen=True)
class Role:
    """A Project role and the permissions it grants (``built_in``: Lamba's, e.g. ``viewer``)."""

    key: str
    name: str = ""
    description: str = ""
    permissions: tuple[str, ...] = ()
    built_in: bool = False

    @classmethod
    def from_json(cls, data: Any) -> Role:
        body = obj(data)
        return cls(
            key=text(body, "key"),
            name=text(body, "name"),
            description=text(body, "description"),
            permissions=texts(body.get("permissions")),
            built_in=flag(body, "builtIn"),
        )


@dataclass(frozen=True)
class AuthorizationCatalog:
    """``/v1/admin/authorization/catalog``: every role and permission of the Project."""

    roles: tuple[Role, ...] = ()
    permissions: tuple[Permission, ...] = ()

    @classmethod
    def from_json(cls, data: Any) -> AuthorizationCatalog:
        body = obj(data)
        roles = body.get("roles")
        permissions = body.get("permissions")
        return cls(
            roles=tuple(Role.from_json(r) for r in roles if isinstance(r, dict))
            if isinstance(roles, list)
            else (),
            permissions=tuple(Permission.from_json(p) for p in permissions if isinstance(p, dict))
            if isinstance(permissions, list)
            else (),
        )

    def role(self, key: str) -> Role | None:
        """Return the role with this key, if the catalog has it."""
        return next((role for role in self.roles if role.key == key), None)


@dataclass(frozen=True)
class Application:
    """An application (App Client or Management Client) of the Project; never its secret."""

    id: str
    name: str = ""
    client_id: str = ""
    type: str = ""
    redirect_uris: tuple[str, ...] = ()
    created_at: datetime | None = None
    secret_rotated_at: datetime | None = None
    raw: dict[str, Any] = field(default_factory=dict, compare=False, repr=False)

    @classmethod
    def from_json(cls, data: Any) -> Application:
        body = obj(data)
        return cls(
            id=text(body, "id"),
            name=text(body, "name"),
            client_id=text(body, "clientId"),
            type=text(body, "type"),
            redirect_uris=texts(body.get("redirectUris")),
            created_at=when(body, "createdAt"),
            secret_rotated_at=when(body, "secretRotatedAt"),
            raw=body,
        )


@dataclass(frozen=True, repr=False)
class RotatedSecret:
    """An application's new client secret: returned once, never logged, masked in ``repr()``."""

    application_id: str
    client_id: str
    client_secret: str
    rotated_at: datetime | None = None

    @classmethod
    def from_json(cls, data: Any) -> RotatedSecret:
        body = obj(data)
        return cls(
            application_id=text(body, "applicationId") or text(body, "id"),
            client_id=text(body, "clientId"),
            client_secret=text(body, "clientSecret"),
            rotated_at=when(body, "rotatedAt"),
        )

    def __repr__(self) -> str:
        return (
            f"RotatedSecret(application_id={self.application_id!r}, "
            f"client_id={self.client_id!r}, client_secret={mask(self.client_secret)})"
        )

    __str__ = __repr__
