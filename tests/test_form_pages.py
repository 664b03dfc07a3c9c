"""The sign-in pages as a customer reads them: each error once, on its field, in plain words.

Against the real emulator through Django's test client; the HTML is parsed, not grepped, where
it matters which element carries what.
"""

from __future__ import annotations

import re
from html.parser import HTMLParser
from typing import Any

import pytest
from django.contrib.messages import get_messages
from django.test import Client

from django_lamba.forms import method_names
from django_lamba.testing import EmulatedUser, LambaEmulator
from django_lamba.testing._pages import sign_in_page
from tests.flows import HOME, post_json, token_cookies

LOGIN = "/auth/login/"
REGISTER = "/auth/register/"
LOGOUT = "/auth/logout/"
MAGIC_LINK = "/auth/magic-link/"
MAGIC_VERIFY = "/auth/magic-link/verify/"
PHONE = "/auth/phone/"
PHONE_VERIFY = "/auth/phone/verify/"
PASSWORD = "correct-horse-battery"
NUMBER = "+15551234567"


@pytest.fixture(autouse=True)
def redirects(settings: Any) -> None:
    settings.LAMBA_LOGIN_REDIRECT_URL = HOME
    settings.LAMBA_LOGOUT_REDIRECT_URL = LOGIN


class Elements(HTMLParser):
    """Collect each element's attributes and the text inside it, by id."""

    def __init__(self) -> None:
        super().__init__()
        self.by_id: dict[str, dict[str, str]] = {}
        self.text_by_id: dict[str, str] = {}
        self.alerts: list[dict[str, str]] = []
        self._open: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = {name: value or "" for name, value in attrs}
        attributes["tag"] = tag
        if "id" in attributes:
            self.by_id[attributes["id"]] = attributes
            self.text_by_id[attributes["id"]] = ""
            if tag not in ("input", "meta", "br"):
                self._open.append(attributes["id"])
        if attributes.get("role") == "alert":
            self.alerts.append(attributes)

    def handle_endtag(self, tag: str) -> None:
        if self._open and self.by_id[self._open[-1]]["tag"] == tag:
            self._open.pop()

    def handle_data(self, data: str) -> None:
        for element_id in self._open:
            self.text_by_id[element_id] += data


def parse(response: Any) -> tuple[str, Elements]:
    html = response.content.decode()
    elements = Elements()
    elements.feed(html)
    return html, elements


def assert_once(html: str, message: str) -> None:
    assert html.count(message) == 1, f"{message!r} appears {html.count(message)} times"


def assert_on_field(elements: Elements, field: str, message: str) -> None:
    """Check ``message`` is the field's own error, announced by the input that has it."""
    field_input = elements.by_id[f"id_{field}"]
    assert field_input["aria-invalid"] == "true"
    assert f"id_{field}_error" in field_input["aria-describedby"].split()
    assert message in elements.text_by_id[f"id_{field}_error"]


# --- each error once ---------------------------------------------------------------------------


def test_a_wrong_password_is_said_once_in_an_alert(lamba_user: EmulatedUser) -> None:
    response = Client().post(LOGIN, {"login": lamba_user.email, "password": "wrong-password"})
    assert response.status_code == 401
    html, elements = parse(response)
    assert_once(html, "That email or password is not right.")
    assert len(elements.alerts) == 1
    assert 'class="errorlist' not in html  # as_p's copy is gone


def test_a_missing_field_is_linked_from_the_summary_and_said_under_the_field(
    lamba: LambaEmulator,
) -> None:
    response = Client().post(LOGIN, {"login": "someone@example.com", "password": ""})
    assert response.status_code == 400
    html, elements = parse(response)
    assert_once(html, "This field is required.")
    assert_on_field(elements, "password", "This field is required.")
    assert len(elements.alerts) == 1
    assert '<a href="#id_password">Correct your password</a>' in html
    assert "id_login_error" not in html


