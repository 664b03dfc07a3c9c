"""Typed access to the ``LAMBA_*`` settings.

Each property resolves its setting once: ``django.conf.settings`` first, then the environment
variable of the same name (or an alias), then the default. The resolved value is kept for later
reads, because a request reads several settings and resolving one costs microseconds, while a
kept value costs a dict lookup.

The kept values are dropped, all at once, when:

- ``django.conf.settings`` stands for another settings object, as inside and after
  ``override_settings``, ``modify_settings`` or any change through pytest-django's ``settings``
  fixture (deleting a setting there sends no ``setting_changed``, so this is checked on every
  read: one identity comparison);
- Django sends ``setting_changed``, for any setting (``LAMBA_LOGIN_REDIRECT_URL`` falls back to
  ``LOGIN_REDIRECT_URL``). The receiver is connected when this module is imported, before any
  module that reads these settings can connect its own, so a receiver that rebuilds something
  from ``lamba_settings`` (the tenant binding's policy) already reads the new values;
- ``lamba_settings.reload()`` is called. Changing ``os.environ``, or assigning to
  ``django.conf.settings`` directly, at run time (a test's ``monkeypatch.setenv``) is not seen
  until then: call ``reload()`` after it.

A value that cannot be resolved (a missing base URL, a number that is not one) raises
``ImproperlyConfigured`` on every read and is never kept. List settings are handed out as new
lists. Nothing is read at import time.

The machinery (``_raw``, the parsers, the kept-value descriptor) lives in
``_internal/settingsbase.py``; the first groups of properties in ``_internal/settings_site.py``
and ``_internal/settings_session.py``, which ``LambaSettings`` inherits.
"""

from __future__ import annotations

from typing import Any

from django.conf import global_settings, settings
from django.core.exceptions import ImproperlyConfigured
from django.core.signals import setting_changed

from ._internal.settings_session import SessionSettings
from ._internal.settingsbase import _ALIASES as _ALIASES
from ._internal.settingsbase import _MISSING as _MISSING
from ._internal.settingsbase import _bool, _float, list_setting, setting
from ._internal.settingsbase import _raw as _raw
from ._internal.settingsbase import _split as _split
from ._internal.settingsbase import parse_project_pair as parse_project_pair

__all__ = ["LambaSettings", "lamba_settings", "parse_project_pair"]


