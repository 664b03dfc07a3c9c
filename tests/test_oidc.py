"""OIDC hosted login (Authorization Code + PKCE S256) against the emulator's provider side."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

import jwt
import pytest
import requests
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from django.core.cache import caches
from django.test import Client
from jwt.algorithms import ECAlgorithm, RSAAlgorithm

from django_lamba.client import get_client
from django_lamba.conf import lamba_settings
from django_lamba.testing import EmulatedUser, LambaEmulator
from django_lamba.testing.clock import FrozenClock, frozen
from tests.flows import AT, HOME, PROBLEM_JSON, RT, token_cookies, whoami

#: What ``django.test.Client`` answers (a test-only subclass of HttpResponseBase).
Response = Any
LOGIN = "/auth/oidc/login/"
CALLBACK = "/auth/oidc/callback/"
REDIRECT_URI = "http://testserver/auth/oidc/callback/"
CLIENT_ID = "site-app"
EMAIL = "user@example.com"
PASSWORD = "correct-horse-battery"
BINDING = "__Host-lamba_oidc"
TOKEN_PATH = "/connect/token"
USERINFO_PATH = "/connect/userinfo"
DISCOVERY_PATH = "/.well-known/openid-configuration"
JWKS_PATH = "/.well-known/jwks.json"
SWITCH_PATH = "/v1/sessions/switch-context"
STATE_INVALID = "This sign-in attempt has expired, was already used"
NOT_VERIFIED = "The sign-in could not be verified."

RSA_KEY = rsa.generate_private_key(public_exponent=65537, key_size=2048)
OTHER_RSA_KEY = rsa.generate_private_key(public_exponent=65537, key_size=2048)
EC_KEY = ec.generate_private_key(ec.SECP256R1())


def public_jwk(key: Any, kid: str) -> dict[str, Any]:
    algorithm = ECAlgorithm if isinstance(key, ec.EllipticCurvePrivateKey) else RSAAlgorithm
    jwk: dict[str, Any] = algorithm.to_jwk(key.public_key(), as_dict=True)
    jwk.update(kid=kid, use="sig")
    return jwk


@pytest.fixture(autouse=True)
def redirects(settings: Any) -> None:
    settings.LAMBA_LOGIN_REDIRECT_URL = HOME


@pytest.fixture
def oidc(lamba: LambaEmulator, lamba_user: EmulatedUser, settings: Any) -> LambaEmulator:
    settings.LAMBA_CLIENT_ID = CLIENT_ID
    lamba.add_oidc_client(CLIENT_ID, [REDIRECT_URI])
    return lamba


def begin(client: Client, **params: str) -> dict[str, str]:
    """Start a sign-in; return the authorization request's parameters."""
    response = client.get(LOGIN, params)
    assert response.status_code == 302, response.content
    parts = urlsplit(response["Location"])
    assert parts.path == "/connect/authorize"
    return {name: values[0] for name, values in parse_qs(parts.query).items()}


def authorize(lamba: LambaEmulator, params: dict[str, str], password: str = PASSWORD) -> str:
    """Sign in on the emulator's hosted page; return the callback path and query it sends to."""
    form = {**params, "login": EMAIL, "password": password}
    answer = requests.post(
        lamba.auth_url + "/connect/authorize", data=form, allow_redirects=False, timeout=5
    )
    assert answer.status_code == 302, answer.text
    parts = urlsplit(answer.headers["Location"])
    assert f"{parts.scheme}://{parts.netloc}{parts.path}" == REDIRECT_URI
    return f"{parts.path}?{parts.query}"


def sign_in(client: Client, lamba: LambaEmulator, **params: str) -> Response:
    response: Response = client.get(authorize(lamba, begin(client, **params)))
    return response


def assert_refused(response: Response, message: str, status: int = 400) -> None:
    assert response.status_code == status
    assert "Location" not in response  # an error page, never a redirect: nothing loops
    assert "django_lamba/oidc_error.html" in [t.name for t in response.templates]
    assert message in response.content.decode()
    assert token_cookies(response) == {}
    assert response["Referrer-Policy"] == "no-referrer"


