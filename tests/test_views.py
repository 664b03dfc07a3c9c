"""The sign-in views (login with MFA, register, logout) against the real emulator."""

from __future__ import annotations

from typing import Any

import pytest
from django.http import HttpRequest, HttpResponse
from django.test import Client
from django.views.debug import SafeExceptionReporterFilter

from django_lamba.client import get_client
from django_lamba.testing import EmulatedUser, LambaEmulator
from django_lamba.views import LoginView, RegisterView
from tests.flows import AT, HOME, PROBLEM_JSON, RT, post_json, token_cookies, whoami

LOGIN = "/auth/login/"
REGISTER = "/auth/register/"
LOGOUT = "/auth/logout/"
EMAIL = "user@example.com"
PASSWORD = "correct-horse-battery"
BYE = "/bye/"
LOGIN_PATH = "/v1/auth/login/password"
SWITCH_PATH = "/v1/sessions/switch-context"


@pytest.fixture(autouse=True)
def redirects(settings: Any) -> None:
    settings.LAMBA_LOGIN_REDIRECT_URL = HOME
    settings.LAMBA_LOGOUT_REDIRECT_URL = BYE


@pytest.fixture
def mfa_user(lamba: LambaEmulator) -> EmulatedUser:
    return lamba.add_user(
        "mfa@example.com", PASSWORD, mfa_code="246810", roles=["member"], permissions=[]
    )


def csrf_client() -> tuple[Client, str]:
    """Return a client that enforces CSRF, and its token (from a GET of the login page)."""
    client = Client(enforce_csrf_checks=True)
    client.get(LOGIN)
    return client, client.cookies["csrftoken"].value


def assert_signed_in(response: Any) -> dict[str, str]:
    cookies = token_cookies(response)
    assert set(cookies) == {AT, RT}
    assert cookies[AT]
    assert cookies[RT]
    for name in (AT, RT):
        assert response.cookies[name]["httponly"] is True
    return cookies


def assert_cleared(response: Any) -> None:
    for name in (AT, RT):
        assert name in response.cookies, f"{name} was not cleared"
        assert response.cookies[name].value == ""
        assert int(response.cookies[name]["max-age"]) == 0
        assert response.cookies[name]["path"] == "/"


# --- login page --------------------------------------------------------------------------------


def test_login_page_renders_the_template() -> None:
    response = Client().get(LOGIN, {"next": "/whoami/"})
    assert response.status_code == 200
    assert "django_lamba/login.html" in [t.name for t in response.templates]
    html = response.content.decode()
    assert 'name="login"' in html
    assert 'name="password"' in html
    assert 'name="csrfmiddlewaretoken"' in html
    assert '<input type="hidden" name="next" value="/whoami/">' in html


@pytest.mark.parametrize("url", [LOGIN, REGISTER])
def test_sign_in_pages_refuse_framing_and_caching(settings: Any, url: str) -> None:
    # The site-wide default is weaker: the views must still say DENY themselves.
    settings.X_FRAME_OPTIONS = "SAMEORIGIN"
    response = Client().get(url)
    assert response["X-Frame-Options"] == "DENY"
    assert "frame-ancestors 'none'" in response["Content-Security-Policy"]
    cache_control = response["Cache-Control"]
    assert "no-cache" in cache_control
    assert "no-store" in cache_control


@pytest.mark.usefixtures("lamba_user")
def test_error_pages_refuse_framing_and_caching(settings: Any) -> None:
    settings.X_FRAME_OPTIONS = "SAMEORIGIN"
    response = Client().post(LOGIN, {"login": EMAIL, "password": "wrong-password"})
    assert response.status_code == 401
    assert response["X-Frame-Options"] == "DENY"
    assert "frame-ancestors 'none'" in response["Content-Security-Policy"]
    assert "no-store" in response["Cache-Control"]


# --- password login ----------------------------------------------------------------------------


