"""Django's own auth signals fire on Lamba sign-in, sign-out and failed sign-in (audit apps)."""

from __future__ import annotations

from typing import Any

from django.test import Client

from django_lamba.testing import EmulatedUser, LambaEmulator
from django_lamba.testing.pytest_plugin import LAMBA_USER_PASSWORD
from django_lamba.user import LambaUser

LOGIN = "/auth/login/"


def test_a_password_sign_in_sends_user_logged_in_with_the_customer(
    lamba: LambaEmulator, lamba_user: EmulatedUser, heard: dict[str, list[dict[str, Any]]]
) -> None:
    client = Client()
    response = client.post(LOGIN, {"login": lamba_user.email, "password": LAMBA_USER_PASSWORD})
    assert response.status_code == 302
    (event,) = heard["in"]
    assert isinstance(event["user"], LambaUser)
    assert event["user"].email == lamba_user.email
    assert event["request"] is not None
    # Django's own update_last_login receiver ran against the Lamba user without a database.
    assert event["user"].last_login is not None
    # And the next request finds the context it warmed in the cache.
    lamba.reset_calls()
    assert client.get("/whoami/").content == lamba_user.email.encode()
    assert lamba.call_count("GET", "/v1/me/context") == 0


def test_a_wrong_password_sends_user_login_failed_without_the_password(
    lamba: LambaEmulator, lamba_user: EmulatedUser, heard: dict[str, list[dict[str, Any]]]
) -> None:
    response = Client().post(LOGIN, {"login": lamba_user.email, "password": "wrong-password"})
    assert response.status_code == 401
    (event,) = heard["failed"]
    assert event["credentials"] == {"login": lamba_user.email}
    assert "wrong-password" not in repr(event)
    assert heard["in"] == []


def test_signing_out_sends_user_logged_out_with_who_it_was(
    lamba: LambaEmulator, lamba_client: Client, heard: dict[str, list[dict[str, Any]]]
) -> None:
    assert lamba_client.post("/auth/logout/").status_code == 302
    (event,) = heard["out"]
    assert isinstance(event["user"], LambaUser)
    assert event["user"].email == "user@example.com"


def test_signing_out_without_a_session_sends_user_logged_out_with_nobody(
    lamba: LambaEmulator, heard: dict[str, list[dict[str, Any]]]
) -> None:
    assert Client().post("/auth/logout/").status_code == 302
    (event,) = heard["out"]
    assert event["user"] is None
