"""Pytest fixtures backed by a real ``LambaEmulator`` (registered as a ``pytest11`` plugin).

``lamba_emulator`` (session) runs one emulator for the whole run; override it in your
``conftest.py`` for other options (e.g. ``token_format="opaque"``). ``lamba`` resets it for
each test, points Django's settings at it and forgets django_lamba's per-process memos and cache
(``django_lamba.testing.reset``); ``lamba_user`` and ``lamba_client`` build on it.
``lamba_clock`` freezes the library's clock and the emulator's together: ``advance(seconds)``
lets tokens expire without sleeping. ``lamba_webhooks`` has the emulator deliver signed webhooks
(its own, and any a test sends) to pytest-django's ``live_server``.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

import pytest

from ._models import EmulatedUser
from ._webhook_controls import WebhookEndpoint
from .clock import FrozenClock, frozen
from .emulator import LambaEmulator
from .reset import reset

if TYPE_CHECKING:
    from django.test import Client

LAMBA_USER_EMAIL = "user@example.com"
LAMBA_USER_PASSWORD = "correct-horse-battery"


def _clear_django_cache() -> None:
    # Kept for test suites that imported this private helper; use ``reset(shared_cache=True)``.
    reset(shared_cache=True)


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
    """Reset the emulator, point the ``LAMBA_*`` settings at it and ``reset()`` django_lamba."""
    lamba_emulator.reset()
    settings.LAMBA_CUSTOMER_AUTH_BASE_URL = lamba_emulator.auth_url
    settings.LAMBA_CUSTOMER_API_BASE_URL = lamba_emulator.api_url
    settings.LAMBA_CUSTOMER_WORKSPACE_ID = lamba_emulator.workspace_id
    settings.LAMBA_CUSTOMER_PROJECT_ID = lamba_emulator.project_id
    settings.LAMBA_CUSTOMER_ENV = lamba_emulator.environment
    settings.LAMBA_MANAGEMENT_CLIENT_ID = lamba_emulator.management_client_id
    settings.LAMBA_MANAGEMENT_CLIENT_SECRET = lamba_emulator.management_client_secret
    reset(shared_cache=True)
    yield lamba_emulator
    lamba_emulator.clear_faults()
    reset(shared_cache=True)


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


@pytest.fixture
def lamba_clock(lamba: LambaEmulator) -> Iterator[FrozenClock]:
    """Freeze django_lamba's clock and the emulator's together; ``advance()`` moves both."""
    real = lamba.clock
    with frozen() as clock:
        lamba.clock = clock.now
        try:
            yield clock
        finally:
            lamba.clock = real


#: The signing secret ``lamba_webhooks`` sets (``LAMBA_WEBHOOK_SECRET``) and signs with.
LAMBA_WEBHOOK_TEST_SECRET = "whsec_emulator_test_secret"


@pytest.fixture
def lamba_webhooks(
    lamba: LambaEmulator, live_server: Any, settings: Any
) -> Iterator[WebhookEndpoint]:
    """Deliver the emulator's webhooks, signed, to ``lamba:webhook`` on ``live_server``.

    Sets ``LAMBA_WEBHOOK_SECRET`` and registers the endpoint with the emulator, so sessions it
    ends (``revoke_session``, ``disable_user``, a logout) send ``session.revoked``/``user.logout``
    there as Lamba does; ``deliver(event_type, data)`` sends any other event.
    """
    from django.urls import reverse

    settings.LAMBA_WEBHOOK_SECRET = LAMBA_WEBHOOK_TEST_SECRET
    url = live_server.url + reverse("lamba:webhook")
    lamba.configure_webhooks(url, LAMBA_WEBHOOK_TEST_SECRET)
    try:
        yield WebhookEndpoint(lamba, url, LAMBA_WEBHOOK_TEST_SECRET)
    finally:
        lamba.configure_webhooks(None)
