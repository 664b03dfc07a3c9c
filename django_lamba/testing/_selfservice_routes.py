"""API-host self-service routes: profile, security, sign-in methods, memberships.

``PATCH /v1/me/profile`` is strict as Lamba is: a JSON object naming at least one profile field
and nothing else, each of the right type and length, or a 400 ``validation_failed`` whose
``errors`` object lists the fields. A username someone else has is a 409
``identity_already_exists``. A stale edit is a 409 too ([assumed]: the docs list "stale edit"
among the 409s without saying how Lamba notices one): each user's profile has a revision, each
session remembers the revision it last read with ``GET /v1/me/profile``, and a PATCH from a
session that read an older revision than the current one answers 409 ``profile_conflict``. A
session that never read the profile is not checked. ``LambaEmulator.touch_profile`` changes a
profile as another device would.
"""

from __future__ import annotations

from typing import Any

from ._api_routes import customer, page
from ._directory import USERNAME
from ._errors import Problem, validation_failed
from ._http import Handler, RequestContext, Response, json_response
from ._models import EmulatedUser
from ._tokens import iso

PROFILE_FIELDS = ("username", "displayName", "bio", "headline", "isPublicProfileEnabled", "links")
TEXT_LIMITS = {"displayName": 100, "bio": 500, "headline": 120}
STALE_EDIT = "profile_conflict"


def me_memberships(ctx: RequestContext) -> Response:
    """GET /v1/me/memberships."""
    state = ctx.state
    session, user = customer(ctx)
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
    return page(ctx, items)


def me_security(ctx: RequestContext) -> Response:
    """GET /v1/me/security."""
    session, user = customer(ctx)
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
    _, user = customer(ctx)
    return json_response(
        200,
        {
            "password": user.password is not None,
            "magicLink": True,
            "phone": user.phone is not None,
            "socialProviders": list(user.social_providers),
        },
    )


def profile_body(user: EmulatedUser) -> dict[str, Any]:
    """The profile fields as ``GET /v1/me/profile`` answers them."""
    return {
        "username": user.username,
        "displayName": user.display_name,
        "bio": user.bio,
        "headline": user.headline,
        "isPublicProfileEnabled": user.is_public_profile_enabled,
        "links": user.links,
    }


def me_profile(ctx: RequestContext) -> Response:
    """GET /v1/me/profile (the session remembers which revision it saw)."""
    session, user = customer(ctx)
    user.profile_reads[session.id] = user.profile_revision
    return json_response(200, profile_body(user))


def _errors(data: dict[str, Any]) -> dict[str, list[str]]:
    errors: dict[str, list[str]] = {
        name: ["Unknown profile field."] for name in data if name not in PROFILE_FIELDS
    }
    if not any(name in data for name in PROFILE_FIELDS):
        errors.setdefault("non_field_errors", []).append("Send at least one profile field.")
    for name, limit in TEXT_LIMITS.items():
        value = data.get(name)
        too_long = not isinstance(value, str) or len(value) > limit
        if name in data and value is not None and too_long:
            errors[name] = [f"Use text of at most {limit} characters."]
    username = data.get("username")
    if "username" in data and (not isinstance(username, str) or not USERNAME.match(username)):
        errors["username"] = ["Use 3 to 32 letters, digits, dots, dashes or underscores."]
    if "isPublicProfileEnabled" in data and not isinstance(data["isPublicProfileEnabled"], bool):
        errors["isPublicProfileEnabled"] = ["Use true or false."]
    if "links" in data and not isinstance(data["links"], list | dict):
        errors["links"] = ["Use a list or an object."]
    return errors


def apply_profile(user: EmulatedUser, data: dict[str, Any]) -> None:
    """Write validated profile fields and start a new revision."""
    for name, attribute in (
        ("username", "username"),
        ("displayName", "display_name"),
        ("bio", "bio"),
        ("headline", "headline"),
        ("isPublicProfileEnabled", "is_public_profile_enabled"),
        ("links", "links"),
    ):
        if name in data:
            setattr(user, attribute, data[name])
    user.profile_revision += 1


def me_profile_patch(ctx: RequestContext) -> Response:
    """PATCH /v1/me/profile: change at least one profile field."""
    state = ctx.state
    session, user = customer(ctx)
    data = ctx.json()
    errors = _errors(data)
    if errors:
        raise validation_failed(errors)
    seen = user.profile_reads.get(session.id)
    if seen is not None and seen != user.profile_revision:
        raise Problem(
            409, STALE_EDIT, "The profile changed since this session read it. Read it again."
        )
    username = data.get("username")
    if isinstance(username, str):
        other = state.user_by_username(username)
        if other is not None and other.id != user.id:
            raise Problem(409, "identity_already_exists", "That username is taken.")
    apply_profile(user, data)
    user.profile_reads[session.id] = user.profile_revision
    return json_response(200, profile_body(user))


ROUTES: dict[str, dict[str, Handler]] = {
    "/v1/me/memberships": {"GET": me_memberships},
    "/v1/me/security": {"GET": me_security},
    "/v1/me/linked-identities": {"GET": me_linked_identities},
    "/v1/me/profile": {"GET": me_profile, "PATCH": me_profile_patch},
}
