"""Several gunicorn workers on one host and a shared cache whose every call fails.

A cache outage (Redis down, its client library missing) must not turn into a refresh storm that
Lamba reads as token theft, nor let forged cookies become JWKS or API traffic: the workers of one
host coordinate refreshes through lock files and sealed records, and each process limits its own
JWKS fetches and refuses forged tokens locally.
"""

from __future__ import annotations

import secrets
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa

from django_lamba.testing import LambaEmulator
from tests.test_multiprocess import (
    ACCESS_COOKIE,
    REFRESH_COOKIE,
    WORKERS,
    Server,
    Storm,
    _fire,
    _get,
    assert_refreshed_once,
    expired_storm,
    serve,
)

pytestmark = pytest.mark.multiprocess

CONCURRENT = 60
EMAIL = "outage@example.com"
JWKS = "GET /.well-known/jwks.json"


@pytest.fixture(scope="module")
def emulator() -> Iterator[LambaEmulator]:
    """A private emulator: the call counts below must see only this module's traffic."""
    with LambaEmulator() as emu:
        emu.add_user(EMAIL, "correct-horse-battery", roles=["member"])
        yield emu


@pytest.fixture(scope="module")
def gunicorn(
    emulator: LambaEmulator, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Server]:
    """Serve the project with its cache failing on every call."""
    workdir = tmp_path_factory.mktemp("gunicorn-cache-down")
    with serve(emulator, workdir, {"LAMBA_TEST_CACHE": "broken"}) as server:
        yield server


@pytest.fixture(scope="module")
def storm(emulator: LambaEmulator, gunicorn: Server) -> Storm:
    """Concurrent requests carrying one expired access token, with the cache failing."""
    return expired_storm(emulator, gunicorn, EMAIL, CONCURRENT)


def test_with_the_cache_down_a_burst_of_expired_requests_refreshes_once(
    storm: Storm, gunicorn: Server
) -> None:
    assert_refreshed_once(storm, gunicorn, EMAIL, CONCURRENT)

    refreshes = {answer.cookies.get(REFRESH_COOKIE) for answer in storm.answers}
    accesses = {answer.cookies.get(ACCESS_COOKIE) for answer in storm.answers}
    assert len(refreshes) == 1 and len(accesses) == 1, refreshes
    assert None not in refreshes and "" not in refreshes  # nobody's cookies were cleared
    assert refreshes != {storm.old_refresh}


def _warm_every_worker(url: str, access: str, refresh: str) -> None:
    """Have every worker verify a genuine token once (its scheduled JWKS fetch)."""
    pids: set[int] = set()
    for _ in range(10):
        pids |= {answer.body.get("pid") for answer in _fire(url, access, refresh, 16)}
        if len(pids) >= WORKERS:
            return
    pytest.skip(f"only {len(pids)} of {WORKERS} workers answered the warm-up")


def _forged_kid_token(emulator: LambaEmulator, key: rsa.RSAPrivateKey) -> str:
    now = int(time.time())
    claims = {"iss": emulator.auth_url, "sub": "usr_x", "sid": "ses_x", "iat": now}
    claims["exp"] = now + 300
    headers = {"kid": secrets.token_hex(8), "typ": "at+jwt"}
    return jwt.encode(claims, key, algorithm="RS256", headers=headers)


def _send_access_only(url: str, tokens: list[str], workers: int = 20) -> list[Any]:
    with ThreadPoolExecutor(max_workers=workers) as pool:
        return list(pool.map(lambda token: _get(url, token, "").status, tokens, timeout=60))


def test_with_the_cache_down_forged_kids_fetch_the_jwks_at_most_once_per_worker(
    emulator: LambaEmulator, gunicorn: Server
) -> None:
    fresh = emulator.issue_session(
        EMAIL, workspace_id=emulator.workspace_id, project_id=emulator.project_id
    )
    url = f"{gunicorn.url}/whoami/"
    _warm_every_worker(url, fresh["access_token"], fresh["refresh_token"])
    emulator.reset_calls()
    attacker = rsa.generate_private_key(public_exponent=65537, key_size=2048)

    statuses = _send_access_only(url, [_forged_kid_token(emulator, attacker) for _ in range(40)])

    assert 200 not in statuses
    calls = emulator.calls.snapshot()
    assert calls.get(JWKS, 0) <= WORKERS, calls
    assert {name: count for name, count in calls.items() if name != JWKS} == {}, calls


def test_with_the_cache_down_forged_cookies_make_no_upstream_calls(
    emulator: LambaEmulator, gunicorn: Server
) -> None:
    signing = emulator._state.signing_key
    attacker = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    now = int(time.time())
    good = {"iss": emulator.auth_url, "sub": "usr_x", "sid": "ses_x", "iat": now, "exp": now + 300}
    header = {"kid": signing.kid, "typ": "at+jwt"}
    forged: list[str] = []
    for index in range(40):
        claims = {**good, "jti": str(index)}
        forged += [
            _forged_kid_token(emulator, attacker),
            jwt.encode(claims, attacker, algorithm="RS256", headers=header),
            jwt.encode(claims, "k" * 64, algorithm="HS256", headers=header),
            jwt.encode(
                {**claims, "iss": "https://evil.example"},
                signing.private_key,
                algorithm="RS256",
                headers=header,
            ),
            jwt.encode(claims, None, algorithm="none", headers=header),
        ]
    emulator.reset_calls()

    statuses = _send_access_only(f"{gunicorn.url}/whoami/", forged)

    assert len(statuses) == 200 and 200 not in statuses
    calls = emulator.calls.snapshot()
    # No context lookup, no refresh, nothing: at most the one unknown-kid JWKS refetch a worker
    # may still have left in this interval (if the previous test sent it no forged kid).
    assert {name: count for name, count in calls.items() if name != JWKS} == {}, calls
    assert calls.get(JWKS, 0) <= WORKERS, calls
