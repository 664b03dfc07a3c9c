"""System checks: each id fires in its situation, not otherwise, and always with a hint."""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.core.checks import CheckMessage, Error, Tags, Warning, run_checks

import django_lamba.checks
import django_lamba.checks.cache
from django_lamba.checks import (
    AUTH_MIDDLEWARE,
    BACKEND,
    MIDDLEWARE,
    check_cache,
    check_settings,
    check_url_names,
)
from tests.conftest import pick_free_port

_WITHOUT_LAMBA_MIDDLEWARE = [
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    AUTH_MIDDLEWARE,
]

#: One situation per check id, as settings over the clean configuration below; the last test
#: checks this covers every id checks.py defines.
SCENARIOS: dict[str, dict[str, Any]] = {
    "django_lamba.E001": {"LAMBA_CUSTOMER_AUTH_BASE_URL": ""},
    "django_lamba.E002": {"LAMBA_CUSTOMER_API_BASE_URL": "test.api.uselamba.com"},
    "django_lamba.E003": {"MIDDLEWARE": _WITHOUT_LAMBA_MIDDLEWARE},
    "django_lamba.E004": {"MIDDLEWARE": [MIDDLEWARE, *_WITHOUT_LAMBA_MIDDLEWARE]},
    "django_lamba.E005": {
        "AUTHENTICATION_BACKENDS": ["django.contrib.auth.backends.ModelBackend"]
    },
    "django_lamba.E006": {"LAMBA_COOKIE_SAMESITE": "Sideways"},
    "django_lamba.E007": {"LAMBA_COOKIE_DOMAIN": ".example.com"},
    "django_lamba.E008": {"LAMBA_CUSTOMER_ENV": "staging"},
    "django_lamba.E009": {
        "LAMBA_CUSTOMER_ENV": "prod",
        "LAMBA_CUSTOMER_AUTH_BASE_URL": "https://test.id.uselamba.com",
    },
    "django_lamba.E010": {"LAMBA_CUSTOMER_API_BASE_URL": "https://api.uselamba.com"},
    "django_lamba.W001": {"LAMBA_CUSTOMER_AUTH_BASE_URL": "http://test.id.uselamba.com"},
    "django_lamba.W002": {
        "LAMBA_COOKIE_SECURE": False,
        "LAMBA_SESSION_COOKIE": "__Secure-at",
        "LAMBA_REFRESH_COOKIE": "__Secure-rt",
        "SILENCED_SYSTEM_CHECKS": ["django_lamba.W004"],
    },
    "django_lamba.W003": {"LAMBA_COOKIE_SAMESITE": "None"},
    "django_lamba.W004": {"LAMBA_SESSION_COOKIE": "lamba_access_token"},
    "django_lamba.E011": {"LAMBA_ALLOWED_PROJECTS": ["ws_shop/prj_shop", "prj_other"]},
    "django_lamba.E012": {"LAMBA_ALLOWED_PROJECTS": ["ws_shop/prj_other"]},
    "django_lamba.E013": {"LAMBA_SITE_URL": ""},
    "django_lamba.W005": {"LAMBA_CUSTOMER_WORKSPACE_ID": "", "LAMBA_CUSTOMER_PROJECT_ID": ""},
    "django_lamba.E014": {"LAMBA_CACHE_ALIAS": "missing"},
    "django_lamba.W006": {"LAMBA_CACHE_ALIAS": "default"},
    "django_lamba.W007": {"LAMBA_CUSTOMER_WORKSPACE_ID": "ws_..."},
    "django_lamba.E015": {"ROOT_URLCONF": "tests.urls_without_lamba"},
}


