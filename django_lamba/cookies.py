"""Reading and writing the two token cookies. Tokens live nowhere else in the browser."""

from __future__ import annotations

import logging
from datetime import datetime, timezone

from django.http import HttpRequest, HttpResponseBase
from django.utils.cache import patch_cache_control, patch_vary_headers

from .conf import lamba_settings
from .types import TokenSet

logger = logging.getLogger("django_lamba.cookies")

# Browsers drop a Set-Cookie line over 4096 bytes; keep room for the name and attributes.
_BROWSER_LIMIT = 4096


def read_tokens(request: HttpRequest) -> tuple[str | None, str | None]:
    """Return the (access, refresh) cookie values, ignoring any over the size cap unread."""
    limit = lamba_settings.COOKIE_MAX_BYTES
    values: list[str | None] = []
    for name in (lamba_settings.SESSION_COOKIE, lamba_settings.REFRESH_COOKIE):
        value = request.COOKIES.get(name) or None
        if value is not None and (len(value) > limit or not value.isascii()):
            logger.info("Ignoring an oversized or non-ASCII %s cookie", name)
            value = None
        values.append(value)
    return values[0], values[1]


def _max_age(tokens: TokenSet) -> int | None:
    expires = tokens.refresh_token_expires_at
    if expires is None:
        return None  # a browser-session cookie
    return max(0, int((expires - datetime.now(timezone.utc)).total_seconds()))


def _pairs(tokens: TokenSet) -> list[tuple[str, str]]:
    return [
        (lamba_settings.SESSION_COOKIE, tokens.access_token),
        (lamba_settings.REFRESH_COOKIE, tokens.refresh_token),
    ]


def fits_in_cookies(tokens: TokenSet) -> bool:
    """Whether both tokens fit in cookies a browser keeps (logged as an error when not)."""
    for name, value in _pairs(tokens):
        if len(name) + len(value) + 200 > _BROWSER_LIMIT:
            logger.error(
                "Lamba issued a token too large for the %s cookie (%d bytes); the browser would"
                " drop it. Not signing in.",
                name,
                len(value),
            )
            return False
    return True


def set_token_cookies(response: HttpResponseBase, tokens: TokenSet) -> bool:
    """Write both cookies (HttpOnly, Secure, SameSite, path ``/``); return False if too big."""
    pairs = _pairs(tokens)
    if not fits_in_cookies(tokens):
        delete_token_cookies(response)
        return False
    max_age = _max_age(tokens)
    for name, value in pairs:
        if not value:
            response.delete_cookie(name, path="/", domain=lamba_settings.COOKIE_DOMAIN)
            continue
        response.set_cookie(
            name,
            value,
            max_age=max_age,
            path="/",
            domain=lamba_settings.COOKIE_DOMAIN,
            secure=lamba_settings.COOKIE_SECURE,
            httponly=True,
            samesite=lamba_settings.COOKIE_SAMESITE,  # type: ignore[arg-type]
        )
    mark_private(response)
    return True


def delete_token_cookies(response: HttpResponseBase) -> None:
    """Expire both cookies with the same name, path and domain they were set with."""
    for name in (lamba_settings.SESSION_COOKIE, lamba_settings.REFRESH_COOKIE):
        response.delete_cookie(
            name,
            path="/",
            domain=lamba_settings.COOKIE_DOMAIN,
            samesite=lamba_settings.COOKIE_SAMESITE,  # type: ignore[arg-type]
        )
        response.cookies[name]["secure"] = lamba_settings.COOKIE_SECURE
        response.cookies[name]["httponly"] = True
    mark_private(response)


def mark_private(response: HttpResponseBase) -> None:
    """Keep a response that depends on the customer out of shared caches."""
    if response.has_header("Vary"):
        patch_vary_headers(response, ("Cookie",))
    else:
        response.headers["Vary"] = "Cookie"
    if response.has_header("Cache-Control"):
        patch_cache_control(response, private=True, no_store=True)
    else:
        response.headers["Cache-Control"] = "private, no-store"