@pytest.mark.usefixtures("lamba_user")
def test_password_login_sets_both_cookies_and_redirects_to_next(lamba: LambaEmulator) -> None:
    client = Client()
    response = client.post(LOGIN, {"login": EMAIL, "password": PASSWORD, "next": "/whoami/"})
    assert response.status_code == 302
    assert response["Location"] == "/whoami/"
    assert_signed_in(response)
    assert "private" in response["Cache-Control"]
    assert lamba.call_count("POST", LOGIN_PATH) == 1
    assert whoami(client) == EMAIL


@pytest.mark.usefixtures("lamba_user")
def test_login_without_next_goes_to_the_login_redirect_url() -> None:
    response = Client().post(LOGIN, {"login": EMAIL, "password": PASSWORD})
    assert response.status_code == 302
    assert response["Location"] == HOME


@pytest.mark.usefixtures("lamba_user")
def test_login_by_username() -> None:
    response = Client().post(LOGIN, {"login": "user", "password": PASSWORD})
    assert response.status_code == 302
    assert_signed_in(response)


@pytest.mark.usefixtures("lamba_user")
def test_json_login_answers_ok() -> None:
    client = Client()
    response = post_json(client, LOGIN, {"login": EMAIL, "password": PASSWORD, "next": "/x/"})
    assert response.status_code == 200
    assert response.json() == {"ok": True, "next": "/x/"}
    assert_signed_in(response)
    assert whoami(client) == EMAIL


@pytest.mark.usefixtures("lamba_user")
def test_planted_cookies_are_overwritten_on_login() -> None:
    client = Client()
    client.cookies[AT] = "planted-access-token"
    client.cookies[RT] = "planted-refresh-token"
    response = client.post(LOGIN, {"login": EMAIL, "password": PASSWORD})
    cookies = assert_signed_in(response)
    assert cookies[AT] != "planted-access-token"
    assert cookies[RT] != "planted-refresh-token"
    assert whoami(client) == EMAIL


@pytest.mark.usefixtures("lamba_user")
def test_login_rotates_the_csrf_token() -> None:
    client, token = csrf_client()
    response = client.post(
        LOGIN, {"login": EMAIL, "password": PASSWORD, "csrfmiddlewaretoken": token}
    )
    assert response.status_code == 302
    assert client.cookies["csrftoken"].value != token


@pytest.mark.usefixtures("lamba_user")
def test_wrong_password_is_shown_on_the_form(lamba: LambaEmulator) -> None:
    response = Client().post(LOGIN, {"login": EMAIL, "password": "wrong-password"})
    assert response.status_code == 401
    html = response.content.decode()
    assert "That email or password is not right." in html
    assert "The login or password is incorrect." not in html  # never upstream's words
    assert "wrong-password" not in html
    assert f'value="{EMAIL}"' in html
    assert token_cookies(response) == {}


@pytest.mark.usefixtures("lamba_user")
def test_wrong_password_as_json_is_problem_details() -> None:
    response = post_json(Client(), LOGIN, {"login": EMAIL, "password": "wrong-password"})
    assert response.status_code == 401
    assert response["Content-Type"] == PROBLEM_JSON
    body = response.json()
    assert body["status"] == 401
    assert body["errorCode"] == "invalid_credentials"
    assert body["detail"] == "That email or password is not right."
    assert body["traceId"]
    assert "wrong-password" not in response.content.decode()
    assert token_cookies(response) == {}


def test_an_incomplete_form_never_reaches_lamba(lamba: LambaEmulator) -> None:
    response = Client().post(LOGIN, {"login": EMAIL})
    assert response.status_code == 400
    assert "This field is required." in response.content.decode()
    json_response = post_json(Client(), LOGIN, {"login": EMAIL})
    assert json_response.status_code == 400
    assert json_response.json()["errorCode"] == "validation_failed"
    assert "password" in json_response.json()["errors"]
    assert lamba.call_count("POST", LOGIN_PATH) == 0


