"""Magic-link sign-in against the real emulator: no enumeration, one click, single use."""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from django.http import HttpResponse
from django.test import Client
from django.views.debug import SafeExceptionReporterFilter

from django_lamba.passwordless import MagicLinkVerifyView
from django_lamba.testing import EmulatedUser, LambaEmulator
from tests.flows import AT, HOME, PROBLEM_JSON, RT, post_json, token_cookies, whoami

#: What ``django.test.Client`` answers (a test-only subclass of HttpResponseBase).
Response = Any
REQUEST = "/auth/magic-link/"
VERIFY = "/auth/magic-link/verify/"
REQUEST_PATH = "/v1/auth/login/magic-link/request"
VERIFY_PATH = "/v1/auth/login/magic-link/verify"
SWITCH_PATH = "/v1/sessions/switch-context"
LINK_COOKIE = "__Host-lamba_magic_link"
EMAIL = "user@example.com"


@pytest.fixture(autouse=True)
def redirects(settings: Any) -> None:
    settings.LAMBA_LOGIN_REDIRECT_URL = HOME


def request_link(
    client: Client, email: str = EMAIL, next_url: str | None = None, **headers: Any
) -> Response:
    data = {"email": email} if next_url is None else {"email": email, "next": next_url}
    response: Response = client.post(REQUEST, data, **headers)
    return response


def local(url: str) -> str:
    """Return the path and query of an absolute URL on the test server."""
    parts = urlsplit(url)
    assert parts.scheme == "http"
    assert parts.netloc == "testserver"
    return f"{parts.path}?{parts.query}"


def open_link(client: Client, url: str) -> Response:
    """GET the emailed link, then follow the redirect to the confirmation page."""
    first: Response = client.get(local(url))
    assert first.status_code == 302
    page: Response = client.get(first["Location"])
    return page


# --- requesting a link -------------------------------------------------------------------------


def test_request_page_renders(lamba: LambaEmulator) -> None:
    response = Client().get(REQUEST, {"next": "/whoami/"})
    assert response.status_code == 200
    assert "django_lamba/magic_link_request.html" in [t.name for t in response.templates]
    html = response.content.decode()
    assert 'name="email"' in html
    assert 'name="csrfmiddlewaretoken"' in html
    assert '<input type="hidden" name="next" value="/whoami/">' in html
    assert "frame-ancestors 'none'" in response["Content-Security-Policy"]


def test_the_answer_is_the_same_for_known_and_unknown_emails(
    lamba: LambaEmulator, lamba_user: EmulatedUser
) -> None:
    known = request_link(Client(), EMAIL)
    unknown = request_link(Client(), "nobody@example.com")
    assert known.status_code == unknown.status_code == 200
    assert "django_lamba/magic_link_sent.html" in [t.name for t in known.templates]
    assert known.content.decode().replace(EMAIL, "X") == unknown.content.decode().replace(
        "nobody@example.com", "X"
    )
    assert "Check your email" in known.content.decode()
    assert [m.to for m in lamba.outbox] == [EMAIL]
    assert lamba.call_count("POST", REQUEST_PATH) == 2


def test_json_answer_is_the_same_for_known_and_unknown_emails(
    lamba: LambaEmulator, lamba_user: EmulatedUser
) -> None:
    known = post_json(Client(), REQUEST, {"email": EMAIL})
    unknown = post_json(Client(), REQUEST, {"email": "nobody@example.com"})
    assert known.status_code == unknown.status_code == 202
    assert known.json() == unknown.json()
    assert known.json()["ok"] is True


def test_an_upstream_not_found_is_not_revealed(lamba: LambaEmulator) -> None:
    lamba.inject_fault(REQUEST_PATH, status=404, error_code="user_not_found")
    response = request_link(Client(), "nobody@example.com")
    assert response.status_code == 200
    assert "Check your email" in response.content.decode()


def test_the_link_points_back_at_the_verify_view_with_next(
    lamba: LambaEmulator, lamba_user: EmulatedUser
) -> None:
    request_link(Client(), next_url="/protected/?tab=1")
    url = lamba.last_magic_link(EMAIL)
    parts = urlsplit(url)
    assert (parts.scheme, parts.netloc, parts.path) == ("http", "testserver", VERIFY)
    query = parse_qs(parts.query)
    assert query["next"] == ["/protected/?tab=1"]
    assert query["token"]


@pytest.mark.parametrize("next_url", ["https://evil.example/", "//evil.example/"])
def test_a_hostile_next_is_not_put_in_the_link(
    lamba: LambaEmulator, lamba_user: EmulatedUser, next_url: str
) -> None:
    request_link(Client(), next_url=next_url)
    assert "evil" not in lamba.last_magic_link(EMAIL)


def test_an_invalid_email_never_reaches_lamba(lamba: LambaEmulator) -> None:
    response = request_link(Client(), "not-an-email")
    assert response.status_code == 400
    assert "Enter a valid email address." in response.content.decode()
    assert lamba.call_count("POST", REQUEST_PATH) == 0


# --- opening and confirming the link -----------------------------------------------------------


