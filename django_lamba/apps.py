"""App configuration: registers the system checks."""

from __future__ import annotations

from django.apps import AppConfig


class DjangoLambaConfig(AppConfig):
    name = "django_lamba"
    verbose_name = "Lamba customer identity"
    default_auto_field = "django.db.models.AutoField"

    def ready(self) -> None:
        from . import checks  # noqa: F401  (registers the checks)
