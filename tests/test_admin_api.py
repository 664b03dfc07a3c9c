"""The typed admin API against the emulator: each family's calls, paging, scopes and errors."""

from __future__ import annotations

import asyncio
import json
import logging

import pytest
from django.core.exceptions import ImproperlyConfigured

from django_lamba.exceptions import (
    LambaBadRequest,
    LambaConflict,
    LambaForbidden,
    LambaNotFound,
    LambaPaymentRequired,
    LambaPlanLimitExceeded,
    LambaUnauthorized,
)
from django_lamba.management_client import LambaManagementClient, Member
from django_lamba.testing import LambaEmulator


@pytest.fixture
def admin_api(lamba: LambaEmulator) -> LambaManagementClient:
    for i in range(5):
        lamba.add_user(f"member{i}@example.com", "password-123", roles=["member"])
    return LambaManagementClient()


# --- members -----------------------------------------------------------------------------------


def test_members_come_typed_one_page_at_a_time(admin_api: LambaManagementClient) -> None:
    first = admin_api.list_members(limit=2)
    assert [m.email for m in first.items] == ["member0@example.com", "member1@example.com"]
    assert isinstance(first.items[0], Member) and first.items[0].role_keys == ("member",)
    second = admin_api.list_members(limit=2, cursor=first.next_cursor)
    assert second.items[0].email == "member2@example.com"
    everyone = [m.email for m in admin_api.iter_members(page_size=2)]
    assert everyone == [f"member{i}@example.com" for i in range(5)]


def test_updating_roles_changes_what_the_member_is_authorized_for(
    lamba: LambaEmulator, admin_api: LambaManagementClient
) -> None:
    member = admin_api.find_member("MEMBER1@example.com")
    assert member is not None
    updated = admin_api.update_member_roles(member.user_id, ["admin", "viewer"])
    assert updated.role_keys == ("admin", "viewer")
    assert admin_api.get_member(member.user_id).role_keys == ("admin", "viewer")
    tokens = lamba.issue_session("member1@example.com", project_id=lamba.project_id)
    context = admin_api.client.get_context(tokens["access_token"])
    assert context.role_keys == ("admin", "viewer")


def test_an_unknown_role_is_a_field_error(admin_api: LambaManagementClient) -> None:
    member = admin_api.list_members(limit=1).items[0]
    with pytest.raises(LambaBadRequest) as caught:
        admin_api.update_member_roles(member.user_id, ["no-such-role"])
    assert "roleKeys" in caught.value.field_errors


def test_removing_a_member_ends_their_project_session(
    lamba: LambaEmulator, admin_api: LambaManagementClient
) -> None:
    tokens = lamba.issue_session("member2@example.com", project_id=lamba.project_id)
    member = admin_api.find_member("member2@example.com")
    assert member is not None
    admin_api.remove_member(member.user_id)
    assert admin_api.find_member("member2@example.com") is None
    with pytest.raises(LambaUnauthorized):
        admin_api.client.get_context(tokens["access_token"])
    with pytest.raises(LambaNotFound):
        admin_api.remove_member(member.user_id)


def test_an_id_cannot_reach_another_path(admin_api: LambaManagementClient) -> None:
    with pytest.raises(LambaNotFound):
        admin_api.get_member("../invitations")


# --- invitations -------------------------------------------------------------------------------


def test_an_invitation_goes_from_pending_to_accepted(
    lamba: LambaEmulator, admin_api: LambaManagementClient
) -> None:
    invitation = admin_api.create_invitation("new@example.com", role_keys=["member"])
    assert invitation.is_pending and invitation.role_keys == ("member",)
    resent = admin_api.resend_invitation(invitation.id)
    assert resent.send_count == 2
    assert [i.id for i in admin_api.iter_invitations(status="pending")] == [invitation.id]
    lamba.accept_invitation("new@example.com")
    assert admin_api.list_invitations(status="pending").items == []
    assert admin_api.find_member("new@example.com") is not None
    with pytest.raises(LambaConflict) as caught:
        admin_api.revoke_invitation(invitation.id)
    assert caught.value.has_code("invitation_not_pending")


def test_a_role_less_invitation_makes_a_viewer(
    lamba: LambaEmulator, admin_api: LambaManagementClient
) -> None:
    assert admin_api.create_invitation("plain@example.com").role_keys == ()
    lamba.accept_invitation("plain@example.com")
    member = admin_api.find_member("plain@example.com")
    assert member is not None and member.role_keys == ("viewer",)


def test_inviting_a_member_or_twice_is_a_conflict(admin_api: LambaManagementClient) -> None:
    with pytest.raises(LambaConflict):
        admin_api.create_invitation("member0@example.com")
    admin_api.create_invitation("twice@example.com")
    with pytest.raises(LambaConflict):
        admin_api.create_invitation("Twice@example.com")


def test_a_revoked_invitation_cannot_be_accepted(
    lamba: LambaEmulator, admin_api: LambaManagementClient
) -> None:
    invitation = admin_api.create_invitation("gone@example.com")
    assert admin_api.revoke_invitation(invitation.id).status == "revoked"
    with pytest.raises(LookupError):
        lamba.accept_invitation("gone@example.com")