# --- the whole flow ------------------------------------------------------------------------------


def test_hosted_sign_in_ends_in_a_scoped_session(oidc: LambaEmulator) -> None:
    client = Client()
    params = begin(client, next="/protected/")
    assert params["response_type"] == "code"
    assert params["client_id"] == CLIENT_ID
    assert params["redirect_uri"] == REDIRECT_URI
    assert params["scope"] == "openid email profile"
    # The provider's hosted form renders for this request.
    page = requests.get(oidc.auth_url + "/connect/authorize", params=params, timeout=5)
    assert page.status_code == 200
    assert 'name="password"' in page.text

    response = client.get(authorize(oidc, params))
    assert response.status_code == 302
    assert response["Location"] == "/protected/"
    assert response["Referrer-Policy"] == "no-referrer"
    assert "frame-ancestors 'none'" in response["Content-Security-Policy"]
    assert set(token_cookies(response)) == {AT, RT}
    assert response.cookies[AT]["httponly"] is True
    assert whoami(client) == EMAIL
    context = get_client().get_context(client.cookies[AT].value)
    assert context.active_project is not None
    assert context.active_project.id == oidc.project_id
    order = [
        r.path for r in oidc.requests_log if r.path in (TOKEN_PATH, USERINFO_PATH, SWITCH_PATH)
    ]
    assert order == [TOKEN_PATH, USERINFO_PATH, SWITCH_PATH]


def test_without_a_configured_project_the_oidc_session_is_kept_as_is(
    oidc: LambaEmulator, settings: Any
) -> None:
    settings.LAMBA_CUSTOMER_WORKSPACE_ID = ""
    settings.LAMBA_CUSTOMER_PROJECT_ID = ""
    client = Client()
    response = sign_in(client, oidc)
    assert response.status_code == 302
    assert oidc.call_count("POST", SWITCH_PATH) == 0
    access = client.cookies[AT].value
    assert oidc.session_id_for(access) is not None


def test_a_confidential_client_sends_its_secret(oidc: LambaEmulator, settings: Any) -> None:
    oidc.add_oidc_client(CLIENT_ID, [REDIRECT_URI], client_secret="s3cret-value")
    settings.LAMBA_CLIENT_SECRET = "s3cret-value"
    assert sign_in(Client(), oidc).status_code == 302

    settings.LAMBA_CLIENT_SECRET = "wrong-secret"
    refused = sign_in(Client(), oidc)
    assert refused.status_code == 401
    assert "s3cret-value" not in refused.content.decode()
    assert "wrong-secret" not in refused.content.decode()
    assert token_cookies(refused) == {}


def test_discovery_is_cached(oidc: LambaEmulator) -> None:
    client = Client()
    begin(client)
    begin(client)
    assert oidc.call_count("GET", DISCOVERY_PATH) == 1


def test_settings_shape_the_authorization_request(oidc: LambaEmulator, settings: Any) -> None:
    settings.LAMBA_OIDC_SCOPES = "email"
    settings.LAMBA_OIDC_REDIRECT_URL = "https://app.example/auth/oidc/callback/"
    params = begin(Client())
    assert params["scope"] == "openid email"
    assert params["redirect_uri"] == "https://app.example/auth/oidc/callback/"


def test_userinfo_can_be_skipped(oidc: LambaEmulator, settings: Any) -> None:
    settings.LAMBA_OIDC_USERINFO = False
    assert sign_in(Client(), oidc).status_code == 302
    assert oidc.call_count("GET", USERINFO_PATH) == 0


def test_json_start_answers_the_url(oidc: LambaEmulator) -> None:
    response = Client().get(LOGIN, HTTP_ACCEPT="application/json")
    assert response.status_code == 200
    body = response.json()
    assert body["ok"] is True
    assert body["redirect"].startswith(oidc.auth_url + "/connect/authorize?")
    assert BINDING in response.cookies


