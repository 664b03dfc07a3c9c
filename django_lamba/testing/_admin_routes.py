"""API-host admin routes (``/v1/admin/*``): members, invitations, roles, applications.

Each route names the scope a management token needs (``customer.<family>.read|write``;
``customer.admin`` grants all) and answers 403 ``AUTHORIZATION_DENIED`` with ``requiredScope``
without it. A customer session passes as a Project admin, or with the permission of the same
name (``members.read``). Roles and applications are in ``_admin_catalog_routes``, webhooks
and domains in ``_admin_ops_routes``.
"""

from __future__ import annotations

from typing import Any

from ._admin_state import (
    ADMIN_SCOPE,
    BUILT_IN_ROLES,
    INVITATION_TTL,
    InvitationRecord,
    invitation_status,
)
from ._api_routes import page
from ._directory import EMAIL
from ._errors import AUTHORIZATION_DENIED, Problem, authorization_denied, validation_failed
from ._http import Handler, RequestContext, Response, json_response, plan_limit_response
from ._models import Membership, PlanLimit
from ._session_records import Session
from ._sessions import revoke_scope
from ._state import EmulatorState
from ._tokens import iso, random_id


def admin_session(ctx: RequestContext, scope: str) -> Session:
    """Return the caller's session if it may make a call needing ``scope``; else 401/403."""
    session = ctx.session()
    if session.kind == "oidc":
        raise authorization_denied("Exchange OIDC tokens with switch-context first.")
    if session.kind == "management":
        granted = set(session.scope.split())
        if ADMIN_SCOPE not in granted and scope not in granted:
            raise Problem(
                403,
                AUTHORIZATION_DENIED,
                f"The management token lacks the {scope} scope.",
                extra={"requiredScope": scope},
            )
    else:
        membership = ctx.state.membership(session.subject, session.project_id)
        permission = scope.removeprefix("customer.")
        if membership is None or not (
            membership.is_project_admin or permission in membership.permissions
        ):
            raise authorization_denied(f"This session lacks the {permission} permission.")
        session.last_seen_at = ctx.state.now()
    if session.project_id is None:  # pragma: no cover - both kinds above are scoped
        raise authorization_denied("The token is not scoped to a Project.")
    return session


def not_found(what: str) -> Problem:
    return Problem(404, "not_found", f"No such {what} in this Project.")


# --- members ---------------------------------------------------------------------------------


def _member(state: EmulatorState, membership: Membership) -> dict[str, Any]:
    user = state.users[membership.user_id]
    return {
        "userId": user.id,
        "email": user.email,
        "displayName": user.display_name,
        "roleKeys": list(membership.roles),
        "isProjectAdmin": membership.is_project_admin,
        "status": "disabled" if user.disabled else "active",
        "joinedAt": iso(membership.joined_at),
    }


def _membership(ctx: RequestContext, session: Session) -> Membership:
    found = ctx.state.membership(ctx.params.get("id", ""), session.project_id)
    if found is None:
        raise not_found("member")
    return found


def members(ctx: RequestContext) -> Response:
    """GET /v1/admin/members: the Project's members, by email."""
    session = admin_session(ctx, "customer.members.read")
    state = ctx.state
    return page(ctx, [_member(state, m) for m in state.members_of(session.project_id or "")])


def member(ctx: RequestContext) -> Response:
    """GET /v1/admin/members/{id}."""
    session = admin_session(ctx, "customer.members.read")
    return json_response(200, _member(ctx.state, _membership(ctx, session)))


def role_keys(state: EmulatorState, project_id: str) -> dict[str, tuple[str, str, list[str]]]:
    """Return the Project's roles: built in, added, and any a member holds."""
    found = {key: (name, text, list(perms)) for key, (name, text, perms) in BUILT_IN_ROLES.items()}
    for role in state.admin.roles.values():
        found[role.key] = (role.name, role.description, list(role.permissions))
    for membership in state.members_of(project_id):
        for key in membership.roles:
            found.setdefault(key, (key, "", []))
    return found


def _check_roles(state: EmulatorState, project_id: str, value: Any, name: str) -> list[str]:
    if not isinstance(value, list) or not all(isinstance(v, str) and v for v in value):
        raise validation_failed({name: ["Use a list of role keys."]})
    unknown = [key for key in value if key not in role_keys(state, project_id)]
    if unknown:
        raise validation_failed({name: [f"Unknown role: {', '.join(unknown)}."]})
    return list(dict.fromkeys(value))


def member_patch(ctx: RequestContext) -> Response:
    """PATCH /v1/admin/members/{id}: ``{roleKeys}`` replaces the member's roles."""
    session = admin_session(ctx, "customer.members.write")
    found = _membership(ctx, session)
    data = ctx.json()
    if set(data) != {"roleKeys"}:
        raise validation_failed({"roleKeys": ["Send roleKeys, and only roleKeys."]})
    found.roles = _check_roles(ctx.state, found.project_id, data["roleKeys"], "roleKeys")
    return json_response(200, _member(ctx.state, found))


