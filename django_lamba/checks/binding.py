"""Checks of the tenant binding and this site's own URL (E011-E013, W005)."""

from __future__ import annotations

from urllib.parse import urlsplit

from django.conf import settings
from django.core.checks import CheckMessage, Error, Warning

from ..conf import _raw, _split, lamba_settings, parse_project_pair


def check_binding() -> list[CheckMessage]:
    messages: list[CheckMessage] = []
    raw = _raw("LAMBA_ALLOWED_PROJECTS", None)
    listed = _split(raw) if raw not in (None, "") else []
    bad = [entry for entry in listed if parse_project_pair(entry) is None]
    if bad:
        messages.append(
            Error(
                f"LAMBA_ALLOWED_PROJECTS has entries that are not 'WORKSPACE_ID/PROJECT_ID': "
                f"{bad!r}.",
                hint="Write each allowed Project as 'ws_.../prj_...', e.g. "
                "LAMBA_ALLOWED_PROJECTS = ['ws_shop/prj_shop']; a malformed entry allows "
                "nothing.",
                id="django_lamba.E011",
            )
        )
    configured = (lamba_settings.WORKSPACE_ID, lamba_settings.PROJECT_ID)
    if listed and all(configured) and configured not in lamba_settings.ALLOWED_PROJECTS:
        messages.append(
            Error(
                "LAMBA_ALLOWED_PROJECTS does not list the configured "
                f"'{configured[0]}/{configured[1]}'.",
                hint="Every sign-in is switched into LAMBA_CUSTOMER_WORKSPACE_ID/"
                "LAMBA_CUSTOMER_PROJECT_ID, whose sessions this site would then refuse: add "
                "the pair to LAMBA_ALLOWED_PROJECTS or change the configured Project.",
                id="django_lamba.E012",
            )
        )
    if not lamba_settings.ALLOWED_PROJECTS and not bad:
        messages.append(
            Warning(
                "No Lamba Project is configured: this site accepts the sessions of every "
                "Lamba Project and environment, and unscoped sessions.",
                hint="Every Lamba Workspace shares one issuer and one JWKS, so a customer of "
                "any other Project would be signed in here with that Project's roles. Set "
                "LAMBA_CUSTOMER_WORKSPACE_ID and LAMBA_CUSTOMER_PROJECT_ID (and, for a site "
                "that serves several Projects, LAMBA_ALLOWED_PROJECTS).",
                id="django_lamba.W005",
            )
        )
    return messages


def check_site_url() -> list[CheckMessage]:
    value = lamba_settings.SITE_URL
    if not value:
        if settings.DEBUG:
            return []
        return [
            Error(
                "LAMBA_SITE_URL is not set.",
                hint="Set it to this site's origin, e.g. LAMBA_SITE_URL = "
                "'https://shop.example.com'. Magic links, the OIDC redirect URI and the "
                "post-logout address are built from it, never from the request's Host header.",
                id="django_lamba.E013",
            )
        ]
    parts = urlsplit(value)
    if parts.scheme not in {"http", "https"} or not parts.netloc or parts.path not in {"", "/"}:
        return [
            Error(
                f"LAMBA_SITE_URL is not an origin: {value!r}.",
                hint="Use the scheme and host only, e.g. 'https://shop.example.com'.",
                id="django_lamba.E013",
            )
        ]
    return []
