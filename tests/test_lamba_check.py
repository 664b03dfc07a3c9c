"""``manage.py lamba_check`` against the emulator: a healthy deployment, then each failure."""

from __future__ import annotations

import json
from io import StringIO
from pathlib import Path
from typing import Any

import pytest
from django.core.management import CommandError, call_command

from django_lamba.testing import FrozenClock, LambaEmulator
from tests.conftest import pick_free_port

WEBHOOK_SECRET = "whsec_doctor_secret_value"


@pytest.fixture
def healthy(lamba: LambaEmulator, settings: Any, tmp_path: Path) -> LambaEmulator:
    """A deployment where every check passes: a shared (file) cache, a webhook secret."""
    settings.CACHES = {
        **settings.CACHES,
        "shared": {
            "BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
            "LOCATION": str(tmp_path / "cache"),
        },
    }
    settings.LAMBA_CACHE_ALIAS = "shared"
    settings.LAMBA_WEBHOOK_SECRET = WEBHOOK_SECRET
    settings.LAMBA_MAX_RETRIES = 0  # one answer per call: no retry waits
    settings.LAMBA_SESSION_COOKIE = "__Host-lamba_access_token"  # DEBUG is off: W004 otherwise
    settings.LAMBA_REFRESH_COOKIE = "__Host-lamba_refresh_token"
    return lamba


def doctor(*args: str) -> tuple[str, int]:
    """Run lamba_check; return its output and exit status."""
    out = StringIO()
    try:
        call_command("lamba_check", *args, stdout=out)
    except CommandError as exc:
        return out.getvalue(), exc.returncode
    return out.getvalue(), 0


def checks(*args: str) -> tuple[dict[str, dict[str, Any]], int]:
    """Run lamba_check --json; return its checks by name, and the exit status."""
    output, status = doctor("--json", *args)
    report = json.loads(output)
    assert report["ok"] is (status == 0)
    return {check["name"]: check for check in report["checks"]}, status


def line(output: str, name: str) -> str:
    """Return the report line of check ``name``."""
    return next(row for row in output.splitlines() if row[6:].startswith(name + " "))


def test_a_healthy_deployment_passes_with_one_line_per_check(healthy: LambaEmulator) -> None:
    output, status = doctor()
    assert status == 0
    for name in ("settings", "auth host", "api host", "issuer", "jwks", "clock", "cache"):
        assert line(output, name).startswith("ok "), line(output, name)
    for name in ("management", "webhook", "tenant binding"):
        assert line(output, name).startswith("ok "), line(output, name)
    assert "scopes: customer.admin" in line(output, "management")
    assert "ws_demo/prj_demo in 'test'" in line(output, "tenant binding")
    assert "http://testserver/auth/webhook/" in line(output, "webhook")
    assert output.rstrip().endswith("lamba_check passed: 10 ok, 0 warn, 0 fail, 0 skip")


def test_the_report_never_shows_a_token_or_a_secret(healthy: LambaEmulator) -> None:
    text, _ = doctor()
    as_json, _ = doctor("--json")
    issued = [r for r in healthy.requests_log if r.path == "/connect/token"]
    assert issued, "the management check asked for a token"
    for output in (text, as_json):
        assert healthy.management_client_secret not in output
        assert WEBHOOK_SECRET not in output
        assert "eyJ" not in output  # no JWT, header or payload


def test_json_has_a_status_summary_and_facts_per_check(healthy: LambaEmulator) -> None:
    found, status = checks()
    assert status == 0
    assert found["auth host"]["facts"]["status"] == 200
    assert found["api host"]["facts"]["status"] == 401
    assert found["management"]["facts"]["scopes"] == ["customer.admin"]
    assert found["jwks"]["facts"]["usable"] and not found["jwks"]["facts"]["ignored"]


# --- settings --------------------------------------------------------------------------------


def test_a_system_check_error_fails_with_its_fix(healthy: LambaEmulator, settings: Any) -> None:
    settings.MIDDLEWARE = [m for m in settings.MIDDLEWARE if "Lamba" not in m]
    output, status = doctor()
    assert status == 1
    assert line(output, "settings E003").startswith("fail")
    assert "fix: Add it to MIDDLEWARE" in output
    assert "lamba_check FAILED" in output


def test_a_placeholder_warns_without_failing(healthy: LambaEmulator, settings: Any) -> None:
    settings.LAMBA_CLIENT_ID = "your-app-client-id"
    found, status = checks()
    assert status == 0
    assert found["settings W007"]["status"] == "warn"


def test_missing_base_urls_skip_the_network_checks(healthy: LambaEmulator, settings: Any) -> None:
    settings.LAMBA_CUSTOMER_AUTH_BASE_URL = ""
    found, status = checks()
    assert status == 1
    assert found["settings E001"]["status"] == "fail"
    assert {found[name]["status"] for name in ("auth host", "jwks", "clock")} == {"skip"}


