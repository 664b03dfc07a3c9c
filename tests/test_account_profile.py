"""``lamba:profile``: only changed fields are sent, Lamba's errors land on the right fields."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from django_lamba.testing import EmulatedUser, LambaEmulator

JSON = "application/json"
PROFILE = "/v1/me/profile"


def patches(lamba: LambaEmulator) -> list[Any]:
    return [r.json for r in lamba.requests_log if r.method == "PATCH" and r.path == PROFILE]


def shown_form(client: Client) -> dict[str, str]:
    """The profile page's form as a browser would submit it untouched."""
    html = client.get(reverse("lamba:profile")).content.decode()
    initials = dict(re.findall(r'<input type="hidden" name="(initial-\w+)" value="([^"]*)"', html))
    fields = {**initials}
    for name, value in initials.items():
        fields[name.removeprefix("initial-")] = value
    if fields.pop("is_public_profile_enabled") == "True":  # a ticked checkbox sends "on"
        fields["is_public_profile_enabled"] = "on"
    return fields


def submit(client: Client, **changes: str) -> Any:
    return client.post(reverse("lamba:profile"), {**shown_form(client), **changes})


def test_the_form_shows_the_profile(lamba_client: Client) -> None:
    html = lamba_client.get(reverse("lamba:profile")).content.decode()
    assert 'value="Test User"' in html and 'value="user"' in html
    assert '<label for="id_display_name">Display name</label>' in html


def test_profile_patch_sends_only_changed_fields(
    lamba: LambaEmulator, lamba_client: Client
) -> None:
    response = submit(lamba_client, display_name="Ada Lovelace")
    assert response.status_code == 302
    assert response["Location"] == reverse("lamba:profile") + "?saved=1"
    assert patches(lamba) == [{"displayName": "Ada Lovelace"}]
    assert "Your profile was saved." in lamba_client.get(response["Location"]).content.decode()


def test_the_new_name_shows_at_once(lamba: LambaEmulator, lamba_client: Client) -> None:
    assert "Test User" in lamba_client.get(reverse("lamba:account")).content.decode()
    submit(lamba_client, display_name="Ada Lovelace")
    html = lamba_client.get(reverse("lamba:account")).content.decode()
    assert "Ada Lovelace (user@example.com)" in html


def test_links_and_the_public_switch_are_sent_as_lamba_takes_them(
    lamba: LambaEmulator, lamba_client: Client
) -> None:
    submit(
        lamba_client,
        links="https://a.example\n\nhttps://b.example/x",
        is_public_profile_enabled="on",
    )
    assert patches(lamba) == [
        {"links": ["https://a.example", "https://b.example/x"], "isPublicProfileEnabled": True}
    ]
    assert lamba.get_user("user@example.com").links == ["https://a.example", "https://b.example/x"]


def test_nothing_changed_is_a_message_and_no_call(
    lamba: LambaEmulator, lamba_client: Client
) -> None:
    response = submit(lamba_client)
    assert response.status_code == 200
    assert "Nothing changed" in response.content.decode()
    assert patches(lamba) == []


def test_a_link_that_is_not_a_web_address_is_refused_here(
    lamba: LambaEmulator, lamba_client: Client
) -> None:
    response = submit(lamba_client, links="javascript:alert(1)")
    assert response.status_code == 400
    assert 'href="#id_links"' in response.content.decode()
    assert patches(lamba) == []


def test_lambas_field_error_lands_on_the_username_field(
    lamba: LambaEmulator, lamba_client: Client
) -> None:
    response = submit(lamba_client, username="no spaces please", display_name="Ada")
    assert response.status_code == 400
    html = response.content.decode()
    assert "There is a problem" in html
    assert '<a href="#id_username">Username: Use 3 to 32 letters' in html
    assert 'id="id_username_error"' in html and 'aria-invalid="true"' in html
    assert 'name="initial-username" value="user"' in html, "what Lamba holds, not the typo"
    assert patches(lamba) == [{"username": "no spaces please", "displayName": "Ada"}]


def test_a_422_with_field_errors_is_mapped_to_the_fields(
    lamba: LambaEmulator, lamba_client: Client
) -> None:
    body = {
        "type": "about:blank",
        "title": "Unprocessable",
        "status": 422,
        "errorCode": "validation_failed",
        "errors": {"displayName": ["Too fancy."], "non_field_errors": ["Try again."]},
    }
    lamba.inject_fault(PROFILE, method="PATCH", status=422, body=body)
    response = submit(lamba_client, display_name="Ada")
    assert response.status_code == 400
    html = response.content.decode()
    assert '<a href="#id_display_name">Display name: Too fancy.</a>' in html
    assert "<li>Try again.</li>" in html


def test_a_username_someone_has_is_a_field_error(
    lamba: LambaEmulator, lamba_client: Client
) -> None:
    lamba.add_user("other@example.com", "pw-pw-pw-pw", username="taken")
    response = submit(lamba_client, username="taken")
    assert response.status_code == 409
    assert "Username: That username is taken." in response.content.decode()


def test_a_stale_edit_reloads_the_profile(
    lamba: LambaEmulator, lamba_client: Client, lamba_user: EmulatedUser
) -> None:
    form = shown_form(lamba_client)
    lamba.touch_profile(lamba_user.email, displayName="Changed Elsewhere", bio="new bio")
    response = lamba_client.post(reverse("lamba:profile"), {**form, "headline": "Hi"})
    assert response.status_code == 409
    html = response.content.decode()
    assert "changed somewhere else" in html
    assert 'value="Changed Elsewhere"' in html and "new bio" in html
    assert lamba.get_user(lamba_user.email).headline is None
    again = submit(lamba_client, headline="Hi")
    assert again.status_code == 302
    assert lamba.get_user(lamba_user.email).headline == "Hi"


