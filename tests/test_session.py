"""Sessions under load: what a request costs upstream, what is cached, what a refresh costs.

Every request goes through the real middleware and the emulator over sockets; the emulator's
request log says which calls were made, in which order.
"""

from __future__ import annotations

import pickle
import time
from collections.abc import Iterator
from typing import Any

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa
from django.core.cache import caches
from django.http import HttpRequest, HttpResponse
from django.test import Client
from django.urls import path

from django_lamba._internal import store
from django_lamba._internal.accesstokens import Verdict, verify_access_token
from django_lamba._internal.session import RequestState, resolve_user
from django_lamba.conf import lamba_settings
from django_lamba.testing import EmulatedUser, LambaEmulator, client_with_tokens
from django_lamba.testing.clock import frozen
from django_lamba.testing.pytest_plugin import LAMBA_USER_EMAIL, LAMBA_USER_PASSWORD
from django_lamba.types import LambaContext
from tests.broken_cache import BROKEN_CACHE
from tests.urls import urlpatterns as base_urlpatterns

pytestmark = pytest.mark.urls(__name__)

JWKS_PATH = "/.well-known/jwks.json"
REFRESH = ("auth", "POST", "/v1/auth/refresh")
CONTEXT = ("api", "GET", "/v1/me/context")


def members_read(request: HttpRequest) -> HttpResponse:
    allowed = request.user.has_perm("members.read")
    return HttpResponse("yes" if allowed else "no")


urlpatterns = [*base_urlpatterns, path("can-read/", members_read)]


@pytest.fixture(autouse=True)
def _fresh_process_caches(lamba: LambaEmulator, settings: Any) -> Iterator[None]:
    settings.LAMBA_READ_TIMEOUT = 2.0
    settings.LAMBA_REFRESH_WAIT = 2.0
    # The `lamba` fixture also empties the per-process key and verification memos.
    yield


@pytest.fixture(scope="module")
def opaque_emulator() -> Iterator[LambaEmulator]:
    with LambaEmulator(token_format="opaque") as running:
        yield running


@pytest.fixture
def opaque(opaque_emulator: LambaEmulator, lamba: LambaEmulator, settings: Any) -> LambaEmulator:
    """An emulator issuing opaque tokens, with Django pointed at it instead."""
    opaque_emulator.reset()
    settings.LAMBA_CUSTOMER_AUTH_BASE_URL = opaque_emulator.auth_url
    settings.LAMBA_CUSTOMER_API_BASE_URL = opaque_emulator.api_url
    opaque_emulator.add_user(
        LAMBA_USER_EMAIL, LAMBA_USER_PASSWORD, roles=["member"], permissions=["members.read"]
    )
    return opaque_emulator


def scoped(lamba: LambaEmulator, **kwargs: Any) -> dict[str, Any]:
    return lamba.issue_session(
        LAMBA_USER_EMAIL,
        workspace_id=lamba.workspace_id,
        project_id=lamba.project_id,
        environment=lamba.environment,
        **kwargs,
    )


def upstream(lamba: LambaEmulator) -> list[tuple[str, str, str]]:
    """The calls that reached Lamba, in order, leaving out JWKS fetches."""
    return [(r.host, r.method, r.path) for r in lamba.requests_log if r.path != JWKS_PATH]


def cache_entries() -> dict[str, bytes]:
    """The raw (pickled) entries of the LocMemCache the tests run with."""
    cache: Any = caches[lamba_settings.CACHE_ALIAS]
    return dict(cache._cache)


def cache_key(suffix: str) -> str:
    cache: Any = caches[lamba_settings.CACHE_ALIAS]
    return str(cache.make_key(suffix))


def ctx_key(token: str) -> str:
    return cache_key(f"lamba:ctx:{store.token_hash(token)}")


# --- item 1: refresh before the API host; opaque tokens; warm requests ---------------------------