def test_the_login_page_links_to_oidc_only_when_configured(
    lamba: LambaEmulator, settings: Any
) -> None:
    settings.LAMBA_CLIENT_ID = ""
    assert LOGIN not in Client().get("/auth/login/").content.decode()
    settings.LAMBA_CLIENT_ID = CLIENT_ID
    html = Client().get("/auth/login/", {"next": "/whoami/"}).content.decode()
    assert f'href="{LOGIN}?next=/whoami/"' in html or f'href="{LOGIN}?next=%2Fwhoami%2F"' in html
    assert "Sign in with Lamba (OIDC)" in html


def test_not_configured_is_a_clear_page(lamba: LambaEmulator, settings: Any) -> None:
    settings.LAMBA_CLIENT_ID = ""
    response = Client().get(LOGIN)
    assert_refused(response, "not set up on this site", status=404)
    assert lamba.call_count("GET", DISCOVERY_PATH) == 0


# --- SECURITY 39: fresh values per attempt, bound to this browser, parallel tabs ---------------


def test_sec39_each_start_has_fresh_state_nonce_and_s256_verifier_bound_to_the_browser(
    oidc: LambaEmulator,
) -> None:
    client = Client()
    first = client.get(LOGIN)
    cookie = first.cookies[BINDING]
    assert cookie["httponly"] is True
    assert cookie["samesite"] == "Lax"
    assert 0 < int(cookie["max-age"]) <= 600
    tab_a = {k: v[0] for k, v in parse_qs(urlsplit(first["Location"]).query).items()}
    tab_b = begin(client)
    for name in ("state", "nonce", "code_challenge"):
        assert tab_a[name] != tab_b[name]
        assert len(tab_a[name]) >= 43
    assert tab_a["code_challenge_method"] == tab_b["code_challenge_method"] == "S256"
    # The browser-binding id is reused, not replaced, so both tabs can finish: B first, then A.
    assert client.cookies[BINDING].value == cookie.value
    callback_a, callback_b = authorize(oidc, tab_a), authorize(oidc, tab_b)
    assert client.get(callback_b).status_code == 302
    assert client.get(callback_a).status_code == 302
    assert whoami(client) == EMAIL

    verifiers = [
        r.form["code_verifier"] for r in oidc.requests_log if r.path == TOKEN_PATH and r.form
    ]
    assert len(verifiers) == 2
    for verifier, params in zip(verifiers, (tab_b, tab_a), strict=True):
        assert 43 <= len(verifier) <= 128
        digest = hashlib.sha256(verifier.encode()).digest()
        assert base64.urlsafe_b64encode(digest).rstrip(b"=").decode() == params["code_challenge"]
    assert verifiers[0] != verifiers[1]


def test_sec39_a_callback_in_another_browser_is_refused(oidc: LambaEmulator) -> None:
    victim = Client()
    callback = authorize(oidc, begin(victim))
    attacker = Client()
    attacker.get(LOGIN)  # has a binding cookie of its own
    assert_refused(attacker.get(callback), STATE_INVALID)
    assert_refused(Client().get(callback), STATE_INVALID)
    assert oidc.call_count("POST", TOKEN_PATH) == 0


# --- SECURITY 40: bad state or ?error= stops before /connect/token, without a loop ---------------


def test_sec40_unknown_state_stops_before_the_token_endpoint(oidc: LambaEmulator) -> None:
    client = Client()
    callback = authorize(oidc, begin(client))
    forged = callback.replace("state=", "state=x", 1)
    assert_refused(client.get(forged), STATE_INVALID)
    assert_refused(client.get(CALLBACK, {"code": "abc"}), STATE_INVALID)
    assert oidc.call_count("POST", TOKEN_PATH) == 0


def test_sec40_a_reused_state_stops_before_the_token_endpoint(oidc: LambaEmulator) -> None:
    client = Client()
    callback = authorize(oidc, begin(client))
    assert client.get(callback).status_code == 302
    replay = client.get(callback)
    assert_refused(replay, STATE_INVALID)
    assert oidc.call_count("POST", TOKEN_PATH) == 1


