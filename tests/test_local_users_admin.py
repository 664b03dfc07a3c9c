"""The admin shows Lamba identities (a user page inline, a list) and webhook events, read-only."""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib import admin
from django.contrib.auth import get_user_model
from django.test import Client

from django_lamba.admin import LambaIdentityInline
from django_lamba.models import LambaIdentity, LambaWebhookEvent
from django_lamba.testing import EmulatedUser, LambaEmulator, client_with_tokens

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff() -> Client:
    get_user_model().objects.create_superuser("boss", "boss@example.com", "pw")
    client = Client()
    assert client.login(username="boss", password="pw")
    return client


@pytest.fixture
def customer(lamba: LambaEmulator, lamba_user: EmulatedUser, settings: Any) -> Any:
    """The local row of ``lamba_user`` after one request."""
    settings.LAMBA_LOCAL_USERS = True
    tokens = lamba.issue_session(
        lamba_user.email,
        workspace_id=lamba.workspace_id,
        project_id=lamba.project_id,
        environment=lamba.environment,
    )
    assert client_with_tokens(tokens).get("/protected/").status_code == 200
    return LambaIdentity.objects.get(lamba_user_id=lamba_user.id).user


def test_the_registered_user_admin_shows_the_lamba_identity_inline(
    staff: Client, customer: Any, lamba_user: EmulatedUser
) -> None:
    assert LambaIdentityInline in admin.site._registry[get_user_model()].inlines
    page = staff.get(f"/admin/auth/user/{customer.pk}/change/")
    assert page.status_code == 200
    assert b"Lamba identity" in page.content
    assert lamba_user.id.encode() in page.content


def test_the_identity_list_searches_by_email_and_lamba_id(
    staff: Client, customer: Any, lamba_user: EmulatedUser
) -> None:
    for term in (lamba_user.email, lamba_user.id):
        page = staff.get("/admin/django_lamba/lambaidentity/", {"q": term})
        assert page.status_code == 200
        assert b"1 Lamba identity" in page.content
    page = staff.get("/admin/django_lamba/lambaidentity/", {"q": "nobody@example.com"})
    assert b"0 Lamba identities" in page.content


def test_identities_and_webhook_events_are_read_only(staff: Client, customer: Any) -> None:
    identity = LambaIdentity.objects.get()
    assert staff.get("/admin/django_lamba/lambaidentity/add/").status_code == 403
    detail = staff.get(f"/admin/django_lamba/lambaidentity/{identity.pk}/change/")
    assert detail.status_code == 200
    assert b'name="_save"' not in detail.content
    delete = staff.post(
        f"/admin/django_lamba/lambaidentity/{identity.pk}/delete/", {"post": "yes"}
    )
    assert delete.status_code == 403
    assert LambaIdentity.objects.count() == 1
    assert staff.get("/admin/django_lamba/lambawebhookevent/add/").status_code == 403


def test_the_webhook_event_list_filters_by_type_and_outcome(staff: Client) -> None:
    LambaWebhookEvent.objects.create(event_id="evt_1", type="user.created", outcome="processed")
    LambaWebhookEvent.objects.create(event_id="evt_2", type="user.deleted", outcome="received")
    page = staff.get("/admin/django_lamba/lambawebhookevent/", {"type": "user.deleted"})
    assert page.status_code == 200
    assert b"evt_2" in page.content and b"evt_1" not in page.content
    page = staff.get("/admin/django_lamba/lambawebhookevent/", {"outcome": "processed"})
    assert b"evt_1" in page.content and b"evt_2" not in page.content
