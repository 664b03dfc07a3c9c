"""The MFA step of password sign-in: the half-done login stays server-side, sealed, short-lived."""

from __future__ import annotations

import logging
import pickle
from typing import Any

import pytest
from django.core.cache import caches
from django.test import Client

from django_lamba.testing import EmulatedUser, LambaEmulator
from tests.flows import AT, HOME, PROBLEM_JSON, RT, post_json, token_cookies, whoami

#: What ``django.test.Client`` answers (a test-only subclass of HttpResponseBase).
Response = Any
LOGIN = "/auth/login/"
LOGIN_PATH = "/v1/auth/login/password"
SWITCH_PATH = "/v1/sessions/switch-context"
EMAIL = "mfa@example.com"
PASSWORD = "a-very-distinctive-pa55word"
CODE = "246810"
WRONG = "135790"
EXPIRED = "This sign-in has expired. Please enter your password again."


@pytest.fixture(autouse=True)
def redirects(settings: Any) -> None:
    settings.LAMBA_LOGIN_REDIRECT_URL = HOME


@pytest.fixture
def mfa_user(lamba: LambaEmulator) -> EmulatedUser:
    return lamba.add_user(EMAIL, PASSWORD, mfa_code=CODE, roles=["member"])


def start(client: Client, **extra: str) -> tuple[Response, str]:
    """Send the right password and return the code page and its handle."""
    response: Response = client.post(LOGIN, {"login": EMAIL, "password": PASSWORD, **extra})
    assert response.status_code == 200
    assert "django_lamba/mfa.html" in [t.name for t in response.templates]
    form = response.context["form"]
    handle = str(form.initial.get("mfa_token") or form["mfa_token"].value() or "")
    assert handle
    return response, handle


def code_guesses(lamba: LambaEmulator) -> list[str]:
    """Return every MFA code Lamba was sent."""
    return [
        r.json["mfaCode"]
        for r in lamba.requests_log
        if r.path == LOGIN_PATH and r.json.get("mfaCode")
    ]


def hidden_inputs(html: str) -> list[str]:
    return [line for line in html.splitlines() if 'type="hidden"' in line]


def cached_bytes() -> list[bytes]:
    """Return every value in the test cache as stored (LocMemCache keeps pickles)."""
    store: dict[str, bytes] = caches["default"]._cache  # type: ignore[attr-defined]
    return [bytes(value) for value in store.values()]


# --- the password never leaves the server -------------------------------------------------------


def test_the_password_is_never_in_the_page_a_hidden_field_a_cookie_or_the_cache(
    mfa_user: EmulatedUser,
) -> None:
    client = Client()
    response, handle = start(client)
    html = response.content.decode()
    assert PASSWORD not in html
    assert 'name="password"' not in html
    hidden = hidden_inputs(html)
    assert {line.split('name="')[1].split('"')[0] for line in hidden} <= {
        "mfa_token",
        "next",
        "csrfmiddlewaretoken",
    }
    assert PASSWORD not in handle
    for header, value in response.items():
        assert PASSWORD not in value, header
    for morsel in client.cookies.values():
        assert PASSWORD not in morsel.value
    assert token_cookies(response) == {}
    # Kept server-side, but sealed: neither the password nor the login is readable in the cache.
    values = cached_bytes()
    assert values
    for value in values:
        assert PASSWORD.encode() not in value
        assert EMAIL.encode() not in value
        assert PASSWORD.encode() not in pickle.dumps(value)

    wrong = client.post(LOGIN, {"mfa_token": handle, "mfa_code": WRONG})
    assert PASSWORD not in wrong.content.decode()
    assert 'name="password"' not in wrong.content.decode()


