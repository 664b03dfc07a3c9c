"""``LAMBA_LOCAL_USERS``: a signed-in customer is an ``AUTH_USER_MODEL`` row, and still Lamba's."""

from __future__ import annotations

import asyncio
import json
import threading
import urllib.request
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.db import connection
from django.test import AsyncClient, Client
from django.test.utils import CaptureQueriesContext

from django_lamba._internal.session import resolve_access_token
from django_lamba.conf import lamba_settings
from django_lamba.localusers import deactivate_local_user, get_local_user, sync_local_user
from django_lamba.models import LambaIdentity
from django_lamba.testing import EmulatedUser, LambaEmulator, client_with_tokens
from django_lamba.testing.clock import FrozenClock
from tests.localapp.models import Note

pytestmark = pytest.mark.django_db

WHO = "/local/who/"


@pytest.fixture
def local_users(lamba: LambaEmulator, settings: Any) -> None:
    settings.LAMBA_LOCAL_USERS = True


def session_client(lamba: LambaEmulator, user: EmulatedUser) -> Client:
    """A browser holding a new, scoped session of ``user``."""
    tokens = lamba.issue_session(
        user.email,
        workspace_id=lamba.workspace_id,
        project_id=lamba.project_id,
        environment=lamba.environment,
    )
    return client_with_tokens(tokens)


def who(client: Client) -> dict[str, Any]:
    response = client.get(WHO)
    assert response.status_code == 200
    found: dict[str, Any] = response.json()
    return found


def writes(queries: CaptureQueriesContext) -> list[str]:
    return [q["sql"] for q in queries.captured_queries if not q["sql"].startswith("SELECT")]


def test_first_request_creates_the_user_row_and_its_lamba_identity(
    local_users: None, lamba: LambaEmulator, lamba_user: EmulatedUser
) -> None:
    found = who(session_client(lamba, lamba_user))
    user = get_user_model().objects.get()
    assert found["pk"] == user.pk
    assert found["is_row"] and found["is_lamba_user"]
    assert found["lamba_id"] == lamba_user.id
    assert found["identity"] == lamba_user.id
    # The default mapping: the stable Lamba id as username, the email, the display name.
    assert (user.username, user.email, user.first_name) == (
        lamba_user.id,
        lamba_user.email,
        "Test User",
    )
    assert not user.has_usable_password()
    identity = LambaIdentity.objects.get()
    assert identity.user_id == user.pk
    assert (identity.email, identity.display_name) == (lamba_user.email, "Test User")
    assert (identity.workspace_id, identity.project_id) == (lamba.workspace_id, lamba.project_id)
    assert identity.environment == lamba.environment
    assert identity.role_keys == ["member"]


def test_the_row_still_answers_lamba_permissions_decorators_and_filters(
    local_users: None, lamba: LambaEmulator, lamba_user: EmulatedUser
) -> None:
    client = session_client(lamba, lamba_user)
    found = who(client)
    assert found["has_perm"] is True  # members.read, granted by Lamba through LambaBackend
    assert found["has_other_perm"] is False
    assert found["filter"] is True
    assert found["context_email"] == lamba_user.email
    assert client.get("/protected/").content == lamba_user.email.encode()
    assert client.get("/django-protected/").content == lamba_user.email.encode()


def test_a_view_saves_a_model_with_a_foreign_key_to_the_signed_in_customer(
    local_users: None, lamba: LambaEmulator, lamba_user: EmulatedUser, admin: EmulatedUser
) -> None:
    mine, theirs = session_client(lamba, lamba_user), session_client(lamba, admin)
    assert mine.post("/local/notes/add/", {"text": "buy milk"}).status_code == 200
    assert theirs.post("/local/notes/add/", {"text": "call mum"}).status_code == 200
    note = Note.objects.get(text="buy milk")
    assert note.owner == get_local_user(lamba_user.id)
    assert mine.get("/local/notes/").content == b"buy milk"
    assert theirs.get("/local/notes/").content == b"call mum"


def test_a_second_session_of_the_same_customer_finds_the_same_row(
    local_users: None, lamba: LambaEmulator, lamba_user: EmulatedUser
) -> None:
    first = who(session_client(lamba, lamba_user))["pk"]
    assert who(session_client(lamba, lamba_user))["pk"] == first
    assert get_user_model().objects.count() == 1
    assert LambaIdentity.objects.count() == 1


def test_a_warm_request_neither_reads_nor_writes_the_database(
    local_users: None, lamba: LambaEmulator, lamba_user: EmulatedUser
) -> None:
    client = session_client(lamba, lamba_user)
    who(client)
    with CaptureQueriesContext(connection) as queries:
        assert client.get("/protected/").status_code == 200
    assert queries.captured_queries == []


