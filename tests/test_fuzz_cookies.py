"""Hostile cookie values (SECURITY 18-19): refused unread when too big, never a 500.

No hypothesis here: a seeded ``random.Random`` builds a few hundred values of each kind, so a
failure names the value and reproduces exactly.
"""

from __future__ import annotations

import base64
import json
import random
import string
from collections.abc import Iterator
from typing import Any

import pytest
from django.test import Client

from django_lamba._internal import accesstokens, verified
from django_lamba._internal.accesstokens import Verdict, verify_access_token
from django_lamba.conf import lamba_settings
from django_lamba.testing import LambaEmulator

SEED = 20260519
ACCESS = "lamba_access_token"
REFRESH = "lamba_refresh_token"


@pytest.fixture(autouse=True)
def _fresh(lamba: LambaEmulator, settings: Any) -> Iterator[None]:
    settings.LAMBA_READ_TIMEOUT = 2.0
    settings.LAMBA_MAX_RETRY_WAIT = 0.1
    # The `lamba` fixture also empties the per-process key and verification memos.
    yield


def b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def b64json(value: Any) -> str:
    return b64(json.dumps(value).encode())


def hostile_values(rng: random.Random, count: int) -> list[str]:
    """Random cookie values of every shape a browser, proxy or attacker might send."""
    odd_headers: list[Any] = [
        {"alg": "RS256", "kid": rng.choice([None, 1, [], {}, "x" * 300, "../../etc"])},
        {"alg": rng.choice([None, 0, [], {}, "none", "HS256", "RS256", "rs256"]), "typ": 7},
        {"alg": "RS256", "crit": rng.choice(["exp", ["exp"], None, 1])},
        {"alg": "RS256", "jku": "http://127.0.0.1:9/keys", "kid": "k"},
        [1, 2, 3],
        "header",
        None,
        12.5,
    ]
    makers = [
        lambda: "".join(rng.choices(string.printable, k=rng.randint(1, 200))),
        lambda: "".join(chr(rng.randint(0x80, 0x2FFF)) for _ in range(rng.randint(1, 60))),
        lambda: "eyJ" + "".join(rng.choices(string.ascii_letters + "-_", k=rng.randint(0, 90))),
        lambda: ".".join(
            "".join(rng.choices(string.ascii_letters + "-_=", k=rng.randint(0, 40)))
            for _ in range(rng.randint(1, 6))
        ),
        lambda: "eyJ" + "." * rng.randint(1, 10),
        lambda: f"{b64json(rng.choice(odd_headers))}.{b64json({'exp': 'x'})}.{b64(b'sig')}",
        lambda: f"{b64json({'alg': 'RS256'})}.{b64(rng.randbytes(40))}.{b64(rng.randbytes(256))}",
        lambda: b64(('{"a":' + "[" * 1400 + "]" * 1400 + "}").encode()) + ".e30.x",
        lambda: "A" * rng.choice([4095, 4096, 4097, 9000]),
        lambda: "eyJ" + "A" * rng.randint(4097, 20000),
        lambda: rng.choice(['""', '"eyJ.a.b"', "\\073", "%3B", "=", "==", "a=b", " lead", "\t"]),
        lambda: rng.randbytes(rng.randint(1, 64)).decode("latin-1"),
    ]
    return [rng.choice(makers)() for _ in range(count)]


def cookie_header(access: str | None, refresh: str | None) -> str:
    """A raw ``Cookie`` header, as bytes on the wire would reach WSGI (latin-1 decoded)."""
    parts = []
    if access is not None:
        parts.append(f"{ACCESS}={access}")
    if refresh is not None:
        parts.append(f"{REFRESH}={refresh}")
    return "; ".join(parts).encode("utf-8").decode("latin-1")


# --- 18: size cap -------------------------------------------------------------------------------


def test_sec18_an_oversized_cookie_is_refused_without_decoding(
    lamba: LambaEmulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    def must_not_decode(*args: Any, **kwargs: Any) -> Any:
        raise AssertionError("an oversized cookie was decoded")

    monkeypatch.setattr(accesstokens, "_b64json", must_not_decode)
    monkeypatch.setattr(verified, "verify_access_token", must_not_decode)
    header = b64json({"alg": "RS256", "kid": "k", "typ": "at+jwt"})
    huge = f"{header}.{'A' * 16 * 1024}.sig"
    for cookies in (
        {ACCESS: huge},
        {REFRESH: huge},
        {ACCESS: huge, REFRESH: huge},
        {ACCESS: "A" * (lamba_settings.COOKIE_MAX_BYTES + 1)},
    ):
        client = Client()
        for name, value in cookies.items():
            client.cookies[name] = value
        response = client.get("/whoami/")
        assert response.status_code == 200
        assert response.content == b"anonymous"
    assert lamba.calls.total() == 0


def test_sec18_the_verifier_refuses_oversized_tokens_itself(lamba: LambaEmulator) -> None:
    header = b64json({"alg": "RS256", "kid": "k", "typ": "at+jwt"})
    result = verify_access_token(f"{header}.{'A' * 20000}.sig")
    assert result.verdict is Verdict.INVALID
    assert lamba.calls.total() == 0


# --- 19: fuzzing --------------------------------------------------------------------------------


def test_sec19_fuzzed_cookies_are_anonymous_never_a_500(lamba: LambaEmulator) -> None:
    rng = random.Random(SEED)
    values = hostile_values(rng, 300)
    client = Client()  # raises on a 500: Django's test client re-raises view exceptions
    for index, value in enumerate(values):
        where = rng.choice(["access", "refresh", "both"])
        access = value if where != "refresh" else None
        refresh = value if where != "access" else hostile_values(rng, 1)[0]
        raw = cookie_header(access, refresh if where != "access" else None)
        response = client.get("/whoami/", HTTP_COOKIE=raw)
        assert response.status_code == 200, (index, value)
        assert response.content == b"anonymous", (index, value)
        guarded = client.get("/protected/", HTTP_COOKIE=raw)
        # Garbage is a signed-out visitor, not an outage: sent to sign in, never a 503.
        assert guarded.status_code == 302, (index, value, guarded.status_code)
        assert lamba.revoked_sessions == []


def test_sec19_garbage_never_reaches_lamba_as_a_malformed_header(lamba: LambaEmulator) -> None:
    rng = random.Random(SEED + 1)
    for value in hostile_values(rng, 200):
        Client().get("/whoami/", HTTP_COOKIE=cookie_header(value, value))
    for logged in lamba.requests_log:
        authorization = logged.headers.get("authorization", "")
        token = authorization.removeprefix("Bearer ")
        assert token.isascii() and token.isprintable() and " " not in token, authorization


def test_sec19_the_verifier_never_raises_on_fuzzed_input(lamba: LambaEmulator) -> None:
    rng = random.Random(SEED + 2)
    for value in hostile_values(rng, 2000):
        assert verify_access_token(value).verdict in (Verdict.INVALID, Verdict.UNKNOWN)
    # Tokens shaped like JWTs with random kids cost at most a fetch and a refetch.
    assert lamba.call_count("GET", "/.well-known/jwks.json") <= 2
