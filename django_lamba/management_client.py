"""A server-side client for Lamba's admin API (``/v1/admin/*``) with a management token.

The ``client_credentials`` token is fetched on first use, kept in this process's memory only
(never the shared cache, never a browser) and renewed a minute before it expires. A 401 drops it
and retries once with a fresh one.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
from typing import Any

from .client import LambaClient, get_client
from .conf import lamba_settings
from .exceptions import LambaUnauthorized
from .types import ClientCredentialsToken, Page

_RENEW_BEFORE = timedelta(seconds=60)


class LambaManagementClient:
    """Call ``/v1/admin/*`` as a management client (settings ``LAMBA_MANAGEMENT_CLIENT_*``)."""

    def __init__(
        self,
        *,
        client_id: str | None = None,
        client_secret: str | None = None,
        workspace_id: str | None = None,
        project_id: str | None = None,
        environment: str | None = None,
        client: LambaClient | None = None,
    ) -> None:
        self._client_id = client_id
        self._client_secret = client_secret
        self._workspace_id = workspace_id
        self._project_id = project_id
        self._environment = environment
        self._client = client
        self._token: ClientCredentialsToken | None = None
        self._lock = threading.Lock()

    @property
    def client(self) -> LambaClient:
        return self._client or get_client()

    def __repr__(self) -> str:
        client_id = self._client_id or lamba_settings.MANAGEMENT_CLIENT_ID
        return f"<LambaManagementClient {client_id!r}>"

    def access_token(self) -> str:
        """Return a valid management token, fetching or renewing it when needed."""
        with self._lock:
            now = datetime.now(timezone.utc)
            if self._token is None or self._token.expires_at - _RENEW_BEFORE <= now:
                self._token = self.client.client_credentials(
                    self._client_id or lamba_settings.MANAGEMENT_CLIENT_ID,
                    self._client_secret or lamba_settings.MANAGEMENT_CLIENT_SECRET,
                    workspace_id=self._workspace_id or lamba_settings.WORKSPACE_ID,
                    project_id=self._project_id or lamba_settings.PROJECT_ID,
                    environment=self._environment or lamba_settings.ENV,
                )
            return self._token.access_token

    def _drop_token(self) -> None:
        with self._lock:
            self._token = None

    def get(self, path: str, params: dict[str, Any] | None = None) -> Any:
        """GET an admin path and return its JSON."""
        try:
            return self.client.get(path, self.access_token(), params)
        except LambaUnauthorized:
            self._drop_token()
            return self.client.get(path, self.access_token(), params)

    def send(self, method: str, path: str, json: Any = None) -> Any:
        """POST/PATCH/PUT/DELETE an admin path and return its JSON."""
        try:
            return self.client.send(method, path, self.access_token(), json)
        except LambaUnauthorized:
            self._drop_token()
            return self.client.send(method, path, self.access_token(), json)

    def list_page(
        self, path: str, *, limit: int | None = None, cursor: str | None = None
    ) -> Page[dict[str, Any]]:
        """Fetch one ``{items, nextCursor}`` page of an admin list."""
        try:
            return self.client.list_page(path, self.access_token(), limit=limit, cursor=cursor)
        except LambaUnauthorized:
            self._drop_token()
            return self.client.list_page(path, self.access_token(), limit=limit, cursor=cursor)

    def iter_items(self, path: str, *, page_size: int = 50) -> Iterator[dict[str, Any]]:
        """Yield every item of an admin list, following ``nextCursor``."""
        cursor: str | None = None
        while True:
            page = self.list_page(path, limit=page_size, cursor=cursor)
            yield from page.items
            if not page.next_cursor:
                return
            cursor = page.next_cursor

    def list_members(
        self, *, limit: int | None = None, cursor: str | None = None
    ) -> Page[dict[str, Any]]:
        """``GET /v1/admin/members``: one page of the Project's members."""
        return self.list_page("/v1/admin/members", limit=limit, cursor=cursor)

    def iter_members(self, *, page_size: int = 50) -> Iterator[dict[str, Any]]:
        """Yield every member of the Project."""
        return self.iter_items("/v1/admin/members", page_size=page_size)
