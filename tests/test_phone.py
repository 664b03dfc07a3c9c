"""Phone one-time-code sign-in against the real emulator."""

from __future__ import annotations

from typing import Any

import pytest
from django.http import HttpResponse
from django.test import Client
from django.views.debug import SafeExceptionReporterFilter

from django_lamba.passwordless import PhoneVerifyView
from django_lamba.testing import EmulatedUser, LambaEmulator
from tests.flows import AT, HOME, PROBLEM_JSON, RT, post_json, token_cookies, whoami

#: What ``django.test.Client`` answers (a test-only subclass of HttpResponseBase).
Response = Any
REQUEST = "/auth/phone/"
VERIFY = "/auth/phone/verify/"
REQUEST_PATH = "/v1/auth/login/phone/request"
VERIFY_PATH = "/v1/auth/login/phone/verify"
SWITCH_PATH = "/v1/sessions/switch-context"
EMAIL = "phone@example.com"
PHONE = "+15551234567"


@pytest.fixture(autouse=True)
def redirects(settings: Any) -> None:
    settings.LAMBA_LOGIN_REDIRECT_URL = HOME


@pytest.fixture
def phone_user(lamba: LambaEmulator) -> EmulatedUser:
    return lamba.add_user(EMAIL, "a-long-password", phone=PHONE, roles=["member"])


def phone_token(response: Response) -> str:
    form = response.context["form"]
    value = str(form.initial.get("phone_token") or form["phone_token"].value() or "")
    assert value
    return value


def ask_for_code(client: Client, phone: str = PHONE, **extra: str) -> Response:
    response: Response = client.post(REQUEST, {"phone": phone, **extra})
    assert response.status_code == 200, response.content
    assert "django_lamba/phone_verify.html" in [t.name for t in response.templates]
    return response


# --- requesting a code -------------------------------------------------------------------------


def test_request_page_renders(lamba: LambaEmulator) -> None:
    response = Client().get(REQUEST, {"next": "/whoami/"})
    assert response.status_code == 200
    assert "django_lamba/phone_request.html" in [t.name for t in response.templates]
    html = response.content.decode()
    assert 'name="phone"' in html
    assert 'type="tel"' in html
    assert '<input type="hidden" name="next" value="/whoami/">' in html
    assert "frame-ancestors 'none'" in response["Content-Security-Policy"]


@pytest.mark.parametrize("phone", ["5551234567", "+0123456789", "+1555", "phone", "+1" + "2" * 15])
def test_a_number_that_is_not_e164_gets_a_clear_error(lamba: LambaEmulator, phone: str) -> None:
    response = Client().post(REQUEST, {"phone": phone})
    assert response.status_code == 400
    assert "international format" in response.content.decode()
    assert "+15551234567" in response.content.decode()
    assert lamba.call_count("POST", REQUEST_PATH) == 0


def test_json_e164_error_is_a_field_error(lamba: LambaEmulator) -> None:
    response = post_json(Client(), REQUEST, {"phone": "555-1234"})
    assert response.status_code == 400
    assert response["Content-Type"] == PROBLEM_JSON
    assert "international format" in response.json()["errors"]["phone"][0]


@pytest.mark.parametrize("typed", ["+1 (555) 123-4567", "+1 555.123.4567", "0015551234567"])
def test_common_punctuation_is_accepted(
    lamba: LambaEmulator, phone_user: EmulatedUser, typed: str
) -> None:
    ask_for_code(Client(), typed)
    assert lamba.last_sms_code(PHONE)


def test_the_number_stays_on_the_server(lamba: LambaEmulator, phone_user: EmulatedUser) -> None:
    client = Client()
    response = ask_for_code(client)
    html = response.content.decode()
    assert PHONE not in html
    assert PHONE[1:] not in html
    assert "ending in 67" in html
    assert 'name="code"' in html
    assert 'autocomplete="one-time-code"' in html
    assert phone_token(response) not in (PHONE, PHONE[1:])
    for morsel in client.cookies.values():
        assert PHONE[1:] not in morsel.value