def test_a_full_plan_is_a_typed_plan_limit_with_its_facts(
    lamba: LambaEmulator, admin_api: LambaManagementClient
) -> None:
    lamba.limit_members(5, plan="starter")
    lamba.reset_calls()
    with pytest.raises(LambaPlanLimitExceeded) as caught:
        admin_api.create_invitation("one-too-many@example.com")
    error = caught.value
    assert isinstance(error, LambaPaymentRequired)
    assert (error.limit, error.allowed, error.current, error.plan) == ("members", 5, 5, "starter")
    assert lamba.call_count("POST", "/v1/admin/invitations") == 1  # never retried


# --- scopes ------------------------------------------------------------------------------------


def test_a_missing_scope_is_forbidden_and_named(lamba: LambaEmulator) -> None:
    lamba.add_management_client("mgmt_ro", "ro-secret", scopes=["customer.members.read"])
    reader = LambaManagementClient(client_id="mgmt_ro", client_secret="ro-secret")
    assert reader.list_members().items == []
    with pytest.raises(LambaForbidden) as caught:
        reader.create_invitation("x@example.com")
    assert caught.value.missing_scope == "customer.invitations.write"


def test_asking_for_fewer_scopes_narrows_the_token(admin_api: LambaManagementClient) -> None:
    narrow = LambaManagementClient(scope="customer.roles.read")
    assert narrow.get_authorization_catalog().role("viewer") is not None
    with pytest.raises(LambaForbidden) as caught:
        narrow.list_members()
    assert caught.value.missing_scope == "customer.members.read"


def test_a_customer_session_needs_the_permission(lamba: LambaEmulator) -> None:
    lamba.add_user("reader@example.com", "pw-123456", permissions=["members.read"])
    token = lamba.issue_session("reader@example.com", project_id=lamba.project_id)
    client = LambaManagementClient().client
    assert client.list_page("/v1/admin/members", token["access_token"]).items
    with pytest.raises(LambaForbidden):
        client.list_page("/v1/admin/invitations", token["access_token"])


def test_missing_credentials_name_the_settings(lamba: LambaEmulator, settings: object) -> None:
    settings.LAMBA_MANAGEMENT_CLIENT_SECRET = ""  # type: ignore[attr-defined]
    with pytest.raises(ImproperlyConfigured, match="LAMBA_MANAGEMENT_CLIENT_SECRET"):
        LambaManagementClient().list_members()


# --- roles, permissions, applications ----------------------------------------------------------


def test_the_catalog_lists_roles_and_permissions(
    lamba: LambaEmulator, admin_api: LambaManagementClient
) -> None:
    lamba.add_role("billing", permissions=["invoices.read"])
    catalog = admin_api.get_authorization_catalog()
    billing = catalog.role("billing")
    assert billing is not None and billing.permissions == ("invoices.read",)
    assert catalog.role("viewer") is not None and catalog.role("viewer").built_in  # type: ignore[union-attr]
    assert {r.key for r in admin_api.iter_roles(page_size=2)} == {r.key for r in catalog.roles}
    keys = {p.key for p in admin_api.iter_permissions()}
    assert {"invoices.read", "members.read"} <= keys


def test_a_rotated_secret_is_shown_once_and_never_logged(
    lamba: LambaEmulator, admin_api: LambaManagementClient, caplog: pytest.LogCaptureFixture
) -> None:
    lamba.add_oidc_client("web-app", ["https://example.com/cb"], client_secret="old-secret")
    apps = {a.client_id: a for a in admin_api.iter_applications()}
    assert apps["web-app"].type == "confidential" and apps["mgmt_demo"].type == "management"
    caplog.set_level(logging.DEBUG)
    rotated = admin_api.rotate_application_secret(apps["web-app"].id)
    assert rotated.client_secret and rotated.client_secret != "old-secret"
    assert rotated.client_secret not in repr(rotated) and rotated.client_secret not in str(rotated)
    assert rotated.client_secret not in caplog.text
    assert lamba.call_count("POST", f"/v1/admin/applications/{apps['web-app'].id}/rotate-secret")
    again = {a.client_id: a for a in admin_api.iter_applications()}
    assert again["web-app"].secret_rotated_at is not None


def test_a_public_client_has_no_secret_to_rotate(
    lamba: LambaEmulator, admin_api: LambaManagementClient
) -> None:
    lamba.add_oidc_client("spa", ["https://example.com/cb"])
    with pytest.raises(LambaConflict):
        admin_api.rotate_application_secret("app_spa")


# --- async twins -------------------------------------------------------------------------------


def test_async_twins_answer_like_their_sync_calls(admin_api: LambaManagementClient) -> None:
    async def run() -> tuple[list[str], list[str], str]:
        page = await admin_api.alist_members(limit=2)
        everyone = [m.email async for m in admin_api.aiter_members(page_size=2)]
        invitation = await admin_api.acreate_invitation("async@example.com")
        return [m.email for m in page.items], everyone, invitation.status

    first, everyone, status = asyncio.run(run())
    assert first == everyone[:2] and len(everyone) == 5 and status == "pending"


def test_result_types_keep_the_raw_object(admin_api: LambaManagementClient) -> None:
    member = admin_api.list_members(limit=1).items[0]
    assert json.loads(json.dumps(member.raw))["email"] == member.email
