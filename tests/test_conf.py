"""``lamba_settings``: Django settings first, then the environment; kept until they change."""

from __future__ import annotations

import os
import sys
import threading
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.test import override_settings

from django_lamba import conf
from django_lamba._internal import binding
from django_lamba.conf import lamba_settings

SetEnv = Callable[[str, str], None]


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Start every test without any LAMBA_* variable from the developer's shell.

    Values resolved from this test's environment are dropped once it is restored, so no later
    test sees them.
    """
    for name in list(os.environ):
        if name.startswith("LAMBA_"):
            monkeypatch.delenv(name)
    lamba_settings.reload()
    yield
    monkeypatch.undo()
    lamba_settings.reload()


@pytest.fixture
def setenv(monkeypatch: pytest.MonkeyPatch) -> SetEnv:
    """Set an environment variable as a deployment would: then ``lamba_settings.reload()``."""

    def set_variable(name: str, value: str) -> None:
        monkeypatch.setenv(name, value)
        lamba_settings.reload()

    return set_variable


@pytest.fixture
def no_base_urls(settings: Any) -> None:
    del settings.LAMBA_CUSTOMER_AUTH_BASE_URL
    del settings.LAMBA_CUSTOMER_API_BASE_URL


def test_a_changed_setting_is_read_again(settings: Any) -> None:
    settings.LAMBA_CUSTOMER_AUTH_BASE_URL = "https://one.example.com"
    assert lamba_settings.AUTH_BASE_URL == "https://one.example.com"
    with override_settings(LAMBA_CUSTOMER_AUTH_BASE_URL="https://two.example.com/"):
        assert lamba_settings.AUTH_BASE_URL == "https://two.example.com"
    assert lamba_settings.AUTH_BASE_URL == "https://one.example.com"


def test_trailing_slashes_are_stripped(settings: Any) -> None:
    settings.LAMBA_CUSTOMER_API_BASE_URL = "https://test.api.uselamba.com///"
    assert lamba_settings.API_BASE_URL == "https://test.api.uselamba.com"


@pytest.mark.usefixtures("no_base_urls")
def test_environment_variables_are_the_fallback(setenv: SetEnv) -> None:
    setenv("LAMBA_CUSTOMER_AUTH_BASE_URL", "https://test.id.uselamba.com")
    setenv("LAMBA_CUSTOMER_API_BASE_URL", "https://test.api.uselamba.com/")
    setenv("LAMBA_CUSTOMER_WORKSPACE_ID", "ws_env")
    setenv("LAMBA_CUSTOMER_PROJECT_ID", "prj_env")
    setenv("LAMBA_CUSTOMER_ENV", "prod")
    assert lamba_settings.AUTH_BASE_URL == "https://test.id.uselamba.com"
    assert lamba_settings.API_BASE_URL == "https://test.api.uselamba.com"
    assert lamba_settings.WORKSPACE_ID == "ws_env"
    assert lamba_settings.PROJECT_ID == "prj_env"
    assert lamba_settings.ENV == "prod"


def test_a_setting_wins_over_the_environment(settings: Any, setenv: SetEnv) -> None:
    settings.LAMBA_CUSTOMER_AUTH_BASE_URL = "https://from-settings.example.com"
    settings.LAMBA_READ_TIMEOUT = 7
    setenv("LAMBA_CUSTOMER_AUTH_BASE_URL", "https://from-env.example.com")
    setenv("LAMBA_READ_TIMEOUT", "1")
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
def test_vendor_aliases_are_accepted(setenv: SetEnv, alias: str, attr: str) -> None:
    setenv(alias, "https://test.id.uselamba.com/")
    assert getattr(lamba_settings, attr) == "https://test.id.uselamba.com"


@pytest.mark.usefixtures("no_base_urls")
def test_the_canonical_name_wins_over_an_alias(setenv: SetEnv) -> None:
    setenv("LAMBA_CUSTOMER_AUTH_BASE", "https://alias.example.com")
    setenv("LAMBA_CUSTOMER_AUTH_BASE_URL", "https://canonical.example.com")
    assert lamba_settings.AUTH_BASE_URL == "https://canonical.example.com"


@pytest.mark.parametrize(
    ("alias", "attr", "value"),
    [
        ("LAMBA_WORKSPACE_ID", "WORKSPACE_ID", "ws_alias"),
        ("LAMBA_PROJECT_ID", "PROJECT_ID", "prj_alias"),
        ("LAMBA_ENV", "ENV", "prod"),
    ],
)
def test_scope_aliases(setenv: SetEnv, alias: str, attr: str, value: str) -> None:
    setenv(alias, value)
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
def test_an_empty_environment_variable_counts_as_missing(setenv: SetEnv) -> None:
    setenv("LAMBA_CUSTOMER_AUTH_BASE_URL", "")
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
    setenv: SetEnv, name: str, attr: str, raw: str, expected: float
) -> None:
    setenv(name, raw)
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
    setenv: SetEnv,
) -> None:
    setenv("LAMBA_READ_TIMEOUT", "slow")
    with pytest.raises(ImproperlyConfigured, match="LAMBA_READ_TIMEOUT"):
        _ = lamba_settings.READ_TIMEOUT


@pytest.mark.parametrize(
    ("raw", "expected"),
    [("1", True), ("true", True), ("Yes", True), ("on", True), ("0", False), ("false", False)],
)
def test_booleans_from_the_environment(setenv: SetEnv, raw: str, expected: bool) -> None:
    setenv("LAMBA_COOKIE_SECURE", raw)
    assert lamba_settings.COOKIE_SECURE is expected


def test_boolean_settings(settings: Any) -> None:
    settings.LAMBA_COOKIE_SECURE = False
    assert lamba_settings.COOKIE_SECURE is False
    settings.LAMBA_VERIFY_JWT = "off"
    assert lamba_settings.VERIFY_JWT is False


def test_jwt_algorithms_from_a_comma_list(setenv: SetEnv) -> None:
    setenv("LAMBA_JWT_ALGORITHMS", "RS256, ES256,")
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
    settings: Any, setenv: SetEnv
) -> None:
    setenv("LAMBA_TOTAL_TIMEOUT", "4.5")
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


# --- kept values -------------------------------------------------------------------------------


def _count_resolutions(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Record the name of every setting resolved from settings or the environment from now on."""
    resolved: list[str] = []
    original = conf._raw

    def counting(name: str, default: Any = conf._MISSING) -> Any:
        resolved.append(name)
        return original(name, default)

    _patch_raw(monkeypatch, counting)
    return resolved


