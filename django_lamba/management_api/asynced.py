"""Async twins of every admin call, as ``LambaClient`` makes its own: the sync call in a thread.

Each ``a``-prefixed method runs its sync twin with ``sync_to_async(thread_sensitive=False)``;
each ``aiter_*`` fetches one page per await.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Iterable
from typing import Any, TypeVar

from asgiref.sync import sync_to_async

from ..types import Page
from .access import AccessCalls
from .base import DEFAULT_PAGE_SIZE
from .hooks import HookCalls
from .ops_types import Domain, WebhookDelivery, WebhookEndpoint
from .people import PeopleCalls
from .types import (
    Application,
    AuthorizationCatalog,
    Invitation,
    Member,
    Permission,
    Role,
    RotatedSecret,
)

T = TypeVar("T")


async def _run(func: Callable[..., T], *args: Any, **kwargs: Any) -> T:
    result: T = await sync_to_async(func, thread_sensitive=False)(*args, **kwargs)
    return result


async def _pages(fetch: Callable[..., Page[T]], page_size: int, **kwargs: Any) -> AsyncIterator[T]:
    cursor: str | None = None
    while True:
        page = await _run(fetch, limit=page_size, cursor=cursor, **kwargs)
        for item in page.items:
            yield item
        if not page.next_cursor:
            return
        cursor = page.next_cursor


class AsyncCalls(PeopleCalls, AccessCalls, HookCalls):
    """Every family's calls, and their async twins."""

    async def aaccess_token(self) -> str:
        return await _run(self.access_token)

    # --- members and invitations ------------------------------------------------------

    async def alist_members(
        self, *, limit: int | None = None, cursor: str | None = None
    ) -> Page[Member]:
        return await _run(self.list_members, limit=limit, cursor=cursor)

    def aiter_members(self, *, page_size: int = DEFAULT_PAGE_SIZE) -> AsyncIterator[Member]:
        return _pages(self.list_members, page_size)

    async def aget_member(self, user_id: str) -> Member:
        return await _run(self.get_member, user_id)

    async def aupdate_member_roles(self, user_id: str, role_keys: Iterable[str]) -> Member:
        return await _run(self.update_member_roles, user_id, list(role_keys))

    async def aremove_member(self, user_id: str) -> None:
        await _run(self.remove_member, user_id)

    async def alist_invitations(
        self, *, status: str | None = None, limit: int | None = None, cursor: str | None = None
    ) -> Page[Invitation]:
        return await _run(self.list_invitations, status=status, limit=limit, cursor=cursor)

    def aiter_invitations(
        self, *, status: str | None = None, page_size: int = DEFAULT_PAGE_SIZE
    ) -> AsyncIterator[Invitation]:
        return _pages(self.list_invitations, page_size, status=status)

    async def acreate_invitation(self, email: str, *, role_keys: Iterable[str] = ()) -> Invitation:
        return await _run(self.create_invitation, email, role_keys=list(role_keys))

    async def aresend_invitation(self, invitation_id: str) -> Invitation:
        return await _run(self.resend_invitation, invitation_id)

    async def arevoke_invitation(self, invitation_id: str) -> Invitation:
        return await _run(self.revoke_invitation, invitation_id)

    # --- roles, permissions, applications ---------------------------------------------

    async def alist_roles(
        self, *, limit: int | None = None, cursor: str | None = None
    ) -> Page[Role]:
        return await _run(self.list_roles, limit=limit, cursor=cursor)

    def aiter_roles(self, *, page_size: int = DEFAULT_PAGE_SIZE) -> AsyncIterator[Role]:
        return _pages(self.list_roles, page_size)

    async def alist_permissions(
        self, *, limit: int | None = None, cursor: str | None = None
    ) -> Page[Permission]:
        return await _run(self.list_permissions, limit=limit, cursor=cursor)

    def aiter_permissions(
        self, *, page_size: int = DEFAULT_PAGE_SIZE
    ) -> AsyncIterator[Permission]:
        return _pages(self.list_permissions, page_size)

    async def aget_authorization_catalog(self) -> AuthorizationCatalog:
        return await _run(self.get_authorization_catalog)

    async def alist_applications(
        self, *, limit: int | None = None, cursor: str | None = None
    ) -> Page[Application]:
        return await _run(self.list_applications, limit=limit, cursor=cursor)

    def aiter_applications(
        self, *, page_size: int = DEFAULT_PAGE_SIZE
    ) -> AsyncIterator[Application]:
        return _pages(self.list_applications, page_size)

    async def arotate_application_secret(self, application_id: str) -> RotatedSecret:
        return await _run(self.rotate_application_secret, application_id)

    # --- webhooks and domains -----------------------------------------------------------

    async def alist_webhook_endpoints(
        self, *, limit: int | None = None, cursor: str | None = None
    ) -> Page[WebhookEndpoint]:
        return await _run(self.list_webhook_endpoints, limit=limit, cursor=cursor)

    def aiter_webhook_endpoints(
        self, *, page_size: int = DEFAULT_PAGE_SIZE
    ) -> AsyncIterator[WebhookEndpoint]:
        return _pages(self.list_webhook_endpoints, page_size)

    async def acreate_webhook_endpoint(
        self, url: str, events: Iterable[str], *, description: str = "", enabled: bool = True
    ) -> WebhookEndpoint:
        return await _run(
            self.create_webhook_endpoint,
            url,
            list(events),
            description=description,
            enabled=enabled,
        )

    async def aupdate_webhook_endpoint(self, endpoint_id: str, **changes: Any) -> WebhookEndpoint:
        return await _run(self.update_webhook_endpoint, endpoint_id, **changes)

    async def adelete_webhook_endpoint(self, endpoint_id: str) -> None:
        await _run(self.delete_webhook_endpoint, endpoint_id)

    async def alist_webhook_deliveries(
        self, endpoint_id: str, *, limit: int | None = None, cursor: str | None = None
    ) -> Page[WebhookDelivery]:
        return await _run(self.list_webhook_deliveries, endpoint_id, limit=limit, cursor=cursor)

    def aiter_webhook_deliveries(
        self, endpoint_id: str, *, page_size: int = DEFAULT_PAGE_SIZE
    ) -> AsyncIterator[WebhookDelivery]:
        def fetch(**kwargs: Any) -> Page[WebhookDelivery]:
            return self.list_webhook_deliveries(endpoint_id, **kwargs)

        return _pages(fetch, page_size)

    async def aretry_webhook_delivery(self, delivery_id: str) -> WebhookDelivery:
        return await _run(self.retry_webhook_delivery, delivery_id)

    async def alist_domains(
        self, *, limit: int | None = None, cursor: str | None = None
    ) -> Page[Domain]:
        return await _run(self.list_domains, limit=limit, cursor=cursor)

    def aiter_domains(self, *, page_size: int = DEFAULT_PAGE_SIZE) -> AsyncIterator[Domain]:
        return _pages(self.list_domains, page_size)

    async def acreate_domain(
        self, host: str, *, purpose: str = "auth", environment: str | None = None
    ) -> Domain:
        return await _run(self.create_domain, host, purpose=purpose, environment=environment)

    async def averify_domain(self, domain_id: str) -> Domain:
        return await _run(self.verify_domain, domain_id)