class LambaSettings(SessionSettings):
    """The package's settings, resolved from Django settings or the environment on first read.

    Grouped by concern: hosts, scope and cookies (``SiteSettings``), calls, verification,
    caching and refresh (``SessionSettings``), then views, flows and webhooks below. See the
    module docstring for when kept values are dropped (``reload()``). A new setting is a
    property at the end of this class, in a commented section of its own.
    """

    # --- views -----------------------------------------------------------------------------

    @setting
    def LOGIN_REDIRECT_URL(self) -> str:
        # Django's own default (/accounts/profile/) counts only when the project chose it.
        chosen = settings.LOGIN_REDIRECT_URL
        default = chosen if chosen != global_settings.LOGIN_REDIRECT_URL else "/"
        return str(_raw("LAMBA_LOGIN_REDIRECT_URL", default))

    @setting
    def LOGOUT_REDIRECT_URL(self) -> str:
        default = getattr(settings, "LOGOUT_REDIRECT_URL", None) or "/"
        return str(_raw("LAMBA_LOGOUT_REDIRECT_URL", default))

    @setting
    def RETRY_AFTER_DEFAULT(self) -> int:
        """The ``Retry-After`` sent with a 503 when Lamba gave none."""
        return int(_float("LAMBA_RETRY_AFTER_DEFAULT", _raw("LAMBA_RETRY_AFTER_DEFAULT", 30)))

    # --- OIDC hosted login and passwordless flows ------------------------------------------

    @setting
    def OIDC_ISSUER(self) -> str:
        """The OpenID provider's issuer; discovery is read from its well-known document."""
        value = str(_raw("LAMBA_OIDC_ISSUER", "") or "").rstrip("/")
        return value or self.AUTH_BASE_URL

    @setting
    def OIDC_SCOPES(self) -> str:
        value = _raw("LAMBA_OIDC_SCOPES", "openid email profile")
        if not isinstance(value, str):
            value = " ".join(str(scope) for scope in value)
        scopes = value.split()
        return " ".join(scopes if "openid" in scopes else ["openid", *scopes])

    @setting
    def OIDC_REDIRECT_URL(self) -> str:
        """The callback URL registered with the provider ("" = ``LAMBA_SITE_URL`` + the route)."""
        return str(_raw("LAMBA_OIDC_REDIRECT_URL", "") or "")

    @setting
    def OIDC_USERINFO(self) -> bool:
        """Whether the callback also reads the userinfo endpoint (its ``sub`` must match)."""
        return _bool(_raw("LAMBA_OIDC_USERINFO", True))

    @setting
    def IP_RATE_LIMIT(self) -> int:
        """Code sends and, separately, code checks (magic link, phone, MFA) per IP and window."""
        return int(_float("LAMBA_IP_RATE_LIMIT", _raw("LAMBA_IP_RATE_LIMIT", 20)))

    @setting
    def IP_RATE_WINDOW(self) -> float:
        return _float("LAMBA_IP_RATE_WINDOW", _raw("LAMBA_IP_RATE_WINDOW", 600))

    @setting
    def CLIENT_IP_HEADER(self) -> str:
        """The ``request.META`` key your trusted proxy puts the client address in ("" = peer)."""
        return str(_raw("LAMBA_CLIENT_IP_HEADER", "") or "")

    # --- webhooks --------------------------------------------------------------------------

    @list_setting
    def WEBHOOK_SECRET(self) -> list[str]:
        """The endpoint's signing secrets; during a rotation any one of them verifies."""
        value = _raw("LAMBA_WEBHOOK_SECRET", "")
        return _split(value or "")

    @setting
    def WEBHOOK_TOLERANCE_SECONDS(self) -> float:
        """How far ``X-Lamba-Timestamp`` may lie behind (or ahead of) this server's clock."""
        return _float(
            "LAMBA_WEBHOOK_TOLERANCE_SECONDS", _raw("LAMBA_WEBHOOK_TOLERANCE_SECONDS", 300)
        )

    @setting
    def WEBHOOK_ACCEPT_LEGACY_SIGNATURES(self) -> bool:
        """Also accept the older uppercase-hex ``{ts}:{body}`` signature (no ``v1=`` prefix)."""
        return _bool(_raw("LAMBA_WEBHOOK_ACCEPT_LEGACY_SIGNATURES", False))

    # --- local users (docs/local-users.md) ------------------------------------------------------

    @setting
    def LOCAL_USERS(self) -> bool:
        """Make ``request.user`` a row of ``AUTH_USER_MODEL`` linked by ``LambaIdentity``."""
        return _bool(_raw("LAMBA_LOCAL_USERS", False))

    @setting
    def USER_MAPPER(self) -> str:
        """Dotted path of ``map_user(user, lamba_user, *, created)`` ("" = the backend's)."""
        return str(_raw("LAMBA_USER_MAPPER", "") or "")

    @setting
    def LOCAL_USER_CACHE_TTL(self) -> float:
        """Seconds a worker reuses a local user row without reading the database again."""
        return _float("LAMBA_LOCAL_USER_CACHE_TTL", _raw("LAMBA_LOCAL_USER_CACHE_TTL", 60))

    # --- account pages (django_lamba.account) ----------------------------------------------

    @setting
    def ACCOUNT_CACHE_TTL(self) -> float:
        """Seconds the account pages reuse a session's security, sign-in methods and memberships.

        Kept per access token in the shared cache; a profile update and a sign-out drop them at
        once (0 disables the cache).
        """
        return _float("LAMBA_ACCOUNT_CACHE_TTL", _raw("LAMBA_ACCOUNT_CACHE_TTL", 60))

    # --- webhook handlers and revocation (docs/webhooks.md) --------------------------------

    @list_setting
    def WEBHOOK_DISABLED_HANDLERS(self) -> list[str]:
        """Built-in webhook handlers to leave out (``end_sessions``, ``refresh_users``, ...)."""
        known = {"end_sessions", "drop_authorization", "refresh_users", "local_users"}
        names = _split(_raw("LAMBA_WEBHOOK_DISABLED_HANDLERS", []))
        unknown = sorted(set(names) - known)
        if unknown:
            raise ImproperlyConfigured(
                f"LAMBA_WEBHOOK_DISABLED_HANDLERS names unknown handlers {unknown}; "
                f"known: {sorted(known)}."
            )
        return names

    @setting
    def REVOCATION_CHECK_INTERVAL(self) -> float:
        """How often (seconds) a worker looks whether a webhook ended sessions elsewhere."""
        return _float(
            "LAMBA_REVOCATION_CHECK_INTERVAL", _raw("LAMBA_REVOCATION_CHECK_INTERVAL", 0.25)
        )


lamba_settings = LambaSettings()


def _setting_changed(**kwargs: Any) -> None:
    """Any setting may feed a ``LAMBA_*`` default (``LOGIN_REDIRECT_URL``): drop them all."""
    lamba_settings.reload()


# Connected at import, so it runs before the receivers of modules that import lamba_settings.
setting_changed.connect(_setting_changed, dispatch_uid="django_lamba.conf.reload")