def _patch_raw(monkeypatch: pytest.MonkeyPatch, replacement: Any) -> None:
    """Put ``replacement`` where every group of ``LambaSettings`` properties looks ``_raw`` up."""
    for group in conf.LambaSettings.__mro__:
        module = sys.modules[group.__module__]
        if hasattr(module, "_raw"):
            monkeypatch.setattr(module, "_raw", replacement)


def test_a_setting_is_resolved_once_and_then_kept(monkeypatch: pytest.MonkeyPatch) -> None:
    resolved = _count_resolutions(monkeypatch)
    assert [lamba_settings.SESSION_COOKIE for _ in range(3)] == ["lamba_access_token"] * 3
    assert [lamba_settings.COOKIE_MAX_BYTES for _ in range(3)] == [4096] * 3
    assert resolved == ["LAMBA_SESSION_COOKIE", "LAMBA_COOKIE_MAX_BYTES"]


def test_an_environment_change_is_seen_after_reload(monkeypatch: pytest.MonkeyPatch) -> None:
    assert lamba_settings.SESSION_COOKIE == "lamba_access_token"
    monkeypatch.setenv("LAMBA_SESSION_COOKIE", "from_env")
    assert lamba_settings.SESSION_COOKIE == "lamba_access_token"
    lamba_settings.reload()
    assert lamba_settings.SESSION_COOKIE == "from_env"
    monkeypatch.delenv("LAMBA_SESSION_COOKIE")
    lamba_settings.reload()
    assert lamba_settings.SESSION_COOKIE == "lamba_access_token"


def test_override_settings_replaces_a_kept_default_and_restores_it() -> None:
    assert lamba_settings.REFRESH_COOKIE == "lamba_refresh_token"
    with override_settings(LAMBA_REFRESH_COOKIE="__Host-rt"):
        assert lamba_settings.REFRESH_COOKIE == "__Host-rt"
    assert lamba_settings.REFRESH_COOKIE == "lamba_refresh_token"


def test_a_kept_value_follows_the_settings_fixture(settings: Any) -> None:
    assert lamba_settings.COOKIE_MAX_BYTES == 4096
    settings.LAMBA_COOKIE_MAX_BYTES = 3000
    assert lamba_settings.COOKIE_MAX_BYTES == 3000
    del settings.LAMBA_COOKIE_MAX_BYTES
    assert lamba_settings.COOKIE_MAX_BYTES == 4096