@pytest.fixture(autouse=True)
def clean(settings: Any, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[None]:
    """A configuration that passes every check, with DEBUG off (production-like)."""
    for name in list(os.environ):
        if name.startswith("LAMBA_"):
            monkeypatch.delenv(name)
    settings.DEBUG = False
    settings.LAMBA_CUSTOMER_AUTH_BASE_URL = "https://test.id.uselamba.com"
    settings.LAMBA_CUSTOMER_API_BASE_URL = "https://test.api.uselamba.com"
    settings.LAMBA_CUSTOMER_ENV = "test"
    settings.LAMBA_CUSTOMER_WORKSPACE_ID = "ws_shop"
    settings.LAMBA_CUSTOMER_PROJECT_ID = "prj_shop"
    settings.LAMBA_SITE_URL = "https://shop.example.com"
    settings.LAMBA_SESSION_COOKIE = "__Host-lamba_access_token"
    settings.LAMBA_REFRESH_COOKIE = "__Host-lamba_refresh_token"
    # A cache every process of one host shares (the deploy check warns about LocMemCache).
    settings.CACHES = {
        **settings.CACHES,
        "shared": {
            "BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
            "LOCATION": str(tmp_path / "cache"),
        },
    }
    settings.LAMBA_CACHE_ALIAS = "shared"
    yield


def ids(messages: list[CheckMessage] | None = None) -> list[str]:
    found = check_settings() if messages is None else messages
    for message in found:
        assert message.hint, f"{message.id} has no hint"
        assert message.id and message.id.startswith("django_lamba.")
    return sorted(str(message.id) for message in found)


def fires(check_id: str) -> list[CheckMessage]:
    """Assert ``check_id`` (and nothing else) is reported; return the messages."""
    messages = check_settings()
    assert ids(messages) == [check_id]
    return messages


def test_a_good_configuration_passes() -> None:
    assert check_settings() == []
    assert check_cache() == []


def test_the_test_settings_pass_with_debug_on(settings: Any) -> None:
    # Plain-http loopback URLs and unprefixed cookie names are fine while developing.
    settings.DEBUG = True
    settings.LAMBA_CUSTOMER_AUTH_BASE_URL = "http://127.0.0.1:8001"
    settings.LAMBA_CUSTOMER_API_BASE_URL = "http://127.0.0.1:8002"
    del settings.LAMBA_SESSION_COOKIE
    del settings.LAMBA_REFRESH_COOKIE
    assert check_settings() == []


def test_registered_with_djangos_check_framework(settings: Any) -> None:
    del settings.LAMBA_CUSTOMER_AUTH_BASE_URL
    found = run_checks(tags=[Tags.security])
    assert "django_lamba.E001" in {message.id for message in found}


# --- base URLs ---------------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["LAMBA_CUSTOMER_AUTH_BASE_URL", "LAMBA_CUSTOMER_API_BASE_URL"])
def test_e001_missing_base_url(settings: Any, name: str) -> None:
    delattr(settings, name)
    (message,) = fires("django_lamba.E001")
    assert isinstance(message, Error)
    assert name in message.msg


def test_e001_not_when_set_in_the_environment(
    settings: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    del settings.LAMBA_CUSTOMER_AUTH_BASE_URL
    monkeypatch.setenv("LAMBA_CUSTOMER_AUTH_BASE", "https://test.id.uselamba.com")
    assert check_settings() == []


@pytest.mark.parametrize(
    "value", ["test.id.uselamba.com", "ftp://test.id.uselamba.com", "https://", "/relative"]
)
def test_e002_not_an_absolute_http_url(settings: Any, value: str) -> None:
    settings.LAMBA_CUSTOMER_AUTH_BASE_URL = value
    (message,) = fires("django_lamba.E002")
    assert "LAMBA_CUSTOMER_AUTH_BASE_URL" in message.msg


def test_w001_plain_http_with_debug_off(settings: Any) -> None:
    settings.LAMBA_CUSTOMER_API_BASE_URL = "http://test.api.uselamba.com"
    (message,) = fires("django_lamba.W001")
    assert isinstance(message, Warning)
    assert "LAMBA_CUSTOMER_API_BASE_URL" in message.msg


@pytest.mark.parametrize("host", ["127.0.0.1:8000", "localhost:8000", "[::1]:8000"])
def test_w001_not_for_loopback(settings: Any, host: str) -> None:
    settings.LAMBA_CUSTOMER_AUTH_BASE_URL = f"http://{host}"
    settings.LAMBA_CUSTOMER_API_BASE_URL = f"http://{host}"
    assert check_settings() == []


def test_w001_not_with_debug_on(settings: Any) -> None:
    settings.DEBUG = True
    settings.LAMBA_CUSTOMER_API_BASE_URL = "http://test.api.uselamba.com"
    assert check_settings() == []


# --- middleware and backend --------------------------------------------------------------------


def test_e003_middleware_missing(settings: Any) -> None:
    settings.MIDDLEWARE = [m for m in settings.MIDDLEWARE if m != MIDDLEWARE]
    (message,) = fires("django_lamba.E003")
    assert AUTH_MIDDLEWARE in (message.hint or "")


def test_e004_middleware_before_authentication_middleware(settings: Any) -> None:
    rest = [m for m in settings.MIDDLEWARE if m not in (MIDDLEWARE, AUTH_MIDDLEWARE)]
    settings.MIDDLEWARE = [*rest[:2], MIDDLEWARE, AUTH_MIDDLEWARE, *rest[2:]]
    fires("django_lamba.E004")


def test_e004_not_without_authentication_middleware(settings: Any) -> None:
    settings.MIDDLEWARE = [m for m in settings.MIDDLEWARE if m != AUTH_MIDDLEWARE]
    assert "django_lamba.E004" not in ids()


def test_e005_backend_missing(settings: Any) -> None:
    settings.AUTHENTICATION_BACKENDS = ["django.contrib.auth.backends.ModelBackend"]
    (message,) = fires("django_lamba.E005")
    assert BACKEND in message.msg


def test_e005_not_for_a_subclass(settings: Any) -> None:
    settings.AUTHENTICATION_BACKENDS = ["myproject.auth.LambaBackend"]
    assert check_settings() == []


# --- cookies -----------------------------------------------------------------------------------


@pytest.mark.parametrize("value", ["Sideways", "", "Laxx"])
def test_e006_bad_samesite(settings: Any, value: str) -> None:
    settings.LAMBA_COOKIE_SAMESITE = value
    fires("django_lamba.E006")


def test_e006_not_for_strict(settings: Any) -> None:
    settings.LAMBA_COOKIE_SAMESITE = "Strict"
    assert check_settings() == []


def test_e007_host_prefix_with_a_domain(settings: Any) -> None:
    settings.LAMBA_COOKIE_DOMAIN = ".example.com"
    fires("django_lamba.E007")


def test_e007_host_prefix_without_secure(settings: Any) -> None:
    settings.DEBUG = True  # W002 stays quiet; E007 is an error whatever DEBUG says
    settings.LAMBA_COOKIE_SECURE = False
    fires("django_lamba.E007")


def test_w002_insecure_cookies_with_debug_off(settings: Any) -> None:
    settings.LAMBA_SESSION_COOKIE = "lamba_at"
    settings.LAMBA_REFRESH_COOKIE = "lamba_rt"
    settings.LAMBA_COOKIE_SECURE = False
    assert ids() == ["django_lamba.W002", "django_lamba.W004"]


def test_w002_w003_w004_not_with_debug_on(settings: Any) -> None:
    settings.DEBUG = True
    settings.LAMBA_SESSION_COOKIE = "lamba_at"
    settings.LAMBA_REFRESH_COOKIE = "lamba_rt"
    settings.LAMBA_COOKIE_SECURE = False
    settings.LAMBA_COOKIE_SAMESITE = "None"
    assert check_settings() == []


def test_w003_samesite_none_with_debug_off(settings: Any) -> None:
    settings.LAMBA_COOKIE_SAMESITE = "None"
    fires("django_lamba.W003")


@pytest.mark.parametrize(
    ("session", "refresh"),
    [
        ("lamba_access_token", "lamba_refresh_token"),
        ("__Host-lamba_access_token", "lamba_refresh_token"),
        ("lamba_access_token", "__Host-lamba_refresh_token"),
    ],
)
def test_w004_cookies_not_host_prefixed(settings: Any, session: str, refresh: str) -> None:
    settings.LAMBA_SESSION_COOKIE = session
    settings.LAMBA_REFRESH_COOKIE = refresh
    (message,) = fires("django_lamba.W004")
    assert "__Host-" in (message.hint or "")


def test_w004_can_be_silenced(settings: Any) -> None:
    del settings.LAMBA_SESSION_COOKIE
    del settings.LAMBA_REFRESH_COOKIE
    settings.SILENCED_SYSTEM_CHECKS = ["django_lamba.W004"]
    assert not [m for m in run_checks() if m.id == "django_lamba.W004" and not m.is_silenced()]


# --- environment -------------------------------------------------------------------------------


@pytest.mark.parametrize("env", ["staging", "production", "TEST"])
def test_e008_unknown_environment(settings: Any, env: str) -> None:
    settings.LAMBA_CUSTOMER_ENV = env
    (message,) = fires("django_lamba.E008")
    assert env in message.msg


@pytest.mark.parametrize(
    ("auth", "api"),
    [
        ("https://test.id.uselamba.com", "https://test.api.uselamba.com"),
        ("https://id.uselamba.com", "https://test.api.uselamba.com"),
    ],
)
def test_e009_prod_against_a_test_host(settings: Any, auth: str, api: str) -> None:
    settings.LAMBA_CUSTOMER_ENV = "prod"
    settings.LAMBA_CUSTOMER_AUTH_BASE_URL = auth
    settings.LAMBA_CUSTOMER_API_BASE_URL = api
    fires("django_lamba.E009")


def test_prod_against_prod_hosts_passes(settings: Any) -> None:
    settings.LAMBA_CUSTOMER_ENV = "prod"
    settings.LAMBA_CUSTOMER_AUTH_BASE_URL = "https://id.uselamba.com"
    settings.LAMBA_CUSTOMER_API_BASE_URL = "https://api.uselamba.com"
    assert check_settings() == []


@pytest.mark.parametrize(
    ("auth", "api"),
    [
        ("https://test.id.uselamba.com", "https://api.uselamba.com"),
        ("https://id.uselamba.com", "https://test.api.uselamba.com"),
    ],
)
def test_e010_hosts_from_different_environments(settings: Any, auth: str, api: str) -> None:
    settings.LAMBA_CUSTOMER_AUTH_BASE_URL = auth
    settings.LAMBA_CUSTOMER_API_BASE_URL = api
    fires("django_lamba.E010")


def test_e010_not_when_one_url_is_missing(settings: Any) -> None:
    del settings.LAMBA_CUSTOMER_API_BASE_URL
    assert ids() == ["django_lamba.E001"]


# --- tenant binding and the site URL ----------------------------------------------------------


def test_e011_a_malformed_allowed_project_is_named(settings: Any) -> None:
    settings.LAMBA_ALLOWED_PROJECTS = "ws_shop/prj_shop, ws_shop/, a/b/c"
    (message,) = fires("django_lamba.E011")
    assert "'ws_shop/'" in message.msg and "'a/b/c'" in message.msg


def test_allowed_projects_listing_the_configured_pair_passes(settings: Any) -> None:
    settings.LAMBA_ALLOWED_PROJECTS = ["ws_shop/prj_shop", "ws_shop/prj_eu"]
    assert check_settings() == []


def test_allowed_projects_alone_bind_the_site(settings: Any) -> None:
    settings.LAMBA_CUSTOMER_WORKSPACE_ID = ""
    settings.LAMBA_CUSTOMER_PROJECT_ID = ""
    settings.LAMBA_ALLOWED_PROJECTS = ["ws_shop/prj_eu", "ws_shop/prj_us"]
    assert check_settings() == []


def test_w005_an_unbound_site_is_warned_about_even_in_debug(settings: Any) -> None:
    settings.DEBUG = True
    settings.LAMBA_CUSTOMER_PROJECT_ID = ""
    (message,) = fires("django_lamba.W005")
    assert isinstance(message, Warning)
    assert "LAMBA_CUSTOMER_PROJECT_ID" in str(message.hint)


def test_e013_site_url_missing_only_with_debug_off(settings: Any) -> None:
    del settings.LAMBA_SITE_URL
    (message,) = fires("django_lamba.E013")
    assert "LAMBA_SITE_URL" in message.msg
    settings.DEBUG = True
    assert check_settings() == []


@pytest.mark.parametrize(
    "value", ["shop.example.com", "ftp://shop.example.com", "https://shop.example.com/app"]
)
def test_e013_site_url_must_be_an_origin(settings: Any, value: str) -> None:
    settings.LAMBA_SITE_URL = value
    fires("django_lamba.E013")


# --- the cache (deploy checks) ----------------------------------------------------------------


def test_cache_checks_run_only_with_deploy(settings: Any) -> None:
    settings.LAMBA_CACHE_ALIAS = "missing"
    assert "django_lamba.E014" not in {m.id for m in run_checks(tags=[Tags.caches])}
    deploy = run_checks(tags=[Tags.caches], include_deployment_checks=True)
    assert "django_lamba.E014" in {m.id for m in deploy}


def test_e014_an_unknown_alias_is_named(settings: Any) -> None:
    settings.LAMBA_CACHE_ALIAS = "missing"
    (message,) = check_cache()
    assert isinstance(message, Error) and message.id == "django_lamba.E014"
    assert "LAMBA_CACHE_ALIAS" in message.msg and "'missing'" in message.msg


def test_e014_a_backend_that_cannot_be_imported(settings: Any) -> None:
    settings.CACHES = {
        **settings.CACHES,
        "shared": {"BACKEND": "no_such_package.cache.NoCache"},
    }
    (message,) = check_cache()
    assert message.id == "django_lamba.E014"
    assert "cannot be loaded" in message.msg


def test_e014_a_cache_whose_server_refuses_connections(settings: Any) -> None:
    pytest.importorskip("redis")
    settings.CACHES = {
        **settings.CACHES,
        "shared": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": f"redis://127.0.0.1:{pick_free_port()}/0",
        },
    }
    (message,) = check_cache()
    assert message.id == "django_lamba.E014"
    assert "round trip" in message.msg and "LAMBA_CACHE_ALIAS" in message.msg


def test_e014_a_cache_that_hangs_is_reported_not_waited_for(
    settings: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    import threading

    release = threading.Event()
    monkeypatch.setattr(django_lamba.checks.cache, "CACHE_CHECK_TIMEOUT", 0.2)
    monkeypatch.setattr(
        "django.core.cache.backends.filebased.FileBasedCache.set",
        lambda *args, **kwargs: release.wait(5),
    )
    try:
        (message,) = check_cache()
    finally:
        release.set()
    assert message.id == "django_lamba.E014"
    assert "did not answer" in message.msg


@pytest.mark.parametrize(
    "backend",
    [
        "django.core.cache.backends.locmem.LocMemCache",
        "django.core.cache.backends.dummy.DummyCache",
    ],
)
def test_w006_a_process_local_cache(settings: Any, backend: str) -> None:
    settings.CACHES = {**settings.CACHES, "shared": {"BACKEND": backend}}
    (message,) = check_cache()
    assert isinstance(message, Warning) and message.id == "django_lamba.W006"
    assert "LAMBA_CACHE_ALIAS" in message.msg


# --- placeholders copied from the docs ----------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("LAMBA_CUSTOMER_WORKSPACE_ID", "ws_..."),
        ("LAMBA_CUSTOMER_PROJECT_ID", "prj_..."),
        ("LAMBA_CUSTOMER_PROJECT_ID", "prj_xxx"),
        ("LAMBA_CUSTOMER_WORKSPACE_ID", "ws_XXXX"),
        ("LAMBA_CLIENT_ID", "your-app-client-id"),
        ("LAMBA_MANAGEMENT_CLIENT_ID", "<management client id>"),
        ("LAMBA_SITE_URL", "https://your.site"),
        ("LAMBA_CUSTOMER_AUTH_BASE_URL", "https://id.uselamba.com/\u2026"),
    ],
)
def test_w007_a_placeholder_from_the_docs_is_named(settings: Any, name: str, value: str) -> None:
    if name == "LAMBA_CUSTOMER_AUTH_BASE_URL":
        settings.LAMBA_CUSTOMER_API_BASE_URL = "https://api.uselamba.com"
        settings.LAMBA_CUSTOMER_ENV = "prod"
    setattr(settings, name, value)
    messages = [m for m in check_settings() if m.id == "django_lamba.W007"]
    assert len(messages) == 1
    assert name in messages[0].msg and repr(value) in messages[0].msg
    assert isinstance(messages[0], Warning) and messages[0].hint