def test_sec40_an_error_answer_stops_before_the_token_endpoint(oidc: LambaEmulator) -> None:
    client = Client()
    params = begin(client, next="/protected/")
    query = {
        "error": "access_denied",
        "error_description": "<b>nope</b>",
        "state": params["state"],
    }
    response = client.get(CALLBACK, query)
    assert_refused(response, "cancelled at the provider")
    assert "<b>nope</b>" not in response.content.decode()
    assert "/protected/" in response.content.decode()  # "back to sign in" keeps next
    other = client.get(CALLBACK, {"error": "server_error", "state": "unknown"})
    assert_refused(other, "did not complete the sign-in")
    # The state was spent by the error answer: a code for it later is refused too.
    late = client.get(CALLBACK, {"code": "x", "state": params["state"]})
    assert_refused(late, STATE_INVALID)
    assert oidc.call_count("POST", TOKEN_PATH) == 0


def test_sec40_json_callers_get_problem_details(oidc: LambaEmulator) -> None:
    response = Client().get(
        CALLBACK, {"code": "x", "state": "forged"}, HTTP_ACCEPT="application/json"
    )
    assert response.status_code == 400
    assert response["Content-Type"] == PROBLEM_JSON
    assert response.json()["errorCode"] == "oidc_state_invalid"


def test_a_verifier_that_does_not_match_is_refused_by_the_provider(oidc: LambaEmulator) -> None:
    client = Client()
    tab_a, tab_b = begin(client), begin(client)
    callback_a = authorize(oidc, tab_a)
    # Tab A's code arrives with tab B's state: the provider sees B's verifier for A's challenge.
    code = parse_qs(urlsplit(callback_a).query)["code"][0]
    response = client.get(CALLBACK, {"code": code, "state": tab_b["state"], "iss": oidc.auth_url})
    assert_refused(response, "This sign-in has expired. Please start again.")
    assert oidc.call_count("POST", TOKEN_PATH) == 1
    assert oidc.call_count("GET", USERINFO_PATH) == 0


def test_a_mismatched_iss_parameter_stops_before_the_token_endpoint(oidc: LambaEmulator) -> None:
    client = Client()
    callback = authorize(oidc, begin(client))
    query = parse_qs(urlsplit(callback).query)
    query["iss"] = ["https://evil.example"]
    response = client.get(CALLBACK + "?" + urlencode({k: v[0] for k, v in query.items()}))
    assert_refused(response, NOT_VERIFIED)
    assert oidc.call_count("POST", TOKEN_PATH) == 0


# --- SECURITY 41: the ID token is checked before /connect/userinfo -------------------------------


def _claims(lamba: LambaEmulator, nonce: str, /, **changes: Any) -> dict[str, Any]:
    now = int(time.time())
    claims: dict[str, Any] = {
        "iss": lamba.auth_url,
        "sub": lamba.get_user(EMAIL).id,
        "aud": CLIENT_ID,
        "iat": now,
        "exp": now + 300,
        "nonce": nonce,
    }
    claims.update(changes)
    return {name: value for name, value in claims.items() if value is not None}


def _sign(claims: dict[str, Any], key: Any = RSA_KEY, alg: str = "RS256", **header: Any) -> str:
    return jwt.encode(claims, key, algorithm=alg, headers={"kid": "test-key", **header})


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _hs256_with_public_key(claims: dict[str, Any]) -> str:
    pem = RSA_KEY.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    signing_input = ".".join(
        _b64(json.dumps(part).encode())
        for part in ({"alg": "HS256", "typ": "JWT", "kid": "test-key"}, claims)
    )
    signature = hmac.new(pem, signing_input.encode(), hashlib.sha256).digest()
    return f"{signing_input}.{_b64(signature)}"


def _tampered_payload(claims: dict[str, Any], lamba: LambaEmulator) -> str:
    header, _, signature = _sign(claims).split(".")
    changed = dict(claims, sub="usr_someone_else")
    return ".".join([header, _b64(json.dumps(changed).encode()), signature])


