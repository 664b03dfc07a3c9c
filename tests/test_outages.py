"""When Lamba is slow, down, rate-limiting or refusing for business reasons (SECURITY 25-29).

An outage is never a logout: the cookies stay, protected pages answer 503 (or 429) with
``Retry-After``, and pages that never read the user do not notice at all.
"""

from __future__ import annotations

import email.utils
import time
from collections.abc import Iterator
from typing import Any

import django
import pytest
from django.contrib.auth.decorators import permission_required
from django.http import HttpRequest, HttpResponse
from django.template import engines
from django.test import Client
from django.urls import path

import tests.urls
from django_lamba._internal import breaker, jwks, store
from django_lamba._internal.accesstokens import Verdict, verify_access_token
from django_lamba._internal.session import RequestState, resolve_user
from django_lamba.client import get_client
from django_lamba.conf import lamba_settings
from django_lamba.exceptions import LambaPaymentRequired
from django_lamba.testing import EmulatedUser, LambaEmulator, client_with_tokens
from django_lamba.testing.clock import frozen
from django_lamba.testing.pytest_plugin import LAMBA_USER_EMAIL
from django_lamba.user import LambaUser

CONTEXT_PATH = "/v1/me/context"
JWKS_PATH = "/.well-known/jwks.json"
JSON = "application/json"


@pytest.fixture(autouse=True)
def _fast_and_fresh(lamba: LambaEmulator, settings: Any) -> Iterator[None]:
    settings.LAMBA_READ_TIMEOUT = 0.3
    settings.LAMBA_CONNECT_TIMEOUT = 1.0
    settings.LAMBA_REFRESH_WAIT = 1.0
    settings.LAMBA_MAX_RETRY_WAIT = 0.1
    # The `lamba` fixture also empties the per-process key and verification memos.
    yield


def scoped(lamba: LambaEmulator, **kwargs: Any) -> dict[str, Any]:
    return lamba.issue_session(
        LAMBA_USER_EMAIL,
        workspace_id=lamba.workspace_id,
        project_id=lamba.project_id,
        environment=lamba.environment,
        **kwargs,
    )


def lamba_cookies_written(response: Any) -> dict[str, str]:
    names = (lamba_settings.SESSION_COOKIE, lamba_settings.REFRESH_COOKIE)
    return {name: response.cookies[name].value for name in names if name in response.cookies}


def templates(response: Any) -> list[str]:
    return [template.name for template in response.templates]


def contexts(lamba: LambaEmulator) -> int:
    return lamba.call_count("GET", CONTEXT_PATH)


OUTAGES = [
    {"status": 503},
    {"status": 500},
    {"status": 502, "body": "<html>Bad gateway</html>"},
    {"status": 200, "body": "<html>not JSON</html>"},
    {"latency": 1.0},
]
OUTAGE_IDS = ["503", "500", "502-html", "200-html", "timeout"]


# --- 25: timeouts ------------------------------------------------------------------------------


def test_sec25_a_hanging_api_host_answers_503_instead_of_hanging(
    lamba: LambaEmulator, lamba_client: Client
) -> None:
    lamba.inject_fault(CONTEXT_PATH, latency=1.0, times=None)
    response = lamba_client.get("/protected/")
    assert response.status_code == 503
    assert response["Retry-After"]
    assert lamba_cookies_written(response) == {}
    assert contexts(lamba) == 1  # a timeout is not retried inside the request


def test_sec25_a_hanging_auth_host_still_lets_the_api_host_answer(
    lamba: LambaEmulator, lamba_client: Client
) -> None:
    lamba.inject_fault(JWKS_PATH, latency=1.0, times=None)
    response = lamba_client.get("/protected/")
    assert response.content == b"user@example.com"  # no keys: the API host was asked instead
    assert lamba.call_count("GET", JWKS_PATH) == 1
    assert lamba_client.get("/protected/").content == b"user@example.com"
    assert lamba.call_count("GET", JWKS_PATH) == 1  # not retried on every request


# --- 26: JWKS outage, bounded by JWKS_MAX_AGE ----------------------------------------------------


