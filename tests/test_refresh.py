"""Refresh under concurrency and failure (SECURITY 7, 20-24), against the real emulator.

Lamba treats a reused refresh token as theft and revokes the session, so every test here also
checks ``revoked_sessions``: a race handled badly shows up as a revocation, not only as a count.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
from django.test import Client

from django_lamba._internal import hostlock, rotation, store
from django_lamba._internal.session import RequestState, resolve_user
from django_lamba.client import LambaClient
from django_lamba.conf import lamba_settings
from django_lamba.testing import EmulatedUser, LambaEmulator, client_with_tokens
from django_lamba.testing.pytest_plugin import LAMBA_USER_EMAIL, _clear_django_cache
from django_lamba.types import TokenSet
from django_lamba.user import LambaUser
from tests.broken_cache import BROKEN_CACHE

REFRESH_PATH = "/v1/auth/refresh"
THREADS = 20


@pytest.fixture(autouse=True)
def _fast_and_fresh(lamba: LambaEmulator, settings: Any) -> Iterator[None]:
    settings.LAMBA_READ_TIMEOUT = 2.0
    settings.LAMBA_CONNECT_TIMEOUT = 1.0
    settings.LAMBA_REFRESH_WAIT = 3.0
    settings.LAMBA_MAX_RETRY_WAIT = 0.1
    # The `lamba` fixture also empties the per-process key and verification memos.
    yield


def expired_session(lamba: LambaEmulator) -> dict[str, Any]:
    return lamba.issue_session(
        LAMBA_USER_EMAIL,
        workspace_id=lamba.workspace_id,
        project_id=lamba.project_id,
        environment=lamba.environment,
        access_token_ttl=-120,
    )


def set_cookies(response: Any) -> dict[str, str]:
    names = (lamba_settings.SESSION_COOKIE, lamba_settings.REFRESH_COOKIE)
    return {name: response.cookies[name].value for name in names if name in response.cookies}


def assert_cleared(response: Any) -> None:
    assert set_cookies(response) == {
        lamba_settings.SESSION_COOKIE: "",
        lamba_settings.REFRESH_COOKIE: "",
    }


def refreshes(lamba: LambaEmulator) -> int:
    return lamba.call_count("POST", REFRESH_PATH)


def wait_for(predicate: Callable[[], bool], timeout: float = 5.0) -> None:
    event = threading.Event()
    for _ in range(int(timeout / 0.01)):
        if predicate():
            return
        event.wait(0.01)
    raise AssertionError("condition not reached")


def expired_burst(lamba: LambaEmulator, tokens: dict[str, Any]) -> list[Any]:
    """``THREADS`` requests at once with one expired token set; a slow refresh keeps the race
    window open for every thread."""
    lamba.inject_fault(REFRESH_PATH, latency=0.3, times=1)
    barrier = threading.Barrier(THREADS)

    def one_request(_: int) -> Any:
        client = client_with_tokens(tokens)
        barrier.wait()
        return client.get("/whoami/")

    with ThreadPoolExecutor(THREADS) as pool:
        return list(pool.map(one_request, range(THREADS)))


# --- 20 / 21: one refresh per rotation ---------------------------------------------------------


def test_sec20_concurrent_requests_with_one_expired_token_refresh_once(
    lamba: LambaEmulator, lamba_user: EmulatedUser
) -> None:
    tokens = expired_session(lamba)
    responses = expired_burst(lamba, tokens)
    assert [r.content for r in responses] == [b"user@example.com"] * THREADS
    assert refreshes(lamba) == 1
    written = {tuple(sorted(set_cookies(r).items())) for r in responses}
    assert len(written) == 1  # every request got the same rotated pair
    (pair,) = written
    assert dict(pair)[lamba_settings.REFRESH_COOKIE] not in ("", tokens["refresh_token"])
    assert lamba.revoked_sessions == []


def test_sec20_concurrent_resolutions_share_one_refresh(
    lamba: LambaEmulator, lamba_user: EmulatedUser
) -> None:
    tokens = expired_session(lamba)
    lamba.inject_fault(REFRESH_PATH, latency=0.2, times=1)
    barrier = threading.Barrier(THREADS)

    def resolve(_: int) -> tuple[Any, TokenSet | None]:
        state = RequestState(tokens["access_token"], tokens["refresh_token"], had_cookies=True)
        barrier.wait()
        return resolve_user(state), state.new_tokens

    with ThreadPoolExecutor(THREADS) as pool:
        results = list(pool.map(resolve, range(THREADS)))
    assert all(isinstance(user, LambaUser) for user, _ in results)
    assert len({(t.access_token, t.refresh_token) for _, t in results if t}) == 1
    assert all(new is not None for _, new in results)
    assert refreshes(lamba) == 1
    assert lamba.revoked_sessions == []


def test_sec21_a_late_request_with_the_rotated_refresh_token_gets_the_successor(
    lamba: LambaEmulator, lamba_user: EmulatedUser
) -> None:
    tokens = expired_session(lamba)
    first = client_with_tokens(tokens).get("/whoami/")
    assert first.content == b"user@example.com"
    # Another tab still holding the old cookies, inside the grace window.
    late = client_with_tokens(tokens).get("/whoami/")
    assert late.content == b"user@example.com"
    assert set_cookies(late) == set_cookies(first)
    only_refresh = Client()
    only_refresh.cookies[lamba_settings.REFRESH_COOKIE] = tokens["refresh_token"]
    assert set_cookies(only_refresh.get("/whoami/")) == set_cookies(first)
    assert refreshes(lamba) == 1
    assert lamba.revoked_sessions == []


def test_sec21_after_the_grace_window_the_old_refresh_token_is_a_reuse(
    lamba: LambaEmulator, lamba_user: EmulatedUser
) -> None:
    tokens = expired_session(lamba)
    assert client_with_tokens(tokens).get("/whoami/").content == b"user@example.com"
    # What the grace window prevents: once it is gone, Lamba sees theft and ends the session.
    rotated = store.token_hash(tokens["refresh_token"])
    store.cache().delete(f"lamba:rotated:{rotated}")
    folder = hostlock.directory()
    assert folder is not None
    (folder / f"{rotated}.rotated").unlink()
    late = client_with_tokens(tokens).get("/whoami/")
    assert late.content == b"anonymous"
    assert_cleared(late)
    assert refreshes(lamba) == 2
    assert len(lamba.revoked_sessions) == 1


def test_sec21_a_request_that_gives_up_waiting_is_not_logged_out(
    lamba: LambaEmulator, lamba_user: EmulatedUser, settings: Any
) -> None:
    settings.LAMBA_REFRESH_WAIT = 0.2
    tokens = expired_session(lamba)
    lamba.inject_fault(REFRESH_PATH, latency=0.8, times=1)
    with ThreadPoolExecutor(1) as pool:
        winner = pool.submit(client_with_tokens(tokens).get, "/whoami/")
        wait_for(lambda: rotation.is_locked(tokens["refresh_token"]))
        loser = client_with_tokens(tokens).get("/protected/")
        assert loser.status_code == 503  # not a sign-in redirect
        assert set_cookies(loser) == {}
        assert winner.result().content == b"user@example.com"
    # Once the winner is done, the loser's next try is served the successor.
    retry = client_with_tokens(tokens).get("/whoami/")
    assert retry.content == b"user@example.com"
    assert set_cookies(retry) == set_cookies(winner.result())
    assert refreshes(lamba) == 1
    assert lamba.revoked_sessions == []


# --- 22: at most one refresh per request --------------------------------------------------------


def test_sec22_a_second_401_after_refresh_is_anonymous_without_a_loop(
    lamba: LambaEmulator, lamba_client: Client
) -> None:
    lamba.inject_fault("/v1/me/context", status=401, times=None)
    lamba.reset_calls()
    response = lamba_client.get("/whoami/")
    assert response.content == b"anonymous"
    assert refreshes(lamba) == 1
    assert lamba.call_count("GET", "/v1/me/context") == 2
    assert_cleared(response)
    assert lamba_client.get("/protected/").status_code == 302
    assert refreshes(lamba) == 1  # the cookies are gone: nothing left to refresh


# --- 23: only a definitive answer clears cookies -----------------------------------------------


@pytest.mark.parametrize(
    "fault",
    [
        {"status": 502},
        {"status": 503},
        {"status": 500, "body": "<html>oops</html>"},
        {"status": 200, "body": "<html>captive portal</html>"},
        {"status": 429, "retry_after": 30},
        {"status": 403},
        {"latency": 1.0},
    ],
    ids=["502", "503", "500-html", "200-html", "429", "403", "timeout"],
)
def test_sec23_a_refresh_outage_keeps_the_cookies(
    lamba: LambaEmulator, lamba_user: EmulatedUser, settings: Any, fault: dict[str, Any]
) -> None:
    settings.LAMBA_READ_TIMEOUT = 0.3
    tokens = expired_session(lamba)
    lamba.inject_fault(REFRESH_PATH, times=None, **fault)
    client = client_with_tokens(tokens)
    response = client.get("/protected/")
    assert response.status_code == (429 if fault.get("status") == 429 else 503)
    assert int(response["Retry-After"]) > 0
    if fault.get("status") == 429:
        assert response["Retry-After"] == "30"  # Lamba's own value, passed on
    assert set_cookies(response) == {}
    # Not an anonymous visitor either: anything that reads request.user gets the same answer.
    assert client.get("/whoami/").status_code == response.status_code
    # No immediate retry: the refresh token is left alone for a short back-off.
    assert refreshes(lamba) == 1
    assert lamba.revoked_sessions == []


@pytest.mark.parametrize(
    "fault",
    [
        {"status": 401},
        {"status": 401, "error_code": "refresh_token_reused"},
        {"status": 400, "error_code": "invalid_grant"},
        {"status": 400, "body": {"error": "invalid_grant"}},
    ],
    ids=["401", "401-reused", "400-invalid_grant", "oauth-invalid_grant"],
)
def test_sec23_a_definitive_refresh_rejection_clears_the_cookies(
    lamba: LambaEmulator, lamba_user: EmulatedUser, fault: dict[str, Any]
) -> None:
    tokens = expired_session(lamba)
    lamba.inject_fault(REFRESH_PATH, times=None, **fault)
    response = client_with_tokens(tokens).get("/whoami/")
    assert response.content == b"anonymous"
    assert_cleared(response)
    again = client_with_tokens(tokens).get("/protected/")
    assert again.status_code == 302
    assert refreshes(lamba) == 1  # the refusal is remembered: no second call


# --- 24: disabled upstream ---------------------------------------------------------------------


def test_sec24_a_user_disabled_upstream_is_signed_out_at_refresh(
    lamba: LambaEmulator, lamba_user: EmulatedUser
) -> None:
    tokens = expired_session(lamba)
    lamba.disable_user(LAMBA_USER_EMAIL)
    response = client_with_tokens(tokens).get("/whoami/")
    assert response.content == b"anonymous"
    assert_cleared(response)
    assert refreshes(lamba) == 1


def test_sec24_a_disabled_user_with_a_fresh_token_is_signed_out_once_the_cache_lapses(
    lamba: LambaEmulator, lamba_client: Client
) -> None:
    access = lamba_client.cookies[lamba_settings.SESSION_COOKIE].value
    assert lamba_client.get("/whoami/").content == b"user@example.com"
    lamba.disable_user(LAMBA_USER_EMAIL)
    store.forget_access_token(store.token_hash(access))  # the context TTL has run out
    response = lamba_client.get("/whoami/")
    assert response.content == b"anonymous"
    assert_cleared(response)


# --- 7: logout beats a late refresh ------------------------------------------------------------


def test_sec07_a_refresh_that_finishes_after_logout_sets_no_cookies(
    lamba: LambaEmulator, lamba_user: EmulatedUser, monkeypatch: pytest.MonkeyPatch
) -> None:
    tokens = expired_session(lamba)
    upstream_done, logged_out = threading.Event(), threading.Event()
    real_refresh = LambaClient.refresh

    def slow_refresh(self: LambaClient, refresh_token: str) -> TokenSet:
        rotated = real_refresh(self, refresh_token)
        upstream_done.set()
        logged_out.wait(5)  # the answer is "on the wire" while the customer signs out
        return rotated

    monkeypatch.setattr(LambaClient, "refresh", slow_refresh)
    with ThreadPoolExecutor(1) as pool:
        in_flight = pool.submit(client_with_tokens(tokens).get, "/whoami/")
        assert upstream_done.wait(5)
        logout = client_with_tokens(tokens).post("/auth/logout/")
        assert logout.status_code == 302
        assert_cleared(logout)
        logged_out.set()
        late = in_flight.result()
    assert late.content == b"anonymous"
    assert_cleared(late)


@pytest.mark.parametrize("logout_upstream", ["ok", "down"])
def test_sec07_cookies_from_a_refresh_that_lost_to_logout_sign_nobody_in(
    lamba: LambaEmulator, lamba_user: EmulatedUser, logout_upstream: str
) -> None:
    tokens = expired_session(lamba)
    refreshed = client_with_tokens(tokens).get("/whoami/")
    assert refreshed.content == b"user@example.com"
    if logout_upstream == "down":
        lamba.inject_fault("/v1/auth/logout", status=503, times=None)
    # The logout (sent with the old cookies) lands first; the refreshed cookies land after it.
    assert client_with_tokens(tokens).post("/auth/logout/").status_code == 302
    rotated = set_cookies(refreshed)
    resurrected = client_with_tokens(
        {
            "access_token": rotated[lamba_settings.SESSION_COOKIE],
            "refresh_token": rotated[lamba_settings.REFRESH_COOKIE],
        }
    )
    lamba.reset_calls()
    response = resurrected.get("/whoami/")
    assert response.content == b"anonymous"
    assert_cleared(response)
    assert refreshes(lamba) == 0


# --- the shared cache down: still one refresh per rotation -----------------------------------


@pytest.fixture
def cache_down(settings: Any) -> None:
    """Every call to the cache django_lamba uses raises, as when Redis is down."""
    settings.CACHES = {**settings.CACHES, "broken": BROKEN_CACHE}
    settings.LAMBA_CACHE_ALIAS = "broken"


def test_with_the_cache_down_concurrent_requests_still_refresh_once(
    lamba: LambaEmulator, lamba_user: EmulatedUser, cache_down: None
) -> None:
    tokens = expired_session(lamba)
    responses = expired_burst(lamba, tokens)
    assert [r.content for r in responses] == [b"user@example.com"] * THREADS
    assert refreshes(lamba) == 1
    assert lamba.revoked_sessions == []
    assert len({tuple(sorted(set_cookies(r).items())) for r in responses}) == 1


def test_with_the_cache_down_another_worker_finds_the_rotated_tokens(
    lamba: LambaEmulator, lamba_user: EmulatedUser, cache_down: None
) -> None:
    tokens = expired_session(lamba)
    first = client_with_tokens(tokens).get("/whoami/")
    assert first.content == b"user@example.com"
    # Another worker of this host: nothing of this process's memory, the cache still down.
    _clear_django_cache()
    late = client_with_tokens(tokens).get("/whoami/")
    assert late.content == b"user@example.com"
    assert set_cookies(late) == set_cookies(first)
    assert refreshes(lamba) == 1
    assert lamba.revoked_sessions == []


def test_with_the_cache_down_a_refused_refresh_is_not_retried_by_the_next_request(
    lamba: LambaEmulator, lamba_user: EmulatedUser, cache_down: None
) -> None:
    tokens = expired_session(lamba)
    lamba.inject_fault(REFRESH_PATH, status=401, times=1)
    assert client_with_tokens(tokens).get("/whoami/").content == b"anonymous"
    assert client_with_tokens(tokens).get("/whoami/").content == b"anonymous"
    assert refreshes(lamba) == 1


def test_with_the_cache_down_an_outage_backs_off_for_every_request(
    lamba: LambaEmulator, lamba_user: EmulatedUser, cache_down: None
) -> None:
    tokens = expired_session(lamba)
    lamba.inject_fault(REFRESH_PATH, status=503, times=None)
    for _ in range(3):
        response = client_with_tokens(tokens).get("/whoami/")
        assert response.status_code == 503  # not anonymous: Lamba could not say who it is
        assert set_cookies(response) == {}  # an outage signs nobody out
    assert refreshes(lamba) == 1  # one attempt, then held back for every request


def test_a_logout_during_a_cache_outage_discards_a_late_refresh(
    lamba: LambaEmulator, lamba_user: EmulatedUser, cache_down: None
) -> None:
    tokens = expired_session(lamba)
    client = client_with_tokens(tokens)
    assert client.post("/auth/logout/").status_code == 302
    assert client_with_tokens(tokens).get("/whoami/").content == b"anonymous"
    assert refreshes(lamba) == 0