def test_without_the_worker_cache_a_request_makes_one_read_and_no_write(
    local_users: None, lamba: LambaEmulator, lamba_user: EmulatedUser, settings: Any
) -> None:
    settings.LAMBA_LOCAL_USER_CACHE_TTL = 0
    client = session_client(lamba, lamba_user)
    who(client)
    with CaptureQueriesContext(connection) as queries:
        assert client.get("/protected/").status_code == 200
    assert len(queries.captured_queries) == 1
    assert "lamba_user_id" in queries.captured_queries[0]["sql"]


def test_the_worker_reads_the_row_again_once_its_cache_expires(
    local_users: None, lamba: LambaEmulator, lamba_user: EmulatedUser, lamba_clock: FrozenClock
) -> None:
    client = session_client(lamba, lamba_user)
    assert client.get("/protected/").status_code == 200
    lamba_clock.advance(30)
    with CaptureQueriesContext(connection) as queries:
        assert client.get("/protected/").status_code == 200
    assert queries.captured_queries == []
    lamba_clock.advance(31)
    with CaptureQueriesContext(connection) as queries:
        assert client.get("/protected/").status_code == 200
    assert len(queries.captured_queries) == 1
    assert writes(queries) == []


def test_a_changed_context_updates_only_the_mapped_fields_that_changed(
    local_users: None, lamba: LambaEmulator, lamba_user: EmulatedUser
) -> None:
    who(session_client(lamba, lamba_user))
    tokens = lamba.issue_session(
        lamba_user.email,
        workspace_id=lamba.workspace_id,
        project_id=lamba.project_id,
        environment=lamba.environment,
    )
    patch = urllib.request.Request(  # noqa: S310 (the emulator, on loopback)
        lamba.api_url + "/v1/me/profile",
        data=json.dumps({"displayName": "Renamed User"}).encode(),
        headers={
            "Authorization": f"Bearer {tokens['access_token']}",
            "Content-Type": "application/json",
        },
        method="PATCH",
    )
    with urllib.request.urlopen(patch) as answer:  # noqa: S310
        assert answer.status == 200
    lamba.grant(lamba_user.email, roles=["editor"])
    with CaptureQueriesContext(connection) as queries:
        who(session_client(lamba, lamba_user))
    user = get_user_model().objects.get()
    assert user.first_name == "Renamed User"
    identity = LambaIdentity.objects.get()
    assert identity.display_name == "Renamed User"
    assert sorted(identity.role_keys) == ["editor", "member"]
    (user_update,) = [sql for sql in writes(queries) if "auth_user" in sql]
    assert "first_name" in user_update and "email" not in user_update


def test_a_sign_in_whose_context_did_not_change_writes_nothing(
    local_users: None, lamba: LambaEmulator, lamba_user: EmulatedUser, settings: Any
) -> None:
    who(session_client(lamba, lamba_user))
    settings.LAMBA_LOCAL_USER_CACHE_TTL = 0
    with CaptureQueriesContext(connection) as queries:
        who(session_client(lamba, lamba_user))
    assert writes(queries) == []


def test_a_backend_map_user_sets_staff_and_names_from_lamba(
    local_users: None, lamba: LambaEmulator, admin: EmulatedUser, settings: Any
) -> None:
    settings.AUTHENTICATION_BACKENDS = [
        "tests.localapp.mapping.StaffFromRoleBackend",
        "django.contrib.auth.backends.ModelBackend",
    ]
    found = who(session_client(lamba, admin))
    assert found["is_staff"] is True
    user = get_user_model().objects.get()
    assert user.is_staff


def test_the_user_mapper_setting_replaces_the_default_mapping(
    local_users: None, lamba: LambaEmulator, lamba_user: EmulatedUser, settings: Any
) -> None:
    settings.LAMBA_USER_MAPPER = "tests.localapp.mapping.username_from_email"
    assert who(session_client(lamba, lamba_user))["username"] == "lamba-user"


def test_deactivating_a_local_user_signs_them_out_and_keeps_the_row(
    local_users: None, lamba: LambaEmulator, lamba_user: EmulatedUser
) -> None:
    client = session_client(lamba, lamba_user)
    assert who(client)["authenticated"]
    Note.objects.create(owner=get_local_user(lamba_user.id), text="kept")
    assert deactivate_local_user(lamba_user.id) is True
    assert who(session_client(lamba, lamba_user)) == {"authenticated": False}
    assert who(client) == {"authenticated": False}
    user = get_user_model().objects.get()
    assert not user.is_active
    assert Note.objects.get().owner == user
    assert deactivate_local_user("usr_nobody") is False


