"""The sessions the benchmark uses, and the two scenarios that count upstream calls."""

from __future__ import annotations

import threading
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from http.cookies import SimpleCookie
from typing import Any

from django.core.handlers.wsgi import WSGIHandler

from django_lamba.testing import LambaEmulator

from .harness import Answer, call, environ_for

EMAIL = "bench@example.com"
PASSWORD = "correct-horse-battery"
ACCESS_COOKIE = "lamba_access_token"
REFRESH_COOKIE = "lamba_refresh_token"


def lamba_cookies(
    emulator: LambaEmulator, *, access_token_ttl: float | None = None
) -> dict[str, str]:
    """Sign ``EMAIL`` in directly at the emulator; return the two cookies a browser would send."""
    tokens = emulator.issue_session(
        EMAIL,
        workspace_id=emulator.workspace_id,
        project_id=emulator.project_id,
        access_token_ttl=access_token_ttl,
    )
    return {ACCESS_COOKIE: tokens["access_token"], REFRESH_COOKIE: tokens["refresh_token"]}


def django_session_cookies() -> dict[str, str]:
    """Create a Django user, log them in with ModelBackend; return the session cookie."""
    from django.conf import settings
    from django.contrib.auth import get_user_model, login
    from django.contrib.sessions.backends.db import SessionStore
    from django.http import HttpRequest

    user = get_user_model().objects.create_user("bench", EMAIL, PASSWORD)
    request = HttpRequest()
    request.session = SessionStore()
    login(request, user, backend="django.contrib.auth.backends.ModelBackend")
    request.session.save()
    return {settings.SESSION_COOKIE_NAME: str(request.session.session_key)}


def clear_lamba_caches() -> None:
    """Forget everything django_lamba cached, shared and per-process: the next request is cold."""
    from django.core.cache import caches

    from django_lamba._internal.jwks import clear_local_keys
    from django_lamba._internal.verified import clear_verified_cache

    caches["default"].clear()
    clear_verified_cache()
    clear_local_keys()


@dataclass
class WarmCalls:
    requests: int
    first: dict[str, int]
    rest: dict[str, int]
    bad_answers: int


def warm_calls(handler: WSGIHandler, emulator: LambaEmulator, requests: int = 1000) -> WarmCalls:
    """Count the emulator calls of ``requests`` requests of one new session, from cold caches."""
    environ = environ_for(lamba_cookies(emulator))
    clear_lamba_caches()
    emulator.reset_calls()
    bad = 0 if _ok(call(handler, environ)) else 1
    first = emulator.calls.snapshot()
    emulator.reset_calls()
    for _ in range(requests - 1):
        bad += 0 if _ok(call(handler, environ)) else 1
    return WarmCalls(requests, first, emulator.calls.snapshot(), bad)


@dataclass
class Storm:
    threads: int
    calls: dict[str, int]
    revoked: list[str]
    statuses: Counter[str]
    rotated_refresh_tokens: int
    cookies_set: int


def refresh_storm(handler: WSGIHandler, emulator: LambaEmulator, threads: int = 50) -> Storm:
    """Send ``threads`` concurrent requests carrying one expired access token and its refresh."""
    # Expired by more than the default 30 s JWT leeway.
    environ = environ_for(lamba_cookies(emulator, access_token_ttl=-120))
    environ["wsgi.multithread"] = True
    emulator.reset_calls()
    barrier = threading.Barrier(threads, timeout=10)

    def one(_: int) -> Answer:
        barrier.wait()
        return call(handler, environ)

    with ThreadPoolExecutor(max_workers=threads) as pool:
        answers = list(pool.map(one, range(threads), timeout=60))
    rotated = [_cookies(answer).get(REFRESH_COOKIE) for answer in answers]
    return Storm(
        threads=threads,
        calls=emulator.calls.snapshot(),
        revoked=emulator.revoked_sessions,
        statuses=Counter(answer.status.split(" ", 1)[0] for answer in answers),
        rotated_refresh_tokens=len({token for token in rotated if token}),
        cookies_set=sum(1 for token in rotated if token),
    )


def _ok(answer: Answer) -> bool:
    return answer.status.startswith("200") and answer.body == EMAIL.encode()


def _cookies(answer: Answer) -> dict[str, Any]:
    jar: SimpleCookie = SimpleCookie()
    for name, value in answer.headers:
        if name.lower() == "set-cookie":
            jar.load(value)
    return {name: morsel.value for name, morsel in jar.items()}
