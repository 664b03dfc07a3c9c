"""App configuration: registers the system checks and the settings-change receiver."""

from __future__ import annotations

from typing import Any

from django.apps import AppConfig, apps
from django.core.exceptions import ImproperlyConfigured
from django.core.signals import setting_changed

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

        setting_changed.connect(settings_changed, dispatch_uid="django_lamba.settings_changed")
