"""``lamba_settings``: Django settings first, then the environment, read on every access."""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import Any

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.test import override_settings

from django_lamba.conf import lamba_settings


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Start every test without any LAMBA_* variable from the developer's shell."""
    for name in list(os.environ):
        if name.startswith("LAMBA_"):
            monkeypatch.delenv(name)
    yield


@pytest.fixture
def no_base_urls(settings: Any) -> None:
    del settings.LAMBA_CUSTOMER_AUTH_BASE_URL
    del settings.LAMBA_CUSTOMER_API_BASE_URL


def test_settings_are_read_on_every_access(settings: Any) -> None:
    settings.LAMBA_CUSTOMER_AUTH_BASE_URL = "https://one.example.com"
    assert lamba_settings.AUTH_BASE_URL == "https://one.example.com"
    with override_settings(LAMBA_CUSTOMER_AUTH_BASE_URL="https://two.example.com/"):
        assert lamba_settings.AUTH_BASE_URL == "https://two.example.com"
    assert lamba_settings.AUTH_BASE_URL == "https://one.example.com"


def test_trailing_slashes_are_stripped(settings: Any) -> None:
    settings.LAMBA_CUSTOMER_API_BASE_URL = "https://test.api.uselamba.com///"
    assert lamba_settings.API_BASE_URL == "https://test.api.uselamba.com"