@pytest.mark.parametrize("ttl", [-120, -5], ids=["expired", "inside-leeway"])
def test_expired_jwt_is_refreshed_before_any_api_call(
    lamba: LambaEmulator, lamba_user: EmulatedUser, ttl: int
) -> None:
    tokens = scoped(lamba, access_token_ttl=ttl)
    lamba.reset_calls()
    response = client_with_tokens(tokens).get("/whoami/")
    assert response.content == b"user@example.com"
    assert upstream(lamba) == [REFRESH, CONTEXT]
    assert response.cookies[lamba_settings.SESSION_COOKIE].value != tokens["access_token"]


def test_opaque_tokens_fall_back_to_the_api_host(opaque: LambaEmulator) -> None:
    tokens = scoped(opaque)
    assert "." not in tokens["access_token"]
    client = client_with_tokens(tokens)
    assert client.get("/whoami/").content == b"user@example.com"
    assert upstream(opaque) == [CONTEXT]
    assert opaque.call_count("GET", JWKS_PATH) == 0
    opaque.reset_calls()
    assert client.get("/whoami/").content == b"user@example.com"
    assert opaque.calls.total() == 0  # cached by token hash like a JWT's


def test_an_expired_opaque_token_refreshes_on_the_401(opaque: LambaEmulator) -> None:
    tokens = scoped(opaque, access_token_ttl=-1)
    opaque.reset_calls()
    response = client_with_tokens(tokens).get("/whoami/")
    assert response.content == b"user@example.com"
    assert upstream(opaque) == [CONTEXT, REFRESH, CONTEXT]
    assert response.cookies[lamba_settings.REFRESH_COOKIE].value != tokens["refresh_token"]


def test_a_warm_session_makes_no_upstream_calls(
    lamba: LambaEmulator, lamba_client: Client
) -> None:
    assert lamba_client.get("/whoami/").content == b"user@example.com"
    assert lamba_client.get("/can-read/").content == b"yes"
    lamba.reset_calls()
    for index in range(1000):
        view = ("/whoami/", "/protected/", "/can-read/")[index % 3]
        response = lamba_client.get(view)
        assert response.status_code == 200
        assert response.content in (b"user@example.com", b"yes")
    assert lamba.calls.total() == 0


# --- item 2: the context cache ---------------------------------------------------------------


def test_cache_keys_and_values_hold_no_raw_token(
    lamba: LambaEmulator, lamba_user: EmulatedUser
) -> None:
    fresh = scoped(lamba)
    expired = scoped(lamba, access_token_ttl=-120)
    seen = {fresh["access_token"], fresh["refresh_token"]}
    seen |= {expired["access_token"], expired["refresh_token"]}
    assert client_with_tokens(fresh).get("/can-read/").content == b"yes"
    rotated = client_with_tokens(expired).get("/can-read/")
    assert rotated.content == b"yes"
    seen |= {rotated.cookies[name].value for name in rotated.cookies}
    logout = client_with_tokens(fresh).post("/auth/logout/")
    assert logout.status_code == 302
    entries = cache_entries()
    assert ctx_key(rotated.cookies[lamba_settings.SESSION_COOKIE].value) in entries
    assert any(key.startswith(cache_key("lamba:rotated:")) for key in entries)
    for key, raw in entries.items():
        value = pickle.dumps(pickle.loads(raw))  # noqa: S301 - our own test cache
        for token in seen:
            assert token not in key
            assert token.encode() not in raw
            assert token.encode() not in value


def test_context_ttl_never_outlives_the_token(
    lamba: LambaEmulator, lamba_user: EmulatedUser, settings: Any
) -> None:
    tokens = scoped(lamba, access_token_ttl=20)
    assert client_with_tokens(tokens).get("/whoami/").content == b"user@example.com"
    cache: Any = caches[lamba_settings.CACHE_ALIAS]
    expires = cache._expire_info[ctx_key(tokens["access_token"])]
    exp = jwt.decode(tokens["access_token"], options={"verify_signature": False})["exp"]
    assert time.time() < expires <= exp + 1  # not the 300 s CONTEXT_CACHE_TTL
    settings.LAMBA_CONTEXT_CACHE_TTL = 5
    longer = scoped(lamba)
    assert client_with_tokens(longer).get("/whoami/").content == b"user@example.com"
    assert cache._expire_info[ctx_key(longer["access_token"])] <= time.time() + 5


