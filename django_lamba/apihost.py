"""The API-host half of ``LambaClient``: ``/v1/me/*`` as typed methods, and generic calls.

``LambaClient`` (``django_lamba.client``) inherits these; import the client, not this module.
Every method takes the customer's access token (``request.lamba.access_token``) and raises a
``LambaError`` subclass for anything but a usable answer, as the rest of the client does. Each
sync method has an async twin with an ``a`` prefix that runs it in a worker thread.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Iterator, Mapping
from typing import Any, TypeVar

from asgiref.sync import sync_to_async

from ._internal import answers
from ._internal.answers import build as _build
from .selfservice import (
    PROFILE_FIELDS,
    LambaAccountProfile,
    LambaLinkedIdentities,
    LambaMembership,
    LambaSecurity,
)
from .types import LambaAuthorization, LambaContext, Page

T = TypeVar("T")

#: The most pages ``iter_memberships`` follows (a cursor loop upstream cannot spin forever).
MAX_PAGES = 100


class ApiHostMethods:
    """Calls to Lamba's API host; mixed into ``LambaClient``, which provides ``_api``."""

    def _api(self, method: str, path: str, **kwargs: Any) -> Any:
        raise NotImplementedError  # LambaClient sends the call

    def _async(self, func: Callable[..., T]) -> Callable[..., Any]:
        return sync_to_async(func, thread_sensitive=False)

    # --- context and authorization -----------------------------------------------------------

    def get_context(self, access_token: str) -> LambaContext:
        """``GET /v1/me/context``."""
        return _build(
            LambaContext.from_json, self._api("GET", "/v1/me/context", token=access_token)
        )

    def get_authorization(self, access_token: str) -> LambaAuthorization:
        """``GET /v1/me/authorization``."""
        body = self._api("GET", "/v1/me/authorization", token=access_token)
        return _build(LambaAuthorization.from_json, body)

    # --- self-service ------------------------------------------------------------------------

    def get_profile(self, access_token: str) -> LambaAccountProfile:
        """``GET /v1/me/profile``."""
        body = self._api("GET", "/v1/me/profile", token=access_token)
        return _build(LambaAccountProfile.from_json, body)

    def update_profile(self, access_token: str, changes: Mapping[str, Any]) -> LambaAccountProfile:
        """``PATCH /v1/me/profile`` with ``changes`` (Lamba's field names); return the result.

        ``changes`` must name at least one of ``PROFILE_FIELDS`` and nothing else: anything
        else raises ``ValueError`` before a call is made (Lamba refuses an empty PATCH). A
        PATCH is never retried.
        """
        unknown = sorted(set(changes) - set(PROFILE_FIELDS))
        if unknown or not changes:
            raise ValueError(
                f"update_profile takes one or more of {', '.join(PROFILE_FIELDS)}"
                + (f"; not {', '.join(unknown)}" if unknown else "")
            )
        body = self._api("PATCH", "/v1/me/profile", token=access_token, json=dict(changes))
        return _build(LambaAccountProfile.from_json, body)

    def get_security(self, access_token: str) -> LambaSecurity:
        """``GET /v1/me/security``."""
        body = self._api("GET", "/v1/me/security", token=access_token)
        return _build(LambaSecurity.from_json, body)

    def get_linked_identities(self, access_token: str) -> LambaLinkedIdentities:
        """``GET /v1/me/linked-identities``."""
        body = self._api("GET", "/v1/me/linked-identities", token=access_token)
        return _build(LambaLinkedIdentities.from_json, body)

    def memberships_page(
        self, access_token: str, *, limit: int | None = None, cursor: str | None = None
    ) -> Page[LambaMembership]:
        """One page of ``GET /v1/me/memberships`` (``?limit``, ``?cursor``)."""
        page = self.list_page("/v1/me/memberships", access_token, limit=limit, cursor=cursor)
        items = [_build(LambaMembership.from_json, item) for item in page.items]
        return Page(items=items, next_cursor=page.next_cursor)

    def iter_memberships(
        self, access_token: str, *, page_size: int | None = None
    ) -> Iterator[LambaMembership]:
        """Every membership, page after page (at most ``MAX_PAGES``; a repeated cursor ends it)."""
        cursor: str | None = None
        seen: set[str] = set()
        for _ in range(MAX_PAGES):
            page = self.memberships_page(access_token, limit=page_size, cursor=cursor)
            yield from page.items
            cursor = page.next_cursor
            if cursor is None or cursor in seen:
                return
            seen.add(cursor)

    # --- any API-host path -------------------------------------------------------------------

    def get(self, path: str, access_token: str, params: dict[str, Any] | None = None) -> Any:
        """GET any API-host path (``/v1/me/...`` or ``/v1/admin/...``) and return its JSON."""
        return self._api("GET", path, token=access_token, params=params)

    def send(
        self,
        method: str,
        path: str,
        access_token: str,
        json: Any = None,
        *,
        idempotent: bool | None = None,
    ) -> Any:
        """Send a POST/PATCH/PUT/DELETE to an API-host path and return its JSON.

        Pass ``idempotent=True`` for a call that is safe to repeat (a PUT of a whole resource,
        a DELETE) to let it be retried after a 429 or an outage.
        """
        return self._api(method, path, token=access_token, json=json, idempotent=idempotent)

    def list_page(
        self, path: str, access_token: str, *, limit: int | None = None, cursor: str | None = None
    ) -> Page[dict[str, Any]]:
        """Fetch one ``{items, nextCursor}`` page."""
        params: dict[str, Any] = {}
        if limit:
            params["limit"] = limit
        if cursor:
            params["cursor"] = cursor
        return answers.list_page(path, self.get(path, access_token, params or None))

    # --- async twins -------------------------------------------------------------------------

    async def aget_context(self, access_token: str) -> LambaContext:
        result: LambaContext = await self._async(self.get_context)(access_token)
        return result

    async def aget_authorization(self, access_token: str) -> LambaAuthorization:
        result: LambaAuthorization = await self._async(self.get_authorization)(access_token)
        return result

    async def aget_profile(self, access_token: str) -> LambaAccountProfile:
        result: LambaAccountProfile = await self._async(self.get_profile)(access_token)
        return result

    async def aupdate_profile(
        self, access_token: str, changes: Mapping[str, Any]
    ) -> LambaAccountProfile:
        result: LambaAccountProfile = await self._async(self.update_profile)(access_token, changes)
        return result

    async def aget_security(self, access_token: str) -> LambaSecurity:
        result: LambaSecurity = await self._async(self.get_security)(access_token)
        return result

    async def aget_linked_identities(self, access_token: str) -> LambaLinkedIdentities:
        result: LambaLinkedIdentities = await self._async(self.get_linked_identities)(access_token)
        return result

    async def amemberships_page(
        self, access_token: str, *, limit: int | None = None, cursor: str | None = None
    ) -> Page[LambaMembership]:
        call = self._async(self.memberships_page)
        result: Page[LambaMembership] = await call(access_token, limit=limit, cursor=cursor)
        return result

    async def aiter_memberships(
        self, access_token: str, *, page_size: int | None = None
    ) -> AsyncIterator[LambaMembership]:
        """Async twin of ``iter_memberships``: each page is fetched in a worker thread."""
        cursor: str | None = None
        seen: set[str] = set()
        for _ in range(MAX_PAGES):
            page = await self.amemberships_page(access_token, limit=page_size, cursor=cursor)
            for item in page.items:
                yield item
            cursor = page.next_cursor
            if cursor is None or cursor in seen:
                return
            seen.add(cursor)
