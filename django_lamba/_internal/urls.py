"""Absolute URLs this site sends out, built from ``LAMBA_SITE_URL`` and never from the request.

A magic link emailed by Lamba, an OIDC ``redirect_uri`` or a post-logout return address built
from the ``Host`` header would point wherever a forged header says (CWE-640: a sign-in link to
an attacker's host leaks its token). So every one of them is ``LAMBA_SITE_URL`` + a route. Only
in development (``DEBUG`` on) and only for a loopback host does the request stand in for it.
"""

from __future__ import annotations

import logging
from urllib.parse import urlsplit

from django.conf import settings
from django.core.exceptions import DisallowedHost
from django.http import HttpRequest
from django.http.request import split_domain_port

from ..conf import lamba_settings

logger = logging.getLogger("django_lamba")

#: Hosts a development server answers on that no one else can make a browser send.
LOOPBACK_HOSTS = frozenset({"localhost", "127.0.0.1", "[::1]"})

#: What a person sees when a flow cannot start because the setting is missing.
NOT_CONFIGURED = (
    "This way of signing in is not available on this site right now. Please try again later or"
    " use another way to sign in."
)


class SiteURLNotConfigured(Exception):
    """``LAMBA_SITE_URL`` is missing or unusable, and the request may not stand in for it."""


def site_origin(request: HttpRequest) -> str:
    """Return ``LAMBA_SITE_URL`` (or, with DEBUG on, a loopback request's own origin).

    Raise ``SiteURLNotConfigured``, after logging what to set, when neither applies.
    """
    configured = lamba_settings.SITE_URL
    if configured:
        parts = urlsplit(configured)
        if parts.scheme in ("http", "https") and parts.netloc and not parts.query:
            return configured
        logger.error(
            "LAMBA_SITE_URL is not an absolute http(s) URL; set it to this site's origin, e.g."
            " https://shop.example.com. No sign-in link or redirect was sent."
        )
        raise SiteURLNotConfigured
    if settings.DEBUG:
        host = _loopback_host(request)
        if host:
            return f"{request.scheme}://{host}"
    logger.error(
        "LAMBA_SITE_URL is not set, so no absolute URL can be sent to Lamba; set it to this"
        " site's origin, e.g. https://shop.example.com (system check django_lamba.E013)."
    )
    raise SiteURLNotConfigured


def site_url(request: HttpRequest, path: str) -> str:
    """Return the absolute URL of ``path`` (a route from ``reverse()``) on this site."""
    if not path.startswith("/") or path.startswith("//"):
        raise ValueError("site_url() takes a path on this site, such as reverse(...)")
    return site_origin(request) + path


def _loopback_host(request: HttpRequest) -> str:
    """Return the request's host and port if its host is a loopback name, else ""."""
    try:
        host = request.get_host()
    except DisallowedHost:
        return ""
    domain, _port = split_domain_port(host)
    return host if domain in LOOPBACK_HOSTS else ""
