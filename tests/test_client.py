"""``LambaClient`` in isolation: headers, bodies, timeouts, errors, retries, paging, logging.

These are the only tests that fake HTTP (with ``responses``); everything above the client runs
against the emulator.
"""

from __future__ import annotations

import asyncio
import json
import logging
import re
import types
from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
from email.utils import format_datetime
from typing import Any
from urllib.parse import parse_qs

import pytest
import requests
import responses
from django.http import HttpRequest, HttpResponse
from django.test import RequestFactory
from responses import matchers

from django_lamba import client as client_module
from django_lamba._internal import correlation
from django_lamba.client import LambaClient, parse_retry_after
from django_lamba.exceptions import (
    LambaBadRequest,
    LambaConflict,
    LambaError,
    LambaForbidden,
    LambaMFARequired,
    LambaNotFound,
    LambaPaymentRequired,
    LambaRateLimited,
    LambaUnauthorized,
    LambaUnavailable,
)
from django_lamba.middleware import LambaMiddleware

AUTH = "https://auth.lamba.test"
API = "https://api.lamba.test"
ACCESS = "eyJhbGciOiJSUzI1NiJ9.c2VjcmV0LWFjY2Vzcw.sig-access-SECRET"
REFRESH = "rt_SECRET_refresh_0123456789abcdef"
TOKENS = {
    "access_token": ACCESS,
    "refresh_token": REFRESH,
    "refresh_token_expires_at": "2030-12-01T10:00:00Z",
}
CONTEXT = {"user": {"id": "usr_1", "email": "ada@example.com"}, "roleKeys": ["member"]}
FORBIDDEN_HEADERS = ("X-Tenant-Id", "X-Project-Id", "X-Environment")
HTML = "<html><body><h1>502 Bad Gateway</h1></body></html>"


@pytest.fixture
def mocked() -> Iterator[responses.RequestsMock]:
    with responses.RequestsMock(assert_all_requests_are_fired=False) as rsps:
        yield rsps


@pytest.fixture
def client() -> LambaClient:
    return LambaClient(auth_base_url=AUTH + "/", api_base_url=API)


@pytest.fixture
def sleeps(monkeypatch: pytest.MonkeyPatch) -> list[float]:
    """Record the client's sleeps instead of sleeping."""
    slept: list[float] = []
    fake_time = types.SimpleNamespace(sleep=slept.append, monotonic=lambda: 0.0)
    monkeypatch.setattr(client_module, "time", fake_time)
    return slept


def problem(status: int, code: str, **extra: Any) -> dict[str, Any]:
    body = {
        "type": f"https://uselamba.com/docs/reference/errors#{code}",
        "title": "Problem",
        "status": status,
        "detail": f"upstream words for {code}",
        "errorCode": code,
        "traceId": f"trace-{status}",
    }
    body.update(extra)
    return body


def add_problem(
    mocked: responses.RequestsMock,
    method: str,
    url: str,
    status: int,
    code: str,
    headers: dict[str, str] | None = None,
    **extra: Any,
) -> None:
    mocked.add(
        method,
        url,
        body=json.dumps(problem(status, code, **extra)),
        status=status,
        content_type="application/problem+json",
        headers=headers,
    )


# --- headers -----------------------------------------------------------------------------------


