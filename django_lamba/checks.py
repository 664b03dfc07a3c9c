"""System checks (``manage.py check``): configuration mistakes caught before the first request."""

from __future__ import annotations

import secrets
import threading
from typing import Any
from urllib.parse import urlsplit

from django.conf import settings
from django.core.cache import caches
from django.core.cache.backends.dummy import DummyCache
from django.core.cache.backends.locmem import LocMemCache
from django.core.checks import CheckMessage, Error, Tags, Warning, register
from django.core.exceptions import ImproperlyConfigured

from .conf import _raw, _split, lamba_settings, parse_project_pair

MIDDLEWARE = "django_lamba.middleware.LambaMiddleware"
AUTH_MIDDLEWARE = "django.contrib.auth.middleware.AuthenticationMiddleware"
BACKEND = "django_lamba.backends.LambaBackend"


def _base_url(name: str, attr: str) -> tuple[str | None, list[CheckMessage]]:
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


@register(Tags.security, Tags.compatibility)
def check_settings(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    """Check the base URLs, the middleware, the backend, the cookies and the environment."""
    messages: list[CheckMessage] = []
    auth_url, found = _base_url("LAMBA_CUSTOMER_AUTH_BASE_URL", "AUTH_BASE_URL")
    messages += found
    api_url, found = _base_url("LAMBA_CUSTOMER_API_BASE_URL", "API_BASE_URL")
    messages += found
    messages += _check_middleware()
    messages += _check_backend()
    messages += _check_cookies()
    messages += _check_environment(auth_url, api_url)
    messages += _check_binding()
    messages += _check_site_url()
    return messages


def _check_middleware() -> list[CheckMessage]:
    middleware = list(getattr(settings, "MIDDLEWARE", []) or [])
    if MIDDLEWARE not in middleware:
        return [
            Error(
                f"{MIDDLEWARE} is not in MIDDLEWARE.",
                hint=f"Add it to MIDDLEWARE, after {AUTH_MIDDLEWARE}.",
                id="django_lamba.E003",
            )
        ]
    if AUTH_MIDDLEWARE in middleware and middleware.index(AUTH_MIDDLEWARE) > middleware.index(
        MIDDLEWARE
    ):
        return [
            Error(
                f"{MIDDLEWARE} comes before {AUTH_MIDDLEWARE}.",
                hint="Move LambaMiddleware after AuthenticationMiddleware, or it is overwritten.",
                id="django_lamba.E004",
            )
        ]
    return []


def _check_backend() -> list[CheckMessage]:
    backends = list(getattr(settings, "AUTHENTICATION_BACKENDS", []) or [])
    if not any(b == BACKEND or b.endswith(".LambaBackend") for b in backends):
        return [
            Error(
                f"{BACKEND} is not in AUTHENTICATION_BACKENDS.",
                hint="Add it so user.has_perm() answers from Lamba's authorization.",
                id="django_lamba.E005",
            )
        ]
    return []


def _check_cookies() -> list[CheckMessage]:
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


def _check_environment(auth_url: str | None, api_url: str | None) -> list[CheckMessage]:
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


def _check_binding() -> list[CheckMessage]:
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


def _check_site_url() -> list[CheckMessage]:
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


#: Seconds the deploy check waits for the cache's set/get round trip.
CACHE_CHECK_TIMEOUT = 3.0


@register(Tags.caches, deploy=True)
def check_cache(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    """Check that ``LAMBA_CACHE_ALIAS`` is usable and shared by every worker (``--deploy``)."""
    alias = lamba_settings.CACHE_ALIAS
    try:
        backend = caches[alias]
    except Exception as exc:  # unknown alias, backend or client library that cannot import
        return [_unusable_cache(alias, f"cannot be loaded ({type(exc).__name__}: {exc})")]
    if isinstance(backend, (LocMemCache, DummyCache)):
        return [
            Warning(
                f"LAMBA_CACHE_ALIAS ({alias!r}) is a {type(backend).__name__}, which no two "
                "processes share.",
                hint="Each worker then keeps its own contexts and JWKS, and only the workers "
                "of one host (through lock files) agree on refreshes. Use a shared cache such "
                "as Redis or Memcached (CACHES), and point LAMBA_CACHE_ALIAS at it.",
                id="django_lamba.W006",
            )
        ]
    problem = _round_trip(backend)
    return [_unusable_cache(alias, problem)] if problem else []


def _round_trip(backend: Any) -> str | None:
    """Set and read back a short-lived value; describe what went wrong, if anything."""
    key = f"lamba:check:{secrets.token_hex(8)}"
    outcome: list[str | None] = []

    def attempt() -> None:
        try:
            backend.set(key, "ok", timeout=10)
            answer = backend.get(key)
            backend.delete(key)
            outcome.append(None if answer == "ok" else "did not return the value it was given")
        except Exception as exc:  # any backend's connection or import error
            outcome.append(f"failed a set/get round trip ({type(exc).__name__}: {exc})")

    # A daemon thread: a cache that hangs must not hang ``manage.py check`` with it.
    worker = threading.Thread(target=attempt, name="django-lamba-cache-check", daemon=True)
    worker.start()
    worker.join(CACHE_CHECK_TIMEOUT)
    if not outcome:
        return f"did not answer a set/get round trip within {CACHE_CHECK_TIMEOUT:.0f} s"
    return outcome[0]


def _unusable_cache(alias: str, problem: str) -> Error:
    return Error(
        f"The cache LAMBA_CACHE_ALIAS names ({alias!r}) {problem}.",
        hint="django_lamba keeps contexts, the JWKS and refresh coordination there. Fix the "
        "cache's configuration in CACHES (backend, LOCATION, its client library) or point "
        "LAMBA_CACHE_ALIAS at a cache that works.",
        id="django_lamba.E014",
    )
