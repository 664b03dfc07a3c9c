"""API-host admin routes: webhook endpoints, their delivery log and retries.

Deliveries are real signed POSTs (``_webhooks.deliver``) to the endpoint's URL, recorded with
their outcome; a retry sends the same event (same ``id``) again as a new attempt.
"""

from __future__ import annotations

import re
import secrets
from typing import Any
from urllib.parse import urlsplit

from . import _webhooks
from ._admin_routes import admin_session, not_found
from ._admin_state import DeliveryRecord, EndpointRecord
from ._api_routes import page
from ._errors import Problem, validation_failed
from ._http import Handler, RequestContext, Response, json_response
from ._state import EmulatorState
from ._tokens import iso, random_id

LOOPBACK = ("127.0.0.1", "localhost", "::1")
EVENT = re.compile(r"^(\*|[a-z][a-z0-9_]*(\.[a-z0-9_]+)*(\.\*)?)$")
#: Seconds the emulator waits for an endpoint to answer a delivery.
DELIVERY_TIMEOUT = 5.0


# --- webhook endpoints -----------------------------------------------------------------------


def _endpoint(record: EndpointRecord, *, secret: bool = False) -> dict[str, Any]:
    body: dict[str, Any] = {
        "id": record.id,
        "url": record.url,
        "events": list(record.events),
        "description": record.description,
        "enabled": record.enabled,
        "createdAt": iso(record.created_at),
    }
    if secret:
        body["secret"] = record.secret
    return body


def _check_url(value: Any) -> str:
    parts = urlsplit(value) if isinstance(value, str) else None
    https = parts is not None and parts.scheme == "https" and bool(parts.hostname)
    local = parts is not None and parts.scheme == "http" and parts.hostname in LOOPBACK
    if not (https or local):
        raise validation_failed({"url": ["Use an https:// URL."]})
    return str(value)


def _check_events(value: Any) -> list[str]:
    if not isinstance(value, list) or not value:
        raise validation_failed({"events": ["Subscribe to at least one event type."]})
    if not all(isinstance(v, str) and EVENT.match(v) for v in value):
        raise validation_failed({"events": ["Use event types such as user.created or user.*."]})
    return list(dict.fromkeys(value))


def _found_endpoint(ctx: RequestContext, scope: str) -> EndpointRecord:
    session = admin_session(ctx, scope)
    record = ctx.state.admin.endpoints.get(ctx.params.get("id", ""))
    if record is None or record.project_id != session.project_id:
        raise not_found("webhook endpoint")
    return record


def endpoints(ctx: RequestContext) -> Response:
    """GET /v1/admin/webhooks/endpoints."""
    session = admin_session(ctx, "customer.webhooks.read")
    found = ctx.state.admin.endpoints.values()
    return page(ctx, [_endpoint(r) for r in found if r.project_id == session.project_id])


def endpoint_create(ctx: RequestContext) -> Response:
    """POST /v1/admin/webhooks/endpoints ``{url, events, description?, enabled?}``: 201."""
    session = admin_session(ctx, "customer.webhooks.write")
    data = ctx.json()
    description, enabled = data.get("description", ""), data.get("enabled", True)
    if not isinstance(description, str) or not isinstance(enabled, bool):
        raise validation_failed({"description": ["Use text."], "enabled": ["Use true/false."]})
    record = EndpointRecord(
        id=random_id("whe"),
        project_id=session.project_id or "",
        url=_check_url(data.get("url")),
        events=_check_events(data.get("events")),
        description=description,
        enabled=enabled,
        created_at=ctx.state.now(),
        secret="whsec_" + secrets.token_hex(24),
    )
    ctx.state.admin.endpoints[record.id] = record
    return json_response(201, _endpoint(record, secret=True), {"Cache-Control": "no-store"})


def endpoint(ctx: RequestContext) -> Response:
    """GET /v1/admin/webhooks/endpoints/{id}."""
    return json_response(200, _endpoint(_found_endpoint(ctx, "customer.webhooks.read")))