def test_every_call_sends_a_correlation_id_and_never_the_console_headers(
    mocked: responses.RequestsMock, client: LambaClient
) -> None:
    mocked.post(AUTH + "/v1/auth/login/password", json=TOKENS)
    mocked.post(AUTH + "/v1/auth/refresh", json=TOKENS)
    mocked.post(AUTH + "/v1/auth/logout", status=204)
    mocked.post(AUTH + "/v1/sessions/switch-context", json=TOKENS)
    mocked.post(AUTH + "/connect/token", json={"access_token": "mgmt", "expires_in": 60})
    mocked.get(AUTH + "/.well-known/jwks.json", json={"keys": []})
    mocked.get(API + "/v1/me/context", json=CONTEXT)
    mocked.get(API + "/v1/me/authorization", json={})
    mocked.get(API + "/v1/admin/members", json={"items": []})
    mocked.patch(API + "/v1/me/profile", json={})

    client.login_password("ada@example.com", "pw")
    client.refresh(REFRESH)
    client.logout(ACCESS, REFRESH)
    client.switch_context(ACCESS, "ws", "prj", "test")
    client.client_credentials("id", "secret", workspace_id="ws", project_id="prj")
    client.get_jwks()
    client.get_context(ACCESS)
    client.get_authorization(ACCESS)
    client.list_page("/v1/admin/members", "mgmt")
    client.send("PATCH", "/v1/me/profile", ACCESS, json={"bio": "x"})

    assert len(mocked.calls) == 10
    for call in mocked.calls:
        headers = call.request.headers
        assert re.fullmatch(r"[A-Za-z0-9._:-]{8,128}", headers["X-Correlation-Id"])
        for name in FORBIDDEN_HEADERS:
            assert name not in headers
        assert headers["Accept"] == "application/json"


def test_correlation_id_comes_from_the_current_context(
    mocked: responses.RequestsMock, client: LambaClient
) -> None:
    mocked.get(API + "/v1/me/context", json=CONTEXT)
    token = correlation.set_current("req-abcdef-123456")
    try:
        client.get_context(ACCESS)
        client.get_context(ACCESS)
    finally:
        correlation.reset(token)
    assert [c.request.headers["X-Correlation-Id"] for c in mocked.calls] == [
        "req-abcdef-123456",
        "req-abcdef-123456",
    ]


def test_middleware_forwards_the_incoming_correlation_id(mocked: responses.RequestsMock) -> None:
    mocked.get(API + "/v1/me/context", json=CONTEXT)
    client = LambaClient(auth_base_url=AUTH, api_base_url=API)

    def view(request: HttpRequest) -> HttpResponse:
        client.get_context(ACCESS)
        return HttpResponse("ok")

    middleware = LambaMiddleware(view)
    middleware(RequestFactory().get("/", HTTP_X_CORRELATION_ID="incoming-id-42"))
    middleware(RequestFactory().get("/", HTTP_X_CORRELATION_ID="bad id\r\nX-Evil: 1"))
    middleware(RequestFactory().get("/"))

    sent = [c.request.headers["X-Correlation-Id"] for c in mocked.calls]
    assert sent[0] == "incoming-id-42"
    # An unsafe or missing incoming id is replaced by a fresh one.
    assert "evil" not in sent[1].lower()
    assert re.fullmatch(r"[0-9a-f-]{36}", sent[1])
    assert re.fullmatch(r"[0-9a-f-]{36}", sent[2])
    # The id does not leak past the request it belongs to.
    assert correlation.current() != "incoming-id-42"


def test_bearer_header_only_when_a_token_is_given(
    mocked: responses.RequestsMock, client: LambaClient
) -> None:
    mocked.get(API + "/v1/me/context", json=CONTEXT)
    mocked.post(AUTH + "/v1/auth/login/password", json=TOKENS)
    client.get_context(ACCESS)
    client.login_password("ada@example.com", "pw")
    assert mocked.calls[0].request.headers["Authorization"] == f"Bearer {ACCESS}"
    assert "Authorization" not in mocked.calls[1].request.headers


def test_logout_sends_the_access_token_as_bearer_and_the_refresh_token_in_the_body(
    mocked: responses.RequestsMock, client: LambaClient
) -> None:
    mocked.post(AUTH + "/v1/auth/logout", status=204)
    assert client.logout(ACCESS, REFRESH) is None
    request = mocked.calls[0].request
    assert request.headers["Authorization"] == f"Bearer {ACCESS}"
    assert json.loads(request.body) == {"refresh_token": REFRESH}


# --- bodies ------------------------------------------------------------------------------------


