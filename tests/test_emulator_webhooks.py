"""The emulator's webhook controls: Lamba's own events for ended sessions, signed and delivered."""

from __future__ import annotations

import pytest

from django_lamba.models import LambaWebhookEvent
from django_lamba.testing import EmulatedUser, LambaEmulator, WebhookEndpoint
from tests.conftest import pick_free_port


def scoped_session(lamba: LambaEmulator, email: str) -> str:
    tokens = lamba.issue_session(email, project_id=lamba.project_id)
    session_id = lamba.session_id_for(tokens["access_token"])
    assert session_id is not None
    return session_id


def test_disabling_a_user_sends_session_revoked_for_each_live_session(
    lamba: LambaEmulator, lamba_user: EmulatedUser, lamba_webhooks: WebhookEndpoint
) -> None:
    sessions = {scoped_session(lamba, lamba_user.email) for _ in range(2)}

    lamba.disable_user(lamba_user.email)

    deliveries = lamba_webhooks.deliveries
    assert {d.data["sessionId"] for d in deliveries} == sessions
    assert {(d.type, d.status, d.data["userId"]) for d in deliveries} == {
        ("session.revoked", 204, lamba_user.id)
    }
    assert {d.data["reason"] for d in deliveries} == {"user_disabled"}
    # Stored once each by the site, for its Workspace, Project and environment.
    assert LambaWebhookEvent.objects.filter(type="session.revoked").count() == 2
    assert set(LambaWebhookEvent.objects.values_list("project_id", flat=True)) == {"prj_demo"}


def test_revoke_user_sessions_ends_only_that_users_live_sessions(
    lamba: LambaEmulator, lamba_user: EmulatedUser, lamba_webhooks: WebhookEndpoint
) -> None:
    lamba.add_user("other@example.com", "pw-other-123", roles=["member"])
    mine = {scoped_session(lamba, lamba_user.email) for _ in range(2)}
    theirs = scoped_session(lamba, "other@example.com")

    assert set(lamba.revoke_user_sessions(lamba_user.email)) == mine
    assert lamba.revoke_user_sessions(lamba_user.email) == []  # nothing live is left

    assert {d.data["sessionId"] for d in lamba_webhooks.deliveries} == mine
    assert theirs not in lamba.revoked_sessions


def test_events_not_subscribed_to_are_not_sent(
    lamba: LambaEmulator, lamba_user: EmulatedUser, lamba_webhooks: WebhookEndpoint
) -> None:
    lamba.configure_webhooks(lamba_webhooks.url, lamba_webhooks.secret, events=["user.logout"])
    lamba.revoke_session(scoped_session(lamba, lamba_user.email))
    assert lamba.wait_for_webhooks() == []


def test_an_unreachable_endpoint_is_recorded_not_raised(
    lamba: LambaEmulator, lamba_user: EmulatedUser
) -> None:
    lamba.configure_webhooks(f"http://127.0.0.1:{pick_free_port()}/webhook/", "whsec_x")
    session_id = scoped_session(lamba, lamba_user.email)

    lamba.revoke_session(session_id)

    [delivery] = lamba.webhook_deliveries
    assert (delivery.type, delivery.status) == ("session.revoked", 0)
    assert session_id in lamba.revoked_sessions


def test_an_endpoint_needs_a_secret_and_reset_removes_it(
    lamba: LambaEmulator, lamba_user: EmulatedUser
) -> None:
    with pytest.raises(ValueError, match="secret"):
        lamba.configure_webhooks("http://127.0.0.1:9/webhook/")
    lamba.configure_webhooks(f"http://127.0.0.1:{pick_free_port()}/webhook/", "whsec_x")
    lamba.reset()
    lamba.add_user(lamba_user.email, "pw-again-123", roles=["member"])
    lamba.revoke_session(scoped_session(lamba, lamba_user.email))
    assert lamba.webhook_deliveries == []