def member_delete(ctx: RequestContext) -> Response:
    """DELETE /v1/admin/members/{id}: end the membership and its Project-scoped sessions."""
    session = admin_session(ctx, "customer.members.write")
    found = _membership(ctx, session)
    state = ctx.state
    del state.memberships[(found.user_id, found.project_id)]
    for other in list(state.sessions.values()):
        scoped = other.kind == "customer" and other.project_id == found.project_id
        if scoped and other.subject == found.user_id and not other.revoked:
            revoke_scope(state, other)
    return Response(204)


# --- invitations ---------------------------------------------------------------------------


def _invitation(state: EmulatorState, inv: InvitationRecord) -> dict[str, Any]:
    return {
        "id": inv.id,
        "email": inv.email,
        "roleKeys": list(inv.role_keys),
        "status": invitation_status(inv, state.now()),
        "createdAt": iso(inv.created_at),
        "expiresAt": iso(inv.expires_at),
        "lastSentAt": iso(inv.last_sent_at),
        "sendCount": inv.send_count,
    }


def invitations(ctx: RequestContext) -> Response:
    """GET /v1/admin/invitations[?status=pending|accepted|revoked|expired]."""
    session = admin_session(ctx, "customer.invitations.read")
    state, wanted = ctx.state, ctx.arg("status")
    items = [
        _invitation(state, inv)
        for inv in sorted(state.admin.invitations.values(), key=lambda i: i.created_at)
        if inv.project_id == session.project_id
    ]
    return page(ctx, [item for item in items if wanted in (None, "", item["status"])])


def invitation_create(ctx: RequestContext) -> Response:
    """POST /v1/admin/invitations ``{email, roleKeys?}``: 201, 409 or 402."""
    session = admin_session(ctx, "customer.invitations.write")
    state, project_id, data = ctx.state, session.project_id or "", ctx.json()
    email = data.get("email")
    if not isinstance(email, str) or not EMAIL.match(email.strip()):
        raise validation_failed({"email": ["Enter an email address."]})
    email = email.strip()
    roles = _check_roles(state, project_id, data.get("roleKeys", []), "roleKeys")
    user = state.user_by_email(email)
    if user is not None and state.membership(user.id, project_id) is not None:
        raise Problem(409, "member_already_exists", "That person is already a member.")
    pending = state.admin.pending_invitations(project_id, state.now())
    if any(inv.email.casefold() == email.casefold() for inv in pending):
        raise Problem(409, "invitation_already_pending", "That address is already invited.")
    limit = state.admin.member_limits.get(project_id)
    used = len(state.members_of(project_id)) + len(pending)
    if limit is not None and used >= limit.allowed:
        return plan_limit_response(PlanLimit("members", limit.allowed, used, limit.plan))
    now = state.now()
    inv = InvitationRecord(
        random_id("inv"), project_id, email, roles, now, now + INVITATION_TTL, now
    )
    state.admin.invitations[inv.id] = inv
    return json_response(201, _invitation(state, inv))


def _pending(ctx: RequestContext, scope: str) -> InvitationRecord:
    session = admin_session(ctx, scope)
    inv = ctx.state.admin.invitations.get(ctx.params.get("id", ""))
    if inv is None or inv.project_id != session.project_id:
        raise not_found("invitation")
    if invitation_status(inv, ctx.state.now()) != "pending":
        raise Problem(409, "invitation_not_pending", "Only a pending invitation can change.")
    return inv


def invitation_resend(ctx: RequestContext) -> Response:
    """POST /v1/admin/invitations/{id}/resend."""
    inv = _pending(ctx, "customer.invitations.write")
    inv.send_count += 1
    inv.last_sent_at = ctx.state.now()
    return json_response(200, _invitation(ctx.state, inv))


def invitation_revoke(ctx: RequestContext) -> Response:
    """POST /v1/admin/invitations/{id}/revoke."""
    inv = _pending(ctx, "customer.invitations.write")
    inv.status = "revoked"
    return json_response(200, _invitation(ctx.state, inv))


ROUTES: dict[str, dict[str, Handler]] = {
    "/v1/admin/members": {"GET": members},
    "/v1/admin/members/{id}": {"GET": member, "PATCH": member_patch, "DELETE": member_delete},
    "/v1/admin/invitations": {"GET": invitations, "POST": invitation_create},
    "/v1/admin/invitations/{id}/resend": {"POST": invitation_resend},
    "/v1/admin/invitations/{id}/revoke": {"POST": invitation_revoke},
}