def test_sec26_a_cached_key_set_keeps_verifying_through_an_outage_until_max_age(
    lamba: LambaEmulator, lamba_user: EmulatedUser, settings: Any
) -> None:
    settings.LAMBA_JWKS_CACHE_TTL = 10
    settings.LAMBA_JWKS_MAX_AGE = 100
    token = scoped(lamba, access_token_ttl=3600)["access_token"]
    start = time.time()
    assert verify_access_token(token, now=start).verdict is Verdict.VALID
    assert lamba.call_count("GET", JWKS_PATH) == 1
    lamba.inject_fault(JWKS_PATH, status=503, times=None)

    def later(seconds: float) -> Verdict:
        jwks.clear_local_keys()
        store.cache().delete(jwks._cache_key(jwks.auth_jwks_url(), "fetch"))  # interval passed
        return verify_access_token(token, now=start + seconds).verdict

    assert later(50) is Verdict.VALID  # stale, refetch failed, still inside the max age
    assert lamba.call_count("GET", JWKS_PATH) == 2 + lamba_settings.MAX_RETRIES
    assert later(99) is Verdict.VALID
    assert later(101) is Verdict.UNKNOWN  # too old to trust: fail closed
    lamba.clear_faults()
    breaker.reset()  # 50 simulated seconds later the breaker's real-time pause is over too
    assert later(150) is Verdict.VALID  # the auth host is back: a fresh set
    assert verify_access_token(token, now=start + 150).verdict is Verdict.VALID


@pytest.mark.parametrize(
    ("offset", "expected"),
    [
        (50, [("auth", "/v1/auth/refresh"), ("api", CONTEXT_PATH)]),
        (150, [("api", CONTEXT_PATH), ("auth", "/v1/auth/refresh"), ("api", CONTEXT_PATH)]),
    ],
    ids=["inside-max-age", "beyond-max-age"],
)
def test_sec26_beyond_max_age_the_api_host_decides_instead_of_local_keys(
    lamba: LambaEmulator,
    lamba_user: EmulatedUser,
    settings: Any,
    offset: float,
    expected: list[tuple[str, str]],
) -> None:
    settings.LAMBA_JWKS_CACHE_TTL = 10
    settings.LAMBA_JWKS_MAX_AGE = 100
    assert verify_access_token(scoped(lamba)["access_token"]).verdict is Verdict.VALID
    lamba.inject_fault(JWKS_PATH, status=503, times=None)
    jwks.clear_local_keys()
    expired = scoped(lamba, access_token_ttl=-120)
    lamba.reset_calls()
    with frozen(time.time() + offset):
        response = client_with_tokens(expired).get("/whoami/")
    assert response.content == b"user@example.com"
    # Locally verified, an expired token is refreshed first; unverifiable, the API host is asked.
    calls = [(r.host, r.path) for r in lamba.requests_log if r.path != JWKS_PATH]
    assert calls == expected


# --- 27: API host outage -----------------------------------------------------------------------


@pytest.mark.parametrize("fault", OUTAGES, ids=OUTAGE_IDS)
def test_sec27_an_api_host_outage_is_a_503_and_keeps_the_session(
    lamba: LambaEmulator, lamba_client: Client, fault: dict[str, Any]
) -> None:
    lamba.inject_fault(CONTEXT_PATH, times=None, **fault)
    page = lamba_client.get("/protected/")
    assert page.status_code == 503
    assert "django_lamba/unavailable.html" in templates(page)
    assert int(page["Retry-After"]) > 0
    assert lamba_cookies_written(page) == {}
    api = lamba_client.get("/protected/", headers={"Accept": JSON})
    assert api.status_code == 503
    assert api["Content-Type"] == "application/problem+json"
    assert int(api["Retry-After"]) > 0
    assert lamba_cookies_written(api) == {}
    assert lamba.call_count("POST", "/v1/auth/refresh") == 0
    assert lamba.revoked_sessions == []
    # Two requests, each with at most one retry of the idempotent GET.
    assert contexts(lamba) <= 2 * (1 + lamba_settings.MAX_RETRIES)


@pytest.mark.parametrize("fault", OUTAGES, ids=OUTAGE_IDS)
def test_sec27_pages_that_never_read_the_user_are_unaffected(
    lamba: LambaEmulator, lamba_client: Client, fault: dict[str, Any]
) -> None:
    lamba.inject_fault("/*", times=None, **fault)
    response = lamba_client.get("/public/")
    assert response.status_code == 200
    assert response.content == b"public"
    assert lamba.calls.total() == 0


def test_sec27_the_last_known_context_is_served_while_lamba_is_down(
    lamba: LambaEmulator, lamba_client: Client, settings: Any
) -> None:
    settings.LAMBA_STALE_CONTEXT_TTL = 60
    access = lamba_client.cookies[lamba_settings.SESSION_COOKIE].value
    assert lamba_client.get("/whoami/").content == b"user@example.com"
    store.forget_access_token(store.token_hash(access))  # the short context TTL ran out
    lamba.inject_fault(CONTEXT_PATH, status=503, times=None)
    response = lamba_client.get("/protected/")
    assert response.status_code == 200
    assert response.content == b"user@example.com"
    state = RequestState(access, None, had_cookies=True)
    user = resolve_user(state)
    assert isinstance(user, LambaUser)
    assert user.is_stale
    assert not state.clear_cookies


