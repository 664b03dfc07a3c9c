"""A note belongs to the customer who wrote it: a ``ForeignKey`` needs ``LAMBA_LOCAL_USERS``."""

from __future__ import annotations

from django.conf import settings
from django.db import models


class Note(models.Model):
    """A line of text a signed-in customer keeps on /notes/."""

    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE)
    text = models.CharField(max_length=200)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ("-created_at",)

    def __str__(self) -> str:
        return self.text
