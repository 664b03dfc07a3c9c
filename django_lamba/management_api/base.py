"""What every admin call shares: the management token, one retry after a 401, and paging.

The families (``people``, ``access``, ``hooks``) build on :class:`AdminTransport`; the public
class is :class:`django_lamba.management_client.LambaManagementClient`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any, TypeVar
from urllib.parse import quote

from django.core.exceptions import ImproperlyConfigured

from .._internal import admin_token, answers
from .._internal.answers import build
from ..client import LambaClient, get_client
from ..conf import lamba_settings
from ..exceptions import LambaUnauthorized
from ..types import ClientCredentialsToken, Page

T = TypeVar("T")

#: Items asked for per page when iterating.
DEFAULT_PAGE_SIZE = 50


def segment(value: str) -> str:
    """Return ``value`` quoted as one path segment (an id can never add a path)."""
    return quote(str(value), safe="")


class AdminTransport:
    """Calls ``/v1/admin/*`` with a management token (settings ``LAMBA_MANAGEMENT_CLIENT_*``).

    Every argument defaults to its setting, read on each call. ``scope`` asks Lamba for fewer
    rights than the client was granted (space-separated, e.g. ``"customer.members.read"``).
    """

    def __init__(
        self,
        *,
        client_id: str | None = None,
        client_secret: str | None = None,
        workspace_id: str | None = None,
        project_id: str | None = None,
        environment: str | None = None,
        scope: str | None = None,
        client: LambaClient | None = None,
    ) -> None:
        self._client_id = client_id
        self._client_secret = client_secret
        self._workspace_id = workspace_id
        self._project_id = project_id
        self._environment = environment
        self._scope = scope
        self._client = client

    @property
    def client(self) -> LambaClient:
        return self._client or get_client()

    def __repr__(self) -> str:
        client_id = self._client_id or lamba_settings.MANAGEMENT_CLIENT_ID
        return f"<{type(self).__name__} {client_id!r}>"

    # --- the token ----------------------------------------------------------------------

    def credentials(self) -> admin_token.Credentials:
        """Return the credentials to fetch a token with; ``ImproperlyConfigured`` if missing."""
        client_id = self._client_id or lamba_settings.MANAGEMENT_CLIENT_ID
        secret = self._client_secret or lamba_settings.MANAGEMENT_CLIENT_SECRET
        missing = [
            name
            for name, value in (
                ("LAMBA_MANAGEMENT_CLIENT_ID", client_id),
                ("LAMBA_MANAGEMENT_CLIENT_SECRET", secret),
            )
            if not value
        ]
        if missing:
            raise ImproperlyConfigured(
                f"The admin API needs a management client: set {' and '.join(missing)}."
            )
        return admin_token.Credentials(
            auth_base_url=self.client.auth_base_url,
            client_id=client_id,
            client_secret=secret,
            workspace_id=self._workspace_id or lamba_settings.WORKSPACE_ID,
            project_id=self._project_id or lamba_settings.PROJECT_ID,
            environment=self._environment or lamba_settings.ENV,
            scope=self._scope or "",
        )

    def _fetch(self, credentials: admin_token.Credentials) -> ClientCredentialsToken:
        return self.client.client_credentials(
            credentials.client_id,
            credentials.client_secret,
            workspace_id=credentials.workspace_id,
            project_id=credentials.project_id,
            environment=credentials.environment,
            scope=credentials.scope or None,
        )

    def access_token(self) -> str:
        """Return a valid management token, fetching or renewing it when needed."""
        return admin_token.get_token(self.credentials(), self._fetch)

    def fetch_token(self) -> str:
        """Fetch a new management token now, whatever is cached (a health check); cache it."""
        credentials = self.credentials()
        return admin_token.put(credentials, self._fetch(credentials))

    def _call(self, call: Callable[[str], T]) -> T:
        """Run ``call`` with a token; after a 401, drop that token and try once more."""
        credentials = self.credentials()
        token = admin_token.get_token(credentials, self._fetch)
        try:
            return call(token)
        except LambaUnauthorized:
            admin_token.drop(credentials, token)
            return call(admin_token.get_token(credentials, self._fetch))

    # --- raw calls ----------------------------------------------------------------------

    def get(self, path: str, params: dict[str, Any] | None = None) -> Any:
        """GET an admin path and return its JSON (retried after a 429 or an outage)."""
        return self._call(lambda token: self.client.get(path, token, params))

    def send(self, method: str, path: str, json: Any = None, *, idempotent: bool = False) -> Any:
        """POST/PATCH/PUT/DELETE an admin path and return its JSON.

        Only a call marked ``idempotent`` is retried after a 429 or an outage; a POST never is,
        as Lamba documents no idempotency key.
        """
        return self._call(
            lambda token: self.client.send(method, path, token, json, idempotent=idempotent)
        )

    def list_page(
        self,
        path: str,
        *,
        limit: int | None = None,
        cursor: str | None = None,
        params: dict[str, Any] | None = None,
    ) -> Page[dict[str, Any]]:
        """Fetch one ``{items, nextCursor}`` page of an admin list."""
        query = {key: value for key, value in (params or {}).items() if value not in (None, "")}
        if limit:
            query["limit"] = limit
        if cursor:
            query["cursor"] = cursor
        return answers.list_page(path, self.get(path, query or None))

    def iter_items(
        self,
        path: str,
        *,
        page_size: int = DEFAULT_PAGE_SIZE,
        params: dict[str, Any] | None = None,
    ) -> Iterator[dict[str, Any]]:
        """Yield every item of an admin list, following ``nextCursor``."""
        cursor: str | None = None
        while True:
            page = self.list_page(path, limit=page_size, cursor=cursor, params=params)
            yield from page.items
            if not page.next_cursor:
                return
            cursor = page.next_cursor

    # --- typed helpers for the families -------------------------------------------------

    def _typed_page(
        self,
        path: str,
        builder: Callable[[Any], T],
        limit: int | None,
        cursor: str | None,
        params: dict[str, Any] | None = None,
    ) -> Page[T]:
        page = self.list_page(path, limit=limit, cursor=cursor, params=params)
        return Page(
            items=[build(builder, item) for item in page.items], next_cursor=page.next_cursor
        )

    def _typed_iter(
        self,
        path: str,
        builder: Callable[[Any], T],
        page_size: int,
        params: dict[str, Any] | None = None,
    ) -> Iterator[T]:
        for item in self.iter_items(path, page_size=page_size, params=params):
            yield build(builder, item)

    def _typed(self, builder: Callable[[Any], T], body: Any) -> T:
        return build(builder, body)
