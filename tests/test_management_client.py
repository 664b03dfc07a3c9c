"""The management client: a cached client_credentials token, paging, renewal on 401."""

from __future__ import annotations

import pytest

from django_lamba.exceptions import LambaForbidden, LambaUnauthorized
from django_lamba.management_client import LambaManagementClient
from django_lamba.testing import LambaEmulator


@pytest.fixture
def members(lamba: LambaEmulator) -> list[str]:
    emails = [f"member{i}@example.com" for i in range(7)]
    for email in emails:
        lamba.add_user(email, "password-123", roles=["member"])
    return emails


def test_iterates_every_member_across_pages(lamba: LambaEmulator, members: list[str]) -> None:
    client = LambaManagementClient()
    page = client.list_members(limit=3)
    assert len(page.items) == 3 and page.next_cursor
    seen = {member.email for member in client.iter_members(page_size=3)}
    assert set(members) <= seen


def test_token_is_fetched_once_and_reused(lamba: LambaEmulator, members: list[str]) -> None:
    client = LambaManagementClient()
    lamba.reset_calls()
    for _ in range(3):
        client.list_members(limit=2)
    assert lamba.call_count("POST", "/connect/token") == 1
    assert lamba.call_count("GET", "/v1/admin/members") == 3


def test_a_401_renews_the_token_once(lamba: LambaEmulator, members: list[str]) -> None:
    client = LambaManagementClient()
    client.list_members(limit=1)
    lamba.reset_calls()
    lamba.inject_fault("/v1/admin/members", status=401, times=1)
    assert client.list_members(limit=1).items
    assert lamba.call_count("POST", "/connect/token") == 1
    lamba.inject_fault("/v1/admin/members", status=401, times=2)
    with pytest.raises(LambaUnauthorized):
        client.list_members(limit=1)


def test_wrong_secret_is_a_clear_error(lamba: LambaEmulator) -> None:
    client = LambaManagementClient(client_secret="wrong")
    with pytest.raises(LambaUnauthorized):
        client.list_members()


def test_management_token_cannot_read_me_routes(lamba: LambaEmulator) -> None:
    client = LambaManagementClient()
    with pytest.raises(LambaForbidden):
        client.get("/v1/me/context")


def test_repr_never_shows_the_secret_or_token(lamba: LambaEmulator, members: list[str]) -> None:
    client = LambaManagementClient()
    token = client.access_token()
    assert token not in repr(client)
    assert lamba.management_client_secret not in repr(client)


def test_a_member_still_answers_item_access_with_a_deprecation_warning(
    lamba: LambaEmulator, members: list[str]
) -> None:
    client = LambaManagementClient()
    member = next(iter(client.iter_members(page_size=3)))
    with pytest.warns(DeprecationWarning, match="member.email"):
        assert member["email"] == member.email
    with pytest.warns(DeprecationWarning):
        assert member.get("missing", "fallback") == "fallback"
