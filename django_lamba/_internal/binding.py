"""Tenant binding: a Lamba session is signed in here only in a Project this site serves.

Every Lamba Workspace shares one issuer and one JWKS, so a token minted for *any* Project
verifies against this site's keys. The signature says "Lamba issued it", never "for us". A
session is therefore accepted only when its active Workspace/Project is one of
``LAMBA_ALLOWED_PROJECTS`` (default: the configured pair) and its environment is
``LAMBA_CUSTOMER_ENV``. The context (``/v1/me/context``) is authoritative and exists for opaque
tokens too; a JWT's own ``workspace_id``/``project_id``/``environment`` claims, when present,
refuse a foreign token before any network call.

A site with no Project configured is unbound (``manage.py check`` warns, ``django_lamba.W005``).
"""

from __future__ import annotations

import logging
import threading
from collections import OrderedDict
from dataclasses import dataclass
from functools import cached_property
from typing import Any

from ..conf import lamba_settings
from ..types import LambaContext

logger = logging.getLogger("django_lamba.binding")

#: The session has no active Project (never scoped, or its scope was revoked): the customer
#: must enter this site's Project again, explicitly (``lamba:switch_context``).
REENTRY_REQUIRED = "project_reentry_required"
#: The session is active in a Workspace, Project or environment this site does not serve.
NOT_ALLOWED = "project_not_allowed"

REASONS = {
    REENTRY_REQUIRED: "Your session is not in this site's Project. Enter the Project again.",
    NOT_ALLOWED: "You are signed in to another Lamba Project, not to this site.",
}


@dataclass(frozen=True)
class Policy:
    """Where sessions may be active on this site."""

    allowed: tuple[tuple[str, str], ...]
    environment: str

    def allows(self, workspace_id: str, project_id: str, environment: str) -> bool:
        """Whether a switch into this scope is allowed (exact pair and environment)."""
        return (workspace_id, project_id) in self.allowed and environment == self.environment

    @cached_property
    def project_ids(self) -> frozenset[str]:
        return frozenset(project for _, project in self.allowed)


_policy_lock = threading.Lock()
_policy: list[Policy | None] = []


def policy() -> Policy | None:
    """Return the site's binding (``None`` when no Project is configured: unbound).

    Rebuilt whenever the resolved settings are (``lamba_settings`` hands out the same tuple
    until a setting changes), so it can never be staler than the settings themselves.
    """
    allowed = lamba_settings.ALLOWED_PROJECTS
    environment = lamba_settings.ENV
    if _policy:
        kept = _policy[0]
        if kept is None and not allowed:
            return None
        if kept is not None and kept.allowed is allowed and kept.environment == environment:
            return kept
    found = Policy(allowed, environment) if allowed else None
    with _policy_lock:
        _policy[:] = [found]
    return found


def clear() -> None:
    """Forget the cached policy and which refusals were logged (settings changed, tests)."""
    with _policy_lock:
        _policy.clear()
    with _logged_lock:
        _logged.clear()


def refuse_claims(claims: dict[str, Any]) -> str | None:
    """Refuse a verified token whose own claims name a scope this site does not serve.

    Claims only ever refuse: a token without scope claims (opaque-like, or unscoped) is left
    to the context, which is authoritative.
    """
    bound = policy()
    if bound is None:
        return None
    environment = claims.get("environment")
    if environment is not None and str(environment) != bound.environment:
        return NOT_ALLOWED
    project = claims.get("project_id")
    if project is None:
        return None
    workspace = claims.get("workspace_id")
    if workspace is None:
        return None if str(project) in bound.project_ids else NOT_ALLOWED
    return None if (str(workspace), str(project)) in bound.allowed else NOT_ALLOWED


def refuse_context(context: LambaContext) -> str | None:
    """Refuse a context that is not active in an allowed Project and environment."""
    bound = policy()
    if bound is None:
        return None
    project = context.active_project
    if project is None or not project.id:
        return REENTRY_REQUIRED
    workspace = _workspace_of(context)
    if workspace:
        if (workspace, project.id) not in bound.allowed:
            return NOT_ALLOWED
    elif project.id not in bound.project_ids:
        return NOT_ALLOWED
    environment = project.environment or str(context.raw.get("environment") or "")
    if environment and environment != bound.environment:
        return NOT_ALLOWED
    return None


def _workspace_of(context: LambaContext) -> str:
    if context.active_workspace is not None and context.active_workspace.id:
        return context.active_workspace.id
    for holder in (
        context.active_project.raw if context.active_project else {},
        context.membership,
    ):
        value = (holder or {}).get("workspaceId")
        if isinstance(value, str) and value:
            return value
    return ""


# Which refused sessions were logged, so a refused cookie replayed on every request logs once
# per process rather than once per request. Keyed by a hash of the token, never the token.
_logged_lock = threading.Lock()
_logged: OrderedDict[str, None] = OrderedDict()
_LOGGED_MAX = 4096


def log_refusal(token_hash: str, reason: str, where: dict[str, str]) -> None:
    """Log one warning line for a refused session (its scope, never its token)."""
    with _logged_lock:
        if token_hash in _logged:
            return
        _logged[token_hash] = None
        while len(_logged) > _LOGGED_MAX:
            _logged.popitem(last=False)
    bound = policy()
    logger.warning(
        "Refused a Lamba session (%s): it is active in workspace=%s project=%s environment=%s; "
        "this site serves %s in %s",
        reason,
        where.get("workspace") or "-",
        where.get("project") or "-",
        where.get("environment") or "-",
        ", ".join(f"{ws}/{prj}" for ws, prj in bound.allowed) if bound else "-",
        bound.environment if bound else "-",
    )


def scope_of_claims(claims: dict[str, Any]) -> dict[str, str]:
    return {
        "workspace": str(claims.get("workspace_id") or ""),
        "project": str(claims.get("project_id") or ""),
        "environment": str(claims.get("environment") or ""),
    }


def scope_of_context(context: LambaContext) -> dict[str, str]:
    return {
        "workspace": _workspace_of(context) if context.active_project else "",
        "project": context.active_project.id if context.active_project else "",
        "environment": context.environment,
    }
