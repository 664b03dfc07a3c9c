"""The ``LAMBA_*`` settings of calls to Lamba and of sessions: timeouts, tokens, caching."""

from __future__ import annotations

from django.core.exceptions import ImproperlyConfigured

from .settings_site import SiteSettings
from .settingsbase import _bool, _float, _raw, _split, list_setting, setting


class SessionSettings(SiteSettings):
    """Timeouts and retries, token verification, the caches, refresh coordination."""

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
