"""The default mapping of a Lamba user onto their local row, and Lamba users from stored rows."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ..types import LambaContext
from ..user import LambaUser


def default_map_user(user: Any, lamba_user: LambaUser, *, created: bool) -> None:
    """Copy the email and display name; on creation, set the username and no password.

    The username (``USERNAME_FIELD``, unless that is the email field) is the Lamba user id:
    unique and stable, where a Lamba username or email may change or be taken by a staff user.
    """
    profile = lamba_user.context.user
    model = type(user)
    fields = {field.name: field for field in model._meta.concrete_fields}
    email_field = model.get_email_field_name() if hasattr(model, "get_email_field_name") else ""
    if email_field in fields:
        # An email-keyed model needs something unique for a customer with no email.
        empty = "" if email_field != model.USERNAME_FIELD else profile.id
        _assign(user, fields[email_field], profile.email or empty)
    if created and email_field != model.USERNAME_FIELD:
        _assign(user, fields[model.USERNAME_FIELD], profile.id)
    if "first_name" in fields:
        _assign(user, fields["first_name"], lamba_user.display_name)
    if created and hasattr(user, "set_unusable_password"):
        user.set_unusable_password()  # customers sign in with Lamba, never a local password


def _assign(user: Any, field: Any, value: str) -> None:
    limit = getattr(field, "max_length", None)
    setattr(user, field.attname, value[:limit] if limit else value)


def lamba_user_for(identity: Any, data: Mapping[str, Any]) -> LambaUser:
    """A row-less ``LambaUser`` from a stored identity updated with a webhook's ``data``."""
    stored = {
        "id": identity.lamba_user_id,
        "email": identity.email,
        "username": identity.username,
        "displayName": identity.display_name,
    }
    body: dict[str, Any] = {"user": {**stored, **{k: v for k, v in data.items() if k in stored}}}
    body["user"]["id"] = identity.lamba_user_id
    if identity.workspace_id:
        body["activeWorkspace"] = {"id": identity.workspace_id}
    if identity.project_id:
        body["activeProject"] = {"id": identity.project_id, "environment": identity.environment}
    body["roleKeys"] = data.get("roleKeys", identity.role_keys)
    return LambaUser(LambaContext.from_json(body))
