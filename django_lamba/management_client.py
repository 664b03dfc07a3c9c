"""A server-side client for Lamba's admin API (``/v1/admin/*``) with a management token.

::

    from django_lamba.management_client import LambaManagementClient

    admin = LambaManagementClient()
    for member in admin.iter_members():
        print(member.email, member.role_keys)
    admin.create_invitation("ada@example.com", role_keys=["editor"])

The ``client_credentials`` token is kept in the shared cache, sealed, and renewed a minute
before it expires by one worker at a time (``_internal/admin_token.py``); it never reaches a
browser or a log. A 401 drops it and retries once with a fresh one. Idempotent calls (GETs, role
updates, deletes) are retried after a 429 or an outage as ``LambaClient.request`` says; POSTs
never are. See docs/admin-api.md. The calls live in ``django_lamba/management_api/`` by family.
"""

from __future__ import annotations

from .management_api.asynced import AsyncCalls
from .management_api.ops_types import Domain, DomainRecord, WebhookDelivery, WebhookEndpoint
from .management_api.types import (
    Application,
    AuthorizationCatalog,
    Invitation,
    Member,
    Permission,
    Role,
    RotatedSecret,
)
from .types import Page

__all__ = [
    "Application",
    "AuthorizationCatalog",
    "Domain",
    "DomainRecord",
    "Invitation",
    "LambaManagementClient",
    "Member",
    "Page",
    "Permission",
    "Role",
    "RotatedSecret",
    "WebhookDelivery",
    "WebhookEndpoint",
]


class LambaManagementClient(AsyncCalls):
    """Call ``/v1/admin/*`` as a management client (settings ``LAMBA_MANAGEMENT_CLIENT_*``).

    Families: members and invitations, roles, permissions and the authorization catalog,
    applications, webhook endpoints and deliveries, domains. Lists come as one page
    (``list_*``, with ``next_cursor``) or as an iterator over every page (``iter_*``); every
    call has an async twin (``alist_members``, ``aiter_members``...). Missing credentials raise
    ``ImproperlyConfigured``; Lamba's refusals raise the ``django_lamba.exceptions`` hierarchy
    (``LambaForbidden.missing_scope``, ``LambaPlanLimitExceeded``, ``LambaConflict``...).
    """