def test_a_malformed_json_body_is_a_400(lamba: LambaEmulator) -> None:
    for body in ("{not json", "[1, 2]", '"a string"'):
        response = Client().post(LOGIN, body, content_type="application/json")
        assert response.status_code == 400
        assert response["Content-Type"] == PROBLEM_JSON
    assert lamba.call_count("POST", LOGIN_PATH) == 0


# --- MFA ---------------------------------------------------------------------------------------


def test_mfa_required_asks_for_a_code_without_keeping_the_password(
    mfa_user: EmulatedUser,
) -> None:
    client = Client()
    response = client.post(LOGIN, {"login": mfa_user.email, "password": PASSWORD})
    assert response.status_code == 200
    assert "django_lamba/mfa.html" in [t.name for t in response.templates]
    html = response.content.decode()
    assert 'name="mfa_code"' in html
    assert 'name="mfa_token"' in html
    assert "authenticator app" in html
    assert "totp" not in html
    # The password is nowhere in what the browser gets back: page, hidden fields, cookies.
    assert PASSWORD not in html
    assert 'name="password"' not in html
    assert token_cookies(response) == {}
    for morsel in client.cookies.values():
        assert PASSWORD not in morsel.value


def _mfa_token(response: Any) -> str:
    form = response.context["form"]
    token = str(form.initial.get("mfa_token") or form["mfa_token"].value())
    assert token
    return token


def test_wrong_code_then_right_code(mfa_user: EmulatedUser, lamba: LambaEmulator) -> None:
    client = Client()
    first = client.post(LOGIN, {"login": mfa_user.email, "password": PASSWORD, "next": "/w/"})
    handle = _mfa_token(first)
    assert handle not in (PASSWORD, mfa_user.email)

    wrong = client.post(LOGIN, {"mfa_token": handle, "mfa_code": "000000", "next": "/w/"})
    assert wrong.status_code == 401
    assert "That verification code is not right." in wrong.content.decode()
    assert 'name="mfa_code"' in wrong.content.decode()
    assert token_cookies(wrong) == {}

    right = client.post(LOGIN, {"mfa_token": handle, "mfa_code": "246810", "next": "/w/"})
    assert right.status_code == 302
    assert right["Location"] == "/w/"
    assert_signed_in(right)
    assert whoami(client) == mfa_user.email

    # The handle is single-use.
    again = client.post(LOGIN, {"mfa_token": handle, "mfa_code": "246810"})
    assert again.status_code == 401
    assert "expired" in again.content.decode()
    assert lamba.call_count("POST", LOGIN_PATH) == 3


def test_an_unknown_mfa_handle_asks_for_the_password_again(lamba: LambaEmulator) -> None:
    response = Client().post(LOGIN, {"mfa_token": "made-up-handle", "mfa_code": "123456"})
    assert response.status_code == 401
    assert "django_lamba/login.html" in [t.name for t in response.templates]
    assert "Please enter your password again." in response.content.decode()
    assert lamba.call_count("POST", LOGIN_PATH) == 0


def test_json_mfa_with_mfa_token(mfa_user: EmulatedUser) -> None:
    client = Client()
    first = post_json(client, LOGIN, {"login": mfa_user.email, "password": PASSWORD})
    assert first.status_code == 401
    assert first["Content-Type"] == PROBLEM_JSON
    body = first.json()
    assert body["errorCode"] == "mfa_required"
    assert body["availableFactors"] == ["totp"]
    assert PASSWORD not in first.content.decode()
    handle = body["mfaToken"]

    wrong = post_json(client, LOGIN, {"mfaToken": handle, "mfaCode": "111111"})
    assert wrong.status_code == 401
    assert wrong.json()["errorCode"] == "invalid_mfa_code"

    right = post_json(client, LOGIN, {"mfaToken": handle, "mfaCode": "246810"})
    assert right.status_code == 200
    assert right.json()["ok"] is True
    assert_signed_in(right)


# --- register ----------------------------------------------------------------------------------


