"""API-host admin routes: roles, permissions, the authorization catalog, applications."""

from __future__ import annotations

import secrets
from typing import Any

from ._admin_routes import admin_session, not_found, role_keys
from ._admin_state import BUILT_IN_PERMISSIONS, BUILT_IN_ROLES
from ._api_routes import page
from ._errors import Problem
from ._http import Handler, RequestContext, Response, json_response
from ._session_records import Session
from ._state import EmulatorState
from ._tokens import iso


def _roles(ctx: RequestContext, session: Session) -> list[dict[str, Any]]:
    found = role_keys(ctx.state, session.project_id or "")
    return [
        {
            "key": key,
            "name": name,
            "description": text,
            "permissions": perms,
            "builtIn": key in BUILT_IN_ROLES,
        }
        for key, (name, text, perms) in sorted(found.items())
    ]


def _permissions(ctx: RequestContext, session: Session) -> list[dict[str, Any]]:
    found = dict(BUILT_IN_PERMISSIONS)
    for role in _roles(ctx, session):
        for key in role["permissions"]:
            found.setdefault(key, "")
    for membership in ctx.state.members_of(session.project_id or ""):
        for key in membership.permissions:
            found.setdefault(key, "")
    return [{"key": key, "description": text} for key, text in sorted(found.items())]


def roles(ctx: RequestContext) -> Response:
    """GET /v1/admin/roles."""
    return page(ctx, _roles(ctx, admin_session(ctx, "customer.roles.read")))


def permissions(ctx: RequestContext) -> Response:
    """GET /v1/admin/permissions."""
    return page(ctx, _permissions(ctx, admin_session(ctx, "customer.roles.read")))


def catalog(ctx: RequestContext) -> Response:
    """GET /v1/admin/authorization/catalog: every role and permission, unpaged."""
    session = admin_session(ctx, "customer.roles.read")
    body = {"roles": _roles(ctx, session), "permissions": _permissions(ctx, session)}
    return json_response(200, body)


def _applications(state: EmulatorState) -> list[dict[str, Any]]:
    apps: list[dict[str, Any]] = []
    for cid, oidc in state.oidc_clients.items():
        kind = "public" if oidc.client_secret is None else "confidential"
        apps.append({"clientId": cid, "type": kind, "redirectUris": list(oidc.redirect_uris)})
    for cid in state.management_clients:
        apps.append({"clientId": cid, "type": "management", "redirectUris": []})
    for app in apps:
        rotated = state.admin.secret_rotated_at.get(app["clientId"])
        app.update(id=f"app_{app['clientId']}", name=app["clientId"])
        app["secretRotatedAt"] = iso(rotated) if rotated else None
    return sorted(apps, key=lambda a: str(a["clientId"]))


def applications(ctx: RequestContext) -> Response:
    """GET /v1/admin/applications: App Clients and Management Clients, never a secret."""
    admin_session(ctx, "customer.applications.read")
    return page(ctx, _applications(ctx.state))


def application_rotate(ctx: RequestContext) -> Response:
    """POST /v1/admin/applications/{id}/rotate-secret: the new secret, shown this once."""
    admin_session(ctx, "customer.applications.write")
    state, app_id = ctx.state, ctx.params.get("id", "")
    client_id = app_id.removeprefix("app_")
    target: Any = state.management_clients.get(client_id) or state.oidc_clients.get(client_id)
    if not app_id.startswith("app_") or target is None:
        raise not_found("application")
    if target.client_secret is None:
        raise Problem(409, "application_has_no_secret", "A public client has no secret.")
    target.client_secret = "sec_" + secrets.token_urlsafe(32)
    now = state.admin.secret_rotated_at[client_id] = state.now()
    body = {
        "applicationId": app_id,
        "clientId": client_id,
        "clientSecret": target.client_secret,
        "rotatedAt": iso(now),
    }
    return json_response(200, body, {"Cache-Control": "no-store"})


ROUTES: dict[str, dict[str, Handler]] = {
    "/v1/admin/roles": {"GET": roles},
    "/v1/admin/permissions": {"GET": permissions},
    "/v1/admin/authorization/catalog": {"GET": catalog},
    "/v1/admin/applications": {"GET": applications},
    "/v1/admin/applications/{id}/rotate-secret": {"POST": application_rotate},
}
