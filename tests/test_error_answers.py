"""Whatever Lamba answers during a sign-in, every sign-in endpoint answers the same way.

Every endpoint that calls Lamba on a customer's behalf (login, register, magic link request and
verify, phone request and verify, the MFA step, the OIDC callback, switch-context, logout) meets
each kind of upstream trouble, as a page and as JSON, through the real emulator. What the
customer gets is ``answer_for``'s mapping: a 429 keeps its status and ``Retry-After``, a 402 is a
plan limit that is never retried, anything that is Lamba failing is a 503 with ``Retry-After``;
never a 500 or a 502, never a traceback, a token, or Lamba's own words. Logout clears the
cookies whatever Lamba answers.
"""

from __future__ import annotations

import email.utils
import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

import pytest
from django.test import Client

from django_lamba._internal import breaker, pending
from django_lamba._internal.responses import answer_for, session_answer
from django_lamba.conf import lamba_settings
from django_lamba.exceptions import (
    MAX_RETRY_AFTER,
    LambaBadRequest,
    LambaConflict,
    LambaError,
    LambaForbidden,
    LambaNotFound,
    LambaPaymentRequired,
    LambaRateLimited,
    LambaUnauthorized,
    LambaUnavailable,
)
from django_lamba.testing import LambaEmulator
from tests.flows import AT, PROBLEM_JSON, RT, post_json, token_cookies

#: What ``django.test.Client`` answers.
Response = Any

PASSWORD = "correct-horse-battery"
PHONE = "+15551234567"
MAGIC_TOKEN = "magic-link-token-that-must-never-be-echoed"
CODE = "246810"
OIDC_CLIENT_ID = "site-app"
OIDC_REDIRECT_URI = "http://testserver/auth/oidc/callback/"
UPSTREAM_HTML = "<html><h1>Upstream gateway exploded</h1></html>"
#: The ``detail`` of every problem the emulator injects: Lamba's words, never shown.
UPSTREAM_DETAIL = "Injected fault."
LEGACY_402 = {
    "error": "PLAN_LIMIT_EXCEEDED",
    "limit": "mau",
    "allowed": 1000,
    "current": 1000,
    "plan": "starter",
    "message": "Monthly active user limit reached for plan starter.",
}


# --- the endpoints -----------------------------------------------------------------------------


@dataclass
class Call:
    """One request to an endpoint, ready to send, and what must not come back in it."""

    send: Callable[[bool], Response]
    secrets: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class Endpoint:
    """A sign-in endpoint: the Lamba path it calls and how to make one request to it."""

    name: str
    upstream: str
    prepare: Callable[[LambaEmulator, Client], Call]
    always_succeeds: bool = False  # logout: the cookies go whatever Lamba answers


def _form_or_json(client: Client, url: str, data: dict[str, Any]) -> Callable[[bool], Response]:
    def send(as_json: bool) -> Response:
        if as_json:
            return post_json(client, url, data)
        return client.post(url, data)

    return send


def _login(lamba: LambaEmulator, client: Client) -> Call:
    data = {"login": "user@example.com", "password": PASSWORD}
    return Call(_form_or_json(client, "/auth/login/", data), [PASSWORD])


def _register(lamba: LambaEmulator, client: Client) -> Call:
    data = {"email": "new@example.com", "password": PASSWORD}
    return Call(_form_or_json(client, "/auth/register/", data), [PASSWORD])


def _magic_link_request(lamba: LambaEmulator, client: Client) -> Call:
    return Call(_form_or_json(client, "/auth/magic-link/", {"email": "user@example.com"}))


def _magic_link_verify(lamba: LambaEmulator, client: Client) -> Call:
    url = "/auth/magic-link/verify/"

    def send(as_json: bool) -> Response:
        if as_json:
            return post_json(client, url, {"token": MAGIC_TOKEN})
        # As a browser does it: the link's GET parks the token, the confirmation POSTs.
        assert client.get(url, {"token": MAGIC_TOKEN}).status_code == 302
        return client.post(url, {})

    return Call(send, [MAGIC_TOKEN])