def test_sync_local_user_applies_a_webhooks_data(
    local_users: None, lamba: LambaEmulator, lamba_user: EmulatedUser
) -> None:
    who(session_client(lamba, lamba_user))
    data = {"id": lamba_user.id, "email": "new@example.com", "displayName": "New Name"}
    assert sync_local_user(lamba_user.id, data) is True
    user = get_user_model().objects.get()
    assert (user.email, user.first_name, user.username) == (
        "new@example.com",
        "New Name",
        lamba_user.id,
    )
    identity = LambaIdentity.objects.get()
    assert (identity.email, identity.display_name) == ("new@example.com", "New Name")
    assert identity.role_keys == ["member"]  # not in the data: kept
    assert sync_local_user("usr_nobody", data) is False


def test_a_staff_user_signed_in_with_model_backend_works_beside_it(
    local_users: None, lamba: LambaEmulator, lamba_user: EmulatedUser
) -> None:
    who(session_client(lamba, lamba_user))
    get_user_model().objects.create_user("staff", "staff@example.com", "pw", is_staff=True)
    staff = Client()
    assert staff.login(username="staff", password="pw")
    found = who(staff)
    assert found["username"] == "staff"
    assert found["is_lamba_user"] is False
    assert found["has_perm"] is False
    assert staff.get("/admin/").status_code == 200


def test_row_less_mode_stays_the_default_and_creates_nothing(
    lamba: LambaEmulator, lamba_user: EmulatedUser
) -> None:
    found = who(session_client(lamba, lamba_user))
    assert found["is_lamba_user"] and not found["is_row"]
    assert found["pk"] == lamba_user.id
    assert get_user_model().objects.count() == 0
    assert LambaIdentity.objects.count() == 0


@pytest.mark.urls("tests.test_drf")
def test_drf_cookie_and_bearer_authentication_give_the_local_row(
    local_users: None, lamba: LambaEmulator, lamba_user: EmulatedUser
) -> None:
    pytest.importorskip("rest_framework")
    tokens = lamba.issue_session(
        lamba_user.email,
        workspace_id=lamba.workspace_id,
        project_id=lamba.project_id,
        environment=lamba.environment,
    )
    by_cookie = client_with_tokens(tokens).get("/api/members/")
    assert by_cookie.status_code == 200
    assert by_cookie.json()["email"] == lamba_user.email
    bearer = {"Authorization": f"Bearer {tokens['access_token']}"}
    by_bearer = Client().get("/api/members/", headers=bearer)
    assert by_bearer.status_code == 200
    assert get_user_model().objects.get().email == lamba_user.email


def test_each_warm_request_gets_its_own_row_state(
    local_users: None, lamba: LambaEmulator, lamba_user: EmulatedUser
) -> None:
    client = session_client(lamba, lamba_user)
    who(client)
    access = client.cookies[lamba_settings.SESSION_COOKIE].value
    first, second = resolve_access_token(access), resolve_access_token(access)
    assert first.pk == second.pk
    assert first is not second and first._state is not second._state
    first._state.fields_cache["loaded_by_one_view"] = object()
    assert "loaded_by_one_view" not in second._state.fields_cache


def note_thread(user: Any, lamba_user: Any, *, created: bool) -> None:
    """A mapper that notes where the row was read (``LAMBA_USER_MAPPER``)."""
    user.resolved_in_thread = threading.get_ident()


# Django's thread for sync work has its own connection, outside the test's transaction: the row
# it creates is committed, so this test empties the tables after itself.
@pytest.mark.django_db(transaction=True)
def test_an_async_view_reads_the_row_in_djangos_thread_for_sync_work(
    local_users: None, lamba: LambaEmulator, lamba_user: EmulatedUser, settings: Any
) -> None:
    settings.LAMBA_USER_MAPPER = f"{__name__}.note_thread"
    tokens = lamba.issue_session(
        lamba_user.email,
        workspace_id=lamba.workspace_id,
        project_id=lamba.project_id,
        environment=lamba.environment,
    )
    client = AsyncClient()
    client.cookies[lamba_settings.SESSION_COOKIE] = tokens["access_token"]
    found = asyncio.run(client.get("/local/threads/")).json()
    # The row was created (and the mapper ran) where Django runs sync work for this request,
    # on the connection Django closes when the request ends.
    assert found["resolved_in"] == found["sync_thread"]
