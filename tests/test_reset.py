"""``django_lamba.testing.reset()``: one public call forgets every per-process memo."""

from __future__ import annotations

import inspect
from typing import Any

import pytest
from django.core.cache import caches
from django.test import Client

from django_lamba._internal import breaker
from django_lamba.conf import lamba_settings
from django_lamba.exceptions import LambaUnavailable
from django_lamba.testing import LambaEmulator, pytest_plugin, reset

HOST = "lamba.invalid"


def open_circuit() -> None:
    for _ in range(lamba_settings.CIRCUIT_FAILURES):
        breaker.failed(HOST)
    with pytest.raises(LambaUnavailable):
        breaker.before_call(HOST)


def test_reset_closes_open_circuits() -> None:
    open_circuit()
    reset()
    breaker.before_call(HOST)


def test_reset_keeps_the_shared_cache_unless_asked() -> None:
    cache = caches[lamba_settings.CACHE_ALIAS]
    cache.set("lamba:test:kept", "yes")
    reset()
    assert cache.get("lamba:test:kept") == "yes"
    reset(shared_cache=True)
    assert cache.get("lamba:test:kept") is None


@pytest.mark.parametrize(
    ("setting", "value"),
    [
        ("LAMBA_CIRCUIT_RESET", 30),
        ("CACHES", {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}),
    ],
)
def test_changing_a_lamba_setting_or_the_caches_forgets_the_memos(
    settings: Any, setting: str, value: Any
) -> None:
    open_circuit()
    setattr(settings, setting, value)
    breaker.before_call(HOST)


def test_other_settings_leave_the_memos_alone(settings: Any) -> None:
    open_circuit()
    settings.USE_I18N = not settings.USE_I18N
    with pytest.raises(LambaUnavailable):
        breaker.before_call(HOST)
    reset()


def test_a_reset_mid_test_is_another_worker_of_the_same_host(
    lamba: LambaEmulator, lamba_client: Client
) -> None:
    assert lamba_client.get("/whoami/").content == b"user@example.com"
    reset()
    # Memos gone, shared cache kept: the context is read from the cache, not asked again.
    assert lamba_client.get("/whoami/").content == b"user@example.com"
    assert lamba.call_count("GET", "/v1/me/context") == 1


def test_the_pytest_plugin_clears_only_through_the_public_reset() -> None:
    assert "_internal" not in inspect.getsource(pytest_plugin)
