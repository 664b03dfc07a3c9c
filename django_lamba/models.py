"""The one table django-lamba keeps: which Lamba webhook deliveries were accepted."""

from __future__ import annotations

from django.db import models
from django.utils import timezone


class LambaWebhookEvent(models.Model):
    """A Lamba webhook event accepted once; its ``event_id`` makes a redelivery a no-op.

    Lamba delivers at least once and retries anything but a 2xx, so the row, not a cache, is
    what remembers an event was handled. The signed payload is kept as received, so
    ``manage.py lamba_webhooks replay`` can send ``webhook_received`` again; pruning removes it.
    """

    # Explicit, so the migration does not depend on any project's DEFAULT_AUTO_FIELD; big,
    # because events accumulate until pruned.
    id = models.BigAutoField(primary_key=True)
    event_id = models.CharField(max_length=255, unique=True)
    type = models.CharField(max_length=255)
    workspace_id = models.CharField(max_length=255, blank=True)
    project_id = models.CharField(max_length=255, blank=True)
    environment = models.CharField(max_length=64, blank=True)
    received_at = models.DateTimeField(default=timezone.now)
    #: ``received`` when stored; ``processed`` or ``receiver_failed`` once receivers ran.
    outcome = models.CharField(max_length=32, default="received")
    processed_at = models.DateTimeField(null=True, blank=True)
    #: The event object as Lamba signed it (``id``, ``type``, ``data``, ...).
    payload = models.JSONField(default=dict, blank=True)

    class Meta:
        verbose_name = "Lamba webhook event"
        ordering = ("-received_at",)

    def __str__(self) -> str:
        return f"{self.type} {self.event_id}"