def test_a_wrong_mfa_code_is_said_once(lamba: LambaEmulator) -> None:
    lamba.add_user("mfa@example.com", PASSWORD, mfa_code="246810", roles=["member"])
    client = Client()
    asked = client.post(LOGIN, {"login": "mfa@example.com", "password": PASSWORD})
    handle = asked.context["form"].initial["mfa_token"]
    wrong = client.post(LOGIN, {"mfa_token": handle, "mfa_code": "135791"})
    assert wrong.status_code == 401
    html, elements = parse(wrong)
    assert_once(html, "That verification code is not right.")
    assert len(elements.alerts) == 1


def test_a_wrong_texted_code_is_said_once(lamba: LambaEmulator) -> None:
    lamba.add_user("phone@example.com", PASSWORD, phone=NUMBER, roles=["member"])
    client = Client()
    asked = client.post(PHONE, {"phone": NUMBER})
    handle = asked.context["form"].initial["phone_token"]
    code = lamba.last_sms_code(NUMBER)
    wrong = client.post(
        PHONE_VERIFY, {"phone_token": handle, "code": "000000" if code != "000000" else "111111"}
    )
    html, elements = parse(wrong)
    assert_once(html, "That code is not right")
    assert len(elements.alerts) == 1


# --- registering -------------------------------------------------------------------------------


def test_the_password_rule_is_shown_before_submitting(lamba: LambaEmulator) -> None:
    _html, elements = parse(Client().get(REGISTER))
    password = elements.by_id["id_password"]
    assert password["minlength"] == "8"
    assert password["autocomplete"] == "new-password"
    assert "id_password_helptext" in password["aria-describedby"].split()
    assert elements.text_by_id["id_password_helptext"] == "At least 8 characters."
    assert not elements.alerts


def test_a_short_password_error_sits_on_the_password_field(lamba: LambaEmulator) -> None:
    response = Client().post(REGISTER, {"email": "new@example.com", "password": "short"})
    assert response.status_code == 400
    html, elements = parse(response)
    assert_on_field(elements, "password", "Use at least 8 characters for your password.")
    assert "aria-invalid" not in elements.by_id["id_email"]
    assert "id_email_error" not in elements.by_id
    # The message follows the password input in the page, not the email input.
    assert html.index('id="id_password"') < html.index("Use at least 8 characters")
    assert_once(html, "Use at least 8 characters for your password.")


def test_a_taken_username_is_said_on_the_username_field(lamba: LambaEmulator) -> None:
    lamba.add_user("first@example.com", PASSWORD, username="taken_name")
    data = {"email": "second@example.com", "password": PASSWORD, "username": "taken_name"}
    response = Client().post(REGISTER, data)
    assert response.status_code == 409
    html, elements = parse(response)
    assert "email already exists" not in html
    assert_on_field(elements, "username", "This username is taken.")
    assert "id_email_error" not in elements.by_id
    assert token_cookies(response) == {}


def test_a_taken_email_is_said_on_the_email_field(lamba: LambaEmulator) -> None:
    lamba.add_user("first@example.com", PASSWORD)
    response = Client().post(REGISTER, {"email": "first@example.com", "password": PASSWORD})
    assert response.status_code == 409
    html, elements = parse(response)
    assert_on_field(elements, "email", "An account with this email already exists.")
    assert_once(html, "An account with this email already exists.")


def test_json_callers_learn_which_identifier_is_taken(lamba: LambaEmulator) -> None:
    lamba.add_user("first@example.com", PASSWORD, username="taken_name")
    data = {"email": "second@example.com", "password": PASSWORD, "username": "taken_name"}
    response = post_json(Client(), REGISTER, data)
    assert response.status_code == 409
    body = response.json()
    assert body["errorCode"] == "identity_already_exists"
    assert set(body["errors"]) == {"username"}


# --- plain words -------------------------------------------------------------------------------


