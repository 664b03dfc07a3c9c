"""Local users (``LAMBA_LOCAL_USERS = True``) from outside a request: webhooks, commands, shells.

``request.user`` of a signed-in customer is then their ``AUTH_USER_MODEL`` row, linked by
``LambaIdentity`` (see docs/local-users.md). These functions keep that row in step when Lamba
says something changed without the customer visiting: a webhook handler calls
``sync_local_user(event.data["id"], event.data)`` on ``user.updated`` and
``deactivate_local_user(user_id)`` on ``user.deleted``. Neither creates a row: a customer who
never signed in here has none, and gets one on their first sign-in.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.db import models

from ._internal import localusers, mapping
from ._internal.users import get_user_mapper

__all__ = ["deactivate_local_user", "get_local_user", "sync_local_user"]


def get_local_user(lamba_user_id: str) -> models.Model | None:
    """Return the ``AUTH_USER_MODEL`` row of a Lamba user, or ``None`` if they have none."""
    identity: Any = _identity(lamba_user_id)
    return None if identity is None else identity.user


def deactivate_local_user(lamba_user_id: str) -> bool:
    """Set ``is_active = False`` on a Lamba user's row (never deleted); return whether it exists.

    The row stays, so orders, comments and admin log entries that point at it keep their owner.
    Their next request (in any worker, within ``LAMBA_LOCAL_USER_CACHE_TTL``) is signed out.
    """
    identity: Any = _identity(lamba_user_id)
    if identity is None:
        return False
    user = identity.user
    if getattr(user, "is_active", False):
        user.is_active = False
        user.save(update_fields=["is_active"])
    localusers.forget(lamba_user_id)
    return True


def sync_local_user(lamba_user_id: str, data: Mapping[str, Any]) -> bool:
    """Apply Lamba's user fields in ``data`` to the local row; return whether one exists.

    ``data`` is a webhook's ``data`` object (``email``, ``username``, ``displayName``,
    ``roleKeys``, each optional: what is missing keeps its stored value). The mapper runs as it
    does on a sign-in with a changed context, and only changed fields are written.
    """
    identity: Any = _identity(lamba_user_id)
    if identity is None:
        return False
    lamba_user = mapping.lamba_user_for(identity, data)
    print_ = localusers.fingerprint(lamba_user.context)
    if identity.fingerprint != print_:
        localusers.sync(identity, lamba_user, print_, get_user_mapper())
    localusers.forget(lamba_user_id)
    return True


def _identity(lamba_user_id: str) -> models.Model | None:
    found = localusers.identity_model()._default_manager.select_related("user")
    identity: models.Model | None = found.filter(lamba_user_id=lamba_user_id).first()
    return identity