def test_the_password_and_code_never_reach_the_logs(
    mfa_user: EmulatedUser, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    client = Client()
    _, handle = start(client)
    client.post(LOGIN, {"mfa_token": handle, "mfa_code": WRONG})
    client.post(LOGIN, {"mfa_token": handle, "mfa_code": CODE})
    assert caplog.records
    for secret in (PASSWORD, CODE, WRONG, handle):
        assert secret not in caplog.text


def test_json_mfa_required_carries_a_handle_not_the_password(mfa_user: EmulatedUser) -> None:
    response = post_json(Client(), LOGIN, {"login": EMAIL, "password": PASSWORD})
    assert response.status_code == 401
    assert response["Content-Type"] == PROBLEM_JSON
    body = response.json()
    assert body["errorCode"] == "mfa_required"
    assert PASSWORD not in response.content.decode()
    assert PASSWORD not in body["mfaToken"]
    assert token_cookies(response) == {}


# --- the code --------------------------------------------------------------------------------


def test_invalid_mfa_code_is_shown_on_the_form(
    mfa_user: EmulatedUser, lamba: LambaEmulator
) -> None:
    client = Client()
    _, handle = start(client, next="/protected/")
    wrong = client.post(LOGIN, {"mfa_token": handle, "mfa_code": WRONG, "next": "/protected/"})
    assert wrong.status_code == 401
    assert "django_lamba/mfa.html" in [t.name for t in wrong.templates]
    html = wrong.content.decode()
    assert "That verification code is not right." in html
    assert f'value="{handle}"' in html  # the same attempt goes on
    assert '<input type="hidden" name="next" value="/protected/">' in html
    assert token_cookies(wrong) == {}
    assert whoami(client) == "anonymous"

    right = client.post(LOGIN, {"mfa_token": handle, "mfa_code": CODE, "next": "/protected/"})
    assert right.status_code == 302
    assert right["Location"] == "/protected/"
    assert set(token_cookies(right)) == {AT, RT}
    assert whoami(client) == EMAIL
    # The code is sent with the login it belongs to, once per attempt, never retried.
    bodies = [r.json for r in lamba.requests_log if r.path == LOGIN_PATH]
    assert [b.get("mfaCode") for b in bodies] == [None, WRONG, CODE]
    assert all(b["login"] == EMAIL for b in bodies)


def test_json_invalid_mfa_code(mfa_user: EmulatedUser) -> None:
    client = Client()
    handle = post_json(client, LOGIN, {"login": EMAIL, "password": PASSWORD}).json()["mfaToken"]
    wrong = post_json(client, LOGIN, {"mfaToken": handle, "mfaCode": WRONG})
    assert wrong.status_code == 401
    assert wrong["Content-Type"] == PROBLEM_JSON
    assert wrong.json()["errorCode"] == "invalid_mfa_code"
    assert wrong.json()["detail"] == "That verification code is not right."
    assert token_cookies(wrong) == {}


# --- expired, used, forged and worn-out handles ------------------------------------------------


def test_an_expired_handle_asks_for_the_password_again(
    mfa_user: EmulatedUser, lamba: LambaEmulator
) -> None:
    client = Client()
    _, handle = start(client)
    caches["default"].clear()  # what the cache does when the few minutes are up
    response = client.post(LOGIN, {"mfa_token": handle, "mfa_code": CODE})
    assert response.status_code == 401
    assert "django_lamba/login.html" in [t.name for t in response.templates]
    assert EXPIRED in response.content.decode()
    assert token_cookies(response) == {}
    assert lamba.call_count("POST", LOGIN_PATH) == 1

    as_json = post_json(client, LOGIN, {"mfaToken": handle, "mfaCode": CODE})
    assert as_json.status_code == 401
    assert as_json.json()["errorCode"] == "mfa_expired"


def test_a_used_handle_cannot_sign_in_again(mfa_user: EmulatedUser, lamba: LambaEmulator) -> None:
    first = Client()
    _, handle = start(first)
    assert first.post(LOGIN, {"mfa_token": handle, "mfa_code": CODE}).status_code == 302

    replay = Client()
    response = replay.post(LOGIN, {"mfa_token": handle, "mfa_code": CODE})
    assert response.status_code == 401
    assert EXPIRED in response.content.decode()
    assert token_cookies(response) == {}
    assert whoami(replay) == "anonymous"
    assert lamba.call_count("POST", LOGIN_PATH) == 2


def test_a_tampered_handle_is_an_expired_one(mfa_user: EmulatedUser, lamba: LambaEmulator) -> None:
    client = Client()
    _, handle = start(client)
    forged = handle[:-1] + ("A" if handle[-1] != "A" else "B")
    response = client.post(LOGIN, {"mfa_token": forged, "mfa_code": CODE})
    assert response.status_code == 401
    assert EXPIRED in response.content.decode()
    assert lamba.call_count("POST", LOGIN_PATH) == 1
    # The genuine one still works.
    assert client.post(LOGIN, {"mfa_token": handle, "mfa_code": CODE}).status_code == 302


def test_a_handle_allows_a_few_attempts_only(mfa_user: EmulatedUser, lamba: LambaEmulator) -> None:
    client = Client()
    _, handle = start(client)
    statuses = [
        client.post(LOGIN, {"mfa_token": handle, "mfa_code": WRONG}).status_code for _ in range(5)
    ]
    assert statuses == [401] * 5
    last = client.post(LOGIN, {"mfa_token": handle, "mfa_code": CODE})
    assert last.status_code == 401
    assert EXPIRED in last.content.decode()
    assert token_cookies(last) == {}
    assert lamba.call_count("POST", LOGIN_PATH) == 6


# --- CSRF, limits and failures ---------------------------------------------------------------


def test_the_code_step_needs_a_csrf_token(mfa_user: EmulatedUser, lamba: LambaEmulator) -> None:
    client = Client(enforce_csrf_checks=True)
    client.get(LOGIN)
    csrf = client.cookies["csrftoken"].value
    _, handle = start(client, csrfmiddlewaretoken=csrf)
    refused = client.post(LOGIN, {"mfa_token": handle, "mfa_code": CODE})
    assert refused.status_code == 403
    assert lamba.call_count("POST", LOGIN_PATH) == 1
    csrf = client.cookies["csrftoken"].value
    ok = client.post(LOGIN, {"mfa_token": handle, "mfa_code": CODE, "csrfmiddlewaretoken": csrf})
    assert ok.status_code == 302


def test_rate_limited_code_step_shows_the_wait_and_keeps_the_attempt(
    mfa_user: EmulatedUser, lamba: LambaEmulator
) -> None:
    client = Client()
    _, handle = start(client)
    lamba.inject_fault(LOGIN_PATH, status=429, retry_after=6)
    limited = client.post(LOGIN, {"mfa_token": handle, "mfa_code": CODE})
    assert limited.status_code == 429
    assert limited["Retry-After"] == "6"
    assert "Try again in 6 seconds." in limited.content.decode()
    assert "django_lamba/mfa.html" in [t.name for t in limited.templates]
    assert lamba.call_count("POST", LOGIN_PATH) == 2  # not retried
    assert client.post(LOGIN, {"mfa_token": handle, "mfa_code": CODE}).status_code == 302


def test_plan_limit_on_the_code_step(mfa_user: EmulatedUser, lamba: LambaEmulator) -> None:
    client = Client()
    _, handle = start(client)
    lamba.inject_fault(LOGIN_PATH, status=402)
    response = client.post(LOGIN, {"mfa_token": handle, "mfa_code": CODE})
    assert response.status_code == 402
    assert "plan limit" in response.content.decode()
    assert token_cookies(response) == {}


def test_a_failed_context_switch_after_the_code_leaves_nothing_signed_in(
    mfa_user: EmulatedUser, lamba: LambaEmulator
) -> None:
    client = Client()
    _, handle = start(client)
    lamba.inject_fault(SWITCH_PATH, status=503)
    response = client.post(LOGIN, {"mfa_token": handle, "mfa_code": CODE})
    assert response.status_code == 503
    assert token_cookies(response) == {}
    assert whoami(client) == "anonymous"


def test_the_code_page_refuses_framing_and_caching(mfa_user: EmulatedUser) -> None:
    response, _ = start(Client())
    assert response["X-Frame-Options"] == "DENY"
    assert "frame-ancestors 'none'" in response["Content-Security-Policy"]
    assert "no-store" in response["Cache-Control"]


# --- one call: login, password and mfaCode together ---------------------------------------------


def test_json_login_password_and_mfa_code_sign_in_in_one_call(
    mfa_user: EmulatedUser, lamba: LambaEmulator
) -> None:
    client = Client()
    body = {"login": EMAIL, "password": PASSWORD, "mfaCode": CODE, "next": "/whoami/"}
    response = post_json(client, LOGIN, body)
    assert response.status_code == 200, response.content
    assert response.json() == {"ok": True, "next": "/whoami/"}
    assert set(token_cookies(response)) == {AT, RT}
    assert whoami(client) == EMAIL
    sent = [r.json for r in lamba.requests_log if r.path == LOGIN_PATH]
    assert sent == [{"login": EMAIL, "password": PASSWORD, "mfaCode": CODE}]


def test_json_one_call_with_a_wrong_code_is_invalid_mfa_code(
    mfa_user: EmulatedUser, lamba: LambaEmulator
) -> None:
    response = post_json(Client(), LOGIN, {"login": EMAIL, "password": PASSWORD, "mfaCode": WRONG})
    assert response.status_code == 401
    assert response["Content-Type"] == PROBLEM_JSON
    assert response.json()["errorCode"] == "invalid_mfa_code"
    assert response.json()["detail"] == "That verification code is not right."
    assert token_cookies(response) == {}
    assert lamba.call_count("POST", LOGIN_PATH) == 1


@pytest.mark.parametrize(
    "code", ["12", "1234567890123", "12<script>", "\uff11\uff12\uff13\uff14\uff15\uff16"]
)
def test_json_one_call_with_a_malformed_code_is_a_field_error(
    mfa_user: EmulatedUser, lamba: LambaEmulator, code: str
) -> None:
    response = post_json(Client(), LOGIN, {"login": EMAIL, "password": PASSWORD, "mfaCode": code})
    assert response.status_code == 400
    assert response["Content-Type"] == PROBLEM_JSON
    body = response.json()
    assert body["errorCode"] == "validation_failed"
    assert "4 to 12 letters or digits" in body["errors"]["mfaCode"][0]
    assert PASSWORD not in response.content.decode()
    assert lamba.call_count("POST", LOGIN_PATH) == 0


def test_a_spaced_code_is_sent_without_its_spaces(
    mfa_user: EmulatedUser, lamba: LambaEmulator
) -> None:
    body = {"login": EMAIL, "password": PASSWORD, "mfaCode": " 246 810 "}
    assert post_json(Client(), LOGIN, body).status_code == 200
    assert [r.json.get("mfaCode") for r in lamba.requests_log if r.path == LOGIN_PATH] == [CODE]


def test_a_form_may_send_the_code_with_the_password_too(mfa_user: EmulatedUser) -> None:
    client = Client()
    data = {"login": EMAIL, "password": PASSWORD, "mfa_code": CODE, "next": "/protected/"}
    response = client.post(LOGIN, data)
    assert response.status_code == 302
    assert response["Location"] == "/protected/"
    assert whoami(client) == EMAIL


def test_the_handle_wins_when_both_are_sent(mfa_user: EmulatedUser, lamba: LambaEmulator) -> None:
    client = Client()
    handle = post_json(client, LOGIN, {"login": EMAIL, "password": PASSWORD}).json()["mfaToken"]
    body = {"mfaToken": handle, "mfaCode": CODE, "login": "someone@else.example", "password": "x"}
    assert post_json(client, LOGIN, body).status_code == 200
    assert all(r.json["login"] == EMAIL for r in lamba.requests_log if r.path == LOGIN_PATH)


# --- SECURITY 35: MFA codes are limited per IP and per login, across handles -------------------


def test_sec35_mfa_codes_are_limited_per_ip_across_fresh_handles(
    mfa_user: EmulatedUser, lamba: LambaEmulator, settings: Any
) -> None:
    settings.LAMBA_IP_RATE_LIMIT = 3
    client = Client(REMOTE_ADDR="203.0.113.7")
    statuses = []
    for _ in range(10):
        _, handle = start(client)  # every password POST mints a fresh handle
        statuses.append(client.post(LOGIN, {"mfa_token": handle, "mfa_code": WRONG}).status_code)
    assert statuses == [401, 401, 401] + [429] * 7
    assert len(code_guesses(lamba)) == 3

    # The refusal is on the code page, with the wait, and the handle still there.
    _, handle = start(client)
    limited = client.post(LOGIN, {"mfa_token": handle, "mfa_code": CODE})
    assert limited.status_code == 429
    assert "django_lamba/mfa.html" in [t.name for t in limited.templates]
    assert "Try again in" in limited.content.decode()
    assert int(limited["Retry-After"]) >= 1
    assert token_cookies(limited) == {}

    # The one-call JSON path draws on the same budget.
    body = {"login": EMAIL, "password": PASSWORD, "mfaCode": CODE}
    as_json = post_json(client, LOGIN, body)
    assert as_json.status_code == 429
    assert as_json["Content-Type"] == PROBLEM_JSON
    assert int(as_json["Retry-After"]) >= 1
    assert len(code_guesses(lamba)) == 3

    # Another address is not affected (for another login: this one has used up its own limit).
    lamba.add_user("other@example.com", PASSWORD, mfa_code=CODE)
    other = {"login": "other@example.com", "password": PASSWORD, "mfaCode": CODE}
    assert post_json(Client(REMOTE_ADDR="203.0.113.8"), LOGIN, other).status_code == 200


def test_sec35_mfa_codes_are_limited_per_login_across_ips_and_paths(
    mfa_user: EmulatedUser, lamba: LambaEmulator, settings: Any
) -> None:
    settings.LAMBA_IP_RATE_LIMIT = 3
    addresses = iter(f"198.51.100.{n}" for n in range(1, 50))
    # A handle from one address, a one-call guess from another, a differently written login.
    _, handle = start(Client(REMOTE_ADDR=next(addresses)))
    first = Client(REMOTE_ADDR=next(addresses)).post(
        LOGIN, {"mfa_token": handle, "mfa_code": WRONG}
    )
    assert first.status_code == 401
    second = post_json(
        Client(REMOTE_ADDR=next(addresses)),
        LOGIN,
        {"login": EMAIL, "password": PASSWORD, "mfaCode": WRONG},
    )
    assert second.status_code == 401
    third = post_json(
        Client(REMOTE_ADDR=next(addresses)),
        LOGIN,
        {"login": "  MFA@Example.COM ", "password": PASSWORD, "mfaCode": WRONG},
    )
    assert third.json()["errorCode"] == "invalid_mfa_code"
    calls = lamba.call_count("POST", LOGIN_PATH)

    for path in ("handle", "json"):
        client = Client(REMOTE_ADDR=next(addresses))
        if path == "handle":
            _, handle = start(client)
            calls += 1
            refused = client.post(LOGIN, {"mfa_token": handle, "mfa_code": CODE})
            assert "Try again in" in refused.content.decode()
        else:
            body = {"login": EMAIL.upper(), "password": PASSWORD, "mfaCode": CODE}
            refused = post_json(client, LOGIN, body)
            assert refused["Content-Type"] == PROBLEM_JSON
        assert refused.status_code == 429
        assert int(refused["Retry-After"]) >= 1
        assert token_cookies(refused) == {}
    assert lamba.call_count("POST", LOGIN_PATH) == calls  # Lamba was not asked


def test_sec35_wrong_passwords_and_right_codes_do_not_use_up_the_login_limit(
    mfa_user: EmulatedUser, lamba: LambaEmulator, settings: Any
) -> None:
    settings.LAMBA_IP_RATE_LIMIT = 2
    # Someone without the password cannot lock the account's MFA step for everyone else.
    for n in range(5):
        body = {"login": EMAIL, "password": "not-the-password", "mfaCode": WRONG}
        wrong = post_json(Client(REMOTE_ADDR=f"192.0.2.{n}"), LOGIN, body)
        assert wrong.json()["errorCode"] == "invalid_credentials"
    # Nor do successful sign-ins count against the person.
    for n in range(5):
        body = {"login": EMAIL, "password": PASSWORD, "mfaCode": CODE}
        assert post_json(Client(REMOTE_ADDR=f"192.0.2.{50 + n}"), LOGIN, body).status_code == 200


def test_sec35_the_login_is_never_in_a_cache_key_or_the_log(
    mfa_user: EmulatedUser, settings: Any, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    settings.LAMBA_IP_RATE_LIMIT = 1
    body = {"login": EMAIL, "password": PASSWORD, "mfaCode": WRONG}
    post_json(Client(REMOTE_ADDR="192.0.2.100"), LOGIN, body)
    limited = post_json(Client(REMOTE_ADDR="192.0.2.101"), LOGIN, body)
    assert limited.status_code == 429
    keys: list[str] = list(caches["default"]._cache)  # type: ignore[attr-defined]
    assert any("ratelimit" in key for key in keys)
    for key in keys:
        assert EMAIL not in key.casefold()
        assert "mfa@" not in key.casefold()
    assert EMAIL not in caplog.text