def _phone_request(lamba: LambaEmulator, client: Client) -> Call:
    return Call(_form_or_json(client, "/auth/phone/", {"phone": PHONE}))


def _phone_verify(lamba: LambaEmulator, client: Client) -> Call:
    return Call(_form_or_json(client, "/auth/phone/verify/", {"phone": PHONE, "code": CODE}))


def _mfa_step(lamba: LambaEmulator, client: Client) -> Call:
    # The handle the ``mfa_required`` answer hands out; the step sends the code with it.
    handle = pending.stash({"login": "user@example.com", "password": PASSWORD})
    data = {"mfa_token": handle, "mfa_code": CODE}
    return Call(_form_or_json(client, "/auth/login/", data), [PASSWORD])


def _oidc_callback(lamba: LambaEmulator, client: Client) -> Call:
    from tests.test_oidc import authorize, begin

    lamba.add_oidc_client(OIDC_CLIENT_ID, [OIDC_REDIRECT_URI])
    callback = authorize(lamba, begin(client))
    code = dict(part.split("=", 1) for part in urlsplit(callback).query.split("&"))["code"]

    def send(as_json: bool) -> Response:
        headers = {"Accept": "application/json"} if as_json else {}
        return client.get(callback, headers=headers)

    return Call(send, [code])


def _switch_context(lamba: LambaEmulator, client: Client) -> Call:
    data = {
        "workspaceId": lamba.workspace_id,
        "projectId": lamba.project_id,
        "environment": lamba.environment,
    }
    return Call(_form_or_json(client, "/auth/switch-context/", data), _session_tokens(client))


def _logout(lamba: LambaEmulator, client: Client) -> Call:
    return Call(_form_or_json(client, "/auth/logout/", {}), _session_tokens(client))


def _session_tokens(client: Client) -> list[str]:
    return [client.cookies[name].value for name in (AT, RT) if name in client.cookies]


ENDPOINTS = [
    Endpoint("login", "/v1/auth/login/password", _login),
    Endpoint("register", "/v1/auth/register", _register),
    Endpoint("magic-link-request", "/v1/auth/login/magic-link/request", _magic_link_request),
    Endpoint("magic-link-verify", "/v1/auth/login/magic-link/verify", _magic_link_verify),
    Endpoint("phone-request", "/v1/auth/login/phone/request", _phone_request),
    Endpoint("phone-verify", "/v1/auth/login/phone/verify", _phone_verify),
    Endpoint("mfa-step", "/v1/auth/login/password", _mfa_step),
    Endpoint("oidc-callback", "/connect/token", _oidc_callback),
    Endpoint("switch-context", "/v1/sessions/switch-context", _switch_context),
    Endpoint("logout", "/v1/auth/logout", _logout, always_succeeds=True),
]


# --- what Lamba answers --------------------------------------------------------------------------


@dataclass(frozen=True)
class Upstream:
    """One kind of upstream answer and what the customer must get for it."""

    name: str
    status: int  # what the customer gets
    code: str  # the ``errorCode`` of the JSON answer
    retry_after: tuple[int, int] | None = None  # the allowed Retry-After range, if exact
    fault: dict[str, Any] = field(default_factory=dict)
    setup: Callable[[LambaEmulator, Any], None] | None = None


def _http_date(seconds_from_now: int) -> str:
    return email.utils.formatdate(time.time() + seconds_from_now, usegmt=True)


def _timeout(lamba: LambaEmulator, settings: Any) -> None:
    settings.LAMBA_READ_TIMEOUT = 0.3


def _circuit_open(lamba: LambaEmulator, settings: Any) -> None:
    parts = urlsplit(lamba.auth_url)
    for _ in range(lamba_settings.CIRCUIT_FAILURES):
        breaker.failed(f"{parts.scheme}://{parts.netloc}")


UNAVAILABLE = "lamba_unavailable"
LIMITED = "RATE_LIMIT_EXCEEDED"
PLAN = "PLAN_LIMIT_EXCEEDED"

