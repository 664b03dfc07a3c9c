"""The management token: one fetch across workers, sealed in the shared cache, renewed early."""

from __future__ import annotations

import multiprocessing
import threading
from typing import Any

import pytest
from django.conf import settings as django_settings
from django.core.cache import caches

from django_lamba._internal import admin_token
from django_lamba.exceptions import LambaUnauthorized
from django_lamba.management_client import LambaManagementClient
from django_lamba.testing import LambaEmulator, frozen
from tests.broken_cache import BROKEN_CACHE
from tests.token_worker import ask_for_the_token

TOKEN_CALL = ("POST", "/connect/token")


def test_workers_asking_at_once_fetch_one_token(lamba: LambaEmulator) -> None:
    lamba.reset_calls()
    # A slow token endpoint, so every worker asks while the first fetch is still out.
    lamba.inject_fault("/connect/token", latency=0.3)
    workers = 8
    start = threading.Barrier(workers)
    tokens: list[str] = []
    errors: list[BaseException] = []

    def ask() -> None:
        start.wait()
        try:
            # A fresh client per worker: nothing is shared but Django's cache.
            tokens.append(LambaManagementClient().access_token())
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=ask) for _ in range(workers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(10)
    assert not errors
    assert len(tokens) == workers and len(set(tokens)) == 1
    assert lamba.call_count(*TOKEN_CALL) == 1


def test_processes_sharing_redis_fetch_one_token(
    lamba: LambaEmulator, redis_server: str, settings: Any
) -> None:
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": redis_server.rsplit("/", 1)[0] + "/5",
        }
    }
    caches["default"].clear()
    lamba.reset_calls()
    lamba.inject_fault("/connect/token", latency=0.3)
    # What the child must share with this process: the cache and where Lamba is.
    overrides = {
        name: getattr(django_settings, name)
        for name in dir(django_settings)
        if name == "CACHES" or name.startswith("LAMBA_")
    }
    context = multiprocessing.get_context("spawn")
    go, results = context.Event(), context.Queue()
    workers = [
        context.Process(target=ask_for_the_token, args=(go, results, overrides)) for _ in range(4)
    ]
    for worker in workers:
        worker.start()
    go.set()
    tokens = [results.get(timeout=20) for _ in workers]
    for worker in workers:
        worker.join(10)
    caches["default"].clear()
    assert len(set(tokens)) == 1 and not tokens[0].startswith("error")
    assert lamba.call_count(*TOKEN_CALL) == 1


def test_another_client_instance_reuses_the_cached_token(lamba: LambaEmulator) -> None:
    LambaManagementClient().list_members()
    lamba.reset_calls()
    LambaManagementClient().list_members()
    assert lamba.call_count(*TOKEN_CALL) == 0


def test_the_token_is_renewed_a_minute_before_it_expires(lamba: LambaEmulator) -> None:
    lamba.access_token_ttl = 300
    client = LambaManagementClient()
    with frozen() as clock:
        first = client.access_token()
        clock.advance(300 - admin_token.RENEW_BEFORE - 1)
        assert client.access_token() == first
        lamba.reset_calls()
        clock.advance(2)
        renewed = client.access_token()
    assert renewed != first
    assert lamba.call_count(*TOKEN_CALL) == 1


def test_a_short_lived_token_is_renewed_halfway(lamba: LambaEmulator) -> None:
    lamba.access_token_ttl = 40
    client = LambaManagementClient()
    with frozen() as clock:
        first = client.access_token()
        clock.advance(19)
        assert client.access_token() == first
        clock.advance(2)
        assert client.access_token() != first


def test_a_401_drops_the_cached_token_and_retries_once(lamba: LambaEmulator) -> None:
    client = LambaManagementClient()
    stale = client.access_token()
    lamba.reset_calls()
    lamba.inject_fault("/v1/admin/members", status=401, times=1)
    client.list_members()
    assert lamba.call_count(*TOKEN_CALL) == 1
    assert lamba.call_count("GET", "/v1/admin/members") == 2
    assert client.access_token() != stale  # the replacement is what is cached now
    lamba.inject_fault("/v1/admin/members", status=401, times=2)
    with pytest.raises(LambaUnauthorized):
        client.list_members()


def test_the_cache_never_holds_the_token_in_clear(lamba: LambaEmulator) -> None:
    client = LambaManagementClient()
    token = client.access_token()
    cache: Any = caches["default"]
    stored = [value for value in cache._cache.values() if isinstance(value, bytes)]
    assert stored and all(token.encode() not in value for value in stored)
    secret = lamba.management_client_secret
    assert all(secret not in key for key in cache._cache)
    assert all(token not in key for key in cache._cache)


def test_a_token_sealed_for_another_secret_is_not_read(lamba: LambaEmulator) -> None:
    credentials = LambaManagementClient().credentials()
    LambaManagementClient().access_token()
    other = admin_token.Credentials(**{**vars(credentials), "client_secret": "another"})
    assert admin_token.cached(credentials) is not None
    assert admin_token.cached(other) is None
    assert "mgmt_demo_secret" not in repr(credentials)


def test_a_cache_outage_still_answers(lamba: LambaEmulator, settings: Any) -> None:
    settings.CACHES = {**settings.CACHES, "broken": BROKEN_CACHE}
    settings.LAMBA_CACHE_ALIAS = "broken"
    client = LambaManagementClient()
    assert client.list_members().items == []
    assert client.list_members().items == []


def test_the_token_never_reaches_a_log(
    lamba: LambaEmulator, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level("DEBUG")
    client = LambaManagementClient()
    token = client.access_token()
    lamba.inject_fault("/v1/admin/members", status=401, times=1)
    client.list_members()
    assert token not in caplog.text
    assert lamba.management_client_secret not in caplog.text


def test_fetch_token_always_asks_lamba_and_shares_the_answer(lamba: LambaEmulator) -> None:
    client = LambaManagementClient()
    client.access_token()
    lamba.reset_calls()
    fresh = client.fetch_token()
    assert lamba.call_count(*TOKEN_CALL) == 1
    assert LambaManagementClient().access_token() == fresh
    assert lamba.call_count(*TOKEN_CALL) == 1


def test_a_cache_alias_naming_no_cache_still_answers(lamba: LambaEmulator, settings: Any) -> None:
    settings.LAMBA_CACHE_ALIAS = "missing"
    assert LambaManagementClient().list_roles().items
