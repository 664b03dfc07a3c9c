"""Checks of the token cookies' attributes (E006, E007, W002-W004)."""

from __future__ import annotations

from django.conf import settings
from django.core.checks import CheckMessage, Error, Warning

from ..conf import lamba_settings


def check_cookies() -> list[CheckMessage]:
    messages: list[CheckMessage] = []
    samesite = lamba_settings.COOKIE_SAMESITE
    if samesite not in {"Lax", "Strict", "None"}:
        messages.append(
            Error(
                f"LAMBA_COOKIE_SAMESITE is {samesite!r}.",
                hint="Use 'Lax' (the default), 'Strict' or 'None'.",
                id="django_lamba.E006",
            )
        )
    names = (lamba_settings.SESSION_COOKIE, lamba_settings.REFRESH_COOKIE)
    if any(name.startswith("__Host-") for name in names) and (
        lamba_settings.COOKIE_DOMAIN or not lamba_settings.COOKIE_SECURE
    ):
        messages.append(
            Error(
                "A __Host- cookie name needs Secure and no Domain.",
                hint="Unset LAMBA_COOKIE_DOMAIN and keep LAMBA_COOKIE_SECURE on.",
                id="django_lamba.E007",
            )
        )
    if settings.DEBUG:
        return messages
    if not lamba_settings.COOKIE_SECURE:
        messages.append(
            Warning(
                "LAMBA_COOKIE_SECURE is off with DEBUG off.",
                hint="Token cookies would be sent over plain http; turn it back on.",
                id="django_lamba.W002",
            )
        )
    if samesite == "None":
        messages.append(
            Warning(
                "LAMBA_COOKIE_SAMESITE is 'None' with DEBUG off.",
                hint="Cross-site requests would carry the session; use 'Lax'.",
                id="django_lamba.W003",
            )
        )
    if not all(name.startswith("__Host-") for name in names):
        messages.append(
            Warning(
                "The token cookies are not __Host- prefixed.",
                hint="Set LAMBA_SESSION_COOKIE='__Host-lamba_access_token' and "
                "LAMBA_REFRESH_COOKIE='__Host-lamba_refresh_token' so no subdomain can plant "
                "or read them. Silence with SILENCED_SYSTEM_CHECKS if you share cookies.",
                id="django_lamba.W004",
            )
        )
    return messages
