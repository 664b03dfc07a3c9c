"""Typed results of Lamba calls.

Each ``from_json`` ignores fields it does not know and tolerates missing optional ones, so a Lamba
that adds or omits fields does not break anything. ``repr()`` of anything holding a token masks it.
The context family (``LambaContext`` and its parts) is defined in ``_internal/contexts.py`` and
the field readers in ``_internal/jsonfields.py``; import them all from here.
"""

from __future__ import annotations

import builtins
import hashlib
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import Any, Generic, TypeVar

from ._internal.contexts import (
    LambaContext,
    LambaProfile,
    LambaProject,
    LambaSessionInfo,
    LambaWorkspace,
)
from ._internal.jsonfields import flag, obj, parse_datetime, text, text_list
from .exceptions import LambaUnavailable

__all__ = [
    "ClientCredentialsToken",
    "LambaAuthorization",
    "LambaContext",
    "LambaProfile",
    "LambaProject",
    "LambaSessionInfo",
    "LambaWorkspace",
    "Page",
    "TokenSet",
    "mask",
    "matches",
    "parse_datetime",
]

T = TypeVar("T")


def mask(token: str | None) -> str:
    """Return a short, non-reversible label for a token, safe for logs and ``repr()``."""
    if not token:
        return "<none>"
    return f"<token sha256:{hashlib.sha256(token.encode()).hexdigest()[:8]}>"


def matches(granted: Iterable[str], wanted: str | Iterable[object], any: bool = False) -> bool:
    """Return whether ``granted`` holds every key of ``wanted`` (at least one, with ``any``).

    The one matcher behind every permission and role check in django_lamba. ``wanted`` may be
    a single key. Requiring all of no keys passes and requiring one of no keys fails, as
    Django's ``User.has_perms([])`` and Python's ``all()`` / ``any()`` answer. A key that is not
    a non-empty string (a missing template variable) is held by nobody.
    """
    held = granted if isinstance(granted, (set, frozenset)) else frozenset(granted)
    keys: tuple[object, ...] = (wanted,) if isinstance(wanted, str) else tuple(wanted)
    if any:
        return builtins.any(_is_key(key) and key in held for key in keys)
    return all(_is_key(key) and key in held for key in keys)


def _is_key(value: object) -> bool:
    return isinstance(value, str) and value != ""


#: The longest ``expires_in`` taken at its word (a year); more is read as this.
_MAX_EXPIRES_IN = 365 * 86400.0


@dataclass(frozen=True, repr=False)
class TokenSet:
    """The token shape that login, register, refresh and switch-context answer with."""

    access_token: str
    refresh_token: str = ""
    refresh_token_expires_at: datetime | None = None
    access_token_expires_at: datetime | None = None
    token_type: str = "Bearer"  # noqa: S105
    id_token: str = ""

    @classmethod
    def from_json(cls, data: Any, *, now: datetime | None = None) -> TokenSet:
        """Build from a token-shape body; a body without ``access_token`` is unusable."""
        body = obj(data)
        access = body.get("access_token")
        if not isinstance(access, str) or not access:
            raise LambaUnavailable("Lamba answered a token response without an access_token.")
        access_expires = parse_datetime(body.get("access_token_expires_at"))
        expires_in = body.get("expires_in")
        if access_expires is None and isinstance(expires_in, (int, float)) and expires_in > 0:
            # Clamped: a garbage lifetime (1e308) is "a long time", not an OverflowError.
            lifetime = timedelta(seconds=min(float(expires_in), _MAX_EXPIRES_IN))
            access_expires = (now or datetime.now(timezone.utc)) + lifetime
        return cls(
            access_token=access,
            refresh_token=text(body, "refresh_token"),
            refresh_token_expires_at=parse_datetime(body.get("refresh_token_expires_at")),
            access_token_expires_at=access_expires,
            token_type=text(body, "token_type", "Bearer"),
            id_token=text(body, "id_token"),
        )

    def to_dict(self) -> dict[str, Any]:
        """Return a JSON-safe dict (for the shared cache); round-trips through ``from_json``."""
        data: dict[str, Any] = {
            "access_token": self.access_token,
            "refresh_token": self.refresh_token,
            "token_type": self.token_type,
        }
        if self.refresh_token_expires_at:
            data["refresh_token_expires_at"] = self.refresh_token_expires_at.isoformat()
        if self.access_token_expires_at:
            data["access_token_expires_at"] = self.access_token_expires_at.isoformat()
        if self.id_token:
            data["id_token"] = self.id_token
        return data

    def __repr__(self) -> str:
        return (
            f"TokenSet(access_token={mask(self.access_token)}, "
            f"refresh_token={mask(self.refresh_token)}, "
            f"refresh_token_expires_at={self.refresh_token_expires_at!r})"
        )

    __str__ = __repr__


@dataclass(frozen=True)
class LambaAuthorization:
    """``GET /v1/me/authorization``: the single source of truth for permissions."""

    role_keys: frozenset[str] = frozenset()
    effective_permissions: frozenset[str] = frozenset()
    permission_sources: dict[str, tuple[str, ...]] = field(default_factory=dict)
    is_project_admin: bool = False
    raw: dict[str, Any] = field(default_factory=dict, compare=False, repr=False)

    @classmethod
    def from_json(cls, data: Any) -> LambaAuthorization:
        body = obj(data)
        sources = {
            str(key): text_list(value) for key, value in obj(body.get("permissionSources")).items()
        }
        return cls(
            role_keys=frozenset(text_list(body.get("roleKeys"))),
            effective_permissions=frozenset(text_list(body.get("effectivePermissions"))),
            permission_sources=sources,
            is_project_admin=flag(body, "isProjectAdmin"),
            raw=body,
        )

    def has_permission(self, perm: str) -> bool:
        """Return whether the permission ``perm`` is granted."""
        return matches(self.effective_permissions, perm)

    def has_permissions(self, perms: str | Iterable[str], any: bool = False) -> bool:
        """Return whether all of ``perms`` are granted (at least one, with ``any=True``)."""
        return matches(self.effective_permissions, perms, any)

    def has_role(self, role: str) -> bool:
        """Return whether the session holds the role ``role``."""
        return matches(self.role_keys, role)

    def has_roles(self, roles: str | Iterable[str], any: bool = False) -> bool:
        """Return whether the session holds all of ``roles`` (at least one, with ``any=True``)."""
        return matches(self.role_keys, roles, any)


@dataclass(frozen=True)
class Page(Generic[T]):
    """One page of a ``{items, nextCursor}`` list."""

    items: list[T]
    next_cursor: str | None = None


@dataclass(frozen=True, repr=False)
class ClientCredentialsToken:
    """A ``client_credentials`` token from ``/connect/token``; server-side only."""

    access_token: str
    expires_at: datetime
    token_type: str = "Bearer"  # noqa: S105
    scope: str = ""

    def __repr__(self) -> str:
        return f"ClientCredentialsToken({mask(self.access_token)}, expires_at={self.expires_at!r})"
