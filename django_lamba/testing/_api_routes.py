"""API-host routes: ``/v1/me/*`` self-service and ``/v1/admin/members``."""

from __future__ import annotations

import base64
import binascii
from typing import Any

from ._errors import Problem, authorization_denied, validation_failed
from ._http import Handler, RequestContext, Response, json_response
from ._models import EmulatedUser, Membership, Session
from ._state import USERNAME
from ._tokens import iso

DEFAULT_LIMIT = 20
MAX_LIMIT = 100
PROFILE_FIELDS = ("username", "displayName", "bio", "headline", "isPublicProfileEnabled", "links")
TEXT_LIMITS = {"displayName": 100, "bio": 500, "headline": 120}


def _customer(ctx: RequestContext) -> tuple[Session, EmulatedUser]:
    """Return the customer session and user of the bearer token, or raise 401/403."""
    session = ctx.session()
    if session.kind != "customer":
        raise authorization_denied(
            "Self-service routes need a customer session token "
            "(exchange OIDC tokens with switch-context first).",
        )
    user = ctx.state.users.get(session.subject)
    if user is None or user.disabled:
        raise Problem(401, "session_revoked", "The session has been revoked.")
    session.last_seen_at = ctx.state.now()
    return session, user


def _active_membership(ctx: RequestContext, session: Session) -> Membership | None:
    return ctx.state.membership(session.subject, session.project_id)


def _permission_sources(membership: Membership | None) -> dict[str, list[str]]:
    if membership is None:
        return {}
    sources = [f"role:{role}" for role in membership.roles] or ["direct"]
    return {perm: list(sources) for perm in membership.permissions}


def _page(ctx: RequestContext, items: list[dict[str, Any]]) -> Response:
    """Answer ``{items, nextCursor}`` for ``?limit=N&cursor=C``."""
    raw_limit, cursor = ctx.arg("limit"), ctx.arg("cursor")
    try:
        limit = DEFAULT_LIMIT if raw_limit is None else int(raw_limit)
    except ValueError:
        limit = 0
    if not 1 <= limit <= MAX_LIMIT:
        raise validation_failed({"limit": [f"Use a whole number from 1 to {MAX_LIMIT}."]})
    offset = 0
    if cursor:
        try:
            decoded = base64.urlsafe_b64decode(cursor.encode("ascii") + b"==").decode("ascii")
            prefix, _, number = decoded.partition(":")
            offset = int(number)
            if prefix != "o" or offset < 0:
                raise ValueError(cursor)
        except (ValueError, UnicodeError, binascii.Error):
            raise validation_failed({"cursor": ["This cursor is not valid."]}) from None
    end = offset + limit
    next_cursor = None
    if end < len(items):
        next_cursor = base64.urlsafe_b64encode(f"o:{end}".encode()).rstrip(b"=").decode()
    return json_response(200, {"items": items[offset:end], "nextCursor": next_cursor})


def me_context(ctx: RequestContext) -> Response:
    """GET /v1/me/context."""
    state = ctx.state
    session, user = _customer(ctx)
    workspace = state.workspaces.get(session.workspace_id or "")
    project = state.projects.get(session.project_id or "")
    membership = _active_membership(ctx, session)
    body: dict[str, Any] = {
        "user": {
            "id": user.id,
            "email": user.email,
            "username": user.username,
            "displayName": user.display_name,
            "emailVerified": user.email_verified,
            "phoneVerified": user.phone_verified,
            "avatarUrl": user.avatar_url,
        },
        "activeWorkspace": {"id": workspace.id, "name": workspace.name} if workspace else None,
        "activeProject": (
            {"id": project.id, "name": project.name, "environment": session.environment}
            if project
            else None
        ),
        "membership": None,
        "roleKeys": list(membership.roles) if membership else [],
        "session": {
            "id": session.id,
            "lastSeenAt": iso(session.last_seen_at),
            "mfaSatisfied": session.mfa_satisfied,
            "amr": list(session.amr),
        },
    }
    if membership is not None and project is not None:
        body["membership"] = {
            "workspaceId": project.workspace_id,
            "projectId": project.id,
            "status": "active",
            "type": "admin" if membership.is_project_admin else "member",
            "roleKeys": list(membership.roles),
            "joinedAt": iso(membership.joined_at),
        }
    return json_response(200, body)


def me_authorization(ctx: RequestContext) -> Response:
    """GET /v1/me/authorization for the session's active Project."""
    session, _ = _customer(ctx)
    membership = _active_membership(ctx, session)
    return json_response(
        200,
        {
            "roleKeys": list(membership.roles) if membership else [],
            "effectivePermissions": sorted(membership.permissions) if membership else [],
            "permissionSources": _permission_sources(membership),
            "isProjectAdmin": bool(membership and membership.is_project_admin),
        },
    )


def me_memberships(ctx: RequestContext) -> Response:
    """GET /v1/me/memberships."""
    state = ctx.state
    session, user = _customer(ctx)
    items = []
    for membership in sorted(state.memberships_of(user.id), key=lambda m: m.project_id):
        project = state.projects[membership.project_id]
        workspace = state.workspaces[project.workspace_id]
        items.append(
            {
                "workspace": {"id": workspace.id, "name": workspace.name},
                "project": {"id": project.id, "name": project.name},
                "roleKeys": list(membership.roles),
                "isProjectAdmin": membership.is_project_admin,
                "isActive": membership.project_id == session.project_id,
            }
        )
    return _page(ctx, items)


