"""django-lamba's tables: accepted webhook deliveries, and local users' Lamba identities."""

from __future__ import annotations

from django.conf import settings
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


class LambaIdentity(models.Model):
    """Which Django user row stands for a Lamba user (``LAMBA_LOCAL_USERS = True``).

    One row per Lamba user id, one per Django user: the unique constraints are what keeps two
    first requests at once from creating two users. The other fields are what was last synced
    from the customer's context; ``fingerprint`` is their digest, so a sign-in whose context has
    not changed writes nothing. See docs/local-users.md.
    """

    id = models.BigAutoField(primary_key=True)
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="lamba_identity"
    )
    lamba_user_id = models.CharField("Lamba user id", max_length=255, unique=True)
    #: Where the customer was last seen signed in (the session's active scope).
    workspace_id = models.CharField(max_length=255, blank=True)
    project_id = models.CharField(max_length=255, blank=True)
    environment = models.CharField(max_length=64, blank=True)
    email = models.CharField(max_length=320, blank=True)
    username = models.CharField(max_length=255, blank=True)
    display_name = models.CharField(max_length=255, blank=True)
    role_keys = models.JSONField(default=list, blank=True)
    #: Digest of the synced fields as last written; a different one means "sync again".
    fingerprint = models.CharField(max_length=64, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    synced_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = "Lamba identity"
        verbose_name_plural = "Lamba identities"
        ordering = ("-synced_at",)

    def __str__(self) -> str:
        return f"{self.email or self.lamba_user_id} ({self.lamba_user_id})"
