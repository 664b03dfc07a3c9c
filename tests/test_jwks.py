"""Local JWT verification (SECURITY 9-17): what is refused, and before which key lookup.

Forged tokens are signed with the emulator's own private key (so only the rule under test can
refuse them) or with an attacker's key; the JWKS is always the emulator's, fetched over a socket.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
import time
from typing import Any

import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from django.test import Client
from jwt.algorithms import RSAAlgorithm

from django_lamba._internal import jwks, store
from django_lamba._internal.accesstokens import Verdict, verify_access_token
from django_lamba.client import LambaClient
from django_lamba.conf import lamba_settings
from django_lamba.testing import EmulatedUser, LambaEmulator
from tests.broken_cache import BROKEN_CACHE

JWKS_PATH = "/.well-known/jwks.json"


@pytest.fixture(autouse=True)
def _fresh_keys(lamba: LambaEmulator) -> None:
    """Every test here needs the emulator (whose fixture also empties the key memos)."""


@pytest.fixture(scope="module")
def attacker_key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def emulator_key(lamba: LambaEmulator) -> Any:
    """The emulator's current signing key (private half): forge anything it would sign."""
    return lamba._state.signing_key


def claims(lamba: LambaEmulator, **overrides: Any) -> dict[str, Any]:
    now = int(time.time())
    base: dict[str, Any] = {
        "iss": lamba.auth_url,
        "sub": "usr_forged",
        "sid": "ses_forged",
        "iat": now,
        "exp": now + 300,
    }
    base.update(overrides)
    return {key: value for key, value in base.items() if value is not None}


def signed(
    lamba: LambaEmulator,
    payload: dict[str, Any] | None = None,
    *,
    key: Any = None,
    algorithm: str = "RS256",
    **headers: Any,
) -> str:
    """Sign ``payload`` (default: good claims) with the emulator's key unless ``key`` is given."""
    signing = emulator_key(lamba)
    header: dict[str, Any] = {"kid": signing.kid, "typ": "at+jwt"}
    header.update(headers)
    header = {name: value for name, value in header.items() if value is not None}
    # PyJWS, not jwt.encode: forged claims (a list as ``iss``...) must reach the verifier as-is.
    return jwt.PyJWS().encode(
        json.dumps(payload if payload is not None else claims(lamba)).encode(),
        key if key is not None else signing.private_key,
        algorithm=algorithm,
        headers=header,
    )


def b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def unsigned(header: dict[str, Any], payload: dict[str, Any], signature: bytes = b"") -> str:
    return ".".join(
        [b64(json.dumps(header).encode()), b64(json.dumps(payload).encode()), b64(signature)]
    )


def serve_jwks(monkeypatch: pytest.MonkeyPatch, document: dict[str, Any]) -> None:
    """Have every JWKS fetch answer ``document``."""
    real = LambaClient.get_document

    def get_document(self: LambaClient, url: str, **kwargs: Any) -> dict[str, Any]:
        return document if url.endswith(JWKS_PATH) else real(self, url, **kwargs)

    monkeypatch.setattr(LambaClient, "get_document", get_document)


def jwks_fetches(lamba: LambaEmulator) -> int:
    return lamba.call_count("GET", JWKS_PATH)


def genuine_access_token(lamba: LambaEmulator, user: EmulatedUser) -> str:
    tokens = lamba.issue_session(user.email, project_id=lamba.project_id)
    return str(tokens["access_token"])


def test_a_genuine_emulator_token_is_valid(lamba: LambaEmulator, lamba_user: EmulatedUser) -> None:
    result = verify_access_token(genuine_access_token(lamba, lamba_user))
    assert result.verdict is Verdict.VALID
    assert result.claims["iss"] == lamba.auth_url
    assert jwks_fetches(lamba) == 1


# --- 9: algorithms ----------------------------------------------------------------------------


@pytest.mark.parametrize("alg", ["none", "None", "NONE", "", None])
def test_sec09_alg_none_rejected_before_key_lookup(lamba: LambaEmulator, alg: Any) -> None:
    header = {"alg": alg, "typ": "at+jwt", "kid": emulator_key(lamba).kid}
    result = verify_access_token(unsigned(header, claims(lamba)))
    assert result.verdict is Verdict.INVALID
    assert jwks_fetches(lamba) == 0


