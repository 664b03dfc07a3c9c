"""Typed answers of Lamba's self-service endpoints beyond the context and the authorization.

``GET/PATCH /v1/me/profile``, ``GET /v1/me/security``, ``GET /v1/me/linked-identities`` and the
items of ``GET /v1/me/memberships``. As everywhere in ``types``, ``from_json`` ignores fields it
does not know and tolerates missing or mistyped ones; ``raw`` keeps the body as Lamba sent it
(the account cache stores that). The ``*_names`` properties put Lamba's codes (``totp``,
``google``) in words a customer knows; an unknown code is shown tidied up, never dropped.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from ._internal.jsonfields import flag, obj, parse_datetime, text

#: The fields ``PATCH /v1/me/profile`` accepts (at least one per call).
PROFILE_FIELDS = ("username", "displayName", "bio", "headline", "isPublicProfileEnabled", "links")

#: Second factors in words (``availableFactors``); keys compared lower-case.
FACTOR_NAMES = {
    "totp": "Authenticator app",
    "otp": "Authenticator app",
    "sms": "Text message code",
    "phone": "Text message code",
    "email": "Email code",
    "webauthn": "Security key or passkey",
    "passkey": "Passkey",
    "recovery_code": "Recovery codes",
    "backup_code": "Recovery codes",
    "push": "Push notification",
}

#: Social sign-in providers in their own spelling; keys compared lower-case.
PROVIDER_NAMES = {
    "google": "Google",
    "apple": "Apple",
    "github": "GitHub",
    "gitlab": "GitLab",
    "microsoft": "Microsoft",
    "facebook": "Facebook",
    "linkedin": "LinkedIn",
    "twitter": "X (Twitter)",
    "x": "X (Twitter)",
    "discord": "Discord",
    "slack": "Slack",
}


def _words(code: str, names: dict[str, str]) -> str:
    known = names.get(code.strip().lower())
    return known or code.replace("_", " ").replace("-", " ").strip().capitalize()


def _strs(value: Any, *keys: str) -> tuple[str, ...]:
    """Strings of a list; objects in it give their first string under ``keys``."""
    if not isinstance(value, list):
        return ()
    found = []
    for item in value:
        if isinstance(item, dict):
            item = next((item[k] for k in keys if isinstance(item.get(k), str)), None)
        if isinstance(item, str) and item:
            found.append(item)
    return tuple(found)


def link_urls(links: Any) -> tuple[str, ...]:
    """Return the URLs of a ``links`` value: a list of URLs or of objects, or an object."""
    if isinstance(links, dict):
        return tuple(value for value in links.values() if isinstance(value, str) and value)
    return _strs(links, "url", "href")


@dataclass(frozen=True)
class LambaAccountProfile:
    """``GET /v1/me/profile`` (and the answer of a ``PATCH``): what the customer may edit."""

    username: str = ""
    display_name: str = ""
    bio: str = ""
    headline: str = ""
    is_public_profile_enabled: bool = False
    #: The links' URLs, whatever shape Lamba keeps them in (``raw["links"]`` has it).
    links: tuple[str, ...] = ()
    raw: dict[str, Any] = field(default_factory=dict, compare=False, repr=False)

    @classmethod
    def from_json(cls, data: Any) -> LambaAccountProfile:
        body = obj(data)
        return cls(
            username=text(body, "username"),
            display_name=text(body, "displayName"),
            bio=text(body, "bio"),
            headline=text(body, "headline"),
            is_public_profile_enabled=flag(body, "isPublicProfileEnabled"),
            links=link_urls(body.get("links")),
            raw=body,
        )

    def to_json(self) -> dict[str, Any]:
        """Return the profile in Lamba's field names (links as a list of URLs)."""
        return {
            "username": self.username,
            "displayName": self.display_name,
            "bio": self.bio,
            "headline": self.headline,
            "isPublicProfileEnabled": self.is_public_profile_enabled,
            "links": list(self.links),
        }