@pytest.mark.parametrize(
    ("fault", "status"),
    [({"status": 429, "retry_after": 120}, 429), ({"status": 503}, 503), ({"status": 403}, 403)],
)
def test_a_refused_save_keeps_what_was_typed(
    lamba: LambaEmulator, lamba_client: Client, fault: dict[str, Any], status: int
) -> None:
    lamba.inject_fault(PROFILE, method="PATCH", **fault)
    response = submit(lamba_client, display_name="Kept Input")
    assert response.status_code == status
    assert 'value="Kept Input"' in response.content.decode()
    assert len(patches(lamba)) == 1, "a PATCH is never retried"
    if status == 429:
        assert response["Retry-After"] == "120"


def test_a_save_after_the_session_ended_goes_to_sign_in(
    lamba: LambaEmulator, lamba_client: Client
) -> None:
    lamba.inject_fault(PROFILE, method="PATCH", status=401, error_code="session_revoked")
    response = submit(lamba_client, display_name="Ada")
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("lamba:login"))


def test_saving_needs_the_csrf_token(lamba: LambaEmulator, lamba_client: Client) -> None:
    client = Client(enforce_csrf_checks=True)
    client.cookies = lamba_client.cookies
    response = client.post(reverse("lamba:profile"), {"display_name": "Ada"})
    assert response.status_code == 403
    assert patches(lamba) == []


def test_a_profile_update_drops_the_sessions_account_cache(
    lamba: LambaEmulator, lamba_client: Client
) -> None:
    lamba_client.get(reverse("lamba:security"))
    lamba_client.get(reverse("lamba:security"))
    assert lamba.call_count("GET", "/v1/me/security") == 1
    submit(lamba_client, display_name="Ada")
    lamba_client.get(reverse("lamba:security"))
    assert lamba.call_count("GET", "/v1/me/security") == 2


# --- JSON callers ----------------------------------------------------------------------------


def send(client: Client, body: Any, method: str = "patch") -> Any:
    return getattr(client, method)(
        reverse("lamba:profile"), data=json.dumps(body), content_type=JSON
    )


def test_json_get_and_patch(lamba: LambaEmulator, lamba_client: Client) -> None:
    shown = lamba_client.get(reverse("lamba:profile"), HTTP_ACCEPT=JSON).json()
    assert shown["displayName"] == "Test User"
    response = send(lamba_client, {"displayName": "Ada", "isPublicProfileEnabled": True})
    assert response.status_code == 200
    body = response.json()
    assert body["changed"] == ["displayName", "isPublicProfileEnabled"]
    assert body["profile"]["displayName"] == "Ada"
    assert patches(lamba) == [{"displayName": "Ada", "isPublicProfileEnabled": True}]
    assert send(lamba_client, {"bio": "x"}, method="post").status_code == 200


@pytest.mark.parametrize("body", [{}, {"email": "x@example.com"}, {"links": "not a list"}])
def test_json_without_a_usable_field_is_a_400_and_no_call(
    lamba: LambaEmulator, lamba_client: Client, body: dict[str, Any]
) -> None:
    response = send(lamba_client, body)
    assert response.status_code == 400
    assert response.json()["errorCode"] == "validation_failed"
    assert patches(lamba) == []


def test_json_field_errors_keep_lambas_names(lamba: LambaEmulator, lamba_client: Client) -> None:
    response = send(lamba_client, {"username": "x", "displayName": "Ada"})
    assert response.status_code == 400
    assert list(response.json()["errors"]) == ["username"]


def test_json_stale_edit_is_a_409_with_the_current_profile(
    lamba: LambaEmulator, lamba_client: Client, lamba_user: EmulatedUser
) -> None:
    lamba_client.get(reverse("lamba:profile"), HTTP_ACCEPT=JSON)
    lamba.touch_profile(lamba_user.email, displayName="Elsewhere")
    response = send(lamba_client, {"bio": "mine"})
    assert response.status_code == 409
    assert response.json()["profile"]["displayName"] == "Elsewhere"
    assert response.json()["errorCode"] == "profile_conflict"


def test_json_anonymous_patch_is_a_401(lamba: LambaEmulator) -> None:
    response = send(Client(), {"displayName": "Ada"})
    assert response.status_code == 401
    assert response.json()["errorCode"] == "authentication_required"


def test_an_htmx_form_submission_gets_json_and_sends_only_changes(
    lamba: LambaEmulator, lamba_client: Client
) -> None:
    form = shown_form(lamba_client)
    response = lamba_client.post(
        reverse("lamba:profile"), {**form, "headline": "Hi"}, HTTP_HX_REQUEST="true"
    )
    assert response.json()["changed"] == ["headline"]
    assert patches(lamba) == [{"headline": "Hi"}]
    unchanged = lamba_client.post(reverse("lamba:profile"), form, HTTP_HX_REQUEST="true")
    assert unchanged.json()["changed"] == []
    bad = lamba_client.post(
        reverse("lamba:profile"), {**form, "links": "ftp://x"}, HTTP_HX_REQUEST="true"
    )
    assert bad.status_code == 400
    assert list(bad.json()["errors"]) == ["links"]
    assert len(patches(lamba)) == 1
