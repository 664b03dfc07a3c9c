"""The ``LAMBA_*`` settings of where Lamba is and who this site is: hosts, scope, cookies."""

from __future__ import annotations

from django.core.exceptions import ImproperlyConfigured

from .settingsbase import KeptSettings, _bool, _float, _raw, _split, parse_project_pair, setting


class SiteSettings(KeptSettings):
    """Hosts, the Workspace/Project this site serves, client credentials, cookie names."""

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
