"""Signals django-lamba sends."""

from __future__ import annotations

from django.dispatch import Signal

from ._internal.observe import UpstreamCall, upstream_call

__all__ = ["UpstreamCall", "upstream_call", "webhook_received"]

#: Sent once per accepted webhook event, after its row is committed (never for a redelivery).
#: ``sender`` is the event type (``"session.revoked"``); ``event`` is a
#: ``django_lamba.webhooks.WebhookEvent``. django-lamba's own handlers
#: (``django_lamba.webhook_handlers``) receive it too; ``LAMBA_WEBHOOK_DISABLED_HANDLERS`` turns
#: them off one by one.
webhook_received = Signal()

# ``upstream_call`` is sent after every attempt of every call to Lamba (retries are attempts):
# ``sender`` is ``UpstreamCall`` and ``call`` the ``UpstreamCall`` (method, host, path, status,
# duration_ms, outcome, correlation_id, error_code, trace_id, attempt, server_date). Never a
# token or a body. See docs/observability.md.
