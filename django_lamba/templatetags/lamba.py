"""``{% load lamba %}``: Lamba permissions and roles in templates.

Filters for ``{% if %}``::

    {% if user|has_lamba_permission:"members.read" %}<a href="...">Members</a>{% endif %}
    {% if user|has_lamba_role:"owner" %}...{% endif %}
    {% if user|is_lamba_project_admin %}...{% endif %}

Tags that store an answer in a variable::

    {% has_lamba_permission user "members.read" "members.invite" any=True as can_manage %}
    {% has_lamba_role user "owner" as is_owner %}
    {% lamba_permissions "members.read" as can_read %}   {# the user from the context #}
    {% lamba_authorization as authz %}                    {# LambaAuthorization or None #}
    {% lamba_memberships as memberships %}                {# for a Project menu #}

A name for any user: ``{{ user|lamba_display_name }}``.

None of them raises: anonymous users hold nothing, and while Lamba is unreachable every check
answers "not permitted" (logged once per request). Keys match as everywhere else
(``django_lamba.types.matches``); a missing variable is a key nobody holds, never skipped.
"""

from __future__ import annotations

from typing import Any

from django import template

from .._internal import perms
from ..account import tags as account_tags
from ..account.tags import MembershipChoice
from ..types import LambaAuthorization

register = template.Library()


def _context_user(context: template.Context) -> Any:
    user = context.get("user")
    if user is None:
        request = context.get("request")
        user = getattr(request, "user", None)
    return user


@register.filter(name="has_lamba_permission")
def has_lamba_permission_filter(user: Any, perm: Any) -> bool:
    """Return whether ``user`` holds Lamba permission ``perm`` (never raises)."""
    return perms.safe_has_permissions(user, (perm,))


@register.filter(name="has_lamba_role")
def has_lamba_role_filter(user: Any, role: Any) -> bool:
    """Return whether ``user`` holds the Project role ``role`` (never raises)."""
    return perms.safe_has_roles(user, (role,))


@register.filter(name="is_lamba_project_admin")
def is_lamba_project_admin_filter(user: Any) -> bool:
    """Return whether ``user`` administers the active Project (never raises)."""
    return perms.safe_is_project_admin(user)


@register.simple_tag(name="has_lamba_permission")
def has_lamba_permission_tag(user: Any, *keys: Any, any: bool = False) -> bool:
    """Return whether ``user`` holds all of the permissions (one of them with ``any=True``)."""
    return perms.safe_has_permissions(user, keys, bool(any))


@register.simple_tag(name="has_lamba_role")
def has_lamba_role_tag(user: Any, *keys: Any, any: bool = False) -> bool:
    """Return whether ``user`` holds all of the roles (one of them with ``any=True``)."""
    return perms.safe_has_roles(user, keys, bool(any))


@register.simple_tag(takes_context=True)
def lamba_permissions(context: template.Context, *keys: Any, any: bool = False) -> bool:
    """Return whether the context's ``user`` holds the permissions."""
    return perms.safe_has_permissions(_context_user(context), keys, bool(any))


@register.simple_tag(takes_context=True)
def lamba_authorization(context: template.Context) -> LambaAuthorization | None:
    """Return the context user's ``LambaAuthorization``, or ``None`` (anonymous, outage)."""
    return perms.safe_authorization(_context_user(context))


# --- account (django_lamba.account.tags) ---------------------------------------------------


@register.simple_tag(takes_context=True)
def lamba_memberships(context: template.Context) -> list[MembershipChoice]:
    """``{% lamba_memberships as memberships %}``: the customer's Projects for a header menu."""
    return account_tags.memberships_menu(context.get("request"))


@register.filter(name="lamba_display_name")
def lamba_display_name(user: Any) -> str:
    """``{{ user|lamba_display_name }}``: the name to show for any user ("" when anonymous)."""
    return account_tags.display_name(user)
