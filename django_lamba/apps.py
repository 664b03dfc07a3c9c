"""App configuration: registers the system checks and the package's signal receivers.

They are: settings changes, a saved local user row, a sign-out's kept account pages, and the
built-in webhook handlers.
"""

from __future__ import annotations

from typing import Any

from django.apps import AppConfig, apps
from django.conf import settings
from django.contrib.auth.signals import user_logged_out
from django.core.exceptions import ImproperlyConfigured
from django.core.signals import setting_changed
from django.db.models.signals import post_delete, post_save

#: Settings whose change makes the user factory (``backends.build_user``) resolve again.
USER_FACTORY_SETTINGS = frozenset({"AUTHENTICATION_BACKENDS", "LAMBA_USER_FACTORY"})


#: Apps whose models django_lamba's user and permission code imports: without them Django stops
#: with an obscure error before any system check can run, so ``ready()`` names them instead.
REQUIRED_APPS = ("django.contrib.auth", "django.contrib.contenttypes")


def missing_required_apps() -> list[str]:
    """Return the entries of ``REQUIRED_APPS`` that ``INSTALLED_APPS`` lacks."""
    return [name for name in REQUIRED_APPS if not apps.is_installed(name)]


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
        missing = missing_required_apps()
        if missing:
            raise ImproperlyConfigured(
                "django_lamba needs "
                + " and ".join(repr(name) for name in missing)
                + " in INSTALLED_APPS, listed with 'django_lamba'."
            )
        from . import checks  # noqa: F401  (registers the checks)
        from ._internal.localusers import forget_saved_row
        from .account.cache import forget_on_sign_out
        from .signals import webhook_received
        from .webhook_handlers import handle_event

        # A local user row saved or deleted in this worker (the admin, a webhook) is read again.
        for signal in (post_save, post_delete):
            for sender in (settings.AUTH_USER_MODEL, "django_lamba.LambaIdentity"):
                signal.connect(forget_saved_row, sender=sender, dispatch_uid=f"lamba.{sender}")

        setting_changed.connect(settings_changed, dispatch_uid="django_lamba.settings_changed")
        # Whether or not any view of the account pages was imported in this process.
        user_logged_out.connect(forget_on_sign_out, dispatch_uid="django_lamba.account.sign_out")
        # The built-in handlers (each can be turned off: LAMBA_WEBHOOK_DISABLED_HANDLERS).
        webhook_received.connect(handle_event, dispatch_uid="django_lamba.builtin_handlers")