def test_the_answer_is_the_same_for_known_and_unknown_numbers(
    lamba: LambaEmulator, phone_user: EmulatedUser
) -> None:
    known = ask_for_code(Client(), PHONE)
    unknown = ask_for_code(Client(), "+15557654321")
    assert known.status_code == unknown.status_code == 200
    mask = {
        phone_token(known): "T",
        phone_token(unknown): "T",
        "ending in 67": "",
        "ending in 21": "",
    }
    pages = [known.content.decode(), unknown.content.decode()]
    for old, new in mask.items():
        pages = [page.replace(old, new) for page in pages]
    strip = [p.split('name="csrfmiddlewaretoken" value="')[0] for p in pages]
    assert strip[0] == strip[1]
    assert [m.to for m in lamba.outbox] == [PHONE]

    # An unknown number's code step fails the same way as a wrong code.
    wrong = Client().post(VERIFY, {"phone_token": phone_token(unknown), "code": "123456"})
    assert wrong.status_code == 401
    assert "That code is not right" in wrong.content.decode()


# --- verifying ---------------------------------------------------------------------------------


def test_the_right_code_signs_in(lamba: LambaEmulator, phone_user: EmulatedUser) -> None:
    client = Client()
    response = ask_for_code(client, next="/protected/")
    code = lamba.last_sms_code(PHONE)
    signed_in = client.post(
        VERIFY, {"phone_token": phone_token(response), "code": code, "next": "/protected/"}
    )
    assert signed_in.status_code == 302
    assert signed_in["Location"] == "/protected/"
    assert set(token_cookies(signed_in)) == {AT, RT}
    assert whoami(client) == EMAIL
    assert lamba.call_count("POST", SWITCH_PATH) == 1


def test_a_wrong_code_shows_a_clear_message_then_the_right_one_works(
    lamba: LambaEmulator, phone_user: EmulatedUser
) -> None:
    client = Client()
    handle = phone_token(ask_for_code(client))
    code = lamba.last_sms_code(PHONE)
    wrong_code = "000000" if code != "000000" else "111111"
    wrong = client.post(VERIFY, {"phone_token": handle, "code": wrong_code})
    assert wrong.status_code == 401
    html = wrong.content.decode()
    assert "That code is not right" in html
    assert "ending in 67" in html
    assert 'name="code"' in html
    assert handle in html  # the same attempt goes on
    assert token_cookies(wrong) == {}

    right = client.post(VERIFY, {"phone_token": handle, "code": code})
    assert right.status_code == 302
    assert whoami(client) == EMAIL


def test_json_phone_flow(lamba: LambaEmulator, phone_user: EmulatedUser) -> None:
    client = Client()
    sent = post_json(client, REQUEST, {"phone": PHONE})
    assert sent.status_code == 202
    body = sent.json()
    assert body["ok"] is True
    assert PHONE not in sent.content.decode()
    wrong = post_json(client, VERIFY, {"phoneToken": body["phoneToken"], "code": "99999"})
    assert wrong.status_code == 401
    assert wrong["Content-Type"] == PROBLEM_JSON
    assert wrong.json()["errorCode"] == "invalid_code"
    assert "That code is not right" in wrong.json()["detail"]
    code = lamba.last_sms_code(PHONE)
    right = post_json(
        client, VERIFY, {"phoneToken": body["phoneToken"], "code": code, "next": "/whoami/"}
    )
    assert right.status_code == 200
    assert right.json() == {"ok": True, "next": "/whoami/"}
    assert whoami(client) == EMAIL


def test_sec35_phone_codes_are_single_use_and_rate_limited_per_account_and_ip(
    lamba: LambaEmulator, phone_user: EmulatedUser, settings: Any
) -> None:
    client = Client()
    handle = phone_token(ask_for_code(client))
    code = lamba.last_sms_code(PHONE)
    assert client.post(VERIFY, {"phone_token": handle, "code": code}).status_code == 302
    # The same code again, through the same step or a fresh one, is refused.
    again = Client().post(VERIFY, {"phone_token": handle, "code": code})
    assert again.status_code == 401
    assert "Request a new one" in again.content.decode()
    fresh = phone_token(ask_for_code(Client()))
    if lamba.last_sms_code(PHONE) != code:  # one chance in a million of the same six digits
        assert Client().post(VERIFY, {"phone_token": fresh, "code": code}).status_code == 401

    # Per account: after 5 sends a minute Lamba says wait, and the wait is shown; no retry.
    for _ in range(3):
        ask_for_code(Client())
    limited = Client().post(REQUEST, {"phone": PHONE})
    assert limited.status_code == 429
    wait = int(limited["Retry-After"])
    assert f"Try again in {wait} second" in limited.content.decode()
    assert lamba.call_count("POST", REQUEST_PATH) == 6

    # Per IP, before Lamba is asked.
    settings.LAMBA_IP_RATE_LIMIT = 1
    lamba.reset_calls()
    here = Client(REMOTE_ADDR="203.0.113.5")
    assert here.post(REQUEST, {"phone": "+15550000001"}).status_code == 200
    blocked = here.post(REQUEST, {"phone": "+15550000002"})
    assert blocked.status_code == 429
    assert "Try again in" in blocked.content.decode()
    assert lamba.call_count("POST", REQUEST_PATH) == 1