def test_register_signs_the_new_account_in(lamba: LambaEmulator) -> None:
    client = Client()
    response = client.post(
        REGISTER,
        {
            "email": "new@example.com",
            "password": "long-enough-password",
            "display_name": "New Person",
            "next": "/whoami/",
        },
    )
    assert response.status_code == 302
    assert response["Location"] == "/whoami/"
    assert_signed_in(response)
    assert lamba.get_user("new@example.com").display_name == "New Person"
    assert whoami(client) == "new@example.com"


def test_register_page_renders(lamba: LambaEmulator) -> None:
    response = Client().get(REGISTER)
    assert response.status_code == 200
    assert "django_lamba/register.html" in [t.name for t in response.templates]


def test_json_register(lamba: LambaEmulator) -> None:
    response = post_json(
        Client(),
        REGISTER,
        {"email": "json@example.com", "password": "long-enough-password", "displayName": "J"},
    )
    assert response.status_code == 200
    assert response.json()["ok"] is True
    assert_signed_in(response)
    assert lamba.get_user("json@example.com").display_name == "J"


@pytest.mark.usefixtures("lamba_user")
def test_register_a_duplicate_email() -> None:
    response = Client().post(REGISTER, {"email": EMAIL, "password": "long-enough-password"})
    assert response.status_code == 409
    assert "An account with this email already exists." in response.content.decode()
    assert token_cookies(response) == {}
    json_response = post_json(
        Client(), REGISTER, {"email": EMAIL, "password": "long-enough-password"}
    )
    assert json_response.status_code == 409
    assert json_response.json()["errorCode"] == "identity_already_exists"


def test_lamba_field_errors_are_shown_on_the_form(lamba: LambaEmulator) -> None:
    # Django's form accepts the username; Lamba's rules refuse it.
    response = Client().post(
        REGISTER,
        {"email": "new@example.com", "password": "long-enough-password", "username": "a!"},
    )
    assert response.status_code == 400
    form = response.context["form"]
    assert form.errors["username"] == ["Use 3 to 32 letters, digits, dots, dashes or underscores."]
    assert lamba.call_count("POST", "/v1/auth/register") == 1
    assert token_cookies(response) == {}

    json_response = post_json(
        Client(),
        REGISTER,
        {"email": "new@example.com", "password": "long-enough-password", "username": "a!"},
    )
    assert json_response.status_code == 400
    assert "username" in json_response.json()["errors"]


def test_register_validates_locally_first(lamba: LambaEmulator) -> None:
    response = Client().post(REGISTER, {"email": "not-an-email", "password": "short"})
    assert response.status_code == 400
    form = response.context["form"]
    assert "email" in form.errors
    assert "password" in form.errors
    assert lamba.call_count("POST", "/v1/auth/register") == 0


# --- logout ------------------------------------------------------------------------------------


def _session_id(client: Client) -> str:
    return get_client().get_context(client.cookies[AT].value).session.id


def test_logout_is_post_only(lamba: LambaEmulator, lamba_client: Client) -> None:
    response = lamba_client.get(LOGOUT)
    assert response.status_code == 405
    assert token_cookies(response) == {}
    assert lamba.call_count("POST", "/v1/auth/logout") == 0
    assert whoami(lamba_client) == EMAIL


def test_logout_without_csrf_is_refused(lamba: LambaEmulator, lamba_client: Client) -> None:
    client, _token = csrf_client()
    client.cookies[AT] = lamba_client.cookies[AT].value
    client.cookies[RT] = lamba_client.cookies[RT].value
    response = client.post(LOGOUT)
    assert response.status_code == 403
    assert token_cookies(response) == {}
    assert lamba.call_count("POST", "/v1/auth/logout") == 0
    assert lamba.revoked_sessions == []
    assert whoami(client) == EMAIL


