"""Roles, permissions, the authorization catalog, and the Project's applications."""

from __future__ import annotations

from collections.abc import Iterator

from ..types import Page
from .base import DEFAULT_PAGE_SIZE, AdminTransport, segment
from .types import Application, AuthorizationCatalog, Permission, Role, RotatedSecret

ROLES = "/v1/admin/roles"
PERMISSIONS = "/v1/admin/permissions"
CATALOG = "/v1/admin/authorization/catalog"
APPLICATIONS = "/v1/admin/applications"


class AccessCalls(AdminTransport):
    """``/v1/admin/roles``, ``/permissions``, ``/authorization/catalog``, ``/applications``."""

    def list_roles(self, *, limit: int | None = None, cursor: str | None = None) -> Page[Role]:
        """``GET /v1/admin/roles``: one page of the Project's roles."""
        return self._typed_page(ROLES, Role.from_json, limit, cursor)

    def iter_roles(self, *, page_size: int = DEFAULT_PAGE_SIZE) -> Iterator[Role]:
        """Yield every role of the Project."""
        return self._typed_iter(ROLES, Role.from_json, page_size)

    def list_permissions(
        self, *, limit: int | None = None, cursor: str | None = None
    ) -> Page[Permission]:
        """``GET /v1/admin/permissions``: one page of the Project's permission keys."""
        return self._typed_page(PERMISSIONS, Permission.from_json, limit, cursor)

    def iter_permissions(self, *, page_size: int = DEFAULT_PAGE_SIZE) -> Iterator[Permission]:
        """Yield every permission of the Project."""
        return self._typed_iter(PERMISSIONS, Permission.from_json, page_size)

    def get_authorization_catalog(self) -> AuthorizationCatalog:
        """``GET /v1/admin/authorization/catalog``: every role and permission at once."""
        return self._typed(AuthorizationCatalog.from_json, self.get(CATALOG))

    def list_applications(
        self, *, limit: int | None = None, cursor: str | None = None
    ) -> Page[Application]:
        """``GET /v1/admin/applications``: one page of App and Management Clients."""
        return self._typed_page(APPLICATIONS, Application.from_json, limit, cursor)

    def iter_applications(self, *, page_size: int = DEFAULT_PAGE_SIZE) -> Iterator[Application]:
        """Yield every application of the Project."""
        return self._typed_iter(APPLICATIONS, Application.from_json, page_size)

    def rotate_application_secret(self, application_id: str) -> RotatedSecret:
        """``POST /v1/admin/applications/{id}/rotate-secret``: a new client secret, shown once.

        The old secret stops working at once. Store the new one where the application reads
        it; it is not logged, and ``repr()`` of the result masks it. Never retried: a second
        rotation would discard the first's secret.
        """
        path = f"{APPLICATIONS}/{segment(application_id)}/rotate-secret"
        return self._typed(RotatedSecret.from_json, self.send("POST", path))
