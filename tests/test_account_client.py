"""The typed self-service client methods, their result types, the emulator's controls and the
account template tags."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from datetime import datetime, timezone
from typing import Any

import pytest
import responses
from django.template import Context, Template
from django.test import RequestFactory

from django_lamba.client import LambaClient, get_client
from django_lamba.exceptions import LambaBadRequest, LambaConflict, LambaUnavailable
from django_lamba.selfservice import (
    LambaAccountProfile,
    LambaLinkedIdentities,
    LambaMembership,
    LambaSecurity,
)
from django_lamba.state import LambaRequest
from django_lamba.testing import EmulatedUser, LambaEmulator

API = "https://api.lamba.test"
ACCESS = "eyJhbGciOiJSUzI1NiJ9.c2VjcmV0LWFjY2Vzcw.sig-access-SECRET"


@pytest.fixture
def mocked() -> Iterator[responses.RequestsMock]:
    with responses.RequestsMock(assert_all_requests_are_fired=False) as rsps:
        yield rsps


@pytest.fixture
def client() -> LambaClient:
    return LambaClient(auth_base_url="https://id.lamba.test", api_base_url=API)


def test_existing_client_methods_still_live_on_lamba_client() -> None:
    for name in ("get_context", "get_authorization", "get", "send", "list_page", "refresh"):
        assert callable(getattr(LambaClient, name))
    for name in ("aget_context", "aget_authorization", "arefresh", "aget_profile"):
        assert asyncio.iscoroutinefunction(getattr(LambaClient, name))


def test_update_profile_sends_exactly_the_changes(
    client: LambaClient, mocked: responses.RequestsMock
) -> None:
    mocked.patch(
        API + "/v1/me/profile", json={"displayName": "Ada", "links": {"site": "https://a"}}
    )
    profile = client.update_profile(ACCESS, {"displayName": "Ada"})
    assert json.loads(mocked.calls[0].request.body) == {"displayName": "Ada"}
    assert mocked.calls[0].request.headers["Authorization"] == f"Bearer {ACCESS}"
    assert profile == LambaAccountProfile(display_name="Ada", links=("https://a",))


@pytest.mark.parametrize("changes", [{}, {"email": "x@example.com"}])
def test_update_profile_never_sends_an_empty_or_unknown_patch(
    client: LambaClient, mocked: responses.RequestsMock, changes: dict[str, Any]
) -> None:
    with pytest.raises(ValueError, match="update_profile takes"):
        client.update_profile(ACCESS, changes)
    assert len(mocked.calls) == 0


def test_profile_field_errors_come_back_typed(
    client: LambaClient, mocked: responses.RequestsMock
) -> None:
    problem = {"status": 400, "errorCode": "validation_failed", "errors": {"username": ["Bad."]}}
    mocked.patch(API + "/v1/me/profile", status=400, json=problem)
    with pytest.raises(LambaBadRequest) as caught:
        client.update_profile(ACCESS, {"username": "a b"})
    assert caught.value.field_errors == {"username": ["Bad."]}
    mocked.patch(API + "/v1/me/profile", status=409, json={"errorCode": "profile_conflict"})
    with pytest.raises(LambaConflict):
        client.update_profile(ACCESS, {"bio": "x"})
    assert len(mocked.calls) == 2, "a PATCH is never retried"


def test_an_html_page_is_an_outage(client: LambaClient, mocked: responses.RequestsMock) -> None:
    mocked.get(API + "/v1/me/security", status=200, body="<html>hi</html>")
    with pytest.raises(LambaUnavailable):
        client.get_security(ACCESS)


def test_security_and_linked_identities_in_words(
    client: LambaClient, mocked: responses.RequestsMock
) -> None:
    mocked.get(
        API + "/v1/me/security",
        json={
            "emailVerified": True,
            "mfaEnrolled": True,
            "availableFactors": ["totp", {"type": "webauthn"}, "sms", 7, "fancy_new_thing"],
            "lastLoginAt": "2026-12-01T10:00:00Z",
        },
    )
    security = client.get_security(ACCESS)
    assert security.factor_names == (
        "Authenticator app",
        "Security key or passkey",
        "Text message code",
        "Fancy new thing",
    )
    assert security.last_login_at == datetime(2026, 12, 1, 10, tzinfo=timezone.utc)
    assert (security.email_verified, security.phone_verified) == (True, False)
    mocked.get(
        API + "/v1/me/linked-identities",
        json={"password": True, "socialProviders": ["github", {"provider": "google"}]},
    )
    linked = client.get_linked_identities(ACCESS)
    assert linked.method_names == ("Password", "GitHub", "Google")


def test_types_tolerate_garbage() -> None:
    assert LambaSecurity.from_json("nope") == LambaSecurity()
    assert LambaLinkedIdentities.from_json({"password": "yes"}).password is False
    assert LambaAccountProfile.from_json(
        {"links": ["https://a", 3, {"url": "https://b"}]}
    ).links == (
        "https://a",
        "https://b",
    )
    flat = LambaMembership.from_json({"workspaceId": "ws", "projectId": "p", "roleKeys": ["a", 1]})
    assert (flat.workspace_id, flat.project_name, flat.role_keys) == ("ws", "p", ("a",))


def test_iter_memberships_follows_next_cursor_and_stops_on_a_loop(
    client: LambaClient, mocked: responses.RequestsMock
) -> None:
    item = {"workspace": {"id": "ws"}, "project": {"id": "p1", "name": "One"}}
    mocked.get(API + "/v1/me/memberships", json={"items": [item], "nextCursor": "c1"})
    mocked.get(API + "/v1/me/memberships", json={"items": [item], "nextCursor": "c1"})
    found = list(client.iter_memberships(ACCESS, page_size=1))
    assert [m.project_name for m in found] == ["One", "One"]
    assert "cursor=c1" in mocked.calls[1].request.url and "limit=1" in mocked.calls[1].request.url


# --- against the emulator --------------------------------------------------------------------


def test_async_twins_against_the_emulator(lamba: LambaEmulator, lamba_user: EmulatedUser) -> None:
    tokens = lamba.issue_session(lamba_user.email, project_id=lamba.project_id)
    token = tokens["access_token"]
    lamba.add_project(lamba.workspace_id, "prj_b", "B")
    lamba.grant(lamba_user.email, project_id="prj_b")

    async def run() -> tuple[Any, ...]:
        c = get_client()
        names = [m.project_id async for m in c.aiter_memberships(token, page_size=1)]
        return (
            (await c.aget_profile(token)).display_name,
            (await c.aupdate_profile(token, {"headline": "Hi"})).headline,
            (await c.aget_security(token)).email_verified,
            (await c.aget_linked_identities(token)).password,
            names,
        )

    assert asyncio.run(run()) == ("Test User", "Hi", True, True, ["prj_b", "prj_demo"])


def test_the_emulator_refuses_a_stale_edit_until_the_profile_is_read_again(
    lamba: LambaEmulator, lamba_user: EmulatedUser
) -> None:
    token = lamba.issue_session(lamba_user.email, project_id=lamba.project_id)["access_token"]
    client = get_client()
    client.update_profile(token, {"bio": "never read: not checked"})
    client.get_profile(token)
    lamba.touch_profile(lamba_user.email, headline="from my phone")
    with pytest.raises(LambaConflict) as caught:
        client.update_profile(token, {"bio": "stale"})
    assert caught.value.error_code == "profile_conflict"
    assert client.get_profile(token).headline == "from my phone"
    assert client.update_profile(token, {"bio": "fresh"}).bio == "fresh"
    with pytest.raises(ValueError, match="Not profile fields"):
        lamba.touch_profile(lamba_user.email, email="x@example.com")


def test_the_emulator_validates_every_field(
    lamba: LambaEmulator, lamba_user: EmulatedUser
) -> None:
    token = lamba.issue_session(lamba_user.email, project_id=lamba.project_id)["access_token"]
    bad = {"displayName": "x" * 101, "isPublicProfileEnabled": "yes", "links": "a", "bio": 3}
    with pytest.raises(LambaBadRequest) as caught:
        get_client().send("PATCH", "/v1/me/profile", token, bad)
    assert set(caught.value.field_errors) == {
        "displayName",
        "isPublicProfileEnabled",
        "links",
        "bio",
    }


# --- template tags ---------------------------------------------------------------------------


def render(template: str, request: Any, **context: Any) -> str:
    return Template("{% load lamba %}" + template).render(
        Context({"request": request, "user": getattr(request, "user", None), **context})
    )


def signed_in_request(lamba: LambaEmulator, email: str) -> Any:
    tokens = lamba.issue_session(email, project_id=lamba.project_id)
    request = RequestFactory().get("/")
    request.lamba = LambaRequest(request, tokens["access_token"], tokens["refresh_token"])
    request.user = request.lamba.user
    return request


def test_header_tags_for_a_signed_in_customer(
    lamba: LambaEmulator, lamba_user: EmulatedUser
) -> None:
    request = signed_in_request(lamba, lamba_user.email)
    html = render(
        "{{ user|lamba_display_name }}|{% lamba_memberships as ms %}{% for m in ms %}"
        "{{ m.membership.project_name }}:{{ m.can_switch }}:{{ m.reason }}{% endfor %}",
        request,
    )
    assert html == "Test User|Demo Project:False:You are using this Project now."


def test_header_tags_never_raise(lamba: LambaEmulator, lamba_user: EmulatedUser) -> None:
    anonymous = RequestFactory().get("/")
    assert (
        render("[{{ user|lamba_display_name }}]{% lamba_memberships as ms %}{{ ms }}", anonymous)
        == "[][]"
    )
    request = signed_in_request(lamba, lamba_user.email)
    lamba.inject_fault("/v1/me/memberships", status=503, times=None)
    assert render("{% lamba_memberships as ms %}{{ ms|length }}", request) == "0"
    assert render("{{ thing|lamba_display_name }}", request, thing=object()) == ""