def test_a_change_to_a_django_setting_refreshes_the_lamba_default_read_from_it(
    settings: Any,
) -> None:
    settings.LOGIN_REDIRECT_URL = "/first/"
    assert lamba_settings.LOGIN_REDIRECT_URL == "/first/"
    settings.LOGIN_REDIRECT_URL = "/second/"
    assert lamba_settings.LOGIN_REDIRECT_URL == "/second/"


def test_a_derived_default_follows_the_setting_it_comes_from(settings: Any) -> None:
    settings.LAMBA_CUSTOMER_AUTH_BASE_URL = "https://one.example.com"
    assert lamba_settings.JWT_ISSUER == "https://one.example.com"
    settings.LAMBA_CUSTOMER_AUTH_BASE_URL = "https://two.example.com"
    assert lamba_settings.JWT_ISSUER == "https://two.example.com"


def test_receivers_connected_later_already_see_the_new_values(settings: Any) -> None:
    """A module that rebuilds state from lamba_settings on setting_changed gets fresh values."""
    assert lamba_settings.SESSION_COOKIE == "lamba_access_token"
    seen: list[str] = []

    def rebuild(**kwargs: Any) -> None:
        seen.append(lamba_settings.SESSION_COOKIE)

    from django.core.signals import setting_changed

    setting_changed.connect(rebuild)
    try:
        settings.LAMBA_SESSION_COOKIE = "__Host-at"
    finally:
        setting_changed.disconnect(rebuild)
    assert seen == ["__Host-at"]


def test_the_tenant_binding_follows_changed_settings(settings: Any) -> None:
    settings.LAMBA_ALLOWED_PROJECTS = ["ws_a/prj_a"]
    first = binding.policy()
    assert first is not None and first.allowed == (("ws_a", "prj_a"),)
    settings.LAMBA_ALLOWED_PROJECTS = ["ws_b/prj_b"]
    second = binding.policy()
    assert second is not None and second.allowed == (("ws_b", "prj_b"),)


def test_a_value_that_cannot_be_resolved_is_not_kept(setenv: SetEnv) -> None:
    setenv("LAMBA_READ_TIMEOUT", "slow")
    for _ in range(2):
        with pytest.raises(ImproperlyConfigured, match="LAMBA_READ_TIMEOUT"):
            _ = lamba_settings.READ_TIMEOUT
    setenv("LAMBA_READ_TIMEOUT", "4")
    assert lamba_settings.READ_TIMEOUT == 4.0


def test_a_list_setting_is_a_new_list_each_time() -> None:
    algorithms = lamba_settings.JWT_ALGORITHMS
    algorithms.append("none")
    assert lamba_settings.JWT_ALGORITHMS == ["RS256"]


def test_a_value_resolved_across_a_reload_is_not_kept(monkeypatch: pytest.MonkeyPatch) -> None:
    """A read that started before a settings change must not keep what it read before it."""
    original = conf._raw
    started = threading.Event()

    def slow(name: str, default: Any = conf._MISSING) -> Any:
        value = original(name, default)
        if not started.is_set():
            started.set()
            lamba_settings.reload()  # the settings change while this read is under way
        return value

    _patch_raw(monkeypatch, slow)
    assert lamba_settings.SESSION_COOKIE == "lamba_access_token"
    resolved = _count_resolutions(monkeypatch)
    assert lamba_settings.SESSION_COOKIE == "lamba_access_token"
    assert resolved == ["LAMBA_SESSION_COOKIE"]


def test_a_setting_deleted_through_the_settings_fixture_falls_back_at_once(
    settings: Any,
) -> None:
    """pytest-django deletes without sending setting_changed; the kept value still goes."""
    settings.LAMBA_CUSTOMER_ENV = "prod"
    assert lamba_settings.ENV == "prod"
    del settings.LAMBA_CUSTOMER_ENV
    assert lamba_settings.ENV == "test"


def test_a_direct_assignment_to_django_settings_is_seen_after_reload() -> None:
    from django.conf import settings as django_settings

    with override_settings():  # a private settings object, discarded on exit
        assert lamba_settings.SESSION_COOKIE == "lamba_access_token"
        django_settings.LAMBA_SESSION_COOKIE = "direct"
        assert lamba_settings.SESSION_COOKIE == "lamba_access_token"
        lamba_settings.reload()
        assert lamba_settings.SESSION_COOKIE == "direct"
    assert lamba_settings.SESSION_COOKIE == "lamba_access_token"