def test_factor_and_method_names_are_customer_words() -> None:
    assert method_names(["totp"]) == ["Authenticator app"]
    assert method_names(["pwd", "mfa", "otp"]) == ["Password", "Authenticator app"]
    assert method_names(["email"]) == ["Email link"]
    assert method_names(["sms"]) == ["Text message"]
    assert method_names(["quantum"]) == ["Another method"]


def test_sign_out_says_so_on_the_next_page(lamba_client: Client) -> None:
    response = lamba_client.post(LOGOUT)
    assert response.status_code == 302
    page = lamba_client.get(response["Location"])
    html = page.content.decode()
    assert re.search(r'role="status"[^>]*>\s*<li>You are signed out\.</li>', html)


def test_a_protected_page_asks_to_sign_in(lamba: LambaEmulator) -> None:
    client = Client()
    response = client.get("/protected/")
    assert response.status_code == 302
    page = client.get(response["Location"])
    assert "Please sign in to see that page." in page.content.decode()


def test_switching_names_the_project_entered(
    lamba: LambaEmulator, lamba_user: EmulatedUser, lamba_client: Client, settings: Any
) -> None:
    settings.LAMBA_ALLOWED_PROJECTS = [
        f"{lamba.workspace_id}/{lamba.project_id}",
        f"{lamba.workspace_id}/prj_labs",
    ]
    lamba.add_project(lamba.workspace_id, "prj_labs", "Labs Sandbox")
    lamba.grant(lamba_user.email, project_id="prj_labs", roles=["viewer"])
    data = {"workspaceId": lamba.workspace_id, "projectId": "prj_labs", "next": LOGIN}
    response = lamba_client.post("/auth/switch-context/", data)
    assert response.status_code == 302
    notes = [str(m) for m in get_messages(response.wsgi_request)]
    assert notes == ["You are now in Labs Sandbox."]


@pytest.mark.parametrize("without", ["middleware", "app"])
def test_notes_fail_silently_without_the_messages_framework(
    lamba_client: Client, settings: Any, without: str
) -> None:
    settings.MIDDLEWARE = [
        m
        for m in settings.MIDDLEWARE
        if m != "django.contrib.messages.middleware.MessageMiddleware"
    ]
    if without == "app":
        settings.INSTALLED_APPS = [
            a for a in settings.INSTALLED_APPS if a != "django.contrib.messages"
        ]
        settings.TEMPLATES = [
            {
                **settings.TEMPLATES[0],
                "OPTIONS": {
                    "context_processors": ["django.template.context_processors.request"],
                },
            }
        ]
    response = lamba_client.post(LOGOUT)
    assert response.status_code == 302
    assert lamba_client.get("/protected/").status_code == 302
    page = lamba_client.get(LOGIN)
    assert page.status_code == 200
    assert '<ul class="lamba-messages"' not in page.content.decode()


# --- the used magic link -----------------------------------------------------------------------


def test_a_used_link_offers_the_request_form_it_mentions(lamba_user: EmulatedUser) -> None:
    client = Client()
    response = client.get(MAGIC_VERIFY)  # no link in progress: spent, or never opened
    assert response.status_code == 400
    html, elements = parse(response)
    assert "Request a new one below" in html
    below = html[html.index("Request a new one below") :]
    assert f'action="{MAGIC_LINK}"' in below
    assert elements.by_id["id_email"]["type"] == "email"
    sent = client.post(MAGIC_LINK, {"email": lamba_user.email})
    assert sent.status_code == 200
    assert "Check your email" in sent.content.decode()


# --- the emulator's hosted page ----------------------------------------------------------------


def test_the_hosted_sign_in_page_wears_the_sign_in_look() -> None:
    page = sign_in_page({"client_id": "demo", "state": "s"}, error="Wrong password.")
    html = page.body.decode()
    elements = Elements()
    elements.feed(html)
    assert '<meta name="viewport"' in html
    assert "<style>" in html and "border-radius" in html
    for field in ("login", "password", "mfa_code"):
        assert f'<label for="{field}">' in html
        assert field in elements.by_id
    assert len(elements.alerts) == 1
    assert "One-time code (if enabled)" not in html