UPSTREAMS = [
    Upstream("500-problem", 503, UNAVAILABLE, fault={"status": 500}),
    Upstream("502-html-page", 503, UNAVAILABLE, fault={"status": 502, "body": UPSTREAM_HTML}),
    Upstream("503-retry-after", 503, UNAVAILABLE, (17, 17), {"status": 503, "retry_after": 17}),
    Upstream("429-seconds", 429, LIMITED, (17, 17), {"status": 429, "retry_after": 17}),
    Upstream(
        "429-http-date",
        429,
        LIMITED,
        (85, 91),
        {"status": 429, "retry_after": "http-date+90"},
    ),
    Upstream(
        "429-400-digits",
        429,
        LIMITED,
        (MAX_RETRY_AFTER, MAX_RETRY_AFTER),
        {"status": 429, "retry_after": "9" * 400},
    ),
    Upstream("402-problem", 402, PLAN, fault={"status": 402}),
    Upstream(
        "402-legacy-body",
        402,
        PLAN,
        fault={"status": 402, "body": LEGACY_402, "content_type": "application/json"},
    ),
    Upstream(
        "200-garbage",
        503,
        UNAVAILABLE,
        fault={"status": 200, "body": "}{ not json", "content_type": "application/json"},
    ),
    Upstream("timeout", 503, UNAVAILABLE, fault={"latency": 1.0}, setup=_timeout),
    Upstream("circuit-open", 503, UNAVAILABLE, setup=_circuit_open),
]


# --- the matrix --------------------------------------------------------------------------------


@pytest.mark.parametrize("as_json", [False, True], ids=["html", "json"])
@pytest.mark.parametrize("upstream", UPSTREAMS, ids=[u.name for u in UPSTREAMS])
@pytest.mark.parametrize("endpoint", ENDPOINTS, ids=[e.name for e in ENDPOINTS])
def test_every_sign_in_endpoint_answers_upstream_trouble_as_mapped_and_never_with_a_500(
    lamba: LambaEmulator,
    lamba_client: Client,
    settings: Any,
    endpoint: Endpoint,
    upstream: Upstream,
    as_json: bool,
) -> None:
    settings.LAMBA_MAX_RETRIES = 0
    settings.LAMBA_CLIENT_ID = OIDC_CLIENT_ID
    # Only switch-context and logout need the session; the others start from a fresh browser.
    needs_session = endpoint.name in ("switch-context", "logout")
    client = lamba_client if needs_session else Client()
    call = endpoint.prepare(lamba, client)
    if upstream.setup is not None:
        upstream.setup(lamba, settings)
    if upstream.fault:
        fault = dict(upstream.fault)
        if fault.get("retry_after") == "http-date+90":
            fault["retry_after"] = _http_date(90)
        lamba.inject_fault(endpoint.upstream, **fault)

    response = call.send(as_json)

    body = response.content.decode("utf-8", "replace")
    assert response.status_code not in (500, 502), body
    assert "Traceback" not in body
    assert UPSTREAM_DETAIL not in body  # Lamba's own words stay upstream
    assert "Upstream gateway exploded" not in body
    assert LEGACY_402["message"] not in body and "starter" not in body
    for secret in call.secrets:
        assert secret not in body

    if endpoint.always_succeeds:
        assert response.status_code == (200 if as_json else 302)
        assert token_cookies(response) == {AT: "", RT: ""}  # cleared whatever Lamba said
        return

    assert response.status_code == upstream.status, body
    assert token_cookies(response) == {}  # nobody signed in, nobody signed out
    if as_json:
        assert response["Content-Type"] == PROBLEM_JSON
        problem = response.json()
        assert problem["status"] == upstream.status
        assert problem["errorCode"] == upstream.code
        assert problem["detail"]
    else:
        assert response["Content-Type"].startswith("text/html")
    if upstream.status in (429, 503):
        wait = response["Retry-After"]
        assert wait.isdigit() and 1 <= int(wait) <= MAX_RETRY_AFTER
        if upstream.retry_after is not None:
            low, high = upstream.retry_after
            assert low <= int(wait) <= high
        elif upstream.name != "circuit-open":
            assert int(wait) == lamba_settings.RETRY_AFTER_DEFAULT
    else:
        assert "Retry-After" not in response  # a plan limit is not something to retry