def test_auth_calls_send_json(mocked: responses.RequestsMock, client: LambaClient) -> None:
    mocked.post(
        AUTH + "/v1/auth/login/password",
        json=TOKENS,
        match=[
            matchers.json_params_matcher(
                {"login": "ada@example.com", "password": "pw", "mfaCode": "123456"}
            )
        ],
    )
    mocked.post(
        AUTH + "/v1/auth/register",
        status=201,
        json=TOKENS,
        match=[
            matchers.json_params_matcher(
                {"email": "ada@example.com", "password": "pw", "displayName": "Ada"}
            )
        ],
    )
    mocked.post(
        AUTH + "/v1/sessions/switch-context",
        json=TOKENS,
        match=[
            matchers.json_params_matcher(
                {"workspaceId": "ws", "projectId": "prj", "environment": "test"}
            )
        ],
    )
    tokens = client.login_password("ada@example.com", "pw", mfa_code="123456")
    assert tokens.access_token == ACCESS
    assert client.register("ada@example.com", "pw", display_name="Ada").refresh_token == REFRESH
    client.switch_context(ACCESS, "ws", "prj", "test")
    for call in mocked.calls:
        assert call.request.headers["Content-Type"] == "application/json"


def test_connect_token_is_form_encoded(
    mocked: responses.RequestsMock, client: LambaClient
) -> None:
    mocked.post(
        AUTH + "/connect/token",
        json={"access_token": "mgmt-token", "expires_in": 120, "scope": "members"},
    )
    before = datetime.now(timezone.utc)
    token = client.client_credentials(
        "mgmt_demo", "s3cret", workspace_id="ws", project_id="prj", environment="test"
    )
    request = mocked.calls[0].request
    assert request.headers["Content-Type"] == "application/x-www-form-urlencoded"
    form = {k: v[0] for k, v in parse_qs(request.body).items()}
    assert form == {
        "grant_type": "client_credentials",
        "client_id": "mgmt_demo",
        "client_secret": "s3cret",
        "workspaceId": "ws",
        "projectId": "prj",
        "environment": "test",
    }
    assert token.access_token == "mgmt-token"
    assert token.scope == "members"
    assert before + timedelta(seconds=119) <= token.expires_at


def test_token_endpoint_posts_a_form(mocked: responses.RequestsMock, client: LambaClient) -> None:
    mocked.post("https://idp.test/token", json={"access_token": "a", "id_token": "i"})
    body = client.token_endpoint("https://idp.test/token", {"grant_type": "authorization_code"})
    assert body["id_token"] == "i"
    request = mocked.calls[0].request
    assert request.headers["Content-Type"] == "application/x-www-form-urlencoded"
    assert request.body == "grant_type=authorization_code"


def test_client_credentials_without_access_token_is_unavailable(
    mocked: responses.RequestsMock, client: LambaClient
) -> None:
    mocked.post(AUTH + "/connect/token", json={"token_type": "Bearer"})
    with pytest.raises(LambaUnavailable):
        client.client_credentials("id", "secret")


# --- timeouts ----------------------------------------------------------------------------------


def test_timeouts_come_from_settings(
    mocked: responses.RequestsMock, client: LambaClient, settings: Any
) -> None:
    mocked.get(API + "/v1/me/context", json=CONTEXT)
    mocked.post(AUTH + "/v1/auth/refresh", json=TOKENS)
    settings.LAMBA_CONNECT_TIMEOUT = 1.5
    settings.LAMBA_READ_TIMEOUT = 4
    client.get_context(ACCESS)
    client.refresh(REFRESH)
    for call in mocked.calls:
        assert call.request.req_kwargs["timeout"] == (1.5, 4.0)


def test_default_timeouts_are_set(mocked: responses.RequestsMock, client: LambaClient) -> None:
    mocked.get(API + "/v1/me/context", json=CONTEXT)
    client.get_context(ACCESS)
    connect, read = mocked.calls[0].request.req_kwargs["timeout"]
    assert 0 < connect <= 10
    assert 0 < read <= 30


def test_redirects_are_not_followed(mocked: responses.RequestsMock, client: LambaClient) -> None:
    mocked.get(API + "/v1/me/context", status=302, headers={"Location": "https://evil.test/"})
    mocked.get("https://evil.test/", json=CONTEXT)
    with pytest.raises(LambaError):
        client.get_context(ACCESS)
    assert all("evil" not in c.request.url for c in mocked.calls)


