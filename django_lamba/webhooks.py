"""The webhook endpoint (``lamba:webhook``): verify, deduplicate, store, then signal.

Order matters (SECURITY 44-46): the raw bytes are verified before anything is parsed; the event
is refused if it is for another Workspace/Project/environment; the row is committed before the
2xx; a redelivered ``id`` is acknowledged without running anything again.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass, field
from typing import Any

from django.db import IntegrityError, transaction
from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from ._internal import binding, clock
from ._internal.responses import problem
from ._internal.webhook_signature import SignatureRejected, verify
from .conf import lamba_settings
from .models import LambaWebhookEvent
from .signals import webhook_received

logger = logging.getLogger("django_lamba.webhooks")

#: Larger bodies get 413 before any signature work. Lamba's events are a few KiB.
MAX_BODY_BYTES = 256 * 1024


@dataclass(frozen=True)
class WebhookEvent:
    """One accepted Lamba event: the body's fields plus the stored row."""

    id: str
    type: str
    occurred_at: str
    workspace_id: str
    project_id: str
    environment: str
    data: Any
    record: LambaWebhookEvent = field(repr=False)

    @classmethod
    def from_record(cls, record: LambaWebhookEvent) -> WebhookEvent:
        """Rebuild the event from a stored row's signed payload (``lamba_webhooks replay``)."""
        payload = record.payload if isinstance(record.payload, dict) else {}
        return cls(
            id=record.event_id,
            type=record.type,
            occurred_at=_text(payload, "occurredAt"),
            workspace_id=record.workspace_id,
            project_id=record.project_id,
            environment=record.environment,
            data=payload.get("data"),
            record=record,
        )


def _now() -> float:
    """The clock the timestamp window is measured on (the library's clock; tests move it)."""
    return clock.now()


def _text(payload: dict[str, Any], key: str) -> str:
    value = payload.get(key)
    return value if isinstance(value, str) else ""


def _fits(payload: dict[str, Any]) -> bool:
    """Whether the event has an ``id`` and ``type`` and every stored field fits its column."""
    if not _text(payload, "id") or not _text(payload, "type"):
        return False
    return all(
        len(_text(payload, key)) <= LambaWebhookEvent._meta.get_field(column).max_length  # type: ignore[union-attr,operator]
        for key, column in _COLUMNS.items()
    )


_COLUMNS = {
    "id": "event_id",
    "type": "type",
    "workspaceId": "workspace_id",
    "projectId": "project_id",
    "environment": "environment",
}


@csrf_exempt  # Lamba cannot send a CSRF token; the HMAC signature authenticates the request.
@require_POST
@transaction.non_atomic_requests  # the 2xx must follow our own commit, not ATOMIC_REQUESTS'.
def webhook(request: HttpRequest) -> HttpResponse:
    """Receive one Lamba webhook delivery."""
    secrets = lamba_settings.WEBHOOK_SECRET
    if not secrets:
        # 503, not 404: Lamba retries, so no event is lost while the secret is being set.
        logger.error("Refused a Lamba webhook: LAMBA_WEBHOOK_SECRET is not set")
        return problem(503, "Webhooks are not configured", error_code="webhook_not_configured")
    try:
        declared = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        declared = 0
    if declared > MAX_BODY_BYTES:
        return problem(413, "Payload too large", error_code="payload_too_large")
    body = request.body
    if len(body) > MAX_BODY_BYTES:
        return problem(413, "Payload too large", error_code="payload_too_large")

    try:
        verify(
            body=body,
            timestamp=request.headers.get("X-Lamba-Timestamp"),
            signature=request.headers.get("X-Lamba-Signature"),
            secrets=secrets,
            tolerance=lamba_settings.WEBHOOK_TOLERANCE_SECONDS,
            now=_now(),
            accept_legacy=lamba_settings.WEBHOOK_ACCEPT_LEGACY_SIGNATURES,
        )
    except SignatureRejected as rejected:
        logger.warning("Refused a Lamba webhook (401): %s", rejected.reason)
        return problem(401, "Invalid webhook signature", error_code="invalid_signature")

    try:
        payload = json.loads(body)
    except (UnicodeDecodeError, ValueError):
        payload = None
    if not isinstance(payload, dict) or not _fits(payload):
        logger.warning("Refused a signed Lamba webhook (400): not an event object")
        return problem(400, "Malformed webhook event", error_code="malformed_event")
    event_id, event_type = _text(payload, "id"), _text(payload, "type")
    scope = (
        _text(payload, "workspaceId"),
        _text(payload, "projectId"),
        _text(payload, "environment"),
    )
    bound = binding.policy()
    if bound is not None and not bound.allows(*scope):
        logger.warning(
            "Refused Lamba webhook %s (%s) (403): for workspace=%s project=%s environment=%s",
            event_id,
            event_type,
            *(part or "-" for part in scope),
        )
        return problem(403, "Event for another Project", error_code="event_not_for_this_site")

    try:
        with transaction.atomic():
            record = LambaWebhookEvent.objects.create(
                event_id=event_id,
                type=event_type,
                workspace_id=scope[0],
                project_id=scope[1],
                environment=scope[2],
                payload=payload,
            )
            event = WebhookEvent(
                id=event_id,
                type=event_type,
                occurred_at=_text(payload, "occurredAt"),
                workspace_id=scope[0],
                project_id=scope[1],
                environment=scope[2],
                data=payload.get("data"),
                record=record,
            )
            transaction.on_commit(lambda: dispatch(event))
    except IntegrityError:
        # The unique event_id: another delivery (maybe concurrent) stored it first.
        if not LambaWebhookEvent.objects.filter(event_id=event_id).exists():
            raise
        logger.info("Lamba webhook %s (%s): duplicate, already received", event_id, event_type)
        return HttpResponse(status=200)
    logger.info("Lamba webhook %s (%s): stored", event_id, event_type)
    return HttpResponse(status=204)


def dispatch(event: WebhookEvent) -> str:
    """Send ``webhook_received`` for a stored event, record how its receivers did, return that."""
    results = webhook_received.send_robust(sender=event.type, event=event)
    failed = [(receiver, error) for receiver, error in results if isinstance(error, Exception)]
    for receiver, error in failed:
        logger.error(
            "Lamba webhook %s (%s): receiver %r raised %s",
            event.id,
            event.type,
            getattr(receiver, "__qualname__", receiver),
            type(error).__name__,
            exc_info=error,
        )
    outcome = "receiver_failed" if failed else "processed"
    LambaWebhookEvent.objects.filter(pk=event.record.pk).update(
        outcome=outcome, processed_at=timezone.now()
    )
    event.record.outcome = outcome
    logger.info("Lamba webhook %s (%s): %s", event.id, event.type, outcome)
    return outcome