def me_security(ctx: RequestContext) -> Response:
    """GET /v1/me/security."""
    session, user = _customer(ctx)
    enrolled = user.mfa_code is not None
    return json_response(
        200,
        {
            "emailVerified": user.email_verified,
            "phoneVerified": user.phone_verified,
            "mfaRequired": enrolled,
            "mfaEnrolled": enrolled,
            "mfaSatisfied": session.mfa_satisfied,
            "availableFactors": ["totp"] if enrolled else [],
            "lastLoginAt": iso(user.last_login_at) if user.last_login_at else None,
        },
    )


def me_linked_identities(ctx: RequestContext) -> Response:
    """GET /v1/me/linked-identities."""
    _, user = _customer(ctx)
    return json_response(
        200,
        {
            "password": user.password is not None,
            "magicLink": True,
            "phone": user.phone is not None,
            "socialProviders": [],
        },
    )


def _profile(user: EmulatedUser) -> dict[str, Any]:
    return {
        "username": user.username,
        "displayName": user.display_name,
        "bio": user.bio,
        "headline": user.headline,
        "isPublicProfileEnabled": user.is_public_profile_enabled,
        "links": user.links,
    }


def me_profile(ctx: RequestContext) -> Response:
    """GET /v1/me/profile."""
    _, user = _customer(ctx)
    return json_response(200, _profile(user))


def me_profile_patch(ctx: RequestContext) -> Response:
    """PATCH /v1/me/profile: change at least one profile field."""
    state = ctx.state
    _, user = _customer(ctx)
    data = ctx.json()
    errors: dict[str, list[str]] = {
        name: ["Unknown profile field."] for name in data if name not in PROFILE_FIELDS
    }
    if not any(name in data for name in PROFILE_FIELDS):
        errors.setdefault("non_field_errors", []).append("Send at least one profile field.")
    for name, limit in TEXT_LIMITS.items():
        value = data.get(name)
        if (
            name in data
            and value is not None
            and (not isinstance(value, str) or len(value) > limit)
        ):
            errors[name] = [f"Use text of at most {limit} characters."]
    username = data.get("username")
    if "username" in data and (not isinstance(username, str) or not USERNAME.match(username)):
        errors["username"] = ["Use 3 to 32 letters, digits, dots, dashes or underscores."]
    if "isPublicProfileEnabled" in data and not isinstance(data["isPublicProfileEnabled"], bool):
        errors["isPublicProfileEnabled"] = ["Use true or false."]
    if "links" in data and not isinstance(data["links"], list | dict):
        errors["links"] = ["Use a list or an object."]
    if errors:
        raise validation_failed(errors)
    if isinstance(username, str):
        other = state.user_by_username(username)
        if other is not None and other.id != user.id:
            raise Problem(409, "identity_already_exists", "That username is taken.")
        user.username = username
    if "displayName" in data:
        user.display_name = data["displayName"]
    if "bio" in data:
        user.bio = data["bio"]
    if "headline" in data:
        user.headline = data["headline"]
    if "isPublicProfileEnabled" in data:
        user.is_public_profile_enabled = data["isPublicProfileEnabled"]
    if "links" in data:
        user.links = data["links"]
    return json_response(200, _profile(user))


def admin_members(ctx: RequestContext) -> Response:
    """GET /v1/admin/members: the token's Project members (members.read, admin or management)."""
    state = ctx.state
    session = ctx.session()
    if session.kind == "oidc":
        raise authorization_denied("Exchange OIDC tokens with switch-context first.")
    if session.kind == "customer":
        membership = _active_membership(ctx, session)
        allowed = membership is not None and (
            membership.is_project_admin or "members.read" in membership.permissions
        )
        if not allowed:
            raise authorization_denied("This session lacks the members.read permission.")
        session.last_seen_at = state.now()
    project_id = session.project_id
    if project_id is None:  # pragma: no cover - management and allowed sessions are scoped
        raise authorization_denied("The token is not scoped to a Project.")
    items = []
    for membership in state.members_of(project_id):
        member = state.users[membership.user_id]
        items.append(
            {
                "userId": member.id,
                "email": member.email,
                "displayName": member.display_name,
                "roleKeys": list(membership.roles),
                "isProjectAdmin": membership.is_project_admin,
                "status": "disabled" if member.disabled else "active",
                "joinedAt": iso(membership.joined_at),
            }
        )
    return _page(ctx, items)


ROUTES: dict[str, dict[str, Handler]] = {
    "/v1/me/context": {"GET": me_context},
    "/v1/me/authorization": {"GET": me_authorization},
    "/v1/me/memberships": {"GET": me_memberships},
    "/v1/me/security": {"GET": me_security},
    "/v1/me/linked-identities": {"GET": me_linked_identities},
    "/v1/me/profile": {"GET": me_profile, "PATCH": me_profile_patch},
    "/v1/admin/members": {"GET": admin_members},
}
