"""Webhook endpoints and their delivery log, and custom domains."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any

from ..types import Page
from .base import DEFAULT_PAGE_SIZE, AdminTransport, segment
from .ops_types import Domain, WebhookDelivery, WebhookEndpoint

ENDPOINTS = "/v1/admin/webhooks/endpoints"
DELIVERIES = "/v1/admin/webhooks/deliveries"
DOMAINS = "/v1/admin/domains"


class HookCalls(AdminTransport):
    """``/v1/admin/webhooks/*`` and ``/v1/admin/domains``."""

    # --- webhook endpoints --------------------------------------------------------------

    def list_webhook_endpoints(
        self, *, limit: int | None = None, cursor: str | None = None
    ) -> Page[WebhookEndpoint]:
        """``GET /v1/admin/webhooks/endpoints``: one page of registered endpoints."""
        return self._typed_page(ENDPOINTS, WebhookEndpoint.from_json, limit, cursor)

    def iter_webhook_endpoints(
        self, *, page_size: int = DEFAULT_PAGE_SIZE
    ) -> Iterator[WebhookEndpoint]:
        """Yield every registered webhook endpoint."""
        return self._typed_iter(ENDPOINTS, WebhookEndpoint.from_json, page_size)

    def create_webhook_endpoint(
        self, url: str, events: Iterable[str], *, description: str = "", enabled: bool = True
    ) -> WebhookEndpoint:
        """``POST /v1/admin/webhooks/endpoints``; the answer carries the signing secret, once."""
        body = {
            "url": url,
            "events": list(dict.fromkeys(events)),
            "description": description,
            "enabled": enabled,
        }
        return self._typed(WebhookEndpoint.from_json, self.send("POST", ENDPOINTS, body))

    def update_webhook_endpoint(
        self,
        endpoint_id: str,
        *,
        url: str | None = None,
        events: Iterable[str] | None = None,
        description: str | None = None,
        enabled: bool | None = None,
    ) -> WebhookEndpoint:
        """``PATCH /v1/admin/webhooks/endpoints/{id}``: change only the fields given."""
        body: dict[str, Any] = {}
        if url is not None:
            body["url"] = url
        if events is not None:
            body["events"] = list(dict.fromkeys(events))
        if description is not None:
            body["description"] = description
        if enabled is not None:
            body["enabled"] = enabled
        if not body:
            raise ValueError("Give at least one field to change.")
        path = f"{ENDPOINTS}/{segment(endpoint_id)}"
        answer = self.send("PATCH", path, body, idempotent=True)
        return self._typed(WebhookEndpoint.from_json, answer)

    def delete_webhook_endpoint(self, endpoint_id: str) -> None:
        """``DELETE /v1/admin/webhooks/endpoints/{id}``."""
        self.send("DELETE", f"{ENDPOINTS}/{segment(endpoint_id)}", idempotent=True)

    def list_webhook_deliveries(
        self, endpoint_id: str, *, limit: int | None = None, cursor: str | None = None
    ) -> Page[WebhookDelivery]:
        """``GET /v1/admin/webhooks/endpoints/{id}/deliveries``: newest first."""
        path = f"{ENDPOINTS}/{segment(endpoint_id)}/deliveries"
        return self._typed_page(path, WebhookDelivery.from_json, limit, cursor)

    def iter_webhook_deliveries(
        self, endpoint_id: str, *, page_size: int = DEFAULT_PAGE_SIZE
    ) -> Iterator[WebhookDelivery]:
        """Yield every delivery attempt to an endpoint, newest first."""
        path = f"{ENDPOINTS}/{segment(endpoint_id)}/deliveries"
        return self._typed_iter(path, WebhookDelivery.from_json, page_size)

    def retry_webhook_delivery(self, delivery_id: str) -> WebhookDelivery:
        """``POST /v1/admin/webhooks/deliveries/{id}/retry``: send the same event again.

        Returns the new attempt. Never retried by the client (each call is one more delivery).
        """
        path = f"{DELIVERIES}/{segment(delivery_id)}/retry"
        return self._typed(WebhookDelivery.from_json, self.send("POST", path))

    # --- domains ------------------------------------------------------------------------

    def list_domains(self, *, limit: int | None = None, cursor: str | None = None) -> Page[Domain]:
        """``GET /v1/admin/domains``: one page of custom domains."""
        return self._typed_page(DOMAINS, Domain.from_json, limit, cursor)

    def iter_domains(self, *, page_size: int = DEFAULT_PAGE_SIZE) -> Iterator[Domain]:
        """Yield every custom domain."""
        return self._typed_iter(DOMAINS, Domain.from_json, page_size)

    def create_domain(
        self, host: str, *, purpose: str = "auth", environment: str | None = None
    ) -> Domain:
        """``POST /v1/admin/domains``: add ``host``; publish its ``verification`` TXT record."""
        body: dict[str, Any] = {"host": host, "purpose": purpose}
        if environment:
            body["environment"] = environment
        return self._typed(Domain.from_json, self.send("POST", DOMAINS, body))

    def verify_domain(self, domain_id: str) -> Domain:
        """``POST /v1/admin/domains/{id}/verify``: Lamba looks for the TXT record now.

        Raises ``LambaConflict`` (``custom_domain_not_verified``) while it is not published.
        """
        path = f"{DOMAINS}/{segment(domain_id)}/verify"
        return self._typed(Domain.from_json, self.send("POST", path))