def endpoint_patch(ctx: RequestContext) -> Response:
    """PATCH /v1/admin/webhooks/endpoints/{id}: change the fields sent."""
    record = _found_endpoint(ctx, "customer.webhooks.write")
    data = ctx.json()
    allowed = {"url", "events", "description", "enabled"}
    if not data or not set(data) <= allowed:
        raise validation_failed({"non_field_errors": [f"Send some of {sorted(allowed)}."]})
    if "description" in data and not isinstance(data["description"], str):
        raise validation_failed({"description": ["Use text."]})
    if "enabled" in data and not isinstance(data["enabled"], bool):
        raise validation_failed({"enabled": ["Use true or false."]})
    record.url = _check_url(data["url"]) if "url" in data else record.url
    record.events = _check_events(data["events"]) if "events" in data else record.events
    record.description = data.get("description", record.description)
    record.enabled = data.get("enabled", record.enabled)
    return json_response(200, _endpoint(record))


def endpoint_delete(ctx: RequestContext) -> Response:
    """DELETE /v1/admin/webhooks/endpoints/{id}."""
    record = _found_endpoint(ctx, "customer.webhooks.write")
    del ctx.state.admin.endpoints[record.id]
    return Response(204)


# --- deliveries ------------------------------------------------------------------------------


def _delivery(record: DeliveryRecord) -> dict[str, Any]:
    return {
        "id": record.id,
        "endpointId": record.endpoint_id,
        "eventId": record.event_id,
        "eventType": record.event_type,
        "status": record.status,
        "responseStatus": record.response_status,
        "attempt": record.attempt,
        "createdAt": iso(record.created_at),
    }


def deliver(
    state: EmulatorState, record: EndpointRecord, event_id: str, event_type: str, body: bytes
) -> DeliveryRecord:
    """POST one signed event to an endpoint now and record the attempt."""
    attempt = 1 + sum(
        1 for d in state.admin.deliveries if d.endpoint_id == record.id and d.event_id == event_id
    )
    try:
        status, _ = _webhooks.deliver(
            record.url,
            body,
            event_type=event_type,
            secret=record.secret,
            workspace_id=state.projects[record.project_id].workspace_id,
            timeout=DELIVERY_TIMEOUT,
        )
    except OSError:  # refused, unreachable, timed out
        status = None
    outcome = "succeeded" if status is not None and 200 <= status < 300 else "failed"
    delivery = DeliveryRecord(
        random_id("whd"),
        record.id,
        event_id,
        event_type,
        outcome,
        status,
        attempt,
        state.now(),
        body,
    )
    state.admin.deliveries.append(delivery)
    return delivery


def deliveries(ctx: RequestContext) -> Response:
    """GET /v1/admin/webhooks/endpoints/{id}/deliveries: newest first."""
    record = _found_endpoint(ctx, "customer.webhooks.read")
    found = [d for d in reversed(ctx.state.admin.deliveries) if d.endpoint_id == record.id]
    return page(ctx, [_delivery(d) for d in found])


def delivery_retry(ctx: RequestContext) -> Response:
    """POST /v1/admin/webhooks/deliveries/{id}/retry: deliver the same event again (201)."""
    session = admin_session(ctx, "customer.webhooks.write")
    state, wanted = ctx.state, ctx.params.get("id", "")
    old = next((d for d in state.admin.deliveries if d.id == wanted), None)
    record = state.admin.endpoints.get(old.endpoint_id) if old else None
    if old is None or record is None or record.project_id != session.project_id:
        raise not_found("delivery")
    if not record.enabled:
        raise Problem(409, "webhook_endpoint_disabled", "Enable the endpoint to retry.")
    new = deliver(state, record, old.event_id, old.event_type, old.body)
    return json_response(201, _delivery(new))


ROUTES: dict[str, dict[str, Handler]] = {
    "/v1/admin/webhooks/endpoints": {"GET": endpoints, "POST": endpoint_create},
    "/v1/admin/webhooks/endpoints/{id}": {
        "GET": endpoint,
        "PATCH": endpoint_patch,
        "DELETE": endpoint_delete,
    },
    "/v1/admin/webhooks/endpoints/{id}/deliveries": {"GET": deliveries},
    "/v1/admin/webhooks/deliveries/{id}/retry": {"POST": delivery_retry},
}
