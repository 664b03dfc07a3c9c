"""Plain permission checks behind the decorators, mixins, template tags and DRF classes.

The checks read ``/v1/me/authorization`` through ``LambaUser.authorization`` and raise
``LambaError`` when Lamba cannot answer; the ``safe_*`` twins never raise (an outage answers
``False`` and is logged once per request). Anyone who is not a signed-in Lamba customer (an
``AnonymousUser``, a Django staff user, ``None``) holds no Lamba permission or role, and fails
every check, even one that requires nothing.

Every check matches keys with ``django_lamba.types.matches`` (re-exported here as ``matches``),
the same matcher ``LambaAuthorization`` and ``LambaUser`` use: requiring all of no keys passes,
requiring one of no keys fails (as Django's ``has_perms([])``). Decorators, mixins and DRF
classes refuse an empty list when they are declared (``normalize``), since that is a mistake.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from typing import Any

from ..exceptions import LambaError
from ..types import LambaAuthorization, matches
from ..user import LambaUser

__all__ = [
    "as_lamba_user",
    "authorization",
    "has_permissions",
    "has_roles",
    "is_project_admin",
    "matches",
    "normalize",
    "safe_authorization",
    "safe_has_permissions",
    "safe_has_roles",
    "safe_is_project_admin",
]

logger = logging.getLogger("django_lamba.perms")

# A failed ``/v1/me/authorization`` is remembered on the (per-request) user object, so a page
# with many checks asks Lamba once, waits for one timeout and logs one warning.
_FAILURE_ATTR = "_lamba_authorization_error"


def as_lamba_user(user: Any) -> LambaUser | None:
    """Return ``user`` if it is a signed-in Lamba customer, else ``None``."""
    if isinstance(user, LambaUser) and user.is_authenticated:
        return user
    return None


def normalize(value: str | Iterable[str], what: str = "permission") -> tuple[str, ...]:
    """Return one key or several as a non-empty tuple of non-empty strings."""
    items: tuple[Any, ...] = (value,) if isinstance(value, str) else tuple(value)
    if not items or not all(isinstance(item, str) and item for item in items):
        raise ValueError(f"Give at least one {what} key, each a non-empty string.")
    return items


def authorization(user: LambaUser) -> LambaAuthorization:
    """Return the user's authorization, raising ``LambaError`` (at most one call per request)."""
    failed = getattr(user, _FAILURE_ATTR, None)
    if isinstance(failed, LambaError):
        raise failed
    try:
        return user.authorization
    except LambaError as error:
        setattr(user, _FAILURE_ATTR, error)
        raise


def has_permissions(user: Any, perms: Iterable[str], any: bool = False) -> bool:
    """Return whether Lamba grants ``perms`` to ``user``; raises ``LambaError`` on outage."""
    lamba = as_lamba_user(user)
    if lamba is None:
        return False
    return authorization(lamba).has_permissions(perms, any)


def has_roles(user: Any, roles: Iterable[str], any: bool = False) -> bool:
    """Return whether the session holds ``roles``; raises ``LambaError`` on outage."""
    lamba = as_lamba_user(user)
    if lamba is None:
        return False
    return authorization(lamba).has_roles(roles, any)


def is_project_admin(user: Any) -> bool:
    """Return whether ``user`` administers the active Project; raises ``LambaError`` on outage."""
    lamba = as_lamba_user(user)
    if lamba is None:
        return False
    return authorization(lamba).is_project_admin


# --- never raising, for templates ------------------------------------------------------------


def safe_authorization(user: Any) -> LambaAuthorization | None:
    """Return the user's authorization, or ``None`` for non-customers and during an outage."""
    lamba = as_lamba_user(user)
    if lamba is None:
        return None
    already_failed = isinstance(getattr(lamba, _FAILURE_ATTR, None), LambaError)
    try:
        return authorization(lamba)
    except LambaError as error:
        if not already_failed:
            logger.warning(
                "Lamba authorization is unavailable (%r); permission checks in templates "
                "answer 'not permitted' for the rest of this request",
                error,
            )
        return None


def safe_has_permissions(user: Any, perms: Iterable[Any], any: bool = False) -> bool:
    """Like ``has_permissions``, but ``False`` instead of raising.

    Template arguments may be missing variables (``""`` or ``None``): such a key is held by
    nobody, so requiring it fails rather than being skipped.
    """
    authz = safe_authorization(user)
    return authz is not None and authz.has_permissions(perms, any)


def safe_has_roles(user: Any, roles: Iterable[Any], any: bool = False) -> bool:
    """Like ``has_roles``, but ``False`` instead of raising (missing keys are held by nobody)."""
    authz = safe_authorization(user)
    return authz is not None and authz.has_roles(roles, any)


def safe_is_project_admin(user: Any) -> bool:
    """Like ``is_project_admin``, but ``False`` instead of raising."""
    authz = safe_authorization(user)
    return authz is not None and authz.is_project_admin