def test_sec09_hs256_signed_with_the_public_key_rejected_before_key_lookup(
    lamba: LambaEmulator,
) -> None:
    # The classic confusion: the verifier's own public key (PEM and JWK forms) as an HMAC secret.
    public = emulator_key(lamba).private_key.public_key()
    pem = public.public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    secrets_to_try = [pem, json.dumps(RSAAlgorithm.to_jwk(public, as_dict=True)).encode()]
    for alg, digest in (("HS256", hashlib.sha256), ("HS512", hashlib.sha512)):
        for secret in secrets_to_try:
            header = {"alg": alg, "typ": "at+jwt", "kid": emulator_key(lamba).kid}
            head_and_body = unsigned(header, claims(lamba)).rsplit(".", 1)[0]
            mac = hmac.new(secret, head_and_body.encode(), digest).digest()
            result = verify_access_token(f"{head_and_body}.{b64(mac)}")
            assert result.verdict is Verdict.INVALID, (alg, result)
    assert jwks_fetches(lamba) == 0


@pytest.mark.parametrize("algorithm", ["RS384", "RS512", "PS256"])
def test_sec09_rsa_algorithms_other_than_rs256_rejected_before_key_lookup(
    lamba: LambaEmulator, algorithm: str
) -> None:
    # Signed with the genuine key, so only the algorithm allow-list can refuse it.
    result = verify_access_token(signed(lamba, algorithm=algorithm))
    assert result.verdict is Verdict.INVALID
    assert "not allowed" in result.reason
    assert jwks_fetches(lamba) == 0


def test_sec09_es256_rejected_before_key_lookup(lamba: LambaEmulator) -> None:
    key = ec.generate_private_key(ec.SECP256R1())
    result = verify_access_token(signed(lamba, key=key, algorithm="ES256"))
    assert result.verdict is Verdict.INVALID
    assert jwks_fetches(lamba) == 0


@pytest.mark.parametrize("alg", [["RS256"], {"RS256": 1}, 256, "rs256", "RS256 "])
def test_sec09_odd_alg_values_rejected_before_key_lookup(lamba: LambaEmulator, alg: Any) -> None:
    token = signed(lamba)
    body_and_signature = token.split(".", 1)[1]
    header = {"alg": alg, "typ": "at+jwt", "kid": emulator_key(lamba).kid}
    forged = f"{b64(json.dumps(header).encode())}.{body_and_signature}"
    assert verify_access_token(forged).verdict is Verdict.INVALID
    assert jwks_fetches(lamba) == 0


def test_sec09_alg_none_cookie_is_anonymous_without_any_call(
    lamba: LambaEmulator, lamba_user: EmulatedUser
) -> None:
    genuine = genuine_access_token(lamba, lamba_user)
    sid = lamba.session_id_for(genuine)
    header = {"alg": "none", "typ": "at+jwt", "kid": emulator_key(lamba).kid}
    forged = unsigned(header, claims(lamba, sub=lamba_user.id, sid=sid))
    lamba.reset_calls()
    client = Client()
    client.cookies[lamba_settings.SESSION_COOKIE] = forged
    response = client.get("/whoami/")
    assert response.content == b"anonymous"
    assert lamba.calls.total() == 0  # no JWKS, no context: refused on its header alone
    assert response.cookies[lamba_settings.SESSION_COOKIE].value == ""


