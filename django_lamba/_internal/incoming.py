"""What a request asks for: a JSON answer or a page, its submitted fields, a safe ``next``."""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import urlsplit

from django.http import HttpRequest
from django.shortcuts import resolve_url
from django.utils.http import url_has_allowed_host_and_scheme

from ..conf import lamba_settings


def wants_json(request: HttpRequest) -> bool:
    """Return whether the caller is a script (JSON body, JSON Accept, htmx) rather than a page."""
    if request.content_type == "application/json":
        return True
    if request.headers.get("HX-Request") == "true":
        return True
    accept = request.headers.get("Accept", "")
    return "json" in accept and "text/html" not in accept


def request_data(request: HttpRequest) -> dict[str, Any]:
    """Return the submitted fields from a JSON body or a form POST (never raises)."""
    if request.content_type == "application/json":
        try:
            data = json.loads(request.body or b"{}")
        except (ValueError, UnicodeDecodeError):
            return {}
        return data if isinstance(data, dict) else {}
    return dict(request.POST.items())


def safe_next(request: HttpRequest, default: str | None = None) -> str:
    """Return ``next`` if it points at this site, else the default redirect.

    "This site" is ``LAMBA_SITE_URL`` when set (a forged ``Host`` header, let through by a
    permissive ``ALLOWED_HOSTS``, cannot make its own host count), else the request's host.
    """
    fallback = resolve_url(default or lamba_settings.LOGIN_REDIRECT_URL)
    candidate = request.POST.get("next") or request.GET.get("next") or ""
    if request.content_type == "application/json":
        candidate = str(request_data(request).get("next") or candidate)
    if not candidate or any(ord(ch) < 32 or ord(ch) == 127 for ch in candidate):
        return fallback
    site = urlsplit(lamba_settings.SITE_URL)
    if site.netloc:
        host, https = site.netloc, site.scheme == "https"
    else:
        host, https = request.get_host(), request.is_secure()
    try:
        allowed = url_has_allowed_host_and_scheme(
            candidate, allowed_hosts={host}, require_https=https
        )
    except (ValueError, TypeError):
        allowed = False
    return candidate if allowed and "\\" not in candidate else fallback
