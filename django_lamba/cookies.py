"""Reading and writing the two token cookies. Tokens live nowhere else in the browser."""

from __future__ import annotations

import logging
from datetime import datetime, timezone
from typing import Any

from django.core.handlers.asgi import ASGIRequest
from django.core.handlers.wsgi import WSGIRequest
from django.http import HttpRequest, HttpResponseBase
from django.http.response import ResponseHeaders
from django.utils.cache import patch_cache_control, patch_vary_headers

from .conf import lamba_settings
from .types import TokenSet

logger = logging.getLogger("django_lamba.cookies")

# Browsers drop a Set-Cookie line over 4096 bytes; keep room for the name and attributes.
_BROWSER_LIMIT = 4096


def _plain_headers() -> type | None:
    """Django's ``ResponseHeaders`` if its store has the shape ``mark_private`` writes into."""
    stored = getattr(ResponseHeaders({"Content-Type": "text/plain"}), "_store", None)
    if type(stored) is dict and stored.get("content-type") == ("Content-Type", "text/plain"):
        return ResponseHeaders
    return None


_PLAIN_HEADERS = _plain_headers()


def read_tokens(request: HttpRequest) -> tuple[str | None, str | None]:
    """Return the (access, refresh) cookie values, ignoring any over the size cap unread."""
    return read_access_token(request), read_refresh_token(request)


def read_access_token(request: HttpRequest) -> str | None:
    """Return the access-token cookie (``None`` when absent, empty, oversized or not ASCII)."""
    if isinstance(request, _HEADER_REQUESTS) and "COOKIES" not in request.__dict__:
        # A browser sends the same header until a cookie changes, and the answer is a pure
        # function of it and of the settings: one dict lookup on a warm request.
        header = request.META.get("HTTP_COOKIE", "")
        stamp, seen = _seen
        value = seen.get(header, _UNUSUAL)
        if value is not _UNUSUAL and stamp is lamba_settings.stamp():
            return value  # type: ignore[no-any-return]
    return _read(request, lamba_settings.SESSION_COOKIE, remember=True)


def read_refresh_token(request: HttpRequest) -> str | None:
    """Return the refresh-token cookie (``None`` when absent, empty, oversized or not ASCII)."""
    return _read(request, lamba_settings.REFRESH_COOKIE)


def _read(request: HttpRequest, name: str, *, remember: bool = False) -> str | None:
    # COOKIES parsed already (or set by hand, as tests do), or a request that parses it some
    # other way: read it. Otherwise find our cookie in the header without parsing them all.
    cookies = getattr(request, "__dict__", _NONE).get("COOKIES")
    if cookies is not None or not isinstance(request, _HEADER_REQUESTS):
        return _checked(name, (request.COOKIES if cookies is None else cookies).get(name))
    stamp = lamba_settings.stamp()  # before the settings the answer depends on are read
    header = request.META.get("HTTP_COOKIE", "")
    found = _cookie_in_header(header, name)
    if found is _UNUSUAL:
        return _checked(name, request.COOKIES.get(name))
    value = _checked(name, found)
    if remember and stamp is not None and value == (found or None):
        _remember(stamp, header, value)  # not a cookie logged as ignored: logged every time
    return value


def _checked(name: str, value: str | None) -> str | None:
    if not value:
        return None
    if len(value) > lamba_settings.COOKIE_MAX_BYTES or not value.isascii():
        logger.info("Ignoring an oversized or non-ASCII %s cookie", name)
        return None
    return value


def _remember(stamp: object, header: str, value: str | None) -> None:
    global _seen
    if len(header) > _SEEN_HEADER_MAX:
        return
    kept_stamp, seen = _seen
    if kept_stamp is not stamp or len(seen) >= _SEEN_MAX:
        seen = {}
        _seen = (stamp, seen)
    seen[header] = value


#: Requests whose ``COOKIES`` Django parses from the ``Cookie`` header on first use.
_HEADER_REQUESTS = (WSGIRequest, ASGIRequest)
_NONE: dict[str, Any] = {}
_UNUSUAL: Any = object()
#: The access cookie in recent ``Cookie`` headers, by header, and the settings it was read under
#: (``lamba_settings.stamp()``): replaced as a whole when the settings change.
_seen: tuple[object, dict[str, str | None]] = (object(), {})
_SEEN_MAX = 256
_SEEN_HEADER_MAX = 8192


def _cookie_in_header(header: str, name: str) -> Any:
    """Return what Django's ``request.COOKIES.get(name)`` would, without parsing every cookie.

    Django's parsing costs several microseconds per request. This finds the cookie when the
    header names it plainly (first, or after ``"; "``, with ``=`` right after) and not again
    after it; on anything else (another cookie's name or value holding ours, a second cookie of
    that name, spaces before the ``=``, a quoted value) it answers ``_UNUSUAL`` and the caller
    parses the header as Django does. Django splits on every ``;`` and strips each part, and an
    earlier occurrence would have been found first, so what is found plainly is the cookie.
    """
    at = header.find(name)
    if at < 0:
        return None  # no cookie can have that name: Django's names are substrings, stripped
    end = at + len(name)
    if (at and not header.endswith("; ", 0, at)) or not header.startswith("=", end):
        return _UNUSUAL
    stop = header.find(";", end)
    if stop < 0:
        value = header[end + 1 :]
    elif header.find(name, stop) >= 0:
        return _UNUSUAL  # perhaps a second cookie of that name: Django keeps the last one
    else:
        value = header[end + 1 : stop]
    value = value.strip()
    return _UNUSUAL if value.startswith('"') else value


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
    # Django keeps headers in ``headers._store`` (lowercased name -> (name, value)). When
    # neither header is there yet (the usual case), writing our two constant ASCII values
    # straight in spares the KeyError ``has_header`` raises per missing header and the charset
    # checks of ``__setitem__``: most of this function's cost on every signed-in response.
    # Only for Django's own header class, whose store was seen to have that shape at import;
    # otherwise, and to merge with existing values, the public way.
    headers = response.headers
    if type(headers) is _PLAIN_HEADERS:
        stored = headers._store
        if "vary" not in stored and "cache-control" not in stored:
            stored["vary"] = ("Vary", "Cookie")
            stored["cache-control"] = ("Cache-Control", "private, no-store")
            return
    if response.has_header("Vary"):
        patch_vary_headers(response, ("Cookie",))
    else:
        response.headers["Vary"] = "Cookie"
    if response.has_header("Cache-Control"):
        patch_cache_control(response, private=True, no_store=True)
    else:
        response.headers["Cache-Control"] = "private, no-store"
