"""Typed access to the ``LAMBA_*`` settings.

Every property reads ``django.conf.settings`` on each access, falling back to the environment
variable of the same name, so ``override_settings`` and per-process environments both work.
Nothing here is captured at import time.
"""

from __future__ import annotations

import math
import os
from typing import Any

from django.conf import global_settings, settings
from django.core.exceptions import ImproperlyConfigured
from django.utils.functional import empty

_MISSING = object()

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
    wrapped = getattr(settings, "_wrapped", empty)
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


class LambaSettings:
    """The package's settings, each read fresh from Django settings or the environment."""

    # --- hosts and scope -------------------------------------------------------------------

    @property
    def AUTH_BASE_URL(self) -> str:
        return self._url("LAMBA_CUSTOMER_AUTH_BASE_URL")

    @property
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

    @property
    def WORKSPACE_ID(self) -> str:
        return str(_raw("LAMBA_CUSTOMER_WORKSPACE_ID", "") or "")

    @property
    def PROJECT_ID(self) -> str:
        return str(_raw("LAMBA_CUSTOMER_PROJECT_ID", "") or "")

    @property
    def ENV(self) -> str:
        return str(_raw("LAMBA_CUSTOMER_ENV", "test") or "test")

    @property
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

    @property
    def SITE_URL(self) -> str:
        """The site's own origin (``https://shop.example.com``): every absolute URL sent out."""
        return str(_raw("LAMBA_SITE_URL", "") or "").rstrip("/")

    @property
    def CLIENT_ID(self) -> str:
        return str(_raw("LAMBA_CLIENT_ID", "") or "")

    @property
    def CLIENT_SECRET(self) -> str:
        return str(_raw("LAMBA_CLIENT_SECRET", "") or "")

    @property
    def MANAGEMENT_CLIENT_ID(self) -> str:
        return str(_raw("LAMBA_MANAGEMENT_CLIENT_ID", "") or "")

    @property
    def MANAGEMENT_CLIENT_SECRET(self) -> str:
        return str(_raw("LAMBA_MANAGEMENT_CLIENT_SECRET", "") or "")

    # --- cookies ---------------------------------------------------------------------------

    @property
    def SESSION_COOKIE(self) -> str:
        return str(_raw("LAMBA_SESSION_COOKIE", "lamba_access_token"))

    @property
    def REFRESH_COOKIE(self) -> str:
        return str(_raw("LAMBA_REFRESH_COOKIE", "lamba_refresh_token"))

    @property
    def COOKIE_SECURE(self) -> bool:
        return _bool(_raw("LAMBA_COOKIE_SECURE", True))

    @property
    def COOKIE_SAMESITE(self) -> str:
        value = str(_raw("LAMBA_COOKIE_SAMESITE", "Lax"))
        return {"lax": "Lax", "strict": "Strict", "none": "None"}.get(value.lower(), value)

    @property
    def COOKIE_DOMAIN(self) -> str | None:
        return _raw("LAMBA_COOKIE_DOMAIN", None) or None

    @property
    def COOKIE_MAX_BYTES(self) -> int:
        """Refuse cookie values longer than this unread (browsers drop cookies over 4096 bytes)."""
        return int(_float("LAMBA_COOKIE_MAX_BYTES", _raw("LAMBA_COOKIE_MAX_BYTES", 4096)))

    # --- network ---------------------------------------------------------------------------

    @property
    def CONNECT_TIMEOUT(self) -> float:
        return _float("LAMBA_CONNECT_TIMEOUT", _raw("LAMBA_CONNECT_TIMEOUT", 3.05))

    @property
    def READ_TIMEOUT(self) -> float:
        return _float("LAMBA_READ_TIMEOUT", _raw("LAMBA_READ_TIMEOUT", 10.0))

    @property
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

    @property
    def MAX_RETRIES(self) -> int:
        """Retries of idempotent calls after a 429 or a connection error (never for POSTs)."""
        return int(_float("LAMBA_MAX_RETRIES", _raw("LAMBA_MAX_RETRIES", 1)))

    @property
    def CIRCUIT_FAILURES(self) -> int:
        """Consecutive outages of a Lamba host before calls to it pause (0 disables)."""
        return int(_float("LAMBA_CIRCUIT_FAILURES", _raw("LAMBA_CIRCUIT_FAILURES", 5)))

    @property
    def CIRCUIT_RESET(self) -> float:
        """Seconds calls to a failing Lamba host pause before one trial call."""
        return _float("LAMBA_CIRCUIT_RESET", _raw("LAMBA_CIRCUIT_RESET", 10))

    @property
    def MAX_RETRY_WAIT(self) -> float:
        """The longest a request thread sleeps for one ``Retry-After`` before giving up."""
        return _float("LAMBA_MAX_RETRY_WAIT", _raw("LAMBA_MAX_RETRY_WAIT", 2.0))

    # --- verification and caching ----------------------------------------------------------

    @property
    def VERIFY_JWT(self) -> bool:
        return _bool(_raw("LAMBA_VERIFY_JWT", True))

    @property
    def JWT_ALGORITHMS(self) -> list[str]:
        return _split(_raw("LAMBA_JWT_ALGORITHMS", ["RS256"]))

    @property
    def JWT_ISSUER(self) -> str:
        """The ``iss`` access tokens must carry (default: the auth base URL)."""
        # Exactly as configured: an issuer with a trailing slash is another issuer.
        return str(_raw("LAMBA_JWT_ISSUER", "") or "") or self.AUTH_BASE_URL

    @property
    def JWT_AUDIENCE(self) -> str | None:
        return _raw("LAMBA_JWT_AUDIENCE", None) or None

    @property
    def JWT_LEEWAY(self) -> float:
        return min(_float("LAMBA_JWT_LEEWAY", _raw("LAMBA_JWT_LEEWAY", 30)), 60.0)

    @property
    def JWKS_CACHE_TTL(self) -> float:
        return _float("LAMBA_JWKS_CACHE_TTL", _raw("LAMBA_JWKS_CACHE_TTL", 3600))

    @property
    def JWKS_MAX_AGE(self) -> float:
        """After this long without a successful fetch, cached keys are no longer trusted."""
        return _float("LAMBA_JWKS_MAX_AGE", _raw("LAMBA_JWKS_MAX_AGE", 86400))

    @property
    def JWKS_MIN_REFETCH_INTERVAL(self) -> float:
        return _float(
            "LAMBA_JWKS_MIN_REFETCH_INTERVAL", _raw("LAMBA_JWKS_MIN_REFETCH_INTERVAL", 60)
        )

    @property
    def CACHE_ALIAS(self) -> str:
        return str(_raw("LAMBA_CACHE_ALIAS", "default"))

    @property
    def CONTEXT_CACHE_TTL(self) -> float:
        return _float("LAMBA_CONTEXT_CACHE_TTL", _raw("LAMBA_CONTEXT_CACHE_TTL", 300))

    @property
    def LOCAL_CONTEXT_TTL(self) -> float:
        """Seconds a worker reuses a context it read without asking the shared cache again.

        A sign-out in another worker is seen here at most this much later (0 disables).
        """
        return _float("LAMBA_LOCAL_CONTEXT_TTL", _raw("LAMBA_LOCAL_CONTEXT_TTL", 2))

    @property
    def STALE_CONTEXT_TTL(self) -> float:
        """Serve the last known context this long while Lamba is down (0 disables)."""
        return _float("LAMBA_STALE_CONTEXT_TTL", _raw("LAMBA_STALE_CONTEXT_TTL", 0))

    @property
    def REFRESH_LOCK_TIMEOUT(self) -> float:
        return _float("LAMBA_REFRESH_LOCK_TIMEOUT", _raw("LAMBA_REFRESH_LOCK_TIMEOUT", 10))

    @property
    def REFRESH_WAIT(self) -> float:
        """How long a request that lost the refresh race waits for the winner's tokens."""
        return _float("LAMBA_REFRESH_WAIT", _raw("LAMBA_REFRESH_WAIT", 5))

    @property
    def REFRESH_GRACE(self) -> float:
        """How long a just-rotated refresh token still resolves to its successor."""
        return _float("LAMBA_REFRESH_GRACE", _raw("LAMBA_REFRESH_GRACE", 30))

    # --- views -----------------------------------------------------------------------------

    @property
    def LOGIN_REDIRECT_URL(self) -> str:
        # Django's own default (/accounts/profile/) counts only when the project chose it.
        chosen = settings.LOGIN_REDIRECT_URL
        default = chosen if chosen != global_settings.LOGIN_REDIRECT_URL else "/"
        return str(_raw("LAMBA_LOGIN_REDIRECT_URL", default))

    @property
    def LOGOUT_REDIRECT_URL(self) -> str:
        default = getattr(settings, "LOGOUT_REDIRECT_URL", None) or "/"
        return str(_raw("LAMBA_LOGOUT_REDIRECT_URL", default))

    @property
    def RETRY_AFTER_DEFAULT(self) -> int:
        """The ``Retry-After`` sent with a 503 when Lamba gave none."""
        return int(_float("LAMBA_RETRY_AFTER_DEFAULT", _raw("LAMBA_RETRY_AFTER_DEFAULT", 30)))

    # --- OIDC hosted login and passwordless flows ------------------------------------------

    @property
    def OIDC_ISSUER(self) -> str:
        """The OpenID provider's issuer; discovery is read from its well-known document."""
        value = str(_raw("LAMBA_OIDC_ISSUER", "") or "").rstrip("/")
        return value or self.AUTH_BASE_URL

    @property
    def OIDC_SCOPES(self) -> str:
        value = _raw("LAMBA_OIDC_SCOPES", "openid email profile")
        if not isinstance(value, str):
            value = " ".join(str(scope) for scope in value)
        scopes = value.split()
        return " ".join(scopes if "openid" in scopes else ["openid", *scopes])

    @property
    def OIDC_REDIRECT_URL(self) -> str:
        """The callback URL registered with the provider ("" = ``LAMBA_SITE_URL`` + the route)."""
        return str(_raw("LAMBA_OIDC_REDIRECT_URL", "") or "")

    @property
    def OIDC_USERINFO(self) -> bool:
        """Whether the callback also reads the userinfo endpoint (its ``sub`` must match)."""
        return _bool(_raw("LAMBA_OIDC_USERINFO", True))

    @property
    def IP_RATE_LIMIT(self) -> int:
        """Magic-link and phone-code sends (and, separately, verifications) per IP and window."""
        return int(_float("LAMBA_IP_RATE_LIMIT", _raw("LAMBA_IP_RATE_LIMIT", 20)))

    @property
    def IP_RATE_WINDOW(self) -> float:
        return _float("LAMBA_IP_RATE_WINDOW", _raw("LAMBA_IP_RATE_WINDOW", 600))

    @property
    def CLIENT_IP_HEADER(self) -> str:
        """The ``request.META`` key your trusted proxy puts the client address in ("" = peer)."""
        return str(_raw("LAMBA_CLIENT_IP_HEADER", "") or "")


lamba_settings = LambaSettings()