# --- Lamba down, throttling, the wrong host ----------------------------------------------------


def test_auth_host_down(healthy: LambaEmulator, settings: Any) -> None:
    settings.LAMBA_CUSTOMER_AUTH_BASE_URL = f"http://127.0.0.1:{pick_free_port()}"
    settings.LAMBA_JWT_ISSUER = healthy.auth_url
    output, status = doctor()
    assert status == 1
    assert "could not be reached" in line(output, "auth host")
    assert "fix: Check LAMBA_CUSTOMER_AUTH_BASE_URL" in output
    for name in ("issuer", "jwks", "clock"):
        assert line(output, name).startswith("skip")


def test_auth_host_answering_503_names_the_trace_id(healthy: LambaEmulator) -> None:
    healthy.inject_fault("/.well-known/openid-configuration", status=503)
    found, status = checks()
    assert status == 1
    auth = found["auth host"]
    assert auth["status"] == "fail" and "answered 503" in auth["summary"]
    assert auth["facts"]["trace_id"]
    assert f"traceId={auth['facts']['trace_id']}" in auth["summary"]


def test_a_429_is_a_warning_to_try_later(healthy: LambaEmulator) -> None:
    healthy.inject_fault("/.well-known/openid-configuration", status=429, retry_after=30)
    found, status = checks()
    assert status == 0
    assert found["auth host"]["status"] == "warn"
    assert "429, Retry-After 30 s" in found["auth host"]["summary"]


def test_api_base_url_pointing_at_the_auth_host(healthy: LambaEmulator, settings: Any) -> None:
    settings.LAMBA_CUSTOMER_API_BASE_URL = healthy.auth_url
    found, status = checks()
    assert status == 1
    assert found["api host"]["status"] == "fail"
    assert "not Lamba's API host" in found["api host"]["summary"]


def test_api_host_down(healthy: LambaEmulator) -> None:
    healthy.inject_html_error("/v1/me/context", status=502)
    found, status = checks()
    assert status == 1
    assert "answered 502" in found["api host"]["summary"]


# --- issuer, JWKS, clock -----------------------------------------------------------------------


def test_a_discovery_issuer_that_differs_fails(healthy: LambaEmulator) -> None:
    healthy.inject_fault(
        "/.well-known/openid-configuration",
        status=200,
        body={"issuer": healthy.auth_url + "/"},
    )
    found, status = checks()
    assert status == 1
    assert found["issuer"]["status"] == "fail"
    assert repr(healthy.auth_url + "/") in found["issuer"]["summary"]
    assert "LAMBA_JWT_ISSUER" in found["issuer"]["fix"]


def test_a_jwks_without_a_usable_key_fails(healthy: LambaEmulator) -> None:
    good = healthy.jwks()["keys"][0]
    healthy.inject_fault(
        "/.well-known/jwks.json",
        status=200,
        body={
            "keys": [
                {"kty": "oct", "kid": "hmac", "k": "c2VjcmV0"},
                {**good, "kid": "enc", "use": "enc"},
                {**good, "kid": "es", "alg": "ES256"},
            ]
        },
    )
    found, status = checks()
    assert status == 1
    jwks = found["jwks"]
    assert jwks["status"] == "fail" and "no usable RS256 signing key among 3" in jwks["summary"]
    assert jwks["facts"]["ignored"] == ["hmac (kty=oct)", "enc (use=enc)", "es (alg=ES256)"]


def test_a_bad_key_beside_a_good_one_is_only_mentioned(healthy: LambaEmulator) -> None:
    good = healthy.jwks()["keys"][0]
    healthy.inject_fault(
        "/.well-known/jwks.json",
        status=200,
        body={"keys": [good, {"kty": "RSA", "kid": "broken", "n": "!!", "e": "AQAB"}]},
    )
    found, status = checks()
    assert status == 0
    assert found["jwks"]["status"] == "ok"
    assert found["jwks"]["facts"]["ignored"] == ["broken (unparseable)"]


@pytest.mark.parametrize(
    ("offset", "expected", "words"),
    [
        (0, "ok", "agrees"),
        (20, "warn", "20.0 s ahead of"),
        (90, "fail", "90.0 s ahead of"),
        (-90, "fail", "90.0 s behind"),
    ],
)
def test_clock_skew_against_lambas_date_header(
    healthy: LambaEmulator, lamba_clock: FrozenClock, offset: float, expected: str, words: str
) -> None:
    # Whole seconds plus half, so Date's rounding down lands the estimate on the offset.
    lamba_clock.advance((0.5 - lamba_clock.now()) % 1)
    healthy.clock = lambda: lamba_clock.now() + offset
    found, status = checks()
    assert found["clock"]["status"] == expected
    assert words in found["clock"]["summary"]
    assert status == (1 if expected == "fail" else 0)
    if expected != "ok":
        assert "NTP" in found["clock"]["fix"]


