"""Built-in webhook handlers: a revoked session, a changed membership or profile, seen at once.

Each test warms the context (and authorization) cache first, so what is proved is that the
webhook, not a cache expiry, ends or refreshes what the site serves. Deliveries go over HTTP,
signed by the emulator, to ``lamba:webhook`` on pytest-django's live server (the
``lamba_webhooks`` fixture), which shares this process's cache with the test client.
"""

from __future__ import annotations

from typing import Any

import pytest
import requests
from django.core.cache import caches
from django.core.exceptions import ImproperlyConfigured
from django.http import HttpRequest, HttpResponse
from django.test import Client
from django.urls import path

from django_lamba._internal import invalidation, store
from django_lamba.conf import lamba_settings
from django_lamba.models import LambaWebhookEvent
from django_lamba.testing import (
    EmulatedUser,
    FrozenClock,
    LambaEmulator,
    WebhookEndpoint,
    client_with_tokens,
)
from django_lamba.types import LambaContext
from tests.urls import urlpatterns as base_urlpatterns

pytestmark = pytest.mark.urls(__name__)

OTHER_EMAIL = "other@example.com"
CONTEXT_CALL = "GET /v1/me/context"


def members_read(request: HttpRequest) -> HttpResponse:
    return HttpResponse("yes" if request.user.has_perm("members.read") else "no")


def display_name(request: HttpRequest) -> HttpResponse:
    return HttpResponse(getattr(request.user, "display_name", "anonymous"))


urlpatterns = [
    *base_urlpatterns,
    path("can-read/", members_read),
    path("name/", display_name),
]


def sign_in(lamba: LambaEmulator, email: str) -> tuple[Client, str]:
    """A test client with a fresh scoped session for ``email``, and that session's id."""
    tokens = lamba.issue_session(
        email,
        workspace_id=lamba.workspace_id,
        project_id=lamba.project_id,
        environment=lamba.environment,
    )
    session_id = lamba.session_id_for(tokens["access_token"])
    assert session_id is not None
    return client_with_tokens(tokens), session_id


def whoami(client: Client) -> bytes:
    return bytes(client.get("/whoami/").content)


@pytest.fixture
def other(lamba: LambaEmulator) -> EmulatedUser:
    return lamba.add_user(
        OTHER_EMAIL, "pw-other-123", roles=["member"], permissions=["members.read"]
    )


def test_revoked_session_is_anonymous_at_once_though_its_context_was_cached(
    lamba: LambaEmulator,
    lamba_user: EmulatedUser,
    other: EmulatedUser,
    lamba_webhooks: WebhookEndpoint,
) -> None:
    alice, alice_session = sign_in(lamba, lamba_user.email)
    bob, _ = sign_in(lamba, OTHER_EMAIL)
    assert whoami(alice) == b"user@example.com"
    assert whoami(bob) == OTHER_EMAIL.encode()
    # Ended at Lamba with no webhook yet: the cached context still answers.
    lamba.configure_webhooks(None)
    lamba.revoke_session(alice_session)
    assert whoami(alice) == b"user@example.com"
    lamba.reset_calls()

    status, _ = lamba_webhooks.deliver(
        "session.revoked", {"sessionId": alice_session, "userId": lamba_user.id}
    )

    assert status == 204
    assert whoami(alice) == b"anonymous"
    assert alice.get("/protected/", headers={"Accept": "application/json"}).status_code == 401
    assert whoami(bob) == OTHER_EMAIL.encode()
    assert lamba.calls.snapshot().get(CONTEXT_CALL) is None  # bob still served from the cache
    assert LambaWebhookEvent.objects.get().outcome == "processed"


def test_emulator_revocation_sends_session_revoked_and_only_that_session_ends(
    lamba: LambaEmulator, lamba_user: EmulatedUser, lamba_webhooks: WebhookEndpoint
) -> None:
    laptop, laptop_session = sign_in(lamba, lamba_user.email)
    phone, _ = sign_in(lamba, lamba_user.email)
    assert whoami(laptop) == whoami(phone) == b"user@example.com"

    lamba.revoke_session(laptop_session)

    [delivery] = lamba_webhooks.deliveries
    assert (delivery.type, delivery.status) == ("session.revoked", 204)
    assert delivery.data["sessionId"] == laptop_session
    assert whoami(laptop) == b"anonymous"
    assert whoami(phone) == b"user@example.com"


def test_logout_at_lamba_sends_user_logout_and_ends_the_session_here(
    lamba: LambaEmulator, lamba_client: Client, lamba_webhooks: WebhookEndpoint
) -> None:
    access = lamba_client.cookies[lamba_settings.SESSION_COOKIE].value
    assert whoami(lamba_client) == b"user@example.com"

    # Another app of the same Project signs the user out of this session at Lamba.
    response = requests.post(
        f"{lamba.auth_url}/v1/auth/logout",
        headers={"Authorization": f"Bearer {access}"},
        json={},
        timeout=5,
    )
    assert response.status_code == 204

    assert [(d.type, d.status) for d in lamba_webhooks.deliveries] == [("user.logout", 204)]
    assert whoami(lamba_client) == b"anonymous"


def test_user_deleted_ends_every_session_of_that_user_only(
    lamba: LambaEmulator,
    lamba_user: EmulatedUser,
    other: EmulatedUser,
    lamba_webhooks: WebhookEndpoint,
) -> None:
    laptop, _ = sign_in(lamba, lamba_user.email)
    phone, _ = sign_in(lamba, lamba_user.email)
    bob, _ = sign_in(lamba, OTHER_EMAIL)
    for client in (laptop, phone, bob):
        assert whoami(client) != b"anonymous"

    status, _ = lamba_webhooks.deliver("user.deleted", {"id": lamba_user.id})

    assert status == 204
    assert whoami(laptop) == whoami(phone) == b"anonymous"
    assert whoami(bob) == OTHER_EMAIL.encode()