def test_logout_clears_cookies_and_revokes_the_session(
    lamba: LambaEmulator, lamba_client: Client
) -> None:
    session_id = _session_id(lamba_client)
    old_access = lamba_client.cookies[AT].value
    old_refresh = lamba_client.cookies[RT].value
    client, token = csrf_client()
    client.cookies[AT] = old_access
    client.cookies[RT] = old_refresh

    response = client.post(LOGOUT, {"csrfmiddlewaretoken": token, "next": "/after/"})
    assert response.status_code == 302
    assert response["Location"] == "/after/"
    assert_cleared(response)
    assert lamba.call_count("POST", "/v1/auth/logout") == 1
    assert session_id in lamba.revoked_sessions
    assert whoami(client) == "anonymous"

    # The old cookies, replayed, are no good either.
    replay = Client()
    replay.cookies[AT] = old_access
    replay.cookies[RT] = old_refresh
    assert whoami(replay) == "anonymous"


def test_logout_without_next_goes_to_the_logout_redirect_url(lamba_client: Client) -> None:
    response = lamba_client.post(LOGOUT)
    assert response.status_code == 302
    assert response["Location"] == BYE
    assert_cleared(response)


def test_json_logout(lamba: LambaEmulator, lamba_client: Client) -> None:
    response = post_json(lamba_client, LOGOUT, {})
    assert response.status_code == 200
    assert response.json() == {"ok": True, "next": BYE}
    assert_cleared(response)
    assert lamba.call_count("POST", "/v1/auth/logout") == 1


@pytest.mark.parametrize("status", [502, 503, 500])
def test_logout_clears_cookies_even_when_lamba_fails(
    lamba: LambaEmulator, lamba_client: Client, status: int
) -> None:
    lamba.inject_fault("/v1/auth/logout", status=status, body="<html>Bad Gateway</html>")
    response = lamba_client.post(LOGOUT)
    assert response.status_code == 302
    assert response["Location"] == BYE
    assert_cleared(response)
    assert lamba.call_count("POST", "/v1/auth/logout") == 1


def test_logout_without_cookies_does_not_call_lamba(lamba: LambaEmulator) -> None:
    response = Client().post(LOGOUT)
    assert response.status_code == 302
    assert_cleared(response)
    assert lamba.call_count("POST", "/v1/auth/logout") == 0


# --- CSRF on sign-in ---------------------------------------------------------------------------


@pytest.mark.usefixtures("lamba_user")
def test_login_without_csrf_token_is_refused(lamba: LambaEmulator) -> None:
    client, _token = csrf_client()
    response = client.post(LOGIN, {"login": EMAIL, "password": PASSWORD})
    assert response.status_code == 403
    json_response = post_json(client, LOGIN, {"login": EMAIL, "password": PASSWORD})
    assert json_response.status_code == 403
    register = client.post(REGISTER, {"email": "x@example.com", "password": "long-enough-pw"})
    assert register.status_code == 403
    assert lamba.call_count("POST", LOGIN_PATH) == 0
    assert lamba.call_count("POST", "/v1/auth/register") == 0


@pytest.mark.usefixtures("lamba_user")
def test_login_with_csrf_token_works() -> None:
    client, token = csrf_client()
    response = client.post(
        LOGIN, {"login": EMAIL, "password": PASSWORD, "csrfmiddlewaretoken": token}
    )
    assert response.status_code == 302
    json_client, json_token = csrf_client()
    json_response = post_json(
        json_client, LOGIN, {"login": EMAIL, "password": PASSWORD}, HTTP_X_CSRFTOKEN=json_token
    )
    assert json_response.status_code == 200


# --- open redirects ----------------------------------------------------------------------------

HOSTILE_NEXT = [
    "//evil.com",
    "///evil.com",
    "/\\evil.com",
    "\\\\evil.com",
    "https://evil.com",
    "http://evil.com/path",
    "https:evil.com",
    "javascript:alert(1)",
    "JavaScript:alert(1)",
    "data:text/html,<script>alert(1)</script>",
    "http:\\\\evil.com",
    "https://site@evil.com",
    "https://testserver@evil.com",
    "https://testserver.evil.com/",
    " //evil.com",
    "/\t/evil.com",
    "/ok\r\nLocation: https://evil.com",
    "/ok\x00",
    "\x01//evil.com",
    "/\x7f/evil.com",
    "http://[::1",
    "https://evil.com:99999999/",
    "ftp://testserver/",
]