def test_too_many_wrong_codes_end_the_attempt(
    lamba: LambaEmulator, phone_user: EmulatedUser
) -> None:
    client = Client()
    handle = phone_token(ask_for_code(client))
    code = lamba.last_sms_code(PHONE)
    wrong_code = "000000" if code != "000000" else "111111"
    statuses = [
        client.post(VERIFY, {"phone_token": handle, "code": wrong_code}).status_code
        for _ in range(5)
    ]
    assert statuses == [401] * 5
    last = client.post(VERIFY, {"phone_token": handle, "code": code})
    assert last.status_code == 401
    assert "django_lamba/phone_request.html" in [t.name for t in last.templates]
    assert "expired or was tried too often" in last.content.decode()
    assert token_cookies(last) == {}
    assert lamba.call_count("POST", VERIFY_PATH) == 5


def test_an_unknown_phone_token_asks_for_a_new_code(lamba: LambaEmulator) -> None:
    response = Client().post(VERIFY, {"phone_token": "x" * 43, "code": "123456"})
    assert response.status_code == 401
    assert "Request a new one" in response.content.decode()
    assert lamba.call_count("POST", VERIFY_PATH) == 0
    as_json = post_json(Client(), VERIFY, {"phoneToken": "x" * 43, "code": "123456"})
    assert as_json.json()["errorCode"] == "phone_code_expired"


def test_get_on_the_verify_step_goes_back_to_the_request_step(lamba: LambaEmulator) -> None:
    response = Client().get(VERIFY, {"next": "/whoami/"})
    assert response.status_code == 302
    assert response["Location"] == "/auth/phone/?next=%2Fwhoami%2F"


def test_verifying_without_csrf_is_refused(lamba: LambaEmulator, phone_user: EmulatedUser) -> None:
    client = Client(enforce_csrf_checks=True)
    client.get(REQUEST)
    csrf = client.cookies["csrftoken"].value
    response = client.post(REQUEST, {"phone": PHONE, "csrfmiddlewaretoken": csrf})
    handle = phone_token(response)
    code = lamba.last_sms_code(PHONE)
    refused = client.post(VERIFY, {"phone_token": handle, "code": code})
    assert refused.status_code == 403
    assert lamba.call_count("POST", VERIFY_PATH) == 0
    csrf = client.cookies["csrftoken"].value
    ok = client.post(VERIFY, {"phone_token": handle, "code": code, "csrfmiddlewaretoken": csrf})
    assert ok.status_code == 302


def test_rate_limited_verify_shows_the_wait_and_does_not_retry(
    lamba: LambaEmulator, phone_user: EmulatedUser
) -> None:
    client = Client()
    handle = phone_token(ask_for_code(client))
    lamba.inject_fault(VERIFY_PATH, status=429, retry_after=12)
    response = client.post(VERIFY, {"phone_token": handle, "code": "123456"})
    assert response.status_code == 429
    assert response["Retry-After"] == "12"
    assert "Try again in 12 seconds." in response.content.decode()
    assert lamba.call_count("POST", VERIFY_PATH) == 1


def test_plan_limit_on_the_request(lamba: LambaEmulator) -> None:
    lamba.inject_fault(REQUEST_PATH, status=402)
    response = Client().post(REQUEST, {"phone": PHONE})
    assert response.status_code == 402
    assert "plan limit" in response.content.decode()
    assert lamba.call_count("POST", REQUEST_PATH) == 1


def test_a_failed_context_switch_leaves_nothing_signed_in(
    lamba: LambaEmulator, phone_user: EmulatedUser
) -> None:
    client = Client()
    handle = phone_token(ask_for_code(client))
    lamba.inject_fault(SWITCH_PATH, status=503)
    response = client.post(VERIFY, {"phone_token": handle, "code": lamba.last_sms_code(PHONE)})
    assert response.status_code == 503
    assert token_cookies(response) == {}
    assert whoami(client) == "anonymous"
    assert len(lamba.revoked_sessions) == 1