def test_sec27_without_stale_context_enabled_an_outage_is_not_a_sign_in(
    lamba: LambaEmulator, lamba_client: Client
) -> None:
    access = lamba_client.cookies[lamba_settings.SESSION_COOKIE].value
    assert lamba_client.get("/whoami/").content == b"user@example.com"
    store.forget_access_token(store.token_hash(access))
    lamba.inject_fault(CONTEXT_PATH, status=503, times=None)
    # Not anonymous either: whatever reads request.user first gets the 503.
    whoami = lamba_client.get("/whoami/")
    assert whoami.status_code == 503
    assert int(whoami["Retry-After"]) > 0
    assert lamba_cookies_written(whoami) == {}
    assert lamba_client.get("/protected/").status_code == 503


def test_sec27_stale_context_is_never_served_to_a_forged_token(
    lamba: LambaEmulator, lamba_client: Client, settings: Any
) -> None:
    import jwt as pyjwt
    from cryptography.hazmat.primitives.asymmetric import rsa

    settings.LAMBA_STALE_CONTEXT_TTL = 60
    access = lamba_client.cookies[lamba_settings.SESSION_COOKIE].value
    assert lamba_client.get("/whoami/").content == b"user@example.com"
    victim = pyjwt.decode(access, options={"verify_signature": False})
    lamba.inject_fault(CONTEXT_PATH, status=503, times=None)
    attacker = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    kid = pyjwt.get_unverified_header(access)["kid"]
    for key, headers in (
        (attacker, {"kid": kid, "typ": "at+jwt"}),  # a known kid, the wrong key
        (attacker, {"kid": "unknown", "typ": "at+jwt"}),  # a kid we cannot check
    ):
        forged = pyjwt.encode(victim, key, algorithm="RS256", headers=headers)
        client = Client()
        client.cookies[lamba_settings.SESSION_COOKIE] = forged
        assert client.get("/whoami/").content == b"anonymous"


def test_sec27_stale_context_ends_with_the_session(
    lamba: LambaEmulator, lamba_client: Client, settings: Any
) -> None:
    settings.LAMBA_STALE_CONTEXT_TTL = 60
    access = lamba_client.cookies[lamba_settings.SESSION_COOKIE].value
    refresh = lamba_client.cookies[lamba_settings.REFRESH_COOKIE].value
    assert lamba_client.get("/whoami/").content == b"user@example.com"
    lamba.disable_user(LAMBA_USER_EMAIL)
    store.forget_access_token(store.token_hash(access))
    signed_out = lamba_client.get("/whoami/")
    assert signed_out.content == b"anonymous"
    assert lamba_cookies_written(signed_out)[lamba_settings.SESSION_COOKIE] == ""
    # A copy of the old cookies, replayed while Lamba is down, gets nobody's context.
    lamba.inject_fault(CONTEXT_PATH, status=503, times=None)
    replay = client_with_tokens({"access_token": access, "refresh_token": refresh})
    assert replay.get("/whoami/").content == b"anonymous"


# --- 28: rate limits ---------------------------------------------------------------------------


def _http_date(seconds_from_now: int) -> str:
    return email.utils.formatdate(time.time() + seconds_from_now, usegmt=True)


@pytest.mark.parametrize(
    ("retry_after", "low", "high"),
    [(120, 120, 120), ("http-date", 85, 91)],
    ids=["seconds", "http-date"],
)
def test_sec28_a_429_passes_retry_after_on_and_is_not_retried_at_once(
    lamba: LambaEmulator, lamba_client: Client, retry_after: Any, low: int, high: int
) -> None:
    value = _http_date(90) if retry_after == "http-date" else retry_after
    lamba.inject_fault(CONTEXT_PATH, status=429, retry_after=value, times=None)
    page = lamba_client.get("/protected/")
    assert page.status_code == 429
    assert low <= int(page["Retry-After"]) <= high
    assert lamba_cookies_written(page) == {}
    assert contexts(lamba) == 1
    # The same session asking again inside the window does not reach Lamba.
    for _ in range(5):
        again = lamba_client.get("/protected/", headers={"Accept": JSON})
        assert again.status_code == 429
        assert 0 < int(again["Retry-After"]) <= high
        assert again.json()["errorCode"] == "RATE_LIMIT_EXCEEDED"
    assert contexts(lamba) == 1
    assert lamba.call_count("POST", "/v1/auth/refresh") == 0


