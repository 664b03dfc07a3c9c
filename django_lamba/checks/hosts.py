"""Checks of the two Lamba hosts and their environment (E001, E002, E008-E010, W001)."""

from __future__ import annotations

from urllib.parse import urlsplit

from django.conf import settings
from django.core.checks import CheckMessage, Error, Warning
from django.core.exceptions import ImproperlyConfigured

from ..conf import lamba_settings


def base_url(name: str, attr: str) -> tuple[str | None, list[CheckMessage]]:
    """Return the base URL setting ``name`` (``None`` when unusable) and what is wrong with it."""
    try:
        value: str = getattr(lamba_settings, attr)
    except ImproperlyConfigured:
        return None, [
            Error(
                f"{name} is not set.",
                hint=f"Set {name} in settings.py or the environment, e.g. "
                + (
                    "https://test.id.uselamba.com."
                    if "AUTH" in name
                    else "https://test.api.uselamba.com."
                ),
                id="django_lamba.E001",
            )
        ]
    parts = urlsplit(value)
    if parts.scheme not in {"http", "https"} or not parts.netloc:
        return None, [
            Error(
                f"{name} is not an absolute http(s) URL: {value!r}.",
                hint="Use the host's base URL, e.g. https://test.id.uselamba.com.",
                id="django_lamba.E002",
            )
        ]
    messages: list[CheckMessage] = []
    if parts.scheme == "http" and not settings.DEBUG and parts.hostname not in _LOOPBACK:
        messages.append(
            Warning(
                f"{name} uses plain http with DEBUG off.",
                hint="Tokens would cross the network unencrypted; use https.",
                id="django_lamba.W001",
            )
        )
    return value, messages


_LOOPBACK = {"127.0.0.1", "localhost", "::1"}


def check_environment(auth_url: str | None, api_url: str | None) -> list[CheckMessage]:
    env = lamba_settings.ENV
    if env not in {"test", "prod"}:
        return [
            Error(
                f"LAMBA_CUSTOMER_ENV is {env!r}.",
                hint="Use 'test' (sandbox) or 'prod'.",
                id="django_lamba.E008",
            )
        ]
    hosts = [urlsplit(url).hostname or "" for url in (auth_url, api_url) if url]
    is_test_host = [host.startswith("test.") for host in hosts]
    if env == "prod" and any(is_test_host):
        return [
            Error(
                "LAMBA_CUSTOMER_ENV is 'prod' but a base URL points at a test host.",
                hint="Test and prod are separate worlds: use https://id.uselamba.com and "
                "https://api.uselamba.com with prod, or set LAMBA_CUSTOMER_ENV='test'.",
                id="django_lamba.E009",
            )
        ]
    if len(is_test_host) == 2 and is_test_host[0] != is_test_host[1]:
        return [
            Error(
                "The auth and API base URLs point at different environments.",
                hint="Use test.id + test.api, or id + api, never a mix.",
                id="django_lamba.E010",
            )
        ]
    return []