def test_sec09_a_token_must_use_the_algorithm_of_the_key_it_names(
    lamba: LambaEmulator, settings: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings.LAMBA_JWT_ALGORITHMS = ["RS256", "ES256"]
    ec_key = ec.generate_private_key(ec.SECP256R1())
    ec_jwk = json.loads(jwt.algorithms.ECAlgorithm.to_jwk(ec_key.public_key()))
    ec_jwk.update(kid="ec-1", use="sig", alg="ES256")
    document = {"keys": [*lamba.jwks()["keys"], ec_jwk]}
    serve_jwks(monkeypatch, document)
    rsa_kid = emulator_key(lamba).kid
    assert verify_access_token(
        signed(lamba, key=ec_key, algorithm="ES256", kid="ec-1")
    ).verdict is (Verdict.VALID)
    assert verify_access_token(signed(lamba)).verdict is Verdict.VALID
    # Each key verifies only its own algorithm, whatever the header claims.
    crossed = signed(lamba, key=ec_key, algorithm="ES256", kid=rsa_kid)
    assert verify_access_token(crossed).verdict is Verdict.INVALID
    assert verify_access_token(signed(lamba, kid="ec-1")).verdict is Verdict.INVALID


# --- 10: keys named by the token itself --------------------------------------------------------


def test_sec10_attacker_key_embedded_as_jwk_is_ignored(
    lamba: LambaEmulator, attacker_key: rsa.RSAPrivateKey
) -> None:
    embedded = RSAAlgorithm.to_jwk(attacker_key.public_key(), as_dict=True)
    # Same kid as the real key: only the configured JWKS may answer, and its key says no.
    token = signed(lamba, key=attacker_key, jwk=embedded)
    result = verify_access_token(token)
    assert result.verdict is Verdict.INVALID
    assert result.reason == "InvalidSignatureError"


@pytest.mark.parametrize("header", ["jku", "x5u"])
def test_sec10_jku_and_x5u_are_never_fetched(
    lamba: LambaEmulator, attacker_key: rsa.RSAPrivateKey, header: str
) -> None:
    attacker_url = f"{lamba.auth_url}/attacker/{header}.json"
    lamba.reset_calls()
    extra: dict[str, Any] = {header: attacker_url}
    forged = signed(lamba, key=attacker_key, kid="attacker", **extra)
    assert verify_access_token(forged).verdict is not Verdict.VALID
    genuine = signed(lamba, **extra)
    assert verify_access_token(genuine).verdict is Verdict.VALID  # the header changes nothing
    assert {logged.path for logged in lamba.requests_log} == {JWKS_PATH}


def test_sec10_x5c_certificate_chain_is_ignored(
    lamba: LambaEmulator, attacker_key: rsa.RSAPrivateKey
) -> None:
    der = attacker_key.public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    token = signed(lamba, key=attacker_key, x5c=[base64.b64encode(der).decode()])
    assert verify_access_token(token).verdict is Verdict.INVALID


# --- 11: crit ---------------------------------------------------------------------------------


@pytest.mark.parametrize("crit", [["exp"], ["b64"], ["urn:example:unknown"], "exp", [], [1]])
def test_sec11_unknown_crit_rejected(lamba: LambaEmulator, crit: Any) -> None:
    result = verify_access_token(signed(lamba, crit=crit))
    if crit == []:
        # RFC 7515 4.1.11 forbids an empty list; refusing it too is the safe reading.
        assert result.verdict is Verdict.INVALID
    else:
        assert result.verdict is Verdict.INVALID
        assert result.reason == "unsupported critical header"


# --- 12: issuer -------------------------------------------------------------------------------


def test_sec12_issuer_substring_or_superstring_rejected(lamba: LambaEmulator) -> None:
    issuer = lamba.auth_url
    for wrong in (
        issuer[:-1],
        issuer + "0",
        issuer + "/",
        "x" + issuer,
        issuer.replace("http://", "https://"),
        issuer.upper(),
        "",
        [issuer],
        {"iss": issuer},
    ):
        result = verify_access_token(signed(lamba, claims(lamba, iss=wrong)))
        assert result.verdict is Verdict.INVALID, wrong
    missing = claims(lamba)
    del missing["iss"]
    assert verify_access_token(signed(lamba, missing)).verdict is Verdict.INVALID
    assert verify_access_token(signed(lamba, claims(lamba, iss=issuer))).verdict is Verdict.VALID


# --- 13: audience -----------------------------------------------------------------------------


def test_sec13_default_contract_has_no_audience_and_does_not_check_it(
    lamba: LambaEmulator,
) -> None:
    assert lamba_settings.JWT_AUDIENCE is None
    assert verify_access_token(signed(lamba)).verdict is Verdict.VALID


def test_sec13_configured_audience_rejects_missing_or_different_aud(
    lamba: LambaEmulator, settings: Any
) -> None:
    settings.LAMBA_JWT_AUDIENCE = "https://app.example.com"
    for aud in (None, "https://evil.example.com", "https://app.example.co", ["other"], ""):
        token = signed(lamba, claims(lamba, aud=aud))
        assert verify_access_token(token).verdict is Verdict.INVALID, aud
    for aud in ("https://app.example.com", ["other", "https://app.example.com"]):
        token = signed(lamba, claims(lamba, aud=aud))
        assert verify_access_token(token).verdict is Verdict.VALID, aud


# --- 14: time claims with a frozen clock ---------------------------------------------------------


NOW = 1_900_000_000.0


@pytest.mark.parametrize(
    ("overrides", "expected"),
    [
        ({"exp": NOW - 29}, Verdict.VALID),  # just inside the 30 s leeway
        ({"exp": NOW - 31}, Verdict.EXPIRED),  # beyond it: refresh, never trust
        ({"exp": NOW - 30}, Verdict.EXPIRED),
        ({"nbf": NOW + 29}, Verdict.VALID),
        ({"nbf": NOW + 31}, Verdict.INVALID),
        ({"iat": NOW + 31}, Verdict.INVALID),
        ({"exp": "never"}, Verdict.INVALID),
        ({"exp": True}, Verdict.INVALID),
        ({"nbf": "soon"}, Verdict.INVALID),
        ({"exp": None}, Verdict.INVALID),  # required
        ({"iat": None}, Verdict.INVALID),
    ],
)
def test_sec14_exp_and_nbf_leeway_with_a_frozen_clock(
    lamba: LambaEmulator, settings: Any, overrides: dict[str, Any], expected: Verdict
) -> None:
    settings.LAMBA_JWT_LEEWAY = 30
    payload = claims(lamba, iat=int(NOW) - 60, exp=int(NOW) + 300)
    payload.update(overrides)
    payload = {key: value for key, value in payload.items() if value is not None}
    assert verify_access_token(signed(lamba, payload), now=NOW).verdict is expected


def test_sec14_leeway_is_capped_at_sixty_seconds(lamba: LambaEmulator, settings: Any) -> None:
    settings.LAMBA_JWT_LEEWAY = 3600
    token = signed(lamba, claims(lamba, iat=int(NOW) - 600, exp=int(NOW) - 61))
    assert verify_access_token(token, now=NOW).verdict is Verdict.EXPIRED
    token = signed(lamba, claims(lamba, iat=int(NOW) - 600, exp=int(NOW) - 59))
    assert verify_access_token(token, now=NOW).verdict is Verdict.VALID


# --- 15: ID tokens ----------------------------------------------------------------------------


def id_token_claims(lamba: LambaEmulator, **overrides: Any) -> dict[str, Any]:
    """Claims shaped like the emulator's (and OIDC Core's) ID token."""
    base = claims(
        lamba,
        aud="app-client",
        auth_time=int(time.time()),
        at_hash=b64(secrets.token_bytes(16)),
        nonce="n-0S6_WzA2Mj",
        email="user@example.com",
    )
    base.update(overrides)
    return {key: value for key, value in base.items() if value is not None}


@pytest.mark.parametrize(
    ("typ", "overrides"),
    [
        ("JWT", {}),
        ("JWT", {"nonce": None}),  # no nonce was sent: at_hash still marks it
        ("at+jwt", {"at_hash": None}),  # a lying typ does not help
        (None, {"at_hash": None, "nonce": None, "c_hash": "abc"}),
        ("id_token+jwt", {"at_hash": None, "nonce": None}),
    ],
)
def test_sec15_id_token_as_access_cookie_rejected(
    lamba: LambaEmulator, typ: str | None, overrides: dict[str, Any]
) -> None:
    token = signed(lamba, id_token_claims(lamba, **overrides), typ=typ)
    assert verify_access_token(token).verdict is Verdict.INVALID


def test_sec15_id_token_cookie_never_reaches_the_api_host(
    lamba: LambaEmulator, lamba_user: EmulatedUser
) -> None:
    genuine = genuine_access_token(lamba, lamba_user)
    sid = lamba.session_id_for(genuine)
    id_token = signed(lamba, id_token_claims(lamba, sub=lamba_user.id, sid=sid), typ="JWT")
    client = Client()
    client.cookies[lamba_settings.SESSION_COOKIE] = id_token
    assert client.get("/whoami/").content == b"anonymous"
    assert lamba.call_count("GET", "/v1/me/context") == 0


# --- 16: unknown kid --------------------------------------------------------------------------


def test_sec16_unknown_kid_refetches_the_jwks_once(
    lamba: LambaEmulator, lamba_user: EmulatedUser
) -> None:
    assert verify_access_token(genuine_access_token(lamba, lamba_user)).verdict is Verdict.VALID
    assert jwks_fetches(lamba) == 1
    old_kid = emulator_key(lamba).kid
    new_kid = lamba.rotate_signing_key(keep_old=True)
    try:
        rotated = genuine_access_token(lamba, lamba_user)
        assert jwt.get_unverified_header(rotated)["kid"] == new_kid
        assert verify_access_token(rotated).verdict is Verdict.VALID
        assert jwks_fetches(lamba) == 2
        assert verify_access_token(genuine_access_token(lamba, lamba_user)).verdict is (
            Verdict.VALID
        )
        assert jwks_fetches(lamba) == 2  # known now: no more fetches
    finally:
        with lamba._state.lock:
            lamba._state.keys = [k for k in lamba._state.keys if k.kid == old_kid]


def test_sec16_a_burst_of_random_kids_fetches_at_most_once_per_window(
    lamba: LambaEmulator, lamba_user: EmulatedUser, attacker_key: rsa.RSAPrivateKey
) -> None:
    assert verify_access_token(genuine_access_token(lamba, lamba_user)).verdict is Verdict.VALID
    before = jwks_fetches(lamba)
    verdicts = set()
    for _ in range(50):
        kid = secrets.token_hex(8)
        verdicts.add(verify_access_token(signed(lamba, key=attacker_key, kid=kid)).verdict)
        verdicts.add(verify_access_token(signed(lamba, kid=kid)).verdict)
    # Not in a key set fetched at most one interval ago: never trusted, never sent upstream.
    assert verdicts == {Verdict.INVALID}
    assert jwks_fetches(lamba) - before <= 1


def test_sec16_random_kid_cookies_through_the_middleware_fetch_at_most_once(
    lamba: LambaEmulator, lamba_client: Client, attacker_key: rsa.RSAPrivateKey
) -> None:
    assert lamba_client.get("/whoami/").content == b"user@example.com"
    before = jwks_fetches(lamba)
    for _ in range(50):
        client = Client()
        forged = signed(lamba, key=attacker_key, kid=secrets.token_hex(8))
        client.cookies[lamba_settings.SESSION_COOKIE] = forged
        assert client.get("/whoami/").content == b"anonymous"
    assert jwks_fetches(lamba) - before <= 1
    assert lamba_client.get("/whoami/").content == b"user@example.com"


def test_sec16_jwks_fetches_are_rate_limited_while_no_key_set_is_cached(
    lamba: LambaEmulator,
) -> None:
    lamba.inject_fault(JWKS_PATH, status=503, times=None)
    for _ in range(20):
        assert verify_access_token(signed(lamba)).verdict is Verdict.UNKNOWN
    # One scheduled fetch (retried once by the client), not one per token.
    assert jwks_fetches(lamba) == 1 + lamba_settings.MAX_RETRIES


# --- 17: unparseable keys in the JWKS -----------------------------------------------------------


def test_sec17_unparseable_keys_in_the_jwks_do_not_break_the_good_one(
    lamba: LambaEmulator, lamba_user: EmulatedUser, monkeypatch: pytest.MonkeyPatch
) -> None:
    good = lamba.jwks()["keys"]
    garbage: list[Any] = [
        {"kty": "RSA", "kid": "bad-n", "n": "%%%not base64%%%", "e": "AQAB"},
        {"kty": "RSA", "kid": "no-n"},
        {"kty": "RSA", "kid": "int-n", "n": 12345, "e": None},
        {"kty": "EC", "kid": "bad-curve", "crv": "P-999", "x": "AA", "y": "AA"},
        {"kty": "OKP", "kid": "bad-okp", "crv": "Ed448", "x": 1},
        {"kty": "oct", "kid": "hmac", "k": b64(b"shared-secret")},
        {"kty": ["RSA"], "kid": "list-kty"},
        {"kid": "no-kty"},
        {"kty": "RSA", "kid": {"nested": True}, "n": "AQAB", "e": "AQAB"},
        {"kty": "RSA", "kid": "wrong-alg", "alg": "HS256", "n": "AQAB", "e": "AQAB"},
        "not-a-key",
        None,
        [],
    ]
    document = {"keys": [*garbage[:6], *good, *garbage[6:]]}
    serve_jwks(monkeypatch, document)
    token = genuine_access_token(lamba, lamba_user)
    assert verify_access_token(token).verdict is Verdict.VALID
    # The symmetric key was dropped: a token naming it is not verified with it.
    assert verify_access_token(signed(lamba, kid="hmac")).verdict is not Verdict.VALID


@pytest.mark.parametrize("document", [{"keys": "nope"}, {"keys": None}, {}, {"keys": [{}]}])
def test_sec17_a_jwks_with_no_usable_key_leaves_tokens_to_the_api_host(
    lamba: LambaEmulator, monkeypatch: pytest.MonkeyPatch, document: dict[str, Any]
) -> None:
    serve_jwks(monkeypatch, document)
    assert verify_access_token(signed(lamba)).verdict is Verdict.UNKNOWN


def test_sec17_encryption_keys_are_not_used_for_signatures(
    lamba: LambaEmulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    document = {"keys": [dict(key, use="enc") for key in lamba.jwks()["keys"]]}
    serve_jwks(monkeypatch, document)
    assert verify_access_token(signed(lamba)).verdict is Verdict.UNKNOWN


# --- odds and ends ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "token",
    [
        "opaque-token-value",
        "a.b.c",
        "eyJ.eyJ.",
        "eyJhbGciOiJSUzI1NiJ9",  # one segment
        "eyJ" + "W" * 100 + ".e30.sig",  # not JSON
        b64(b"[" * 5000) + ".e30.x",  # deep nesting
        b64(b'"just a string"') + ".e30.x",
    ],
)
def test_malformed_tokens_never_raise(lamba: LambaEmulator, token: str) -> None:
    assert verify_access_token(token).verdict in (Verdict.UNKNOWN, Verdict.INVALID)


def deeply_nested_header() -> str:
    """A header that fits in a cookie yet nests deeper than Python's recursion limit."""
    return b64(('{"a":' + "[" * 1400 + "]" * 1400 + "}").encode())


def test_a_deeply_nested_header_is_invalid_not_a_crash(lamba: LambaEmulator) -> None:
    header = deeply_nested_header()
    assert header.startswith("eyJ")
    assert verify_access_token(f"{header}.e30.x").verdict is Verdict.INVALID


def test_local_verification_can_be_turned_off(lamba: LambaEmulator, settings: Any) -> None:
    settings.LAMBA_VERIFY_JWT = False
    assert verify_access_token(signed(lamba)).verdict is Verdict.UNKNOWN
    assert jwks_fetches(lamba) == 0


# --- limits that hold per process, whatever the shared cache does ------------------------------


@pytest.fixture
def cache_down(settings: Any) -> None:
    """Every call to the cache django_lamba uses raises (``add`` then fails open)."""
    settings.CACHES = {**settings.CACHES, "broken": BROKEN_CACHE}
    settings.LAMBA_CACHE_ALIAS = "broken"


def test_with_the_cache_down_forged_kids_cost_at_most_one_refetch(
    lamba: LambaEmulator,
    lamba_user: EmulatedUser,
    attacker_key: rsa.RSAPrivateKey,
    cache_down: None,
) -> None:
    assert verify_access_token(genuine_access_token(lamba, lamba_user)).verdict is Verdict.VALID
    assert jwks_fetches(lamba) == 1
    for _ in range(40):
        forged = signed(lamba, key=attacker_key, kid=secrets.token_hex(8))
        assert verify_access_token(forged).verdict is Verdict.INVALID
    assert jwks_fetches(lamba) <= 2


def test_with_the_cache_down_the_scheduled_fetch_is_limited_too(
    lamba: LambaEmulator, cache_down: None
) -> None:
    lamba.inject_fault(JWKS_PATH, status=503, times=None)
    for _ in range(20):
        assert verify_access_token(signed(lamba)).verdict is Verdict.UNKNOWN
    assert jwks_fetches(lamba) == 1 + lamba_settings.MAX_RETRIES


def test_with_the_cache_down_the_process_keeps_its_own_key_set(
    lamba: LambaEmulator, lamba_user: EmulatedUser, cache_down: None
) -> None:
    token = genuine_access_token(lamba, lamba_user)
    start = time.time()
    assert verify_access_token(token, now=start).verdict is Verdict.VALID
    # Past the per-process copy's short life the shared cache is asked, and answers nothing.
    assert verify_access_token(token, now=start + 120).verdict is Verdict.VALID
    assert jwks_fetches(lamba) == 1


def test_an_unknown_kid_is_remembered_until_the_next_interval(
    lamba: LambaEmulator, settings: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings.LAMBA_JWKS_MIN_REFETCH_INTERVAL = 60
    start = time.time()
    assert verify_access_token(signed(lamba), now=start).verdict is Verdict.VALID
    forged = signed(lamba, kid="not-published-yet")
    assert verify_access_token(forged, now=start + 1).verdict is Verdict.INVALID
    assert jwks_fetches(lamba) == 2  # the one refetch of this interval
    # Remembered: not even the shared cache is asked about it again within the interval.
    real_cache = store.cache
    asked: list[str] = []

    def counting_cache() -> Any:
        asked.append("cache")
        return real_cache()

    monkeypatch.setattr(store, "cache", counting_cache)
    assert verify_access_token(forged, now=start + 2).verdict is Verdict.INVALID
    assert asked == []
    # One interval later the kid may have been published: one more refetch is allowed.
    store.cache().delete(jwks._cache_key(jwks.auth_jwks_url(), "refetch"))
    assert verify_access_token(forged, now=start + 62).verdict is Verdict.INVALID
    assert jwks_fetches(lamba) == 3


def test_the_negative_kid_memory_is_bounded(lamba: LambaEmulator) -> None:
    assert verify_access_token(signed(lamba)).verdict is Verdict.VALID
    for index in range(jwks._UNKNOWN_KIDS_MAX + 50):
        assert verify_access_token(signed(lamba, kid=f"kid-{index}")).verdict is Verdict.INVALID
    assert len(jwks._unknown_kids) == jwks._UNKNOWN_KIDS_MAX


def test_key_sets_at_different_urls_are_cached_apart(
    lamba: LambaEmulator, monkeypatch: pytest.MonkeyPatch, attacker_key: rsa.RSAPrivateKey
) -> None:
    """A branded OIDC issuer's keys never verify what the auth host's keys should, or back."""
    branded = "https://login.example.test/.well-known/jwks.json"
    jwk = RSAAlgorithm.to_jwk(attacker_key.public_key(), as_dict=True)
    other = {"keys": [dict(jwk, kid="branded", use="sig")]}
    fetched: list[str] = []
    real = LambaClient.get_document

    def get_document(self: LambaClient, url: str, **kwargs: Any) -> dict[str, Any]:
        fetched.append(url)
        return other if url == branded else real(self, url, **kwargs)

    monkeypatch.setattr(LambaClient, "get_document", get_document)
    assert verify_access_token(signed(lamba)).verdict is Verdict.VALID
    branded_keys = jwks.key_set(branded)
    assert branded_keys is not None and set(branded_keys) == {"branded"}
    assert verify_access_token(signed(lamba, key=attacker_key, kid="branded")).verdict is (
        Verdict.INVALID
    )
    assert jwks.key_set(branded) == branded_keys
    assert fetched.count(branded) == 1
    assert fetched.count(jwks.auth_jwks_url()) == 2  # the first fetch, one unknown-kid refetch


def test_the_process_copy_is_not_trusted_past_the_max_age(
    lamba: LambaEmulator, settings: Any
) -> None:
    settings.LAMBA_JWKS_CACHE_TTL = 10
    settings.LAMBA_JWKS_MAX_AGE = 100
    token = signed(lamba)
    start = time.time()
    assert verify_access_token(token, now=start).verdict is Verdict.VALID
    lamba.inject_fault(JWKS_PATH, status=503, times=None)
    assert verify_access_token(token, now=start + 99).verdict is Verdict.VALID
    # Within the process copy's short life, but its keys are too old: fail closed.
    assert verify_access_token(token, now=start + 101).verdict is Verdict.UNKNOWN