TAMPERED: dict[str, Any] = {
    "wrong nonce": lambda lamba, n: _sign(_claims(lamba, "another-nonce")),
    "no nonce": lambda lamba, n: _sign(_claims(lamba, n, nonce=None)),
    "wrong iss": lambda lamba, n: _sign(_claims(lamba, n, iss="https://evil.example")),
    "iss substring": lambda lamba, n: _sign(_claims(lamba, n, iss=lamba.auth_url[:-1])),
    "iss superstring": lambda lamba, n: _sign(_claims(lamba, n, iss=lamba.auth_url + "0")),
    "wrong aud": lambda lamba, n: _sign(_claims(lamba, n, aud="another-app")),
    "no aud": lambda lamba, n: _sign(_claims(lamba, n, aud=None)),
    "aud list without azp": lambda lamba, n: _sign(_claims(lamba, n, aud=[CLIENT_ID, "x"])),
    "foreign azp": lambda lamba, n: _sign(_claims(lamba, n, azp="another-app")),
    "expired": lambda lamba, n: _sign(_claims(lamba, n, exp=int(time.time()) - 120)),
    "issued in the future": lambda lamba, n: _sign(_claims(lamba, n, iat=int(time.time()) + 600)),
    "wrong signature": lambda lamba, n: _sign(_claims(lamba, n), key=OTHER_RSA_KEY),
    "tampered payload": lambda lamba, n: _tampered_payload(_claims(lamba, n), lamba),
    "alg none": lambda lamba, n: jwt.encode(_claims(lamba, n), "", algorithm="none"),
    "HS256 with the public key": lambda lamba, n: _hs256_with_public_key(_claims(lamba, n)),
    "RS512": lambda lamba, n: _sign(_claims(lamba, n), alg="RS512"),
    "unknown kid": lambda lamba, n: _sign(_claims(lamba, n), kid="nope"),
    "embedded jwk": lambda lamba, n: _sign(
        _claims(lamba, n), key=OTHER_RSA_KEY, kid="nope", jwk=public_jwk(OTHER_RSA_KEY, "nope")
    ),
    "critical header": lambda lamba, n: _sign(_claims(lamba, n), crit=["exp"]),
    "access-token typ": lambda lamba, n: _sign(_claims(lamba, n), typ="at+jwt"),
    "at_hash mismatch": lambda lamba, n: _sign(
        _claims(lamba, n, at_hash="AAAAAAAAAAAAAAAAAAAAAA")
    ),
    "not a JWT": lambda lamba, n: "not-a-jwt",
}


def _with_token_answer(
    lamba: LambaEmulator, make_token: Any, jwks: list[dict[str, Any]] | None = None
) -> tuple[Client, str]:
    """Run a real authorization; the token endpoint then answers with a crafted ID token."""
    lamba.clear_faults()
    client = Client()
    params = begin(client)
    callback = authorize(lamba, params)
    keys = jwks if jwks is not None else [public_jwk(RSA_KEY, "test-key")]
    lamba.inject_fault(JWKS_PATH, status=200, body={"keys": keys}, times=None)
    body = {
        "access_token": "crafted-access-token",
        "token_type": "Bearer",
        "expires_in": 300,
        "id_token": make_token(lamba, params["nonce"]),
    }
    lamba.inject_fault(TOKEN_PATH, status=200, body=body)
    return client, callback


def test_sec41_a_well_formed_id_token_passes_verification(oidc: LambaEmulator) -> None:
    # The control case: a crafted token with every claim right reaches userinfo (which then
    # refuses the crafted access token), so the refusals below are the checks, not the harness.
    client, callback = _with_token_answer(oidc, lambda lamba, n: _sign(_claims(lamba, n)))
    response = client.get(callback)
    assert oidc.call_count("GET", USERINFO_PATH) == 1
    assert response.status_code == 401
    assert token_cookies(response) == {}


def test_sec41_an_es256_id_token_is_accepted(oidc: LambaEmulator) -> None:
    client, callback = _with_token_answer(
        oidc,
        lambda lamba, n: _sign(_claims(lamba, n), key=EC_KEY, alg="ES256", kid="ec-key"),
        jwks=[public_jwk(EC_KEY, "ec-key")],
    )
    client.get(callback)
    assert oidc.call_count("GET", USERINFO_PATH) == 1