# --- the mapping itself ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("error", "status", "code"),
    [
        (LambaBadRequest(status=422, error_code="validation_failed"), 400, "validation_failed"),
        (LambaUnauthorized(error_code="invalid_credentials"), 401, "invalid_credentials"),
        (LambaForbidden(error_code="forbidden"), 403, "AUTHORIZATION_DENIED"),
        (LambaNotFound(), 404, "not_found"),
        (LambaConflict(error_code="identity_already_exists"), 409, "identity_already_exists"),
        (LambaPaymentRequired(error_code="plan_limit_reached"), 402, "PLAN_LIMIT_EXCEEDED"),
        (LambaError(status=402), 402, "PLAN_LIMIT_EXCEEDED"),
        (LambaRateLimited(error_code="rate_limited"), 429, "RATE_LIMIT_EXCEEDED"),
        (LambaUnavailable(status=500, error_code="internal_error"), 503, "lamba_unavailable"),
        (LambaError(status=418, error_code="teapot"), 503, "lamba_unavailable"),
        (LambaError(status=302), 503, "lamba_unavailable"),
        (LambaError(status=405), 503, "lamba_unavailable"),
    ],
)
def test_answer_for_keeps_what_the_customer_can_act_on_and_calls_the_rest_an_outage(
    error: LambaError, status: int, code: str
) -> None:
    answer = answer_for(error)
    assert (answer.status, answer.code) == (status, code)
    assert ("Retry-After" in answer.headers) == (status in (429, 503))


def test_answer_for_sends_the_default_wait_and_never_zero(settings: Any) -> None:
    settings.LAMBA_RETRY_AFTER_DEFAULT = 42
    assert answer_for(LambaUnavailable()).headers["Retry-After"] == "42"
    assert answer_for(LambaRateLimited()).headers["Retry-After"] == "42"
    assert answer_for(LambaUnavailable(retry_after=0)).retry_after == 1
    assert answer_for(LambaRateLimited(retry_after=0.2)).retry_after == 1


def test_answer_for_never_passes_on_lambas_detail_and_keeps_the_trace_id() -> None:
    error = LambaUnavailable(status=500, detail="stack: secret-db-host:5432", trace_id="00-abc")
    response = answer_for(error).problem()
    body = response.content.decode()
    assert "secret-db-host" not in body
    assert response.status_code == 503
    assert json.loads(body)["traceId"] == "00-abc"


def test_field_errors_travel_only_with_a_400() -> None:
    errors = {"email": ["Enter a valid email."]}
    assert answer_for(LambaBadRequest(field_errors=errors)).field_errors == errors
    assert answer_for(LambaConflict(field_errors=errors)).field_errors == {}


def test_flow_messages_word_refusals_but_never_hide_an_outage() -> None:
    messages = {"INVALID_CODE": "That code is not right."}
    refused = answer_for(LambaUnauthorized(error_code="invalid_code"), messages=messages)
    assert refused.message == "That code is not right."
    outage = answer_for(LambaUnavailable(error_code="invalid_code"), messages=messages)
    assert outage.status == 503 and outage.message != "That code is not right."


@pytest.mark.parametrize("error", [LambaForbidden(), LambaNotFound(), LambaConflict()])
def test_a_session_that_could_not_be_resolved_is_an_outage(error: LambaError) -> None:
    answer = session_answer(error)
    assert answer.status == 503 and answer.retry_after is not None


@pytest.mark.parametrize(
    ("error", "status"), [(LambaPaymentRequired(), 402), (LambaRateLimited(), 429)]
)
def test_a_session_meeting_a_plan_or_rate_limit_says_so(error: LambaError, status: int) -> None:
    assert session_answer(error).status == status
