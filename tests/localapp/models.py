"""A note belongs to a user: the kind of row that needs ``LAMBA_LOCAL_USERS``."""

from __future__ import annotations

from django.conf import settings
from django.db import models


class Note(models.Model):
    """Something a signed-in customer wrote, owned by their local user row."""

    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE)
    text = models.CharField(max_length=200)

    def __str__(self) -> str:
        return self.text