def test_w007_fires_even_with_debug_on(settings: Any) -> None:
    settings.DEBUG = True
    settings.LAMBA_CUSTOMER_PROJECT_ID = "prj_..."
    settings.LAMBA_ALLOWED_PROJECTS = ["ws_shop/prj_..."]
    assert ids() == ["django_lamba.W007", "django_lamba.W007"]


@pytest.mark.parametrize(
    "name", ["LAMBA_CLIENT_SECRET", "LAMBA_MANAGEMENT_CLIENT_SECRET", "LAMBA_WEBHOOK_SECRET"]
)
def test_w007_never_shows_a_secret(settings: Any, name: str) -> None:
    setattr(settings, name, "whsec_... your-secret")
    (message,) = fires("django_lamba.W007")
    assert name in message.msg
    assert "whsec" not in message.msg and "your-secret" not in message.msg


@pytest.mark.parametrize(
    "value", ["ws_shop", "ws_01J9ZK8X3XXQ", "prj_demo", "ws_taxes", "mgmt_demo", "yourshop"]
)
def test_w007_not_for_real_looking_ids(settings: Any, value: str) -> None:
    settings.LAMBA_CUSTOMER_WORKSPACE_ID = value
    settings.LAMBA_ALLOWED_PROJECTS = [f"{value}/prj_shop"]
    settings.LAMBA_CUSTOMER_PROJECT_ID = "prj_shop"
    assert "django_lamba.W007" not in ids()


