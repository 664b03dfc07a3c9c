"""Lamba's user webhooks keep local user rows (``LAMBA_LOCAL_USERS``) in step.

A ``user.deleted`` event deactivates the customer's row (never deletes it: what points at it
keeps its owner); a ``user.updated`` event applies the changed fields through the mapper. Both
arrive over HTTP, signed by the emulator, at ``lamba:webhook`` on the live server.
"""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib.auth import get_user_model

from django_lamba.models import LambaIdentity
from django_lamba.testing import EmulatedUser, LambaEmulator, WebhookEndpoint
from tests.localapp.models import Note
from tests.test_local_users import session_client, who

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def local_users(lamba: LambaEmulator, settings: Any) -> None:
    settings.LAMBA_LOCAL_USERS = True


def test_user_deleted_webhook_deactivates_the_local_row_and_keeps_it(
    local_users: None,
    lamba: LambaEmulator,
    lamba_user: EmulatedUser,
    lamba_webhooks: WebhookEndpoint,
) -> None:
    client = session_client(lamba, lamba_user)
    assert who(client)["authenticated"]
    Note.objects.create(owner=get_user_model().objects.get(), text="kept")

    status, _ = lamba_webhooks.deliver("user.deleted", {"id": lamba_user.id})

    assert status == 204
    user = get_user_model().objects.get()
    assert not user.is_active
    assert Note.objects.get().owner == user
    assert who(client) == {"authenticated": False}


def test_user_updated_webhook_applies_the_changed_fields_to_the_local_row(
    local_users: None,
    lamba: LambaEmulator,
    lamba_user: EmulatedUser,
    lamba_webhooks: WebhookEndpoint,
) -> None:
    who(session_client(lamba, lamba_user))

    status, _ = lamba_webhooks.deliver(
        "user.updated", {"id": lamba_user.id, "displayName": "Renamed By Lamba"}
    )

    assert status == 204
    assert get_user_model().objects.get().first_name == "Renamed By Lamba"
    assert LambaIdentity.objects.get().display_name == "Renamed By Lamba"


def test_user_webhooks_create_no_row_for_a_customer_who_never_signed_in_here(
    local_users: None,
    lamba: LambaEmulator,
    lamba_user: EmulatedUser,
    lamba_webhooks: WebhookEndpoint,
) -> None:
    for event_type in ("user.updated", "user.deleted"):
        status, _ = lamba_webhooks.deliver(event_type, {"id": lamba_user.id, "email": "x@y.z"})
        assert status == 204
    assert not get_user_model().objects.exists()


def test_without_local_users_a_user_webhook_touches_no_row(
    lamba: LambaEmulator,
    lamba_user: EmulatedUser,
    lamba_webhooks: WebhookEndpoint,
) -> None:
    get_user_model().objects.create_user(lamba_user.id, "kept@example.com")
    status, _ = lamba_webhooks.deliver("user.deleted", {"id": lamba_user.id})
    assert status == 204
    assert get_user_model().objects.get().is_active