@pytest.mark.usefixtures("lamba_user")
@pytest.mark.parametrize("next_url", HOSTILE_NEXT)
def test_login_refuses_open_redirects(next_url: str) -> None:
    response = Client().post(LOGIN, {"login": EMAIL, "password": PASSWORD, "next": next_url})
    assert response.status_code == 302
    assert response["Location"] == HOME
    json_response = post_json(
        Client(), LOGIN, {"login": EMAIL, "password": PASSWORD, "next": next_url}
    )
    assert json_response.status_code == 200
    assert json_response.json()["next"] == HOME


@pytest.mark.parametrize("next_url", HOSTILE_NEXT)
def test_login_page_does_not_carry_a_hostile_next(next_url: str) -> None:
    response = Client().get(LOGIN, {"next": next_url})
    assert response.status_code == 200
    html = response.content.decode()
    assert "evil.com" not in html
    assert "javascript:" not in html.lower()


@pytest.mark.parametrize("next_url", HOSTILE_NEXT)
def test_logout_refuses_open_redirects(lamba: LambaEmulator, next_url: str) -> None:
    response = Client().post(LOGOUT, {"next": next_url})
    assert response.status_code == 302
    assert response["Location"] == BYE


@pytest.mark.usefixtures("lamba_user")
@pytest.mark.parametrize("next_url", ["/whoami/", "/a/b?c=d&e=f", "/path#frag", "relative/"])
def test_safe_next_values_are_kept(next_url: str) -> None:
    response = Client().post(LOGIN, {"login": EMAIL, "password": PASSWORD, "next": next_url})
    assert response["Location"] == next_url


@pytest.mark.usefixtures("lamba_user")
def test_next_from_the_query_string() -> None:
    response = Client().post(f"{LOGIN}?next=/from-query/", {"login": EMAIL, "password": PASSWORD})
    assert response["Location"] == "/from-query/"


# --- sensitive parameters ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("view", "url", "data", "secret_fields"),
    [
        (LoginView, LOGIN, {"login": EMAIL, "password": "pw-secret"}, ["password"]),
        (
            LoginView,
            LOGIN,
            {"mfa_token": "handle-secret", "mfa_code": "123456"},
            ["mfa_token", "mfa_code"],
        ),
        (RegisterView, REGISTER, {"email": EMAIL, "password": "pw-secret-long"}, ["password"]),
    ],
)
def test_credentials_are_sensitive_post_parameters(
    monkeypatch: pytest.MonkeyPatch,
    view: type[LoginView | RegisterView],
    url: str,
    data: dict[str, str],
    secret_fields: list[str],
) -> None:
    seen: dict[str, Any] = {}

    def perform(self: Any, form: Any) -> HttpResponse:
        request: HttpRequest = self.request
        seen["sensitive"] = request.sensitive_post_parameters  # type: ignore[attr-defined]
        seen["filtered"] = SafeExceptionReporterFilter().get_post_parameters(request)
        return HttpResponse("performed")

    monkeypatch.setattr(view, "perform", perform)
    response = Client().post(url, data)
    assert response.content == b"performed"
    for name in secret_fields:
        assert name in seen["sensitive"]
        assert seen["filtered"][name] != data[name]
        assert "*" in seen["filtered"][name]
    for name in set(data) - set(secret_fields):
        assert seen["filtered"][name] == data[name]


# --- Lamba failing during sign-in --------------------------------------------------------------


def test_login_timeout_shows_a_clear_message_and_keeps_cookies(
    lamba: LambaEmulator, lamba_client: Client, settings: Any
) -> None:
    settings.LAMBA_READ_TIMEOUT = 0.3
    lamba.inject_fault(LOGIN_PATH, latency=1.0)
    response = lamba_client.post(LOGIN, {"login": EMAIL, "password": PASSWORD})
    assert response.status_code == 503
    assert "The sign-in service is unavailable right now." in response.content.decode()
    assert token_cookies(response) == {}  # the existing session is neither replaced nor cleared
    assert PASSWORD not in response.content.decode()