def test_membership_change_drops_the_users_cached_authorization(
    lamba: LambaEmulator,
    lamba_user: EmulatedUser,
    other: EmulatedUser,
    lamba_webhooks: WebhookEndpoint,
) -> None:
    alice, _ = sign_in(lamba, lamba_user.email)
    bob, _ = sign_in(lamba, OTHER_EMAIL)
    assert alice.get("/can-read/").content == bob.get("/can-read/").content == b"yes"
    lamba.ungrant(lamba_user.email, permissions=["members.read"])
    assert alice.get("/can-read/").content == b"yes"  # cached

    status, _ = lamba_webhooks.deliver("membership.updated", {"userId": lamba_user.id})

    assert status == 204
    assert alice.get("/can-read/").content == b"no"
    assert whoami(alice) == b"user@example.com"  # still signed in
    lamba.reset_calls()
    assert bob.get("/can-read/").content == b"yes"
    assert lamba.calls.snapshot() == {}  # bob's authorization still cached


def test_role_change_naming_no_user_expires_everyones_cached_authorization(
    lamba: LambaEmulator, lamba_user: EmulatedUser, lamba_webhooks: WebhookEndpoint
) -> None:
    alice, _ = sign_in(lamba, lamba_user.email)
    assert alice.get("/can-read/").content == b"yes"
    lamba.ungrant(lamba_user.email, permissions=["members.read"])
    assert alice.get("/can-read/").content == b"yes"  # cached

    status, _ = lamba_webhooks.deliver("role.updated", {"key": "member"})

    assert status == 204
    assert alice.get("/can-read/").content == b"no"


def test_profile_update_refreshes_the_cached_context(
    lamba: LambaEmulator,
    lamba_client: Client,
    lamba_user: EmulatedUser,
    lamba_webhooks: WebhookEndpoint,
) -> None:
    access = lamba_client.cookies[lamba_settings.SESSION_COOKIE].value
    assert lamba_client.get("/name/").content == b"Test User"
    response = requests.patch(
        f"{lamba.api_url}/v1/me/profile",
        headers={"Authorization": f"Bearer {access}"},
        json={"displayName": "Renamed Elsewhere"},
        timeout=5,
    )
    assert response.status_code == 200
    assert lamba_client.get("/name/").content == b"Test User"  # cached

    status, _ = lamba_webhooks.deliver("profile.updated", {"userId": lamba_user.id})

    assert status == 204
    assert lamba_client.get("/name/").content == b"Renamed Elsewhere"


def test_a_disabled_handler_leaves_the_event_to_the_project(
    lamba: LambaEmulator,
    lamba_client: Client,
    lamba_user: EmulatedUser,
    lamba_webhooks: WebhookEndpoint,
    settings: Any,
) -> None:
    settings.LAMBA_WEBHOOK_DISABLED_HANDLERS = ["end_sessions"]
    access = lamba_client.cookies[lamba_settings.SESSION_COOKIE].value
    assert whoami(lamba_client) == b"user@example.com"

    status, _ = lamba_webhooks.deliver(
        "session.revoked", {"sessionId": lamba.session_id_for(access)}
    )

    assert status == 204
    assert whoami(lamba_client) == b"user@example.com"


def test_an_unknown_disabled_handler_name_is_a_configuration_error(settings: Any) -> None:
    settings.LAMBA_WEBHOOK_DISABLED_HANDLERS = ["end_session"]
    with pytest.raises(ImproperlyConfigured, match="end_sessions"):
        _ = lamba_settings.WEBHOOK_DISABLED_HANDLERS


def test_another_workers_revocation_ends_the_local_window_at_the_next_check(
    lamba_client: Client, lamba_clock: FrozenClock, settings: Any
) -> None:
    settings.LAMBA_LOCAL_CONTEXT_TTL = 60
    settings.LAMBA_REVOCATION_CHECK_INTERVAL = 0.25
    access = lamba_client.cookies[lamba_settings.SESSION_COOKIE].value
    assert whoami(lamba_client) == b"user@example.com"
    shared = caches[lamba_settings.CACHE_ALIAS]
    # Another worker ended the session in the shared cache; this process's window hides it...
    shared.set(f"lamba:ctx:{store.token_hash(access)}", "ended", 60)
    lamba_clock.advance(0.3)
    assert whoami(lamba_client) == b"user@example.com"
    # ...until that worker's announcement is seen, at the next check.
    shared.add("lamba:revocation:generation", 0, None)
    shared.incr("lamba:revocation:generation")
    lamba_clock.advance(0.3)
    assert whoami(lamba_client) == b"anonymous"


def test_a_context_fetched_before_the_revocation_is_not_cached_after_it(
    lamba: LambaEmulator, lamba_user: EmulatedUser
) -> None:
    context = LambaContext.from_json(
        {"user": {"id": lamba_user.id, "email": lamba_user.email}, "session": {"id": "ses_late"}}
    )
    invalidation.end_sessions(["ses_late"])
    store.set_context("hash-of-a-late-token", context, None)
    assert store.lookup_context("hash-of-a-late-token") == (None, False)


def test_an_event_for_a_session_never_cached_here_is_acknowledged(
    lamba: LambaEmulator, lamba_webhooks: WebhookEndpoint
) -> None:
    status, _ = lamba_webhooks.deliver("session.revoked", {"sessionId": "ses_elsewhere"})
    assert status == 204
    assert LambaWebhookEvent.objects.get().outcome == "processed"