# --- ProblemDetails ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("status", "code", "expected"),
    [
        (400, "validation_failed", LambaBadRequest),
        (400, "customer_auth_context_binding_required", LambaBadRequest),
        (401, "invalid_credentials", LambaUnauthorized),
        (401, "token_expired", LambaUnauthorized),
        (402, "plan_limit_reached", LambaPaymentRequired),
        (403, "forbidden", LambaForbidden),
        (404, "not_found", LambaNotFound),
        (409, "identity_already_exists", LambaConflict),
        (422, "validation_failed", LambaBadRequest),
        (429, "rate_limited", LambaRateLimited),
        (500, "internal_error", LambaUnavailable),
        (503, "service_unavailable", LambaUnavailable),
    ],
)
def test_problem_details_become_the_right_exception(
    mocked: responses.RequestsMock,
    client: LambaClient,
    status: int,
    code: str,
    expected: type[LambaError],
) -> None:
    add_problem(mocked, "POST", AUTH + "/v1/auth/login/password", status, code)
    with pytest.raises(LambaError) as caught:
        client.login_password("ada@example.com", "pw")
    error = caught.value
    assert type(error) is expected
    if expected is not LambaUnavailable:
        assert error.status == status
        assert error.error_code == code
        assert error.trace_id == f"trace-{status}"
        assert error.detail == f"upstream words for {code}"
    assert len(mocked.calls) == 1  # a POST is never retried


def test_problem_field_errors_and_retry_after(
    mocked: responses.RequestsMock, client: LambaClient
) -> None:
    add_problem(
        mocked,
        "POST",
        AUTH + "/v1/auth/register",
        400,
        "validation_failed",
        errors={"email": ["Enter a valid email address."], "password": "Too short."},
    )
    with pytest.raises(LambaBadRequest) as caught:
        client.register("nope", "pw")
    assert caught.value.field_errors == {
        "email": ["Enter a valid email address."],
        "password": ["Too short."],
    }

    add_problem(
        mocked,
        "POST",
        AUTH + "/v1/auth/login/password",
        429,
        "rate_limited",
        headers={"Retry-After": "17"},
    )
    with pytest.raises(LambaRateLimited) as limited:
        client.login_password("ada@example.com", "pw")
    assert limited.value.retry_after == 17.0
    assert limited.value.status == 429


def test_mfa_required_carries_the_available_factors(
    mocked: responses.RequestsMock, client: LambaClient
) -> None:
    add_problem(
        mocked,
        "POST",
        AUTH + "/v1/auth/login/password",
        401,
        "mfa_required",
        availableFactors=["totp", "sms"],
    )
    with pytest.raises(LambaMFARequired) as caught:
        client.login_password("ada@example.com", "pw")
    assert isinstance(caught.value, LambaUnauthorized)
    assert caught.value.available_factors == ["totp", "sms"]


def test_oauth_error_bodies_are_understood(
    mocked: responses.RequestsMock, client: LambaClient
) -> None:
    mocked.post(
        AUTH + "/connect/token",
        status=401,
        json={"error": "invalid_client", "error_description": "Client authentication failed."},
    )
    with pytest.raises(LambaUnauthorized) as caught:
        client.client_credentials("id", "wrong")
    assert caught.value.error_code == "invalid_client"
    assert caught.value.detail == "Client authentication failed."


# --- answers that are not Lamba speaking -------------------------------------------------------


@pytest.mark.parametrize("status", [502, 503, 504, 500])
def test_html_error_page_is_unavailable(
    mocked: responses.RequestsMock, client: LambaClient, status: int
) -> None:
    mocked.post(
        AUTH + "/v1/auth/login/password", body=HTML, status=status, content_type="text/html"
    )
    with pytest.raises(LambaUnavailable):
        client.login_password("ada@example.com", "pw")


def test_html_4xx_page_is_unavailable(mocked: responses.RequestsMock, client: LambaClient) -> None:
    mocked.post(AUTH + "/v1/auth/login/password", body=HTML, status=403, content_type="text/html")
    with pytest.raises(LambaUnavailable):
        client.login_password("ada@example.com", "pw")


