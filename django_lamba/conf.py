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
"""

from __future__ import annotations

import math
import os
import threading
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, overload

from django.conf import global_settings, settings
from django.core.exceptions import ImproperlyConfigured
from django.core.signals import setting_changed
from django.utils.functional import empty

_MISSING = object()

# ``django.conf.settings`` keeps the settings object it stands for in its own ``__dict__``
# (``_wrapped``). ``override_settings`` (and pytest-django's ``settings`` fixture, which deletes
# through it without sending ``setting_changed``) put a new object there and the old one back
# afterwards; comparing identities is one dict lookup. Read the dict without going through
# ``LazySettings.__getattribute__``, which costs a Python call per attribute.
_SETTINGS_STATE: dict[str, Any] = object.__getattribute__(settings, "__dict__")


def _settings_source() -> object:
    """The settings object ``django.conf.settings`` currently stands for (``empty`` if none)."""
    return _SETTINGS_STATE.get("_wrapped", empty)


#: Aliases the vendor's pages also use for the same values.
_ALIASES: dict[str, tuple[str, ...]] = {
    "LAMBA_CUSTOMER_AUTH_BASE_URL": ("LAMBA_CUSTOMER_AUTH_BASE",),
    "LAMBA_CUSTOMER_API_BASE_URL": ("LAMBA_CUSTOMER_API_BASE",),
    "LAMBA_CUSTOMER_WORKSPACE_ID": ("LAMBA_WORKSPACE_ID",),
    "LAMBA_CUSTOMER_PROJECT_ID": ("LAMBA_PROJECT_ID",),
    "LAMBA_CUSTOMER_ENV": ("LAMBA_ENV",),
}


def _raw(name: str, default: Any = _MISSING) -> Any:
    """Return the setting ``name``, else its environment variable (or alias), else ``default``."""
    # Ask the wrapped settings object directly: LazySettings.__getattr__ raises and catches an
    # AttributeError for every unset name, and most LAMBA_* settings are unset (defaults).
    wrapped = _settings_source()
    value = getattr(settings if wrapped is empty else wrapped, name, _MISSING)
    if value is not _MISSING:
        return value
    for env_name in (name, *_ALIASES.get(name, ())):
        env_value = os.environ.get(env_name)
        if env_value not in (None, ""):
            return env_value
    return default


def _split(value: Any) -> list[str]:
    """A list setting, given as a list/tuple or as a comma-separated string."""
    if isinstance(value, str):
        return [part.strip() for part in value.split(",") if part.strip()]
    return [str(part).strip() for part in value]


def parse_project_pair(entry: str) -> tuple[str, str] | None:
    """``"ws_1/prj_1"`` → ``("ws_1", "prj_1")``; ``None`` when it is not exactly that shape."""
    parts = str(entry).strip().split("/")
    if len(parts) != 2 or not all(part.strip() for part in parts):
        return None
    return parts[0].strip(), parts[1].strip()


def _bool(value: Any) -> bool:
    if isinstance(value, str):
        return value.strip().lower() in {"1", "true", "yes", "on"}
    return bool(value)


def _float(name: str, value: Any) -> float:
    try:
        number = float(value)
    except (TypeError, ValueError):
        number = math.nan
    if not math.isfinite(number):
        raise ImproperlyConfigured(f"{name} must be a finite number, got {value!r}.")
    return number


class _Setting(property):
    """A ``LambaSettings`` property whose value is resolved once and kept until a reload.

    Still a ``property`` (read-only, documented by its getter), so tools that list the settings
    by their properties keep working. A kept value is one dict lookup away.
    """

    def __init__(self, fget: Callable[[Any], Any]) -> None:
        super().__init__(fget)
        self.name = fget.__name__
        self.compute = fget

    @overload
    def __get__(self, instance: None, owner: type | None = None, /) -> _Setting: ...

    @overload
    def __get__(self, instance: LambaSettings, owner: type | None = None, /) -> Any: ...

    def __get__(self, instance: LambaSettings | None, owner: type | None = None, /) -> Any:
        if instance is None:
            return self
        if _SETTINGS_STATE.get("_wrapped", empty) is instance._source:
            value = instance._values.get(self.name, _MISSING)
            if value is not _MISSING:
                return value
        return instance._resolve(self)


class _ListSetting(_Setting):
    """A kept list setting, handed out as a new list each time (callers may change theirs)."""

    def __get__(self, instance: LambaSettings | None, owner: type | None = None, /) -> Any:
        if instance is None:
            return self
        return list(super().__get__(instance, owner))


if TYPE_CHECKING:
    # Type checkers see plain properties, typed by their getters.
    setting = property
    list_setting = property
else:
    setting = _Setting
    list_setting = _ListSetting


class LambaSettings:
    """The package's settings, resolved from Django settings or the environment on first read.

    See the module docstring for when kept values are dropped (``reload()``).
    """

    def __init__(self) -> None:
        #: The settings object the kept values were resolved from, and the values by property.
        self._source: object = None
        self._values: dict[str, Any] = {}
        #: Bumped by every reload, so a read that started before one keeps nothing.
        self._generation = 0
        self._lock = threading.Lock()

    def reload(self) -> None:
        """Drop every kept value: the next read of each setting resolves it again.

        Call it after changing ``os.environ``, or ``django.conf.settings`` directly, at run
        time. Changes through ``override_settings`` or pytest-django's ``settings`` fixture
        need no call.
        """
        with self._lock:
            self._drop()

    def stamp(self) -> object | None:
        """Return a token that stays the same (``is``) until a kept value is dropped.

        ``None`` while ``django.conf.settings`` stands for another settings object than the
        kept values came from. For memos judged under the current settings (``warm``).
        """
        if _settings_source() is not self._source:
            return None
        return self._values

    def _drop(self) -> None:
        self._generation += 1
        self._values = {}

    def _resolve(self, prop: _Setting) -> Any:
        """Resolve ``prop``; keep its value unless the settings changed meanwhile."""
        with self._lock:
            source = _settings_source()
            if source is not self._source:
                self._drop()
                self._source = source
            generation = self._generation
        value = prop.compute(self)
        with self._lock:
            if generation == self._generation and source is _settings_source():
                self._values[prop.name] = value
        return value

    # --- hosts and scope -------------------------------------------------------------------

    @setting
    def AUTH_BASE_URL(self) -> str:
        return self._url("LAMBA_CUSTOMER_AUTH_BASE_URL")

    @setting
    def API_BASE_URL(self) -> str:
        return self._url("LAMBA_CUSTOMER_API_BASE_URL")

    def _url(self, name: str) -> str:
        value = _raw(name, "")
        if not value:
            raise ImproperlyConfigured(
                f"{name} is not set. Set it in settings.py or the environment, e.g. "
                "https://test.id.uselamba.com for the auth host."
            )
        return str(value).rstrip("/")

    @setting
    def WORKSPACE_ID(self) -> str:
        return str(_raw("LAMBA_CUSTOMER_WORKSPACE_ID", "") or "")

    @setting
    def PROJECT_ID(self) -> str:
        return str(_raw("LAMBA_CUSTOMER_PROJECT_ID", "") or "")

    @setting
    def ENV(self) -> str:
        return str(_raw("LAMBA_CUSTOMER_ENV", "test") or "test")

    @setting
    def ALLOWED_PROJECTS(self) -> tuple[tuple[str, str], ...]:
        """The ``(workspace_id, project_id)`` pairs whose sessions are signed in on this site.

        ``LAMBA_ALLOWED_PROJECTS`` lists ``"WORKSPACE_ID/PROJECT_ID"`` strings (comma-separated
        in the environment); by default it is just the configured Workspace and Project, and
        empty when neither is configured. Malformed entries allow nothing (``manage.py check``
        reports them as ``django_lamba.E011``).
        """
        value = _raw("LAMBA_ALLOWED_PROJECTS", None)
        if value in (None, "", [], ()):
            if self.WORKSPACE_ID and self.PROJECT_ID:
                return ((self.WORKSPACE_ID, self.PROJECT_ID),)
            return ()
        pairs = []
        for entry in _split(value):
            pair = parse_project_pair(entry)
            if pair is not None and pair not in pairs:
                pairs.append(pair)
        return tuple(pairs)

    @setting
    def SITE_URL(self) -> str:
        """The site's own origin (``https://shop.example.com``): every absolute URL sent out."""
        return str(_raw("LAMBA_SITE_URL", "") or "").rstrip("/")

    @setting
    def USER_FACTORY(self) -> str:
        """Dotted path of what builds ``request.user`` ("" = the backend's ``make_user``)."""
        return str(_raw("LAMBA_USER_FACTORY", "") or "")

    @setting
    def CLIENT_ID(self) -> str:
        return str(_raw("LAMBA_CLIENT_ID", "") or "")

    @setting
    def CLIENT_SECRET(self) -> str:
        return str(_raw("LAMBA_CLIENT_SECRET", "") or "")

    @setting
    def MANAGEMENT_CLIENT_ID(self) -> str:
        return str(_raw("LAMBA_MANAGEMENT_CLIENT_ID", "") or "")

    @setting
    def MANAGEMENT_CLIENT_SECRET(self) -> str:
        return str(_raw("LAMBA_MANAGEMENT_CLIENT_SECRET", "") or "")

    # --- cookies ---------------------------------------------------------------------------

    @setting
    def SESSION_COOKIE(self) -> str:
        return str(_raw("LAMBA_SESSION_COOKIE", "lamba_access_token"))

    @setting
    def REFRESH_COOKIE(self) -> str:
        return str(_raw("LAMBA_REFRESH_COOKIE", "lamba_refresh_token"))

    @setting
    def COOKIE_SECURE(self) -> bool:
        return _bool(_raw("LAMBA_COOKIE_SECURE", True))

    @setting
    def COOKIE_SAMESITE(self) -> str:
        value = str(_raw("LAMBA_COOKIE_SAMESITE", "Lax"))
        return {"lax": "Lax", "strict": "Strict", "none": "None"}.get(value.lower(), value)

    @setting
    def COOKIE_DOMAIN(self) -> str | None:
        return _raw("LAMBA_COOKIE_DOMAIN", None) or None

    @setting
    def COOKIE_MAX_BYTES(self) -> int:
        """Refuse cookie values longer than this unread (browsers drop cookies over 4096 bytes)."""
        return int(_float("LAMBA_COOKIE_MAX_BYTES", _raw("LAMBA_COOKIE_MAX_BYTES", 4096)))

    # --- network ---------------------------------------------------------------------------

    @setting
    def CONNECT_TIMEOUT(self) -> float:
        return _float("LAMBA_CONNECT_TIMEOUT", _raw("LAMBA_CONNECT_TIMEOUT", 3.05))

    @setting
    def READ_TIMEOUT(self) -> float:
        return _float("LAMBA_READ_TIMEOUT", _raw("LAMBA_READ_TIMEOUT", 10.0))

    @setting
    def TOTAL_TIMEOUT(self) -> float:
        """The deadline of one call to Lamba: connect, headers, body, retries and waits.

        Unset, it is ``LAMBA_CONNECT_TIMEOUT + LAMBA_READ_TIMEOUT``: one attempt may use both
        timeouts in full, and no call outlives them, however slowly the answer arrives.
        """
        value = _raw("LAMBA_TOTAL_TIMEOUT", None)
        if value in (None, ""):
            return self.CONNECT_TIMEOUT + self.READ_TIMEOUT
        seconds = _float("LAMBA_TOTAL_TIMEOUT", value)
        if seconds <= 0:
            raise ImproperlyConfigured(f"LAMBA_TOTAL_TIMEOUT must be positive, got {value!r}.")
        return seconds

    @setting
    def MAX_RETRIES(self) -> int:
        """Retries of idempotent calls after a 429 or a connection error (never for POSTs)."""
        return int(_float("LAMBA_MAX_RETRIES", _raw("LAMBA_MAX_RETRIES", 1)))

    @setting
    def CIRCUIT_FAILURES(self) -> int:
        """Consecutive outages of a Lamba host before calls to it pause (0 disables)."""
        return int(_float("LAMBA_CIRCUIT_FAILURES", _raw("LAMBA_CIRCUIT_FAILURES", 5)))

    @setting
    def CIRCUIT_RESET(self) -> float:
        """Seconds calls to a failing Lamba host pause before one trial call."""
        return _float("LAMBA_CIRCUIT_RESET", _raw("LAMBA_CIRCUIT_RESET", 10))

    @setting
    def MAX_RETRY_WAIT(self) -> float:
        """The longest a request thread sleeps for one ``Retry-After`` before giving up."""
        return _float("LAMBA_MAX_RETRY_WAIT", _raw("LAMBA_MAX_RETRY_WAIT", 2.0))

    # --- verification and caching ----------------------------------------------------------

    @setting
    def VERIFY_JWT(self) -> bool:
        return _bool(_raw("LAMBA_VERIFY_JWT", True))

    @list_setting
    def JWT_ALGORITHMS(self) -> list[str]:
        return _split(_raw("LAMBA_JWT_ALGORITHMS", ["RS256"]))

    @setting
    def JWT_ISSUER(self) -> str:
        """The ``iss`` access tokens must carry (default: the auth base URL)."""
        # Exactly as configured: an issuer with a trailing slash is another issuer.
        return str(_raw("LAMBA_JWT_ISSUER", "") or "") or self.AUTH_BASE_URL

    @setting
    def JWT_AUDIENCE(self) -> str | None:
        return _raw("LAMBA_JWT_AUDIENCE", None) or None

    @setting
    def JWT_LEEWAY(self) -> float:
        return min(_float("LAMBA_JWT_LEEWAY", _raw("LAMBA_JWT_LEEWAY", 30)), 60.0)

    @setting
    def JWKS_CACHE_TTL(self) -> float:
        return _float("LAMBA_JWKS_CACHE_TTL", _raw("LAMBA_JWKS_CACHE_TTL", 3600))

    @setting
    def JWKS_MAX_AGE(self) -> float:
        """After this long without a successful fetch, cached keys are no longer trusted."""
        return _float("LAMBA_JWKS_MAX_AGE", _raw("LAMBA_JWKS_MAX_AGE", 86400))

    @setting
    def JWKS_MIN_REFETCH_INTERVAL(self) -> float:
        return _float(
            "LAMBA_JWKS_MIN_REFETCH_INTERVAL", _raw("LAMBA_JWKS_MIN_REFETCH_INTERVAL", 60)
        )

    @setting
    def CACHE_ALIAS(self) -> str:
        return str(_raw("LAMBA_CACHE_ALIAS", "default"))

    @setting
    def CONTEXT_CACHE_TTL(self) -> float:
        return _float("LAMBA_CONTEXT_CACHE_TTL", _raw("LAMBA_CONTEXT_CACHE_TTL", 300))

    @setting
    def LOCAL_CONTEXT_TTL(self) -> float:
        """Seconds a worker reuses a context it read without asking the shared cache again.

        A sign-out in another worker is seen here at most this much later (0 disables).
        """
        return _float("LAMBA_LOCAL_CONTEXT_TTL", _raw("LAMBA_LOCAL_CONTEXT_TTL", 2))

    @setting
    def STALE_CONTEXT_TTL(self) -> float:
        """Serve the last known context this long while Lamba is down (0 disables)."""
        return _float("LAMBA_STALE_CONTEXT_TTL", _raw("LAMBA_STALE_CONTEXT_TTL", 0))

    @setting
    def REFRESH_LOCK_TIMEOUT(self) -> float:
        return _float("LAMBA_REFRESH_LOCK_TIMEOUT", _raw("LAMBA_REFRESH_LOCK_TIMEOUT", 10))

    @setting
    def REFRESH_WAIT(self) -> float:
        """How long a request that lost the refresh race waits for the winner's tokens."""
        return _float("LAMBA_REFRESH_WAIT", _raw("LAMBA_REFRESH_WAIT", 5))

    @setting
    def REFRESH_GRACE(self) -> float:
        """How long a just-rotated refresh token still resolves to its successor."""
        return _float("LAMBA_REFRESH_GRACE", _raw("LAMBA_REFRESH_GRACE", 30))

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


lamba_settings = LambaSettings()


def _setting_changed(**kwargs: Any) -> None:
    """Any setting may feed a ``LAMBA_*`` default (``LOGIN_REDIRECT_URL``): drop them all."""
    lamba_settings.reload()


# Connected at import, so it runs before the receivers of modules that import lamba_settings.
setting_changed.connect(_setting_changed, dispatch_uid="django_lamba.conf.reload")