def test_login_timeout_as_json(lamba: LambaEmulator, settings: Any) -> None:
    settings.LAMBA_READ_TIMEOUT = 0.3
    lamba.inject_fault(LOGIN_PATH, latency=1.0)
    response = post_json(Client(), LOGIN, {"login": EMAIL, "password": PASSWORD})
    assert response.status_code == 503
    assert response["Content-Type"] == PROBLEM_JSON
    assert response.json()["errorCode"] == "lamba_unavailable"
    assert int(response["Retry-After"]) > 0


@pytest.mark.parametrize("status", [502, 503, 504])
def test_login_html_gateway_error_shows_a_clear_message(
    lamba: LambaEmulator, lamba_client: Client, status: int
) -> None:
    lamba.inject_fault(LOGIN_PATH, status=status, body="<html><h1>Bad Gateway</h1></html>")
    response = lamba_client.post(LOGIN, {"login": EMAIL, "password": PASSWORD})
    assert response.status_code == 503
    html = response.content.decode()
    assert "The sign-in service is unavailable right now." in html
    assert "Bad Gateway" not in html
    assert token_cookies(response) == {}
    assert whoami(lamba_client) == EMAIL


@pytest.mark.usefixtures("lamba_user")
def test_login_rate_limited_shows_the_wait(lamba: LambaEmulator) -> None:
    lamba.inject_fault(LOGIN_PATH, status=429, retry_after=7)
    response = Client().post(LOGIN, {"login": EMAIL, "password": PASSWORD})
    assert response.status_code == 429
    assert response["Retry-After"] == "7"
    assert "Try again in 7 seconds." in response.content.decode()
    assert token_cookies(response) == {}
    assert lamba.call_count("POST", LOGIN_PATH) == 1  # a POST is never retried

    lamba.inject_fault(LOGIN_PATH, status=429, retry_after=1)
    json_response = post_json(Client(), LOGIN, {"login": EMAIL, "password": PASSWORD})
    assert json_response.status_code == 429
    assert json_response["Retry-After"] == "1"
    assert json_response.json()["errorCode"] == "RATE_LIMIT_EXCEEDED"
    assert json_response.json()["retryAfter"] == 1


@pytest.mark.usefixtures("lamba_user")
def test_plan_limit_on_login(lamba: LambaEmulator) -> None:
    lamba.inject_fault(LOGIN_PATH, status=402)
    response = Client().post(LOGIN, {"login": EMAIL, "password": PASSWORD})
    assert response.status_code == 402
    assert "plan limit" in response.content.decode()


# --- scoping the new session -------------------------------------------------------------------


@pytest.mark.usefixtures("lamba_user")
def test_login_switches_into_the_configured_project(lamba: LambaEmulator) -> None:
    client = Client()
    response = client.post(LOGIN, {"login": EMAIL, "password": PASSWORD})
    assert response.status_code == 302
    assert lamba.call_count("POST", SWITCH_PATH) == 1
    context = get_client().get_context(client.cookies[AT].value)
    assert context.active_project is not None
    assert context.active_project.id == lamba.project_id
    assert context.active_workspace is not None
    assert context.active_workspace.id == lamba.workspace_id
    assert context.environment == lamba.environment


@pytest.mark.usefixtures("lamba_user")
def test_login_stays_unscoped_without_a_configured_project(
    lamba: LambaEmulator, settings: Any
) -> None:
    settings.LAMBA_CUSTOMER_WORKSPACE_ID = ""
    settings.LAMBA_CUSTOMER_PROJECT_ID = ""
    client = Client()
    response = client.post(LOGIN, {"login": EMAIL, "password": PASSWORD})
    assert response.status_code == 302
    assert lamba.call_count("POST", SWITCH_PATH) == 0
    assert get_client().get_context(client.cookies[AT].value).active_project is None