def test_sec28_one_rate_limited_session_does_not_hold_back_another(
    lamba: LambaEmulator, lamba_client: Client, lamba_user: EmulatedUser
) -> None:
    lamba.inject_fault(CONTEXT_PATH, status=429, retry_after=120, times=1)
    assert lamba_client.get("/protected/").status_code == 429
    other = client_with_tokens(scoped(lamba))
    assert other.get("/protected/").content == b"user@example.com"


# --- 29: plan limits ---------------------------------------------------------------------------


def test_sec29_a_402_from_the_context_is_a_plan_limit_not_a_logout(
    lamba: LambaEmulator, lamba_client: Client
) -> None:
    lamba.inject_fault(CONTEXT_PATH, status=402, times=None)
    page = lamba_client.get("/protected/")
    assert page.status_code == 402
    assert "django_lamba/plan_limit.html" in templates(page)
    assert lamba_cookies_written(page) == {}
    api = lamba_client.get("/protected/", headers={"Accept": JSON})
    assert api.status_code == 402
    assert api.json()["errorCode"] == "PLAN_LIMIT_EXCEEDED"
    assert "Retry-After" not in api
    assert contexts(lamba) == 2  # one per request: never retried
    assert lamba.call_count("POST", "/v1/auth/refresh") == 0
    assert lamba.revoked_sessions == []


def test_sec29_a_402_from_the_authorization_is_a_business_error(
    lamba: LambaEmulator, lamba_user: EmulatedUser
) -> None:
    tokens = scoped(lamba)
    lamba.inject_fault("/v1/me/authorization", status=402, times=None)
    state = RequestState(tokens["access_token"], tokens["refresh_token"], had_cookies=True)
    user = resolve_user(state)
    assert isinstance(user, LambaUser)
    with pytest.raises(LambaPaymentRequired):
        user.has_lamba_permission("members.read")
    assert lamba.call_count("GET", "/v1/me/authorization") == 1
    assert user.has_perm("members.read") is False  # Django's API answers "no", never raises
    assert lamba.call_count("GET", "/v1/me/authorization") == 2
    assert lamba.call_count("POST", "/v1/auth/refresh") == 0
    assert not state.clear_cookies
    assert state.new_tokens is None


@pytest.mark.usefixtures("lamba_user")
def test_a_cache_outage_reads_as_a_miss_not_a_500(lamba: LambaEmulator, settings: Any) -> None:
    """Redis down: every request asks Lamba itself, nobody sees a 500 or is signed out."""
    settings.CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"},
        "broken": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": "redis://127.0.0.1:9/0",
            "OPTIONS": {"socket_connect_timeout": 0.2, "socket_timeout": 0.2},
        },
    }
    settings.LAMBA_CACHE_ALIAS = "broken"
    client = client_with_tokens(scoped(lamba))
    expired = client_with_tokens(scoped(lamba, access_token_ttl=-120))
    assert client.get("/whoami/").content == LAMBA_USER_EMAIL.encode()
    assert client.get("/protected/").status_code == 200
    response = expired.get("/protected/")
    assert response.status_code == 200
    assert lamba_cookies_written(response)
    assert not lamba.revoked_sessions


@pytest.mark.usefixtures("lamba_user")
def test_a_failing_host_is_paused_instead_of_holding_every_worker(
    lamba: LambaEmulator, settings: Any
) -> None:
    settings.LAMBA_READ_TIMEOUT = 0.2
    settings.LAMBA_MAX_RETRIES = 0
    settings.LAMBA_CIRCUIT_FAILURES = 3
    settings.LAMBA_CIRCUIT_RESET = 30
    lamba.inject_fault(CONTEXT_PATH, latency=1.0, times=None)
    with frozen() as clock:
        answers = [client_with_tokens(scoped(lamba)).get("/protected/") for _ in range(6)]
        assert [a.status_code for a in answers] == [503] * 6
        # Three timeouts opened the circuit: the next three never reached Lamba.
        assert contexts(lamba) == 3
        assert 0 < int(answers[-1]["Retry-After"]) <= 30
        # Once the pause is over, one trial call goes through and, Lamba being back, closes it.
        lamba.clear_faults()
        clock.advance(30)
        assert client_with_tokens(scoped(lamba)).get("/protected/").status_code == 200
        assert client_with_tokens(scoped(lamba)).get("/protected/").status_code == 200
    assert contexts(lamba) == 5


