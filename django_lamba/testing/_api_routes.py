"""API-host routes: ``/v1/me/context``, ``/v1/me/authorization`` and ``/v1/admin/members``.

The rest of self-service (profile, security, sign-in methods, memberships) is in
``_selfservice_routes``; ``customer`` and ``page`` serve both.
"""

from __future__ import annotations

import base64
import binascii
from typing import Any

from ._errors import Problem, authorization_denied, validation_failed
from ._http import Handler, RequestContext, Response, json_response
from ._models import EmulatedUser, Membership
from ._session_records import Session
from ._tokens import iso

DEFAULT_LIMIT = 20
MAX_LIMIT = 100


def customer(ctx: RequestContext) -> tuple[Session, EmulatedUser]:
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


def page(ctx: RequestContext, items: list[dict[str, Any]]) -> Response:
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
    session, user = customer(ctx)
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
    session, _ = customer(ctx)
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


ROUTES: dict[str, dict[str, Handler]] = {
    "/v1/me/context": {"GET": me_context},
    "/v1/me/authorization": {"GET": me_authorization},
}