def test_html_429_from_a_gateway_is_still_rate_limited(
    mocked: responses.RequestsMock, client: LambaClient
) -> None:
    mocked.post(
        AUTH + "/v1/auth/login/password",
        body=HTML,
        status=429,
        content_type="text/html",
        headers={"Retry-After": "9"},
    )
    with pytest.raises(LambaRateLimited) as caught:
        client.login_password("ada@example.com", "pw")
    assert caught.value.retry_after == 9.0


@pytest.mark.parametrize(
    "body",
    [HTML, '{"access_token": "trunc', "not json at all", "\x00\x01\x02"],
)
def test_200_with_a_body_that_is_not_json_is_unavailable(
    mocked: responses.RequestsMock, client: LambaClient, body: str
) -> None:
    mocked.post(AUTH + "/v1/auth/login/password", body=body, status=200)
    mocked.get(API + "/v1/me/context", body=body, status=200)
    with pytest.raises(LambaUnavailable):
        client.login_password("ada@example.com", "pw")
    with pytest.raises(LambaUnavailable):
        client.get_context(ACCESS)


@pytest.mark.parametrize("body", [[], "a string", 42, None, {"user": "x"}])
def test_200_with_json_of_the_wrong_shape_is_unavailable(
    mocked: responses.RequestsMock, client: LambaClient, body: object
) -> None:
    mocked.post(AUTH + "/v1/auth/login/password", json=body)
    mocked.get(API + "/v1/me/context", json=body)
    with pytest.raises(LambaUnavailable):
        client.login_password("ada@example.com", "pw")
    with pytest.raises(LambaUnavailable):
        client.get_context(ACCESS)


def test_empty_success_is_none(mocked: responses.RequestsMock, client: LambaClient) -> None:
    mocked.post(AUTH + "/v1/auth/login/magic-link/request", status=202, body="")
    assert client.request_magic_link("ada@example.com", "https://app.test/verify") is None


def test_get_document_needs_a_json_object(
    mocked: responses.RequestsMock, client: LambaClient
) -> None:
    mocked.get(AUTH + "/.well-known/jwks.json", json=["not", "an", "object"])
    with pytest.raises(LambaUnavailable):
        client.get_jwks()


@pytest.mark.parametrize(
    "exc",
    [
        requests.Timeout("read timed out"),
        requests.ReadTimeout("read timed out"),
        requests.ConnectTimeout("connect timed out"),
        requests.ConnectionError("refused"),
        requests.exceptions.ChunkedEncodingError("broken"),
        requests.exceptions.SSLError("bad cert"),
    ],
)
def test_transport_failures_are_unavailable(
    mocked: responses.RequestsMock, client: LambaClient, sleeps: list[float], exc: Exception
) -> None:
    mocked.post(AUTH + "/v1/auth/login/password", body=exc)
    mocked.get(API + "/v1/me/context", body=exc)
    with pytest.raises(LambaUnavailable):
        client.login_password("ada@example.com", "pw")
    with pytest.raises(LambaUnavailable):
        client.get_context(ACCESS)
    posts = [c for c in mocked.calls if c.request.method == "POST"]
    assert len(posts) == 1


def test_connection_error_on_a_get_is_retried_then_succeeds(
    mocked: responses.RequestsMock, client: LambaClient, sleeps: list[float]
) -> None:
    mocked.get(API + "/v1/me/context", body=requests.ConnectionError("reset"))
    mocked.get(API + "/v1/me/context", json=CONTEXT)
    assert client.get_context(ACCESS).user.id == "usr_1"
    assert len(mocked.calls) == 2
    assert len(sleeps) == 1


def test_a_timed_out_get_is_not_retried(
    mocked: responses.RequestsMock, client: LambaClient, sleeps: list[float], settings: Any
) -> None:
    # Waiting the read timeout twice would double how long a request thread hangs.
    settings.LAMBA_MAX_RETRIES = 3
    mocked.get(API + "/v1/me/context", body=requests.ReadTimeout("slow"))
    with pytest.raises(LambaUnavailable):
        client.get_context(ACCESS)
    assert len(mocked.calls) == 1
    assert sleeps == []


