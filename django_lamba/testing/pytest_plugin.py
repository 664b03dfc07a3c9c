"""Pytest fixtures backed by a real ``LambaEmulator`` (registered as a ``pytest11`` plugin).

``lamba_emulator`` (session) runs one emulator for the whole run; override it in your
``conftest.py`` for other options (e.g. ``token_format="opaque"``). ``lamba`` resets it for
each test and points Django's settings at it; ``lamba_user`` and ``lamba_client`` build on it.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

import pytest

from ._models import EmulatedUser
from .emulator import LambaEmulator

if TYPE_CHECKING:
    from django.test import Client

LAMBA_USER_EMAIL = "user@example.com"
LAMBA_USER_PASSWORD = "correct-horse-battery"


def _clear_django_cache() -> None:
    from django_lamba._internal import breaker
    from django_lamba._internal.jwks import clear_local_keys
    from django_lamba._internal.session import clear_verified_cache
    from django_lamba._internal.store import clear_local_contexts

    # Per-process memos sit in front of the shared cache; forget them too.
    clear_local_keys()
    clear_verified_cache()
    clear_local_contexts()
    breaker.reset()
    try:
        from django.core.cache import caches

        from django_lamba.conf import lamba_settings

        caches[lamba_settings.CACHE_ALIAS].clear()
    except Exception:
        return


@pytest.fixture(scope="session")
def lamba_emulator() -> Iterator[LambaEmulator]:
    """Run one Lamba emulator on loopback for the whole test session."""
    emulator = LambaEmulator()
    emulator.start()
    try:
        yield emulator
    finally:
        emulator.stop()


@pytest.fixture
def lamba(lamba_emulator: LambaEmulator, settings: Any) -> Iterator[LambaEmulator]:
    """Reset the emulator, point the ``LAMBA_*`` settings at it and clear the cache."""
    lamba_emulator.reset()
    settings.LAMBA_CUSTOMER_AUTH_BASE_URL = lamba_emulator.auth_url
    settings.LAMBA_CUSTOMER_API_BASE_URL = lamba_emulator.api_url
    settings.LAMBA_CUSTOMER_WORKSPACE_ID = lamba_emulator.workspace_id
    settings.LAMBA_CUSTOMER_PROJECT_ID = lamba_emulator.project_id
    settings.LAMBA_CUSTOMER_ENV = lamba_emulator.environment
    settings.LAMBA_MANAGEMENT_CLIENT_ID = lamba_emulator.management_client_id
    settings.LAMBA_MANAGEMENT_CLIENT_SECRET = lamba_emulator.management_client_secret
    _clear_django_cache()
    yield lamba_emulator
    lamba_emulator.clear_faults()
    _clear_django_cache()


@pytest.fixture
def lamba_user(lamba: LambaEmulator) -> EmulatedUser:
    """Add ``user@example.com`` (a member with ``members.read``) to the default Project."""
    return lamba.add_user(
        LAMBA_USER_EMAIL,
        LAMBA_USER_PASSWORD,
        username="user",
        display_name="Test User",
        roles=["member"],
        permissions=["members.read"],
    )


@pytest.fixture
def lamba_client(lamba: LambaEmulator, lamba_user: EmulatedUser) -> Client:
    """Return a Django test ``Client`` carrying a fresh, scoped session for ``lamba_user``."""
    from .clients import client_with_tokens

    tokens = lamba.issue_session(
        lamba_user.email,
        workspace_id=lamba.workspace_id,
        project_id=lamba.project_id,
        environment=lamba.environment,
    )
    return client_with_tokens(tokens)