# --- the cache ---------------------------------------------------------------------------------


def test_a_process_local_cache_is_a_warning(healthy: LambaEmulator, settings: Any) -> None:
    settings.LAMBA_CACHE_ALIAS = "default"  # LocMemCache in tests/settings.py
    found, status = checks()
    assert status == 0
    assert found["cache"]["status"] == "warn"
    assert "LocMemCache: no two processes share it" in found["cache"]["summary"]


def test_a_cache_that_refuses_connections_fails(healthy: LambaEmulator, settings: Any) -> None:
    pytest.importorskip("redis")
    settings.CACHES = {
        **settings.CACHES,
        "shared": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": f"redis://127.0.0.1:{pick_free_port()}/0",
        },
    }
    found, status = checks()
    assert status == 1
    assert found["cache"]["status"] == "fail" and "round trip" in found["cache"]["summary"]


def test_an_unknown_cache_alias_fails(healthy: LambaEmulator, settings: Any) -> None:
    settings.LAMBA_CACHE_ALIAS = "missing"
    found, status = checks()
    assert status == 1
    assert "cannot be loaded" in found["cache"]["summary"]


def test_a_redis_cache_is_shared(healthy: LambaEmulator, settings: Any, redis_server: str) -> None:
    pytest.importorskip("redis")
    settings.CACHES = {
        **settings.CACHES,
        "shared": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": redis_server,
        },
    }
    found, _ = checks()
    assert found["cache"]["status"] == "ok"
    assert "read through another" in found["cache"]["summary"]


# --- management credentials, webhook, tenant binding ------------------------------------------


def test_wrong_management_secret_fails(healthy: LambaEmulator, settings: Any) -> None:
    settings.LAMBA_MANAGEMENT_CLIENT_SECRET = "not-the-secret"
    output, status = doctor()
    assert status == 1
    assert "invalid_client" in line(output, "management")
    assert "not-the-secret" not in output


def test_management_credentials_unset_are_skipped(healthy: LambaEmulator, settings: Any) -> None:
    settings.LAMBA_MANAGEMENT_CLIENT_ID = ""
    found, status = checks()
    assert status == 0
    assert found["management"]["status"] == "skip"
    assert found["tenant binding"]["status"] == "ok"


def test_a_project_lamba_does_not_know_fails_the_binding(
    healthy: LambaEmulator, settings: Any
) -> None:
    settings.LAMBA_CUSTOMER_PROJECT_ID = "prj_typo"
    found, status = checks()
    assert status == 1
    assert found["management"]["status"] == "fail"
    binding = found["tenant binding"]
    assert binding["status"] == "fail" and "ws_demo/prj_typo" in binding["summary"]


def test_an_unbound_site_warns(healthy: LambaEmulator, settings: Any) -> None:
    settings.LAMBA_CUSTOMER_WORKSPACE_ID = ""
    settings.LAMBA_CUSTOMER_PROJECT_ID = ""
    settings.LAMBA_MANAGEMENT_CLIENT_ID = ""
    found, _ = checks()
    assert found["tenant binding"]["status"] == "warn"
    assert found["settings W005"]["status"] == "warn"


def test_webhook_url_served_without_a_secret_warns(healthy: LambaEmulator, settings: Any) -> None:
    settings.LAMBA_WEBHOOK_SECRET = ""
    found, _ = checks()
    assert found["webhook"]["status"] == "warn"
    assert "every delivery gets 401" in found["webhook"]["summary"]


def test_webhook_secret_without_the_url_fails(healthy: LambaEmulator, settings: Any) -> None:
    settings.ROOT_URLCONF = "tests.urls_without_lamba"
    found, status = checks()
    assert status == 1
    assert found["webhook"]["status"] == "fail"
    assert found["settings E015"]["status"] == "fail"  # LOGIN_URL = "lamba:login" too


def test_a_branded_oidc_issuer_is_checked_against_its_discovery(
    healthy: LambaEmulator, settings: Any
) -> None:
    settings.LAMBA_CLIENT_ID = "demo-client"
    settings.LAMBA_OIDC_ISSUER = healthy.auth_url.replace("127.0.0.1", "localhost")
    found, status = checks()
    assert status == 1
    branded = found["oidc issuer"]
    assert branded["status"] == "fail"
    assert repr(healthy.auth_url) in branded["summary"]  # what its discovery names
    settings.LAMBA_OIDC_ISSUER = healthy.auth_url
    found, status = checks()
    assert "oidc issuer" not in found and status == 0