def test_real_connection_refused_is_unavailable(settings: Any, sleeps: list[float]) -> None:
    # Port 9 (discard) on loopback refuses connections: no faking, a real socket error.
    settings.LAMBA_CONNECT_TIMEOUT = 1
    client = LambaClient(auth_base_url="http://127.0.0.1:9", api_base_url="http://127.0.0.1:9")
    with pytest.raises(LambaUnavailable):
        client.get_context(ACCESS)
    with pytest.raises(LambaUnavailable):
        client.login_password("ada@example.com", "pw")


# --- Retry-After and retries -------------------------------------------------------------------


NOW = datetime(2026, 1, 1, 12, 0, tzinfo=timezone.utc)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("5", 5.0),
        (" 120 ", 120.0),
        ("0", 0.0),
        (format_datetime(NOW + timedelta(seconds=30), usegmt=True), 30.0),
        ("Thu, 01 Jan 2026 12:01:00 GMT", 60.0),
        ("Thu, 01 Jan 2026 11:00:00 GMT", 0.0),  # in the past
        ("-3", None),
        ("1.5", None),
        ("soon", None),
        ("", None),
        (None, None),
    ],
)
def test_parse_retry_after(value: str | None, expected: float | None) -> None:
    assert parse_retry_after(value, now=NOW) == expected


def test_get_is_retried_after_a_short_retry_after(
    mocked: responses.RequestsMock, client: LambaClient, sleeps: list[float]
) -> None:
    add_problem(
        mocked, "GET", API + "/v1/me/context", 429, "rate_limited", headers={"Retry-After": "1"}
    )
    mocked.get(API + "/v1/me/context", json=CONTEXT)
    assert client.get_context(ACCESS).user.id == "usr_1"
    assert len(mocked.calls) == 2
    assert sleeps == [1.0]


@pytest.mark.parametrize("max_retries", [0, 1, 3])
def test_get_is_retried_at_most_max_retries_times(
    mocked: responses.RequestsMock,
    client: LambaClient,
    sleeps: list[float],
    settings: Any,
    max_retries: int,
) -> None:
    settings.LAMBA_MAX_RETRIES = max_retries
    add_problem(
        mocked, "GET", API + "/v1/me/context", 429, "rate_limited", headers={"Retry-After": "1"}
    )
    with pytest.raises(LambaRateLimited) as caught:
        client.get_context(ACCESS)
    assert caught.value.retry_after == 1.0
    assert len(mocked.calls) == 1 + max_retries
    assert sleeps == [1.0] * max_retries


def test_post_is_never_retried(
    mocked: responses.RequestsMock, client: LambaClient, sleeps: list[float], settings: Any
) -> None:
    settings.LAMBA_MAX_RETRIES = 3
    for path in ("/v1/auth/login/password", "/v1/auth/refresh"):
        add_problem(mocked, "POST", AUTH + path, 429, "rate_limited", headers={"Retry-After": "1"})
    mocked.post(AUTH + "/v1/auth/logout", body=HTML, status=503)
    with pytest.raises(LambaRateLimited):
        client.login_password("ada@example.com", "pw")
    with pytest.raises(LambaRateLimited):
        client.refresh(REFRESH)
    with pytest.raises(LambaUnavailable):
        client.logout(ACCESS, REFRESH)
    assert len(mocked.calls) == 3
    assert sleeps == []


def test_a_long_retry_after_is_not_slept(
    mocked: responses.RequestsMock, client: LambaClient, sleeps: list[float], settings: Any
) -> None:
    settings.LAMBA_MAX_RETRY_WAIT = 2
    add_problem(
        mocked, "GET", API + "/v1/me/context", 429, "rate_limited", headers={"Retry-After": "30"}
    )
    with pytest.raises(LambaRateLimited) as caught:
        client.get_context(ACCESS)
    assert caught.value.retry_after == 30.0
    assert len(mocked.calls) == 1
    assert sleeps == []