# --- URL names in LOGIN_URL and the redirect settings ------------------------------------------


def test_the_test_urls_reverse_every_url_name(settings: Any) -> None:
    settings.LOGIN_URL = "lamba:login"
    settings.LAMBA_LOGOUT_REDIRECT_URL = "lamba:login"
    assert check_url_names() == []


def test_e015_login_url_names_lamba_but_its_urls_are_not_included(settings: Any) -> None:
    settings.ROOT_URLCONF = "tests.urls_without_lamba"
    settings.LOGIN_URL = "lamba:login"
    (message,) = check_url_names()
    assert isinstance(message, Error) and message.id == "django_lamba.E015"
    assert "LOGIN_URL" in message.msg and "'lamba:login'" in message.msg
    assert 'include("django_lamba.urls")' in str(message.hint)


@pytest.mark.parametrize(
    "name", ["LOGIN_REDIRECT_URL", "LAMBA_LOGIN_REDIRECT_URL", "LAMBA_LOGOUT_REDIRECT_URL"]
)
def test_e015_a_redirect_setting_names_a_url_that_does_not_exist(settings: Any, name: str) -> None:
    setattr(settings, name, "dashbaord")
    (message,) = check_url_names()
    assert message.id == "django_lamba.E015" and name in message.msg
    assert "URL pattern that exists" in str(message.hint)