# --- an outage is never an anonymous user, wherever request.user is read first -----------------


def _django_perm(request: HttpRequest) -> HttpResponse:
    return HttpResponse("members")


def _template_page(request: HttpRequest) -> HttpResponse:
    source = "{% if user.is_authenticated %}hello {{ user.email }}{% else %}sign in{% endif %}"
    return HttpResponse(engines["django"].from_string(source).render({"user": request.user}))


def _calls_lamba_itself(request: HttpRequest) -> HttpResponse:
    get_client().get("/v1/me/security", "not-a-real-token")
    return HttpResponse("unreachable")


async def _async_page(request: HttpRequest) -> HttpResponse:
    user = await request.auser()
    return HttpResponse(str(user.is_authenticated))


urlpatterns = [
    *tests.urls.urlpatterns,
    path("django-perm/", permission_required("members.read")(_django_perm)),
    path("template/", _template_page),
    path("calls-lamba/", _calls_lamba_itself),
    path("async/", _async_page),
]


@pytest.mark.urls(__name__)
@pytest.mark.parametrize("fault", OUTAGES, ids=OUTAGE_IDS)
@pytest.mark.parametrize("url", ["/django-protected/", "/django-perm/", "/template/", "/whoami/"])
def test_an_outage_is_a_503_wherever_request_user_is_read_first(
    lamba: LambaEmulator, lamba_client: Client, fault: dict[str, Any], url: str
) -> None:
    lamba.inject_fault(CONTEXT_PATH, times=None, **fault)
    page = lamba_client.get(url)
    assert page.status_code == 503, "an outage must not look like a sign-out"
    assert "django_lamba/unavailable.html" in templates(page)
    assert int(page["Retry-After"]) > 0
    assert lamba_cookies_written(page) == {}
    api = lamba_client.get(url, headers={"Accept": JSON})
    assert api.status_code == 503
    assert api["Content-Type"] == "application/problem+json"
    assert lamba.revoked_sessions == []


@pytest.mark.urls(__name__)
def test_an_outage_reaches_async_views_as_a_503(
    lamba: LambaEmulator, lamba_user: EmulatedUser
) -> None:
    import asyncio

    from django.test import AsyncClient

    lamba.inject_fault(CONTEXT_PATH, status=502, body="<html>Bad gateway</html>", times=None)
    client = AsyncClient()
    tokens = scoped(lamba)
    client.cookies[lamba_settings.SESSION_COOKIE] = tokens["access_token"]
    client.cookies[lamba_settings.REFRESH_COOKIE] = tokens["refresh_token"]
    response = asyncio.run(client.get("/async/"))
    assert response.status_code == 503
    assert int(response["Retry-After"]) > 0


@pytest.mark.urls(__name__)
def test_a_429_while_resolving_the_user_is_a_429_for_djangos_decorators(
    lamba: LambaEmulator, lamba_client: Client
) -> None:
    lamba.inject_fault(CONTEXT_PATH, status=429, retry_after=42, times=None)
    page = lamba_client.get("/django-protected/")
    assert page.status_code == 429
    assert page["Retry-After"] == "42"
    assert lamba_cookies_written(page) == {}


@pytest.mark.urls(__name__)
def test_a_lamba_error_a_view_lets_through_is_answered_not_a_500(lamba: LambaEmulator) -> None:
    lamba.inject_fault("/v1/me/security", status=502, body="<html>Bad gateway</html>", times=None)
    client = Client(raise_request_exception=False)
    response = client.get("/calls-lamba/", headers={"Accept": JSON})
    assert response.status_code == 503
    assert int(response["Retry-After"]) > 0


@pytest.mark.urls(__name__)
@pytest.mark.skipif(django.VERSION < (5, 1), reason="LoginRequiredMiddleware is Django 5.1+")
def test_an_outage_seen_by_login_required_middleware_is_a_503(
    lamba: LambaEmulator, lamba_client: Client, settings: Any
) -> None:
    settings.MIDDLEWARE = [
        *settings.MIDDLEWARE,
        "django.contrib.auth.middleware.LoginRequiredMiddleware",
    ]
    lamba.inject_fault(CONTEXT_PATH, status=503, times=None)
    lamba_client.raise_request_exception = False
    page = lamba_client.get("/template/")
    assert page.status_code == 503
    assert int(page["Retry-After"]) > 0
    assert lamba_cookies_written(page) == {}