def test_context_is_replaced_by_a_signed_out_marker_on_logout(lamba_client: Client) -> None:
    access = lamba_client.cookies[lamba_settings.SESSION_COOKIE].value
    assert lamba_client.get("/can-read/").content == b"yes"
    assert ctx_key(access) in cache_entries()
    authz = cache_key(f"lamba:authz:{store.token_hash(access)}")
    assert authz in cache_entries()
    assert lamba_client.post("/auth/logout/").status_code == 302
    assert store.lookup_context(store.token_hash(access)) == (None, True)
    assert authz not in cache_entries()


def test_context_is_dropped_on_refresh(lamba: LambaEmulator, lamba_user: EmulatedUser) -> None:
    tokens = scoped(lamba, access_token_ttl=-120)
    old_hash = store.token_hash(tokens["access_token"])
    context = LambaContext.from_json({"user": {"id": lamba_user.id, "email": "stale@x"}})
    store.set_context(old_hash, context, None)  # as if cached before it expired
    assert ctx_key(tokens["access_token"]) in cache_entries()
    assert client_with_tokens(tokens).get("/whoami/").content == b"user@example.com"
    assert ctx_key(tokens["access_token"]) not in cache_entries()


def test_context_is_dropped_on_switch_context(
    lamba: LambaEmulator, lamba_client: Client, settings: Any
) -> None:
    settings.LAMBA_ALLOWED_PROJECTS = [
        f"{lamba.workspace_id}/{lamba.project_id}",
        f"{lamba.workspace_id}/prj_other",
    ]
    lamba.add_project(lamba.workspace_id, "prj_other", "Other")
    lamba.grant(LAMBA_USER_EMAIL, project_id="prj_other", roles=["member"])
    access = lamba_client.cookies[lamba_settings.SESSION_COOKIE].value
    assert lamba_client.get("/whoami/").content == b"user@example.com"
    assert ctx_key(access) in cache_entries()
    body = {"workspaceId": lamba.workspace_id, "projectId": "prj_other", "environment": "test"}
    switched = lamba_client.post("/auth/switch-context/", body, content_type="application/json")
    assert switched.status_code == 200, switched.content
    assert ctx_key(access) not in cache_entries()
    new_access = switched.cookies[lamba_settings.SESSION_COOKIE].value
    assert new_access and new_access != access


def test_authorization_is_fetched_only_when_a_permission_is_asked(
    lamba: LambaEmulator, lamba_client: Client
) -> None:
    lamba.reset_calls()
    for _ in range(3):
        assert lamba_client.get("/whoami/").content == b"user@example.com"
    assert lamba.call_count("GET", "/v1/me/context") == 1
    assert lamba.call_count("GET", "/v1/me/authorization") == 0
    for _ in range(3):
        assert lamba_client.get("/can-read/").content == b"yes"
    assert lamba.call_count("GET", "/v1/me/authorization") == 1


def test_a_401_from_authorization_refreshes_once_and_retries(
    lamba: LambaEmulator, lamba_client: Client
) -> None:
    assert lamba_client.get("/whoami/").content == b"user@example.com"
    lamba.inject_fault("/v1/me/authorization", status=401, times=1)
    lamba.reset_calls()
    response = lamba_client.get("/can-read/")
    assert response.content == b"yes"
    assert lamba.call_count("POST", "/v1/auth/refresh") == 1
    assert lamba.call_count("GET", "/v1/me/authorization") == 2
    assert response.cookies[lamba_settings.SESSION_COOKIE].value  # rotated, not cleared