def test_the_code_and_the_handle_are_masked_in_error_reports(
    lamba: LambaEmulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    seen: dict[str, Any] = {}

    def perform(self: Any, form: Any) -> Any:
        seen["filtered"] = SafeExceptionReporterFilter().get_post_parameters(self.request)
        return HttpResponse("performed")

    monkeypatch.setattr(PhoneVerifyView, "perform", perform)
    response = Client().post(VERIFY, {"phone_token": "handle-secret", "code": "123456"})
    assert response.content == b"performed"
    assert "*" in seen["filtered"]["phone_token"]
    assert "*" in seen["filtered"]["code"]


# --- one call: {phone, code} ---------------------------------------------------------------------


def test_json_phone_and_code_sign_in_without_a_handle(
    lamba: LambaEmulator, phone_user: EmulatedUser
) -> None:
    client = Client()
    assert post_json(client, REQUEST, {"phone": PHONE}).status_code == 202
    code = lamba.last_sms_code(PHONE)
    response = post_json(client, VERIFY, {"phone": PHONE, "code": code, "next": "/whoami/"})
    assert response.status_code == 200, response.content
    assert response.json() == {"ok": True, "next": "/whoami/"}
    assert set(token_cookies(response)) == {AT, RT}
    assert whoami(client) == EMAIL
    assert [r.json for r in lamba.requests_log if r.path == VERIFY_PATH] == [
        {"phone": PHONE, "code": code}
    ]


def test_json_phone_and_a_wrong_code(lamba: LambaEmulator, phone_user: EmulatedUser) -> None:
    post_json(Client(), REQUEST, {"phone": PHONE})
    wrong_code = "000000" if lamba.last_sms_code(PHONE) != "000000" else "111111"
    response = post_json(Client(), VERIFY, {"phone": "+1 (555) 123-4567", "code": wrong_code})
    assert response.status_code == 401
    assert response["Content-Type"] == PROBLEM_JSON
    assert response.json()["errorCode"] == "invalid_code"
    assert "That code is not right" in response.json()["detail"]
    assert [r.json["phone"] for r in lamba.requests_log if r.path == VERIFY_PATH] == [PHONE]


@pytest.mark.parametrize(
    ("body", "field", "message"),
    [
        ({"phone": "555-1234", "code": "123456"}, "phone", "international format"),
        ({"phone": PHONE, "code": "12"}, "code", "4 to 12 letters or digits"),
        ({"phone": PHONE, "code": "12345<b>"}, "code", "4 to 12 letters or digits"),
        ({"phone": PHONE}, "code", "required"),
    ],
)
def test_json_phone_and_code_shapes_are_field_errors(
    lamba: LambaEmulator, body: dict[str, str], field: str, message: str
) -> None:
    response = post_json(Client(), VERIFY, body)
    assert response.status_code == 400
    assert response["Content-Type"] == PROBLEM_JSON
    assert response.json()["errorCode"] == "validation_failed"
    assert message in response.json()["errors"][field][0]
    assert lamba.call_count("POST", VERIFY_PATH) == 0


def test_sec35_phone_codes_are_limited_per_number_across_ips(
    lamba: LambaEmulator, phone_user: EmulatedUser, settings: Any
) -> None:
    settings.LAMBA_IP_RATE_LIMIT = 2
    post_json(Client(), REQUEST, {"phone": PHONE})
    code = lamba.last_sms_code(PHONE)
    wrong_code = "000000" if code != "000000" else "111111"
    guesses = [
        post_json(Client(REMOTE_ADDR=f"192.0.2.{n}"), VERIFY, {"phone": PHONE, "code": wrong_code})
        for n in range(3)
    ]
    assert [r.status_code for r in guesses] == [401, 401, 429]
    assert int(guesses[-1]["Retry-After"]) >= 1
    assert lamba.call_count("POST", VERIFY_PATH) == 2
    # The handle path counts against the same number.
    handle = phone_token(ask_for_code(Client(REMOTE_ADDR="192.0.2.50")))
    refused = Client(REMOTE_ADDR="192.0.2.51").post(VERIFY, {"phone_token": handle, "code": code})
    assert refused.status_code == 429
    assert "Try again in" in refused.content.decode()
    assert lamba.call_count("POST", VERIFY_PATH) == 2