def test_a_long_http_date_retry_after_is_not_slept(
    mocked: responses.RequestsMock, client: LambaClient, sleeps: list[float]
) -> None:
    later = format_datetime(datetime.now(timezone.utc) + timedelta(hours=1), usegmt=True)
    add_problem(
        mocked, "GET", API + "/v1/me/context", 429, "rate_limited", headers={"Retry-After": later}
    )
    with pytest.raises(LambaRateLimited) as caught:
        client.get_context(ACCESS)
    assert caught.value.retry_after is not None
    assert caught.value.retry_after > 3000
    assert sleeps == []


def test_a_5xx_on_a_get_is_retried_once(
    mocked: responses.RequestsMock, client: LambaClient, sleeps: list[float]
) -> None:
    mocked.get(API + "/v1/me/context", body=HTML, status=502)
    with pytest.raises(LambaUnavailable):
        client.get_context(ACCESS)
    assert len(mocked.calls) == 2
    assert len(sleeps) == 1


def test_a_4xx_other_than_429_is_not_retried(
    mocked: responses.RequestsMock, client: LambaClient, sleeps: list[float]
) -> None:
    add_problem(mocked, "GET", API + "/v1/me/context", 401, "token_expired")
    with pytest.raises(LambaUnauthorized):
        client.get_context(ACCESS)
    assert len(mocked.calls) == 1
    assert sleeps == []


# --- paging and the generic API ----------------------------------------------------------------


def test_list_page_follows_cursors(mocked: responses.RequestsMock, client: LambaClient) -> None:
    url = API + "/v1/admin/members"
    mocked.get(
        url,
        json={"items": [{"id": "m1"}, {"id": "m2"}], "nextCursor": "c2"},
        match=[matchers.query_param_matcher({"limit": "2"})],
    )
    mocked.get(
        url,
        json={"items": [{"id": "m3"}, "junk", 7], "nextCursor": None},
        match=[matchers.query_param_matcher({"limit": "2", "cursor": "c2"})],
    )
    first = client.list_page("/v1/admin/members", "mgmt", limit=2)
    assert [item["id"] for item in first.items] == ["m1", "m2"]
    assert first.next_cursor == "c2"
    second = client.list_page("/v1/admin/members", "mgmt", limit=2, cursor=first.next_cursor)
    assert second.items == [{"id": "m3"}]
    assert second.next_cursor is None
    assert mocked.calls[0].request.headers["Authorization"] == "Bearer mgmt"


@pytest.mark.parametrize(
    ("body", "items", "cursor"),
    [
        ({}, [], None),
        ({"items": "nope", "nextCursor": ""}, [], None),
        ({"items": [], "nextCursor": 5}, [], None),
        ({"items": [{"id": 1}], "nextCursor": "abc", "total": 9}, [{"id": 1}], "abc"),
    ],
)
def test_list_page_is_tolerant(
    mocked: responses.RequestsMock,
    client: LambaClient,
    body: dict[str, Any],
    items: list[Any],
    cursor: str | None,
) -> None:
    mocked.get(API + "/v1/me/sessions", json=body)
    page = client.list_page("/v1/me/sessions", ACCESS)
    assert page.items == items
    assert page.next_cursor == cursor
    assert mocked.calls[0].request.url == API + "/v1/me/sessions"


def test_list_page_needs_an_object(mocked: responses.RequestsMock, client: LambaClient) -> None:
    mocked.get(API + "/v1/me/sessions", json=[{"id": 1}])
    with pytest.raises(LambaUnavailable):
        client.list_page("/v1/me/sessions", ACCESS)


def test_base_urls_follow_settings(mocked: responses.RequestsMock, settings: Any) -> None:
    settings.LAMBA_CUSTOMER_API_BASE_URL = "https://other-api.lamba.test/"
    mocked.get("https://other-api.lamba.test/v1/me/context", json=CONTEXT)
    assert LambaClient().get_context(ACCESS).user.id == "usr_1"


def test_async_twins(mocked: responses.RequestsMock, client: LambaClient) -> None:
    mocked.get(API + "/v1/me/context", json=CONTEXT)
    mocked.get(API + "/v1/me/authorization", json={"effectivePermissions": ["members.read"]})
    mocked.post(AUTH + "/v1/auth/refresh", json=TOKENS)

    async def run() -> tuple[Any, Any, Any]:
        return (
            await client.aget_context(ACCESS),
            await client.aget_authorization(ACCESS),
            await client.arefresh(REFRESH),
        )

    context, authz, tokens = asyncio.run(run())
    assert context.user.id == "usr_1"
    assert authz.has_permission("members.read")
    assert tokens.refresh_token == REFRESH