@pytest.mark.parametrize("ttl", [None, -120], ids=["valid", "expired"])
def test_a_request_that_never_reads_the_user_costs_nothing(
    lamba: LambaEmulator, lamba_user: EmulatedUser, ttl: int | None
) -> None:
    tokens = scoped(lamba) if ttl is None else scoped(lamba, access_token_ttl=ttl)
    lamba.reset_calls()
    response = client_with_tokens(tokens).get("/public/")
    assert response.content == b"public"
    assert lamba.calls.total() == 0
    assert not response.cookies


def test_resolving_twice_in_one_request_costs_one_lookup(
    lamba: LambaEmulator, lamba_user: EmulatedUser
) -> None:
    tokens = scoped(lamba)
    state = RequestState(tokens["access_token"], tokens["refresh_token"], had_cookies=True)
    first = resolve_user(state)
    assert resolve_user(state) is first
    assert lamba.call_count("GET", "/v1/me/context") == 1


# --- item 5: shared caches ---------------------------------------------------------------------


def _vary(response: Any) -> set[str]:
    return {part.strip().lower() for part in response.get("Vary", "").split(",") if part.strip()}


def _cache_control(response: Any) -> set[str]:
    value = response.get("Cache-Control", "")
    return {part.strip().lower() for part in value.split(",") if part.strip()}


def test_a_signed_in_response_is_private_and_varies_on_cookie(
    lamba_client: Client,
) -> None:
    response = lamba_client.get("/whoami/")
    assert response.content == b"user@example.com"
    assert "cookie" in _vary(response)
    assert {"private", "no-store"} <= _cache_control(response)


def test_a_public_view_that_never_read_the_user_has_no_vary(
    lamba_client: Client,
) -> None:
    response = lamba_client.get("/public/")
    assert "Vary" not in response
    assert "private" not in _cache_control(response)


def test_signing_out_and_rotating_are_private_too(
    lamba: LambaEmulator, lamba_user: EmulatedUser
) -> None:
    rotated = client_with_tokens(scoped(lamba, access_token_ttl=-120)).get("/public/")
    assert "Vary" not in rotated  # nothing was read, so nothing was rotated either
    rotated = client_with_tokens(scoped(lamba, access_token_ttl=-120)).get("/whoami/")
    assert "cookie" in _vary(rotated)
    assert {"private", "no-store"} <= _cache_control(rotated)
    dead = scoped(lamba)
    lamba.revoke_session(lamba.session_id_for(dead["access_token"]) or "")
    signed_out = client_with_tokens(dead).get("/whoami/")
    assert signed_out.content == b"anonymous"
    assert signed_out.cookies[lamba_settings.SESSION_COOKIE].value == ""
    assert "cookie" in _vary(signed_out)
    assert {"private", "no-store"} <= _cache_control(signed_out)


def test_a_worker_sees_a_sign_out_elsewhere_within_the_local_ttl(
    lamba: LambaEmulator, lamba_client: Client, settings: Any
) -> None:
    settings.LAMBA_LOCAL_CONTEXT_TTL = 30
    with frozen() as clock:
        assert lamba_client.get("/whoami/").content == LAMBA_USER_EMAIL.encode()
        lamba.reset_calls()
        # Warm: within the local window not even the shared cache is read (no network at all).
        reads = {"n": 0}
        real_cache = store.cache

        def counting_cache() -> store.SafeCache:
            reads["n"] += 1
            return real_cache()

        store.cache = counting_cache  # type: ignore[assignment]
        try:
            assert lamba_client.get("/whoami/").content == LAMBA_USER_EMAIL.encode()
            assert reads["n"] == 0
        finally:
            store.cache = real_cache  # type: ignore[assignment]
        # Another worker signs this session out: only the shared cache says so ...
        access = lamba_client.cookies[lamba_settings.SESSION_COOKIE].value
        caches["default"].set(f"lamba:ctx:{store.token_hash(access)}", "ended", 60)
        assert lamba_client.get("/whoami/").content == LAMBA_USER_EMAIL.encode()
        clock.advance(30)
        # ... and once the local window has passed, this worker sees it too.
        assert lamba_client.get("/whoami/").content == b"anonymous"
    assert lamba.calls.total() == 0