@pytest.mark.usefixtures("no_base_urls")
def test_environment_variables_are_the_fallback(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LAMBA_CUSTOMER_AUTH_BASE_URL", "https://test.id.uselamba.com")
    monkeypatch.setenv("LAMBA_CUSTOMER_API_BASE_URL", "https://test.api.uselamba.com/")
    monkeypatch.setenv("LAMBA_CUSTOMER_WORKSPACE_ID", "ws_env")
    monkeypatch.setenv("LAMBA_CUSTOMER_PROJECT_ID", "prj_env")
    monkeypatch.setenv("LAMBA_CUSTOMER_ENV", "prod")
    assert lamba_settings.AUTH_BASE_URL == "https://test.id.uselamba.com"
    assert lamba_settings.API_BASE_URL == "https://test.api.uselamba.com"
    assert lamba_settings.WORKSPACE_ID == "ws_env"
    assert lamba_settings.PROJECT_ID == "prj_env"
    assert lamba_settings.ENV == "prod"


def test_a_setting_wins_over_the_environment(
    settings: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings.LAMBA_CUSTOMER_AUTH_BASE_URL = "https://from-settings.example.com"
    settings.LAMBA_READ_TIMEOUT = 7
    monkeypatch.setenv("LAMBA_CUSTOMER_AUTH_BASE_URL", "https://from-env.example.com")
    monkeypatch.setenv("LAMBA_READ_TIMEOUT", "1")
    assert lamba_settings.AUTH_BASE_URL == "https://from-settings.example.com"
    assert lamba_settings.READ_TIMEOUT == 7.0


@pytest.mark.usefixtures("no_base_urls")
@pytest.mark.parametrize(
    ("alias", "attr"),
    [
        ("LAMBA_CUSTOMER_AUTH_BASE", "AUTH_BASE_URL"),
        ("LAMBA_CUSTOMER_API_BASE", "API_BASE_URL"),
    ],
)
def test_vendor_aliases_are_accepted(
    monkeypatch: pytest.MonkeyPatch, alias: str, attr: str
) -> None:
    monkeypatch.setenv(alias, "https://test.id.uselamba.com/")
    assert getattr(lamba_settings, attr) == "https://test.id.uselamba.com"


@pytest.mark.usefixtures("no_base_urls")
def test_the_canonical_name_wins_over_an_alias(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LAMBA_CUSTOMER_AUTH_BASE", "https://alias.example.com")
    monkeypatch.setenv("LAMBA_CUSTOMER_AUTH_BASE_URL", "https://canonical.example.com")
    assert lamba_settings.AUTH_BASE_URL == "https://canonical.example.com"


@pytest.mark.parametrize(
    ("alias", "attr", "value"),
    [
        ("LAMBA_WORKSPACE_ID", "WORKSPACE_ID", "ws_alias"),
        ("LAMBA_PROJECT_ID", "PROJECT_ID", "prj_alias"),
        ("LAMBA_ENV", "ENV", "prod"),
    ],
)
def test_scope_aliases(monkeypatch: pytest.MonkeyPatch, alias: str, attr: str, value: str) -> None:
    monkeypatch.setenv(alias, value)
    assert getattr(lamba_settings, attr) == value


@pytest.mark.usefixtures("no_base_urls")
@pytest.mark.parametrize(
    ("attr", "name"),
    [
        ("AUTH_BASE_URL", "LAMBA_CUSTOMER_AUTH_BASE_URL"),
        ("API_BASE_URL", "LAMBA_CUSTOMER_API_BASE_URL"),
    ],
)
def test_a_missing_base_url_names_the_setting(attr: str, name: str) -> None:
    with pytest.raises(ImproperlyConfigured, match=name):
        getattr(lamba_settings, attr)


@pytest.mark.usefixtures("no_base_urls")
def test_an_empty_environment_variable_counts_as_missing(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LAMBA_CUSTOMER_AUTH_BASE_URL", "")
    with pytest.raises(ImproperlyConfigured, match="LAMBA_CUSTOMER_AUTH_BASE_URL"):
        _ = lamba_settings.AUTH_BASE_URL


def test_an_empty_setting_is_missing(settings: Any) -> None:
    settings.LAMBA_CUSTOMER_AUTH_BASE_URL = ""
    with pytest.raises(ImproperlyConfigured, match="LAMBA_CUSTOMER_AUTH_BASE_URL"):
        _ = lamba_settings.AUTH_BASE_URL


def test_defaults(settings: Any) -> None:
    for name in ("LAMBA_CUSTOMER_WORKSPACE_ID", "LAMBA_CUSTOMER_PROJECT_ID", "LAMBA_CUSTOMER_ENV"):
        if hasattr(settings, name):
            delattr(settings, name)
    assert lamba_settings.WORKSPACE_ID == ""
    assert lamba_settings.PROJECT_ID == ""
    assert lamba_settings.ENV == "test"
    assert lamba_settings.SESSION_COOKIE == "lamba_access_token"
    assert lamba_settings.REFRESH_COOKIE == "lamba_refresh_token"
    assert lamba_settings.COOKIE_SECURE is True
    assert lamba_settings.COOKIE_SAMESITE == "Lax"
    assert lamba_settings.COOKIE_DOMAIN is None
    assert lamba_settings.COOKIE_MAX_BYTES == 4096
    assert 0 < lamba_settings.CONNECT_TIMEOUT <= 10
    assert 0 < lamba_settings.READ_TIMEOUT <= 30
    assert lamba_settings.MAX_RETRIES == 1
    assert lamba_settings.VERIFY_JWT is True
    assert lamba_settings.JWT_ALGORITHMS == ["RS256"]
    assert lamba_settings.JWT_AUDIENCE is None
    assert lamba_settings.STALE_CONTEXT_TTL == 0
    assert lamba_settings.CACHE_ALIAS == "default"


@pytest.mark.parametrize(
    ("name", "attr", "raw", "expected"),
    [
        ("LAMBA_READ_TIMEOUT", "READ_TIMEOUT", "2.5", 2.5),
        ("LAMBA_CONNECT_TIMEOUT", "CONNECT_TIMEOUT", "1", 1.0),
        ("LAMBA_MAX_RETRIES", "MAX_RETRIES", "3", 3),
        ("LAMBA_COOKIE_MAX_BYTES", "COOKIE_MAX_BYTES", "3000", 3000),
        ("LAMBA_JWT_LEEWAY", "JWT_LEEWAY", "10", 10.0),
    ],
)
def test_numbers_from_the_environment(
    monkeypatch: pytest.MonkeyPatch, name: str, attr: str, raw: str, expected: float
) -> None:
    monkeypatch.setenv(name, raw)
    value = getattr(lamba_settings, attr)
    assert value == expected
    assert type(value) is type(expected)


@pytest.mark.parametrize(
    ("name", "attr", "raw"),
    [
        ("LAMBA_READ_TIMEOUT", "READ_TIMEOUT", "ten"),
        ("LAMBA_CONNECT_TIMEOUT", "CONNECT_TIMEOUT", ""),
        ("LAMBA_MAX_RETRIES", "MAX_RETRIES", "a few"),
        ("LAMBA_COOKIE_MAX_BYTES", "COOKIE_MAX_BYTES", "4k"),
        ("LAMBA_CONTEXT_CACHE_TTL", "CONTEXT_CACHE_TTL", None),
        ("LAMBA_REFRESH_WAIT", "REFRESH_WAIT", [5]),
    ],
)
def test_bad_numbers_name_the_setting(settings: Any, name: str, attr: str, raw: object) -> None:
    setattr(settings, name, raw)
    with pytest.raises(ImproperlyConfigured, match=name):
        getattr(lamba_settings, attr)


def test_bad_number_in_the_environment_names_the_variable(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("LAMBA_READ_TIMEOUT", "slow")
    with pytest.raises(ImproperlyConfigured, match="LAMBA_READ_TIMEOUT"):
        _ = lamba_settings.READ_TIMEOUT


@pytest.mark.parametrize(
    ("raw", "expected"),
    [("1", True), ("true", True), ("Yes", True), ("on", True), ("0", False), ("false", False)],
)
def test_booleans_from_the_environment(
    monkeypatch: pytest.MonkeyPatch, raw: str, expected: bool
) -> None:
    monkeypatch.setenv("LAMBA_COOKIE_SECURE", raw)
    assert lamba_settings.COOKIE_SECURE is expected


def test_boolean_settings(settings: Any) -> None:
    settings.LAMBA_COOKIE_SECURE = False
    assert lamba_settings.COOKIE_SECURE is False
    settings.LAMBA_VERIFY_JWT = "off"
    assert lamba_settings.VERIFY_JWT is False


def test_jwt_algorithms_from_a_comma_list(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LAMBA_JWT_ALGORITHMS", "RS256, ES256,")
    assert lamba_settings.JWT_ALGORITHMS == ["RS256", "ES256"]


def test_jwt_leeway_is_capped(settings: Any) -> None:
    settings.LAMBA_JWT_LEEWAY = 3600
    assert lamba_settings.JWT_LEEWAY == 60.0


def test_redirect_urls_fall_back_to_djangos(settings: Any) -> None:
    settings.LOGIN_REDIRECT_URL = "/dashboard/"
    settings.LOGOUT_REDIRECT_URL = "/bye/"
    assert lamba_settings.LOGIN_REDIRECT_URL == "/dashboard/"
    assert lamba_settings.LOGOUT_REDIRECT_URL == "/bye/"
    settings.LAMBA_LOGIN_REDIRECT_URL = "/lamba-home/"
    settings.LAMBA_LOGOUT_REDIRECT_URL = "/lamba-bye/"
    assert lamba_settings.LOGIN_REDIRECT_URL == "/lamba-home/"
    assert lamba_settings.LOGOUT_REDIRECT_URL == "/lamba-bye/"


def test_logout_redirect_defaults_to_root(settings: Any) -> None:
    settings.LOGOUT_REDIRECT_URL = None
    assert lamba_settings.LOGOUT_REDIRECT_URL == "/"


def test_cookie_names_and_domain(settings: Any) -> None:
    settings.LAMBA_SESSION_COOKIE = "__Host-at"
    settings.LAMBA_REFRESH_COOKIE = "__Host-rt"
    settings.LAMBA_COOKIE_DOMAIN = ""
    assert lamba_settings.SESSION_COOKIE == "__Host-at"
    assert lamba_settings.REFRESH_COOKIE == "__Host-rt"
    assert lamba_settings.COOKIE_DOMAIN is None
    settings.LAMBA_COOKIE_DOMAIN = ".example.com"
    assert lamba_settings.COOKIE_DOMAIN == ".example.com"


@pytest.mark.parametrize("value", ["inf", "-inf", "nan", "1e999"])
def test_a_non_finite_number_is_improperly_configured(settings: Any, value: str) -> None:
    settings.LAMBA_MAX_RETRIES = value
    with pytest.raises(ImproperlyConfigured, match="LAMBA_MAX_RETRIES must be a finite number"):
        lamba_settings.MAX_RETRIES  # noqa: B018  (reading it raises)


def test_total_timeout_defaults_to_connect_plus_read_timeout(settings: Any) -> None:
    settings.LAMBA_CONNECT_TIMEOUT = 1.5
    settings.LAMBA_READ_TIMEOUT = 2
    assert lamba_settings.TOTAL_TIMEOUT == 3.5


def test_total_timeout_is_read_from_settings_then_the_environment(
    settings: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("LAMBA_TOTAL_TIMEOUT", "4.5")
    assert lamba_settings.TOTAL_TIMEOUT == 4.5
    settings.LAMBA_TOTAL_TIMEOUT = 3
    assert lamba_settings.TOTAL_TIMEOUT == 3.0


@pytest.mark.parametrize("value", [0, -1, "0", "nan", "soon"])
def test_a_total_timeout_that_allows_no_call_is_improperly_configured(
    settings: Any, value: object
) -> None:
    settings.LAMBA_TOTAL_TIMEOUT = value
    with pytest.raises(ImproperlyConfigured, match="LAMBA_TOTAL_TIMEOUT"):
        _ = lamba_settings.TOTAL_TIMEOUT
