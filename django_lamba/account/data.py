"""The account pages' JSON answers, and the cached form of a memberships page.

JSON keys follow Lamba's casing (``displayName``, ``nextCursor``), with the words the HTML
pages show alongside the codes (``factorNames``, ``methodNames``), so a script's UI can use
either.
"""

from __future__ import annotations

from typing import Any

from .._internal import binding
from ..conf import lamba_settings
from ..selfservice import LambaLinkedIdentities, LambaMembership, LambaSecurity
from ..types import LambaContext, Page


def who_json(context: LambaContext) -> dict[str, Any]:
    """Who is signed in, where and with which roles."""
    user, workspace, project = context.user, context.active_workspace, context.active_project
    return {
        "user": {
            "id": user.id,
            "email": user.email,
            "username": user.username,
            "displayName": user.display_name,
        },
        "workspace": {"id": workspace.id, "name": workspace.name} if workspace else None,
        "project": {"id": project.id, "name": project.name} if project else None,
        "environment": context.environment or lamba_settings.ENV,
        "roleKeys": list(context.role_keys),
    }


def security_json(security: LambaSecurity) -> dict[str, Any]:
    last = security.last_login_at
    return {
        "emailVerified": security.email_verified,
        "phoneVerified": security.phone_verified,
        "mfaRequired": security.mfa_required,
        "mfaEnrolled": security.mfa_enrolled,
        "mfaSatisfied": security.mfa_satisfied,
        "availableFactors": list(security.available_factors),
        "factorNames": list(security.factor_names),
        "lastLoginAt": last.isoformat() if last else None,
    }


def linked_json(linked: LambaLinkedIdentities) -> dict[str, Any]:
    return {
        "password": linked.password,
        "magicLink": linked.magic_link,
        "phone": linked.phone,
        "socialProviders": list(linked.social_providers),
        "methodNames": list(linked.method_names),
    }


def membership_json(membership: LambaMembership, reason: str) -> dict[str, Any]:
    """One membership, with whether this site can switch into it and, if not, why."""
    return {
        "workspace": {"id": membership.workspace_id, "name": membership.workspace_name},
        "project": {"id": membership.project_id, "name": membership.project_name},
        "roleKeys": list(membership.role_keys),
        "isProjectAdmin": membership.is_project_admin,
        "isActive": membership.is_active,
        "canSwitch": not reason,
        "reason": reason or None,
    }


def page_to_raw(page: Page[LambaMembership]) -> dict[str, Any]:
    """A memberships page as Lamba sent it (what the account cache keeps)."""
    return {"items": [item.raw for item in page.items], "nextCursor": page.next_cursor}


def page_from_raw(raw: Any) -> Page[LambaMembership]:
    """Rebuild a kept memberships page; ``ValueError`` if it is not one."""
    if not isinstance(raw, dict) or not isinstance(raw.get("items"), list):
        raise ValueError("not a memberships page")
    cursor = raw.get("nextCursor")
    return Page(
        items=[LambaMembership.from_json(item) for item in raw["items"]],
        next_cursor=cursor if isinstance(cursor, str) and cursor else None,
    )


def switch_reason(membership: LambaMembership, context: Any) -> str:
    """Why this site cannot switch into ``membership`` ("" when it can)."""
    project = context.active_project
    workspace = context.active_workspace
    here = project is not None and project.id == membership.project_id
    if membership.is_active or (
        here and (workspace is None or workspace.id == membership.workspace_id)
    ):
        return "You are using this Project now."
    environment = membership.environment
    if environment and environment != lamba_settings.ENV:
        return f"This site serves the {lamba_settings.ENV} environment, not {environment}."
    bound = binding.policy()
    if bound is not None and not bound.allows(
        membership.workspace_id, membership.project_id, lamba_settings.ENV
    ):
        return "This site does not serve this Project."
    return ""