@pytest.mark.parametrize("case", list(TAMPERED))
def test_sec41_a_bad_id_token_stops_before_userinfo(oidc: LambaEmulator, case: str) -> None:
    client, callback = _with_token_answer(oidc, TAMPERED[case])
    response = client.get(callback)
    assert_refused(response, NOT_VERIFIED)
    assert oidc.call_count("POST", TOKEN_PATH) == 1
    assert oidc.call_count("GET", USERINFO_PATH) == 0
    assert oidc.call_count("POST", SWITCH_PATH) == 0
    assert "crafted-access-token" not in response.content.decode()
    assert whoami(client) == "anonymous"


def _let_the_refetch_interval_pass(clock: FrozenClock) -> None:
    clock.advance(lamba_settings.JWKS_MIN_REFETCH_INTERVAL)
    # The shared cache's markers expire on the real clock: drop them.
    cache = caches["default"]
    for stored in list(cache._cache):  # type: ignore[attr-defined]
        if stored.endswith((":refetch", ":fetch")):
            cache.delete(stored.split(":", 2)[2])  # stored keys carry a ":1:" version prefix


def test_sec41_rotated_keys_are_refetched_at_most_once_per_interval(oidc: LambaEmulator) -> None:
    with frozen() as clock:
        client, callback = _with_token_answer(oidc, lambda lamba, n: _sign(_claims(lamba, n)))
        client.get(callback)
        assert oidc.call_count("GET", JWKS_PATH) == 1
        assert oidc.call_count("GET", USERINFO_PATH) == 1

        # The provider rotates to a new key: the one refetch of this interval finds it.
        rotated = [public_jwk(OTHER_RSA_KEY, "rotated")]

        def new_key(lamba: LambaEmulator, nonce: str) -> str:
            return _sign(_claims(lamba, nonce), key=OTHER_RSA_KEY, kid="rotated")

        client, callback = _with_token_answer(oidc, new_key, jwks=rotated)
        client.get(callback)
        assert oidc.call_count("GET", JWKS_PATH) == 2
        assert oidc.call_count("GET", USERINFO_PATH) == 2

        def made_up(kid: str) -> Any:
            client, callback = _with_token_answer(
                oidc, lambda lamba, n: _sign(_claims(lamba, n), kid=kid), jwks=rotated
            )
            return client.get(callback)

        # A burst of made-up kids causes no further fetches within the interval.
        for index in range(3):
            assert_refused(made_up(f"made-up-{index}"), NOT_VERIFIED)
        assert oidc.call_count("GET", JWKS_PATH) == 2

        # Once the interval has passed, one more refetch is allowed, and only one.
        _let_the_refetch_interval_pass(clock)
        for index in range(3, 6):
            assert_refused(made_up(f"made-up-{index}"), NOT_VERIFIED)
        assert oidc.call_count("GET", JWKS_PATH) == 3


def test_id_tokens_and_access_tokens_share_one_cached_key_set(oidc: LambaEmulator) -> None:
    client = Client()
    assert sign_in(client, oidc).status_code == 302
    assert whoami(client) == EMAIL  # the access token, verified with the same keys
    assert oidc.call_count("GET", JWKS_PATH) == 1


def test_without_provider_keys_the_sign_in_stops_as_an_outage(oidc: LambaEmulator) -> None:
    client = Client()
    callback = authorize(oidc, begin(client))
    oidc.inject_fault(JWKS_PATH, status=503, times=None)
    response = client.get(callback)
    assert_refused(response, "unavailable right now", status=503)
    assert oidc.call_count("GET", USERINFO_PATH) == 0
    assert whoami(client) == "anonymous"


