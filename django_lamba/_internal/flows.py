"""Pieces the sign-in flows share: short-lived flow cookies and per-IP and per-login limits.

Lamba limits sign-in attempts per IP plus identifier, but every call reaches it from this
server's address, so the per-IP half of the limit has to live here; code checks (magic link,
phone, MFA) are also counted per login here, across every half-finished sign-in.
"""

from __future__ import annotations

import contextlib
import hashlib
import math

from django.http import HttpRequest, HttpResponseBase
from django.utils.crypto import salted_hmac

from ..conf import lamba_settings
from ..exceptions import LambaRateLimited
from . import clock, store


def flow_cookie_name(base: str) -> str:
    """Return a flow cookie's name: ``__Host-`` prefixed whenever cookies are ``Secure``."""
    return f"__Host-{base}" if lamba_settings.COOKIE_SECURE else base


def set_flow_cookie(response: HttpResponseBase, base: str, value: str, max_age: int) -> None:
    """Set a short-lived HttpOnly, ``SameSite=Lax`` cookie that holds only a random handle.

    Lax, not Strict: the browser must send it on the top-level return from another site.
    """
    response.set_cookie(
        flow_cookie_name(base),
        value,
        max_age=max_age,
        path="/",
        secure=lamba_settings.COOKIE_SECURE,
        httponly=True,
        samesite="Lax",
    )


def delete_flow_cookie(response: HttpResponseBase, base: str) -> None:
    """Expire a flow cookie with the attributes it was set with."""
    response.delete_cookie(flow_cookie_name(base), path="/", samesite="Lax")
    name = flow_cookie_name(base)
    response.cookies[name]["secure"] = lamba_settings.COOKIE_SECURE
    response.cookies[name]["httponly"] = True


def read_flow_cookie(request: HttpRequest, base: str) -> str:
    """Return a flow cookie's value if it looks like one of our handles, else ""."""
    value = request.COOKIES.get(flow_cookie_name(base), "")
    if not 20 <= len(value) <= 100 or not value.isascii():
        return ""
    return value


def client_ip(request: HttpRequest) -> str:
    """Return the caller's address: ``LAMBA_CLIENT_IP_HEADER`` (last hop) or the peer address."""
    header = lamba_settings.CLIENT_IP_HEADER
    if header:
        forwarded = str(request.META.get(header, "")).split(",")[-1].strip()
        if forwarded:
            return forwarded
    return str(request.META.get("REMOTE_ADDR", ""))


def check_ip_rate(request: HttpRequest, bucket: str) -> None:
    """Count one attempt from this IP in ``bucket``; raise ``LambaRateLimited`` when over."""
    who = hashlib.sha256(client_ip(request).encode()).hexdigest()[:32]
    _count(f"{bucket}:{who}")


def check_login_rate(bucket: str, login: str) -> str:
    """Count one attempt for a login in ``bucket``; raise ``LambaRateLimited`` when over.

    The identifier is normalised (trimmed, case-folded) and only a keyed hash of it reaches the
    cache key, so neither the cache nor a log of its keys holds an email address. Returns the
    counter's key for ``refund_attempt`` ("" when limits are off).
    """
    normalised = login.strip().casefold()
    who = salted_hmac(
        "django_lamba.flows.check_login_rate", normalised, algorithm="sha256"
    ).hexdigest()[:32]
    return _count(f"{bucket}:login:{who}")


def refund_attempt(key: str) -> None:
    """Take back one attempt counted by ``check_login_rate`` that turned out not to count."""
    if not key:
        return
    with contextlib.suppress(ValueError):  # expired meanwhile: nothing to take back
        store.cache().incr(key, -1)


def _count(name: str) -> str:
    """Count one attempt in this window under ``name``; raise when over; return the key."""
    limit, window = lamba_settings.IP_RATE_LIMIT, lamba_settings.IP_RATE_WINDOW
    if limit <= 0 or window <= 0:
        return ""
    now = clock.now()
    slot = math.floor(now / window)
    key = f"lamba:ratelimit:{name}:{slot}"
    cache = store.cache()
    cache.add(key, 0, timeout=math.ceil(window) + 1)
    try:
        count = cache.incr(key)
    except ValueError:  # evicted between add and incr
        cache.set(key, 1, timeout=math.ceil(window) + 1)
        count = 1
    if count > limit:
        raise LambaRateLimited(
            status=429,
            retry_after=max(1.0, (slot + 1) * window - now),
        )
    return key
