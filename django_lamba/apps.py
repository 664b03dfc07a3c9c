"""App configuration: registers the system checks, the settings-change receiver and the
built-in webhook handlers."""

from __future__ import annotations

from typing import Any

from django.apps import AppConfig
from django.core.signals import setting_changed

#: Settings whose change makes the user factory (``backends.build_user``) resolve again.
USER_FACTORY_SETTINGS = frozenset({"AUTHENTICATION_BACKENDS", "LAMBA_USER_FACTORY"})


def settings_changed(*, setting: str, **kwargs: Any) -> None:
    """Forget what this process memoised from settings (``override_settings`` in tests)."""
    if setting in USER_FACTORY_SETTINGS or setting.startswith("LAMBA_") or setting == "CACHES":
        # Imported when first needed, as Django apps do: only tests change settings at run time.
        from ._internal.memos import forget_all

        forget_all()


class DjangoLambaConfig(AppConfig):
    name = "django_lamba"
    verbose_name = "Lamba customer identity"
    default_auto_field = "django.db.models.AutoField"

    def ready(self) -> None:
        from . import checks  # noqa: F401  (registers the checks)
        from .signals import webhook_received
        from .webhook_handlers import handle_event

        setting_changed.connect(settings_changed, dispatch_uid="django_lamba.settings_changed")
        # The built-in handlers (each can be turned off: LAMBA_WEBHOOK_DISABLED_HANDLERS).
        webhook_received.connect(handle_event, dispatch_uid="django_lamba.builtin_handlers")