def test_provider_keys_older_than_the_max_age_are_not_trusted(
    oidc: LambaEmulator, settings: Any
) -> None:
    settings.LAMBA_JWKS_CACHE_TTL = 10
    settings.LAMBA_JWKS_MAX_AGE = 100
    with frozen() as clock:
        assert sign_in(Client(), oidc).status_code == 302
        oidc.inject_fault(JWKS_PATH, status=503, times=None)
        clock.advance(99)
        assert sign_in(Client(), oidc).status_code == 302  # stale but inside the max age
        clock.advance(2)
        assert_refused(sign_in(Client(), oidc), "unavailable right now", status=503)


# --- SECURITY 42: userinfo must be about the same subject ----------------------------------------


def test_sec42_a_userinfo_sub_that_differs_is_refused(oidc: LambaEmulator) -> None:
    oidc.inject_fault(USERINFO_PATH, status=200, body={"sub": "usr_someone_else"})
    client = Client()
    response = sign_in(client, oidc)
    assert_refused(response, NOT_VERIFIED)
    assert oidc.call_count("GET", USERINFO_PATH) == 1
    assert oidc.call_count("POST", SWITCH_PATH) == 0
    assert whoami(client) == "anonymous"


# --- SECURITY 43: no referrer from the callback, a Lax state cookie ---------------------------


def test_sec43_callback_sends_no_referrer_and_the_state_cookie_is_lax(oidc: LambaEmulator) -> None:
    client = Client()
    start = client.get(LOGIN)
    assert start["Referrer-Policy"] == "no-referrer"
    assert start.cookies[BINDING]["samesite"] == "Lax"
    assert start.cookies[BINDING]["httponly"] is True
    callback = authorize(
        oidc, {k: v[0] for k, v in parse_qs(urlsplit(start["Location"]).query).items()}
    )
    done = client.get(callback)
    assert done.status_code == 302
    assert done["Referrer-Policy"] == "no-referrer"
    failed = client.get(callback)
    assert failed["Referrer-Policy"] == "no-referrer"
    # The page's own <meta name="referrer"> must not relax the header again.
    assert '<meta name="referrer" content="no-referrer">' in failed.content.decode()
    assert "same-origin" not in failed.content.decode()
    code = parse_qs(urlsplit(callback).query)["code"][0]
    assert code not in failed.content.decode()


# --- rate limits, plan limits, outages -----------------------------------------------------------


def test_a_rate_limited_token_endpoint_shows_the_wait_and_is_not_retried(
    oidc: LambaEmulator,
) -> None:
    client = Client()
    callback = authorize(oidc, begin(client))
    oidc.inject_fault(TOKEN_PATH, status=429, retry_after=7)
    response = client.get(callback)
    assert_refused(response, "Try again in 7 seconds.", status=429)
    assert response["Retry-After"] == "7"
    assert oidc.call_count("POST", TOKEN_PATH) == 1


def test_a_plan_limit_on_the_context_switch_is_clear_and_leaves_nothing_signed_in(
    oidc: LambaEmulator,
) -> None:
    oidc.inject_fault(SWITCH_PATH, status=402)
    client = Client()
    response = sign_in(client, oidc)
    assert_refused(response, "plan limit", status=402)
    assert oidc.call_count("POST", SWITCH_PATH) == 1
    assert whoami(client) == "anonymous"
    # The OIDC session that could not be scoped was ended upstream.
    assert len(oidc.revoked_sessions) == 1


def test_a_discovery_outage_is_a_503_with_retry_after(oidc: LambaEmulator) -> None:
    oidc.inject_fault(DISCOVERY_PATH, status=503, times=None)
    response = Client().get(LOGIN)
    assert_refused(response, "unavailable right now", status=503)
    assert int(response["Retry-After"]) > 0
    assert BINDING not in response.cookies


def test_a_discovery_document_for_another_issuer_is_refused_as_an_outage(
    oidc: LambaEmulator,
) -> None:
    document = requests.get(oidc.auth_url + DISCOVERY_PATH, timeout=5).json()
    oidc.inject_fault(
        DISCOVERY_PATH, status=200, body={**document, "issuer": "https://evil.example"}
    )
    response = Client().get(LOGIN)
    assert_refused(response, "misconfigured", status=503)
    assert int(response["Retry-After"]) >= 1
