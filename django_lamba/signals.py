"""Signals django-lamba sends."""

from __future__ import annotations

from django.dispatch import Signal

#: Sent once per accepted webhook event, after its row is committed (never for a redelivery).
#: ``sender`` is the event type (``"session.revoked"``); ``event`` is a
#: ``django_lamba.webhooks.WebhookEvent``. django-lamba's own handlers
#: (``django_lamba.webhook_handlers``) receive it too; ``LAMBA_WEBHOOK_DISABLED_HANDLERS`` turns
#: them off one by one.
webhook_received = Signal()