def test_tokens_lamba_issued_but_local_checks_refuse_do_not_refresh_every_request(
    lamba: LambaEmulator, lamba_user: EmulatedUser, settings: Any, caplog: Any
) -> None:
    """A real Lamba whose ``iss`` differs from the setting must not cause a rotation storm."""
    settings.LAMBA_JWT_ISSUER = "https://id.example.invalid"
    client = Client()
    signed_in = client.post(
        "/auth/login/", {"login": LAMBA_USER_EMAIL, "password": LAMBA_USER_PASSWORD}
    )
    assert signed_in.status_code == 302
    assert "fails local verification" in caplog.text
    lamba.reset_calls()
    for _ in range(5):
        assert client.get("/whoami/").content == LAMBA_USER_EMAIL.encode()
    assert lamba.call_count("POST", "/v1/auth/refresh") == 0
    # Asked once, when the sign-in announced the customer (user_logged_in), then cached.
    assert lamba.call_count("GET", "/v1/me/context") == 0
    assert lamba.revoked_sessions == []


def test_the_expected_issuer_is_a_setting_matched_exactly(
    lamba: LambaEmulator, lamba_client: Client, settings: Any
) -> None:
    access = lamba_client.cookies[lamba_settings.SESSION_COOKIE].value
    settings.LAMBA_JWT_ISSUER = lamba.auth_url
    assert verify_access_token(access).verdict is Verdict.VALID
    for other in (lamba.auth_url + "/", lamba.auth_url + "/v1", lamba.auth_url[:-1]):
        settings.LAMBA_JWT_ISSUER = other
        assert verify_access_token(access).verdict is Verdict.INVALID


# --- forged tokens never become upstream traffic; logout ends the cookie here ----------------


@pytest.fixture(params=["cache up", "cache down"])
def cache_state(request: pytest.FixtureRequest, settings: Any) -> str:
    """Run with the LocMemCache, then with a cache whose every call raises (Redis down)."""
    if request.param == "cache down":
        settings.CACHES = {**settings.CACHES, "broken": BROKEN_CACHE}
        settings.LAMBA_CACHE_ALIAS = "broken"
    return str(request.param)


def forgeries(lamba: LambaEmulator) -> dict[str, str]:
    """Access tokens a client could make up, each failing local verification differently."""
    signing = lamba._state.signing_key
    now = int(time.time())
    good = {"iss": lamba.auth_url, "sub": "usr_x", "sid": "ses_x", "iat": now, "exp": now + 300}
    attacker = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    header = {"kid": signing.kid, "typ": "at+jwt"}
    return {
        "bad signature": jwt.encode(good, attacker, algorithm="RS256", headers=header),
        "unknown kid": jwt.encode(good, attacker, algorithm="RS256", headers={"kid": "forged"}),
        "hmac": jwt.encode(good, "s" * 64, algorithm="HS256", headers=header),
        "wrong issuer": jwt.encode(
            {**good, "iss": "https://evil.example"},
            signing.private_key,
            algorithm="RS256",
            headers=header,
        ),
    }


def test_forged_access_cookies_never_reach_lamba(lamba: LambaEmulator, cache_state: str) -> None:
    lamba.reset_calls()
    for name, forged in forgeries(lamba).items():
        for _ in range(3):
            client = Client()
            client.cookies[lamba_settings.SESSION_COOKIE] = forged
            assert client.get("/whoami/").content == b"anonymous", name
        assert not store.is_vouched(store.token_hash(forged))
    assert upstream(lamba) == []
    assert lamba.call_count("GET", JWKS_PATH) <= 2  # the first fetch and one refetch