# --- secrets stay secret -----------------------------------------------------------------------


def test_exceptions_never_contain_tokens(
    mocked: responses.RequestsMock, client: LambaClient
) -> None:
    add_problem(
        mocked,
        "POST",
        AUTH + "/v1/auth/refresh",
        401,
        "refresh_token_reused",
        detail=f"refresh token {REFRESH} was reused",
    )
    with pytest.raises(LambaUnauthorized) as caught:
        client.refresh(REFRESH)
    assert REFRESH not in str(caught.value)
    assert REFRESH not in repr(caught.value)
    assert REFRESH not in str(caught.value.to_problem(detail="x"))


def test_no_log_record_contains_a_token(
    mocked: responses.RequestsMock,
    client: LambaClient,
    caplog: pytest.LogCaptureFixture,
    sleeps: list[float],
) -> None:
    caplog.set_level(logging.DEBUG)
    mocked.post(AUTH + "/v1/auth/login/password", json=TOKENS)
    mocked.post(AUTH + "/v1/auth/refresh", json=TOKENS)
    mocked.get(API + "/v1/me/context", json=CONTEXT)
    add_problem(
        mocked,
        "GET",
        API + "/v1/me/authorization",
        401,
        "token_expired",
        detail=f"token {ACCESS} expired",
    )
    mocked.post(AUTH + "/v1/auth/logout", body=requests.ConnectionError(f"reset {ACCESS}"))
    mocked.post(AUTH + "/v1/sessions/switch-context", body=requests.Timeout(ACCESS))
    mocked.get(
        AUTH + f"/userinfo?access_token={ACCESS}", body=HTML, status=502, content_type="text/html"
    )

    client.login_password("ada@example.com", "correct-horse-battery")
    client.refresh(REFRESH)
    client.get_context(ACCESS)
    with pytest.raises(LambaUnauthorized):
        client.get_authorization(ACCESS)
    with pytest.raises(LambaUnavailable):
        client.logout(ACCESS, REFRESH)
    with pytest.raises(LambaUnavailable):
        client.switch_context(ACCESS, "ws", "prj", "test")
    with pytest.raises(LambaUnavailable):
        client.get_document(AUTH + f"/userinfo?access_token={ACCESS}", token=ACCESS)

    assert caplog.records, "the client should log its calls"
    for secret in (ACCESS, REFRESH, "correct-horse-battery", "c2VjcmV0LWFjY2Vzcw"):
        assert secret not in caplog.text
        for record in caplog.records:
            assert secret not in record.getMessage()


def test_circuit_opens_after_consecutive_outages_of_one_host(
    mocked: responses.RequestsMock, client: LambaClient, settings: Any
) -> None:
    settings.LAMBA_MAX_RETRIES = 0
    settings.LAMBA_CIRCUIT_FAILURES = 3
    mocked.get(f"{API}/v1/me/context", body=HTML, status=502, content_type="text/html")
    mocked.get(f"{AUTH}/.well-known/jwks.json", json={"keys": []})
    for _ in range(3):
        with pytest.raises(LambaUnavailable):
            client.get_context(ACCESS)
    with pytest.raises(LambaUnavailable) as paused:
        client.get_context(ACCESS)
    assert len(mocked.calls) == 3  # the fourth call never left the process
    assert paused.value.retry_after is not None and paused.value.retry_after > 0
    # The other host is not affected.
    assert client.get_jwks() == {"keys": []}


def test_answers_from_lamba_never_open_the_circuit(
    mocked: responses.RequestsMock, client: LambaClient, settings: Any
) -> None:
    settings.LAMBA_CIRCUIT_FAILURES = 2
    mocked.get(f"{API}/v1/me/context", json=problem(401, "token_expired"), status=401)
    for _ in range(4):
        with pytest.raises(LambaUnauthorized):
            client.get_context(ACCESS)
    assert len(mocked.calls) == 4