@dataclass(frozen=True)
class LambaSecurity:
    """``GET /v1/me/security``: verification, MFA and last sign-in."""

    email_verified: bool = False
    phone_verified: bool = False
    mfa_required: bool = False
    mfa_enrolled: bool = False
    mfa_satisfied: bool = False
    available_factors: tuple[str, ...] = ()
    last_login_at: datetime | None = None
    raw: dict[str, Any] = field(default_factory=dict, compare=False, repr=False)

    @classmethod
    def from_json(cls, data: Any) -> LambaSecurity:
        body = obj(data)
        return cls(
            email_verified=flag(body, "emailVerified"),
            phone_verified=flag(body, "phoneVerified"),
            mfa_required=flag(body, "mfaRequired"),
            mfa_enrolled=flag(body, "mfaEnrolled"),
            mfa_satisfied=flag(body, "mfaSatisfied"),
            available_factors=_strs(body.get("availableFactors"), "type", "id", "name"),
            last_login_at=parse_datetime(body.get("lastLoginAt")),
            raw=body,
        )

    @property
    def factor_names(self) -> tuple[str, ...]:
        """The available second factors in words ("Authenticator app"), without repeats."""
        return tuple(dict.fromkeys(_words(f, FACTOR_NAMES) for f in self.available_factors))


@dataclass(frozen=True)
class LambaLinkedIdentities:
    """``GET /v1/me/linked-identities``: the ways this customer can sign in."""

    password: bool = False
    magic_link: bool = False
    phone: bool = False
    social_providers: tuple[str, ...] = ()
    raw: dict[str, Any] = field(default_factory=dict, compare=False, repr=False)

    @classmethod
    def from_json(cls, data: Any) -> LambaLinkedIdentities:
        body = obj(data)
        return cls(
            password=flag(body, "password"),
            magic_link=flag(body, "magicLink"),
            phone=flag(body, "phone"),
            social_providers=_strs(body.get("socialProviders"), "provider", "id", "name"),
            raw=body,
        )

    @property
    def provider_names(self) -> tuple[str, ...]:
        """The linked social providers in their own spelling ("GitHub")."""
        return tuple(dict.fromkeys(_words(p, PROVIDER_NAMES) for p in self.social_providers))

    @property
    def method_names(self) -> tuple[str, ...]:
        """Every linked sign-in method in words: "Password", "Email link", "Google", ..."""
        methods = [
            name
            for linked, name in (
                (self.password, "Password"),
                (self.magic_link, "Email link"),
                (self.phone, "Text message code"),
            )
            if linked
        ]
        return (*methods, *self.provider_names)


def _ref(body: dict[str, Any], key: str) -> tuple[str, str]:
    """The id and name of ``key`` (an object), else of ``keyId`` / ``keyName``."""
    nested = obj(body.get(key))
    if nested:
        return text(nested, "id"), text(nested, "name")
    return text(body, f"{key}Id"), text(body, f"{key}Name")


@dataclass(frozen=True)
class LambaMembership:
    """One item of ``GET /v1/me/memberships``: a Workspace/Project the customer belongs to."""

    workspace_id: str
    project_id: str
    workspace_name: str = ""
    project_name: str = ""
    environment: str = ""
    role_keys: tuple[str, ...] = ()
    is_project_admin: bool = False
    #: Whether this is the Project the current session is scoped to.
    is_active: bool = False
    raw: dict[str, Any] = field(default_factory=dict, compare=False, repr=False)

    @classmethod
    def from_json(cls, data: Any) -> LambaMembership:
        body = obj(data)
        workspace_id, workspace_name = _ref(body, "workspace")
        project_id, project_name = _ref(body, "project")
        project = obj(body.get("project"))
        return cls(
            workspace_id=workspace_id,
            project_id=project_id,
            workspace_name=workspace_name or workspace_id,
            project_name=project_name or project_id,
            environment=text(body, "environment") or text(project, "environment"),
            role_keys=_strs(body.get("roleKeys")),
            is_project_admin=flag(body, "isProjectAdmin"),
            is_active=flag(body, "isActive"),
            raw=body,
        )