@pytest.mark.usefixtures("lamba_user")
def test_a_token_too_large_for_a_cookie_is_a_clear_502(
    lamba: LambaEmulator, settings: Any
) -> None:
    settings.LAMBA_CUSTOMER_PROJECT_ID = ""  # sign in unscoped: the fake token goes no further
    huge = {"access_token": "a" * 5000, "refresh_token": "r", "token_type": "Bearer"}
    lamba.inject_fault(LOGIN_PATH, status=200, body=huge)
    response = Client().post(LOGIN, {"login": EMAIL, "password": PASSWORD})
    assert response.status_code == 502
    assert b"could not be stored in a cookie" in response.content
    assert "a" * 100 not in response.content.decode()
    assert token_cookies(response) in ({}, {AT: "", RT: ""})
    lamba.inject_fault(LOGIN_PATH, status=200, body=huge)
    as_json = post_json(Client(), LOGIN, {"login": EMAIL, "password": PASSWORD})
    assert as_json.status_code == 502
    assert as_json.json()["errorCode"] == "session_too_large"


@pytest.mark.usefixtures("lamba_user")
def test_a_failed_switch_ends_the_unscoped_session_upstream(lamba: LambaEmulator) -> None:
    lamba.inject_fault(SWITCH_PATH, status=403, error_code="forbidden")
    client = Client()
    response = client.post(LOGIN, {"login": EMAIL, "password": PASSWORD})
    assert response.status_code == 403
    assert token_cookies(response) == {}
    assert lamba.call_count("POST", "/v1/auth/logout") == 1
    assert len(lamba.revoked_sessions) == 1


@pytest.mark.usefixtures("lamba_user")
def test_register_switches_into_the_configured_project(lamba: LambaEmulator) -> None:
    client = Client()
    client.post(REGISTER, {"email": "new@example.com", "password": "long-enough-password"})
    context = get_client().get_context(client.cookies[AT].value)
    assert context.active_project is not None
    assert context.active_project.id == lamba.project_id


@pytest.mark.usefixtures("lamba_user")
@pytest.mark.parametrize(
    "body",
    [
        None,
        {
            "type": "about:blank",
            "title": "Bad Request",
            "status": 400,
            "detail": "workspaceId, projectId and environment are all required.",
            "errorCode": "customer_auth_context_binding_required",
            "traceId": "trace-binding",
            "errors": {"projectId": ["This field is required."]},
        },
    ],
)
def test_context_binding_required_is_a_clear_configuration_message(
    lamba: LambaEmulator, body: dict[str, Any] | None
) -> None:
    lamba.inject_fault(
        SWITCH_PATH,
        status=400,
        error_code="customer_auth_context_binding_required",
        body=body,
        content_type="application/problem+json" if body else None,
        times=2,
    )
    response = Client().post(LOGIN, {"login": EMAIL, "password": PASSWORD})
    assert response.status_code == 400
    html = response.content.decode()
    assert "not configured with a Lamba Workspace and Project" in html
    assert "LAMBA_CUSTOMER_PROJECT_ID" in html
    assert token_cookies(response) == {}

    json_response = post_json(Client(), LOGIN, {"login": EMAIL, "password": PASSWORD})
    assert json_response.status_code == 400
    problem = json_response.json()
    assert problem["errorCode"] == "customer_auth_context_binding_required"
    assert "not configured with a Lamba Workspace and Project" in problem["detail"]


def test_json_field_errors_use_the_names_the_caller_sent(lamba: LambaEmulator) -> None:
    camel = post_json(
        Client(),
        REGISTER,
        {
            "email": "x@example.com",
            "password": "longenough",
            "displayName": "d" * 200,
            "redirectUri": "x",
        },
    )
    assert camel.status_code == 400
    assert set(camel.json()["errors"]) == {"displayName"}
    snake = post_json(
        Client(),
        REGISTER,
        {"email": "x@example.com", "password": "longenough", "display_name": "d" * 200},
    )
    assert set(snake.json()["errors"]) == {"display_name"}
    assert lamba.call_count("POST", "/v1/auth/register") == 0