def test_opening_the_link_does_not_spend_it(
    lamba: LambaEmulator, lamba_user: EmulatedUser
) -> None:
    request_link(Client(), next_url="/protected/")
    url = lamba.last_magic_link(EMAIL)
    # A mail scanner fetches the link (and follows the redirect) first.
    scanner = Client()
    scanned = open_link(scanner, url)
    assert scanned.status_code == 200
    assert lamba.call_count("POST", VERIFY_PATH) == 0

    client = Client()
    first = client.get(local(url))
    assert first.status_code == 302
    assert first["Referrer-Policy"] == "no-referrer"
    # The token leaves the address bar; the page only offers a one-click confirmation.
    assert "token" not in first["Location"]
    assert parse_qs(urlsplit(first["Location"]).query)["next"] == ["/protected/"]
    cookie = first.cookies[LINK_COOKIE]
    assert cookie["httponly"] is True
    assert cookie["samesite"] == "Lax"
    page = client.get(first["Location"])
    assert page.status_code == 200
    assert "django_lamba/magic_link_confirm.html" in [t.name for t in page.templates]
    html = page.content.decode()
    token = parse_qs(urlsplit(url).query)["token"][0]
    assert token not in html
    assert 'method="post"' in html
    assert "<script" not in html
    assert "frame-ancestors 'none'" in page["Content-Security-Policy"]
    assert lamba.call_count("POST", VERIFY_PATH) == 0
    assert token_cookies(page) == {}

    signed_in = client.post(VERIFY, {"next": "/protected/"})
    assert signed_in.status_code == 302
    assert signed_in["Location"] == "/protected/"
    assert set(token_cookies(signed_in)) == {AT, RT}
    assert signed_in.cookies[LINK_COOKIE].value == ""
    assert whoami(client) == EMAIL
    assert lamba.call_count("POST", SWITCH_PATH) == 1


def test_json_verify_with_the_token(lamba: LambaEmulator, lamba_user: EmulatedUser) -> None:
    post_json(Client(), REQUEST, {"email": EMAIL})
    token = parse_qs(urlsplit(lamba.last_magic_link(EMAIL)).query)["token"][0]
    client = Client()
    response = post_json(client, VERIFY, {"token": token, "next": "/whoami/"})
    assert response.status_code == 200
    assert response.json() == {"ok": True, "next": "/whoami/"}
    assert whoami(client) == EMAIL

    replay = post_json(Client(), VERIFY, {"token": token})
    assert replay.status_code == 401
    assert replay["Content-Type"] == PROBLEM_JSON
    assert replay.json()["errorCode"] == "invalid_token"
    assert token_cookies(replay) == {}


def test_a_replayed_link_is_refused_with_a_clear_message(
    lamba: LambaEmulator, lamba_user: EmulatedUser
) -> None:
    request_link(Client())
    url = lamba.last_magic_link(EMAIL)
    first = Client()
    open_link(first, url)
    assert first.post(VERIFY).status_code == 302

    second = Client()
    open_link(second, url)
    replay = second.post(VERIFY)
    assert replay.status_code == 401
    html = replay.content.decode()
    assert "expired or was already used" in html
    assert "Send me a new link" in html
    assert token_cookies(replay) == {}
    assert whoami(second) == "anonymous"


def test_an_expired_link_is_refused_with_a_clear_message(
    lamba: LambaEmulator, lamba_user: EmulatedUser
) -> None:
    lamba.configure(magic_link_ttl=0)
    request_link(Client())
    client = Client()
    open_link(client, lamba.last_magic_link(EMAIL))
    response = client.post(VERIFY)
    assert response.status_code == 401
    assert "expired or was already used" in response.content.decode()
    assert token_cookies(response) == {}


def test_the_verify_page_without_a_link_explains_itself(lamba: LambaEmulator) -> None:
    page = Client().get(VERIFY)
    assert page.status_code == 400
    assert "expired or was already used" in page.content.decode()
    posted = Client().post(VERIFY)
    assert posted.status_code == 401
    assert lamba.call_count("POST", VERIFY_PATH) == 0


def test_confirming_without_csrf_is_refused(
    lamba: LambaEmulator, lamba_user: EmulatedUser
) -> None:
    request_link(Client())
    client = Client(enforce_csrf_checks=True)
    open_link(client, lamba.last_magic_link(EMAIL))
    response = client.post(VERIFY)
    assert response.status_code == 403
    assert lamba.call_count("POST", VERIFY_PATH) == 0
    token = client.cookies["csrftoken"].value
    assert client.post(VERIFY, {"csrfmiddlewaretoken": token}).status_code == 302


def test_a_failed_context_switch_leaves_nothing_signed_in(
    lamba: LambaEmulator, lamba_user: EmulatedUser
) -> None:
    request_link(Client())
    client = Client()
    open_link(client, lamba.last_magic_link(EMAIL))
    lamba.inject_fault(SWITCH_PATH, status=403, error_code="forbidden")
    response = client.post(VERIFY)
    assert response.status_code == 403
    assert token_cookies(response) == {}
    assert whoami(client) == "anonymous"
    # The unscoped session the link created was ended upstream too.
    assert len(lamba.revoked_sessions) == 1