@pytest.mark.parametrize("value", ["/", "/accounts/login/", "https://shop.example.com/in"])
def test_e015_not_for_paths_and_urls(settings: Any, value: str) -> None:
    settings.ROOT_URLCONF = "tests.urls_without_lamba"
    settings.LOGIN_URL = value
    assert check_url_names() == []


def test_e015_registered_with_the_url_checks(settings: Any) -> None:
    settings.ROOT_URLCONF = "tests.urls_without_lamba"
    found = run_checks(tags=[Tags.urls])
    assert "django_lamba.E015" in {message.id for message in found}


# --- completeness ------------------------------------------------------------------------------


@pytest.mark.parametrize("check_id", sorted(SCENARIOS))
def test_each_scenario_reports_exactly_its_id(settings: Any, check_id: str) -> None:
    for name, value in SCENARIOS[check_id].items():
        setattr(settings, name, value)
    found = [
        m for m in check_settings() + check_cache() + check_url_names() if not m.is_silenced()
    ]
    assert ids(found) == [check_id]


def test_every_check_id_has_a_scenario() -> None:
    """A new id in the checks package needs a scenario (and tests) here."""
    package = Path(django_lamba.checks.__file__).parent
    source = "\n".join(path.read_text() for path in sorted(package.glob("*.py")))
    defined = set(re.findall(r'id="(django_lamba\.[EW]\d{3})"', source))
    assert defined, "no check ids found in django_lamba/checks/"
    assert defined == set(SCENARIOS)


def test_every_check_id_is_documented() -> None:
    """docs/settings.md lists every id the checks can raise."""
    page = (Path(__file__).resolve().parent.parent / "docs" / "settings.md").read_text()
    missing = [check_id for check_id in SCENARIOS if check_id.split(".")[1] not in page]
    assert missing == []