def test_a_forged_access_cookie_with_a_genuine_refresh_cookie_refreshes_once(
    lamba: LambaEmulator, lamba_user: EmulatedUser, cache_state: str
) -> None:
    tokens = scoped(lamba)
    forged = forgeries(lamba)["bad signature"]
    lamba.reset_calls()
    client = client_with_tokens({**tokens, "access_token": forged})
    response = client.get("/whoami/")
    assert response.content == b"user@example.com"
    assert upstream(lamba) == [REFRESH, CONTEXT]  # never a lookup of the forged token
    assert not store.is_vouched(store.token_hash(forged))


def test_a_genuine_token_this_server_did_not_receive_is_not_vouched_for(
    lamba: LambaEmulator, lamba_user: EmulatedUser, settings: Any
) -> None:
    """Vouching comes only from Lamba's answers to us, never from what a client presents."""
    settings.LAMBA_JWT_ISSUER = "https://id.example.invalid"  # every token fails locally
    access = scoped(lamba)["access_token"]
    lamba.reset_calls()
    client = Client()
    client.cookies[lamba_settings.SESSION_COOKIE] = access
    assert client.get("/whoami/").content == b"anonymous"
    assert upstream(lamba) == []
    assert not store.is_vouched(store.token_hash(access))


def test_an_opaque_token_lamba_refused_is_not_asked_about_again(
    opaque: LambaEmulator, cache_state: str
) -> None:
    garbage = "opaque-garbage-" + "x" * 20
    for _ in range(5):
        client = Client()
        client.cookies[lamba_settings.SESSION_COOKIE] = garbage
        assert client.get("/whoami/").content == b"anonymous"
    assert upstream(opaque) == [CONTEXT]


def test_an_opaque_token_lamba_refused_is_remembered_in_the_shared_cache(
    opaque: LambaEmulator,
) -> None:
    garbage = "opaque-garbage-" + "y" * 20
    client = Client()
    client.cookies[lamba_settings.SESSION_COOKIE] = garbage
    assert client.get("/whoami/").content == b"anonymous"
    store.clear_local_contexts()  # another worker: only the shared cache knows
    assert client.get("/whoami/").content == b"anonymous"
    assert upstream(opaque) == [CONTEXT]


def test_a_replayed_access_cookie_is_anonymous_after_a_logout_lamba_did_not_confirm(
    lamba: LambaEmulator, lamba_user: EmulatedUser, cache_state: str
) -> None:
    tokens = scoped(lamba)
    client = client_with_tokens(tokens)
    assert client.get("/whoami/").content == b"user@example.com"
    lamba.inject_fault("/v1/auth/logout", status=503, times=None)
    assert client.post("/auth/logout/").status_code == 302
    lamba.reset_calls()
    replay = Client()
    replay.cookies[lamba_settings.SESSION_COOKIE] = tokens["access_token"]
    assert replay.get("/whoami/").content == b"anonymous"
    replay_both = client_with_tokens(tokens)
    assert replay_both.get("/whoami/").content == b"anonymous"
    assert upstream(lamba) == []
    assert lamba.revoked_sessions == []  # Lamba never heard of the logout: we ended it here


def test_a_logged_out_access_token_stays_ended_until_it_expires(
    lamba: LambaEmulator, lamba_user: EmulatedUser, settings: Any
) -> None:
    settings.LAMBA_CONTEXT_CACHE_TTL = 5
    tokens = scoped(lamba, access_token_ttl=3600)
    client = client_with_tokens(tokens)
    assert client.post("/auth/logout/").status_code == 302
    cache: Any = caches[lamba_settings.CACHE_ALIAS]
    expires = cache._expire_info[ctx_key(tokens["access_token"])]
    assert expires > time.time() + 3000  # its own expiry, not the context TTL