# --- limits --------------------------------------------------------------------------------------


def test_sec35_magic_links_are_single_use_and_rate_limited_per_account_and_ip(
    lamba: LambaEmulator, lamba_user: EmulatedUser, settings: Any
) -> None:
    # Single use: covered end to end above; here the token itself, twice.
    request_link(Client())
    token = parse_qs(urlsplit(lamba.last_magic_link(EMAIL)).query)["token"][0]
    assert post_json(Client(), VERIFY, {"token": token}).status_code == 200
    assert post_json(Client(), VERIFY, {"token": token}).status_code == 401

    # Per account: Lamba's limit (5 a minute in the emulator) shows with its wait, no retry.
    for _ in range(4):
        assert request_link(Client()).status_code == 200
    limited = request_link(Client())
    assert limited.status_code == 429
    wait = int(limited["Retry-After"])
    assert 1 <= wait <= 60
    assert f"Try again in {wait} second" in limited.content.decode()
    assert lamba.call_count("POST", REQUEST_PATH) == 6

    # Per IP: every account's requests from one address count here, before Lamba is asked.
    settings.LAMBA_IP_RATE_LIMIT = 2
    lamba.reset_calls()
    client = Client(REMOTE_ADDR="203.0.113.9")
    assert request_link(client, "a@example.com").status_code == 200
    assert request_link(client, "b@example.com").status_code == 200
    blocked = request_link(client, "c@example.com")
    assert blocked.status_code == 429
    assert "Try again in" in blocked.content.decode()
    assert int(blocked["Retry-After"]) >= 1
    assert lamba.call_count("POST", REQUEST_PATH) == 2
    # Another address is not affected.
    assert request_link(Client(REMOTE_ADDR="203.0.113.10"), "c@example.com").status_code == 200

    # Verifications are limited per IP as well.
    guesses = [post_json(client, VERIFY, {"token": f"guess-{i}"}) for i in range(3)]
    assert [r.status_code for r in guesses] == [401, 401, 429]


def test_the_ip_limit_reads_the_configured_proxy_header(
    lamba: LambaEmulator, settings: Any
) -> None:
    settings.LAMBA_IP_RATE_LIMIT = 1
    settings.LAMBA_CLIENT_IP_HEADER = "HTTP_X_FORWARDED_FOR"
    proxy = Client(REMOTE_ADDR="10.0.0.1")
    spoofed = "198.51.100.1, 192.0.2.7"
    assert request_link(proxy, HTTP_X_FORWARDED_FOR=spoofed).status_code == 200
    # The last hop (added by the trusted proxy) is the client; the spoofable first one is not.
    assert request_link(proxy, HTTP_X_FORWARDED_FOR="1.2.3.4, 192.0.2.7").status_code == 429
    assert request_link(proxy, HTTP_X_FORWARDED_FOR="192.0.2.8").status_code == 200


def test_plan_limit_on_the_request(lamba: LambaEmulator) -> None:
    lamba.inject_fault(REQUEST_PATH, status=402)
    response = request_link(Client())
    assert response.status_code == 402
    assert "plan limit" in response.content.decode()
    assert lamba.call_count("POST", REQUEST_PATH) == 1


def test_rate_limited_verify_keeps_the_link_usable(
    lamba: LambaEmulator, lamba_user: EmulatedUser
) -> None:
    request_link(Client())
    client = Client()
    open_link(client, lamba.last_magic_link(EMAIL))
    lamba.inject_fault(VERIFY_PATH, status=429, retry_after=9)
    limited = client.post(VERIFY)
    assert limited.status_code == 429
    assert limited["Retry-After"] == "9"
    assert "Try again in 9 seconds." in limited.content.decode()
    assert lamba.call_count("POST", VERIFY_PATH) == 1
    assert client.post(VERIFY).status_code == 302
    assert whoami(client) == EMAIL


def test_json_rate_limit_is_problem_details(lamba: LambaEmulator) -> None:
    lamba.inject_fault(REQUEST_PATH, status=429, retry_after=4)
    response = post_json(Client(), REQUEST, {"email": EMAIL})
    assert response.status_code == 429
    assert response["Content-Type"] == PROBLEM_JSON
    assert response["Retry-After"] == "4"
    assert response.json()["errorCode"] == "RATE_LIMIT_EXCEEDED"
    assert response.json()["retryAfter"] == 4


def test_the_token_is_masked_in_error_reports(
    lamba: LambaEmulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    seen: dict[str, Any] = {}

    def perform(self: Any, form: Any) -> Any:
        seen["filtered"] = SafeExceptionReporterFilter().get_post_parameters(self.request)
        return HttpResponse("performed")

    monkeypatch.setattr(MagicLinkVerifyView, "perform", perform)
    response = Client().post(VERIFY, {"token": "link-secret"})
    assert response.content == b"performed"
    assert "*" in seen["filtered"]["token"]
