"""LambaMiddleware against the real emulator: lazy users, refresh once, clean sign-out, outages."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.test import AsyncClient, Client
from django.urls import path

from django_lamba.conf import lamba_settings
from django_lamba.decorators import lamba_login_required
from django_lamba.testing import LambaEmulator, client_with_tokens
from tests.urls import urlpatterns as base_urlpatterns

pytestmark = pytest.mark.urls(__name__)


async def async_whoami(request: HttpRequest) -> HttpResponse:
    user = await request.auser()  # type: ignore[attr-defined]
    return HttpResponse(user.email if user.is_authenticated else "anonymous")


@lamba_login_required
async def async_protected(request: HttpRequest) -> HttpResponse:
    user = await request.auser()  # type: ignore[attr-defined]
    return HttpResponse(user.email)


def context_view(request: HttpRequest) -> JsonResponse:
    user: Any = request.user
    project = user.context.active_project
    return JsonResponse(
        {
            "type": user.__class__.__name__,
            "id": user.id,
            "username": user.get_username(),
            "roles": list(user.role_keys),
            "project": project.id if project else None,
            "environment": user.context.environment,
        }
    )


def username(request: HttpRequest) -> HttpResponse:
    return HttpResponse(request.user.get_username())


urlpatterns = [
    *base_urlpatterns,
    path("username/", username),
    path("async-whoami/", async_whoami),
    path("async-protected/", async_protected),
    path("context/", context_view),
]


def _scoped(emu: LambaEmulator, email: str, **kwargs: Any) -> dict[str, str]:
    return emu.issue_session(
        email, workspace_id=emu.workspace_id, project_id=emu.project_id, **kwargs
    )


def test_no_cookie_means_no_network_and_django_anonymous(lamba: LambaEmulator) -> None:
    lamba.reset_calls()
    response = Client().get("/whoami/")
    assert response.content == b"anonymous"
    assert lamba.calls.total() == 0


def test_a_view_that_never_reads_the_user_costs_nothing(lamba_client: Client, lamba) -> None:
    lamba.reset_calls()
    response = lamba_client.get("/public/")
    assert response.status_code == 200
    assert lamba.calls.total() == 0
    assert "Cookie" not in response.get("Vary", "")


def test_signed_in_user_carries_the_whole_context(lamba_client: Client, lamba_user) -> None:
    body = lamba_client.get("/context/").json()
    assert body["type"] == "LambaUser"
    assert body["id"] == lamba_user.id
    assert body["username"] == "user"
    assert body["roles"] == ["member"]
    assert body["project"] == "prj_demo"
    assert body["environment"] == "test"


def test_djangos_login_required_accepts_a_lamba_user(lamba_client: Client) -> None:
    response = lamba_client.get("/django-protected/")
    assert response.status_code == 200
    assert response.content == b"user@example.com"


def test_signed_in_response_is_private_and_varies_on_cookie(lamba_client: Client) -> None:
    response = lamba_client.get("/whoami/")
    assert "Cookie" in response["Vary"]
    assert "private" in response["Cache-Control"]
    assert "no-store" in response["Cache-Control"]


def test_anonymous_html_is_redirected_to_login_with_next(lamba: LambaEmulator) -> None:
    response = Client().get("/protected/?a=1")
    assert response.status_code == 302
    assert response["Location"] == "/auth/login/?next=/protected/%3Fa%3D1"


def test_anonymous_json_gets_401_problem_details(lamba: LambaEmulator) -> None:
    response = Client().get("/protected/", HTTP_ACCEPT="application/json")
    assert response.status_code == 401
    assert response["Content-Type"] == "application/problem+json"
    assert response.json()["errorCode"] == "authentication_required"


def test_garbage_cookie_is_anonymous_not_a_500(lamba: LambaEmulator) -> None:
    client = Client()
    client.cookies[lamba_settings.SESSION_COOKIE] = "eyJ%%%not-a-token"
    client.cookies[lamba_settings.REFRESH_COOKIE] = "\x00garbage"
    assert client.get("/whoami/").content == b"anonymous"
    assert client.get("/protected/").status_code == 302


def test_expired_access_token_is_refreshed_once_and_cookies_rotate(
    lamba: LambaEmulator, lamba_user
) -> None:
    tokens = _scoped(lamba, lamba_user.email, access_token_ttl=-120)
    client = Client()
    client_with_tokens(tokens, client)
    lamba.reset_calls()
    response = client.get("/protected/")
    assert response.content == b"user@example.com"
    assert lamba.call_count("POST", "/v1/auth/refresh") == 1
    new_refresh = response.cookies[lamba_settings.REFRESH_COOKIE]
    assert new_refresh.value and new_refresh.value != tokens["refresh_token"]
    assert new_refresh["httponly"] and new_refresh["secure"]
    assert response.cookies[lamba_settings.SESSION_COOKIE].value != tokens["access_token"]
    # The browser now holds the rotated pair: the next request needs no refresh.
    assert client.get("/protected/").content == b"user@example.com"
    assert lamba.call_count("POST", "/v1/auth/refresh") == 1


def test_reused_refresh_token_ends_in_a_clean_sign_out(lamba: LambaEmulator, lamba_user) -> None:
    tokens = _scoped(lamba, lamba_user.email, access_token_ttl=-120)
    thief = Client()
    client_with_tokens(tokens, thief)
    # Someone else rotates the refresh token first (outside any grace window we know of) ...
    import requests

    requests.post(
        lamba.auth_url + "/v1/auth/refresh",
        json={"refresh_token": tokens["refresh_token"]},
        timeout=5,
    ).raise_for_status()
    # ... so this browser presents an already-rotated token: Lamba revokes the session.
    response = thief.get("/protected/")
    assert response.status_code == 302
    for name in (lamba_settings.SESSION_COOKIE, lamba_settings.REFRESH_COOKIE):
        assert response.cookies[name].value == ""
        assert response.cookies[name]["max-age"] == 0
    assert lamba.session_id_for(tokens["access_token"]) in lamba.revoked_sessions


@pytest.mark.parametrize(
    "fault",
    [
        {"status": 502, "body": "<html><body>Bad gateway</body></html>"},
        {"status": 200, "body": "<html>login portal</html>"},
        {"latency": 1.0},
    ],
    ids=["html-502", "html-200", "timeout"],
)
def test_outage_answers_503_and_keeps_the_cookies(
    lamba: LambaEmulator, lamba_user, settings, fault: dict[str, Any]
) -> None:
    settings.LAMBA_READ_TIMEOUT = 0.3
    settings.LAMBA_MAX_RETRIES = 0
    client = Client()
    client_with_tokens(_scoped(lamba, lamba_user.email), client)
    lamba.inject_fault("/v1/me/context", times=None, **fault)
    response = client.get("/protected/")
    assert response.status_code == 503
    assert int(response["Retry-After"]) > 0
    assert b"Temporarily unavailable" in response.content
    assert lamba_settings.SESSION_COOKIE not in response.cookies
    assert lamba_settings.REFRESH_COOKIE not in response.cookies
    json_response = client.get("/protected/", HTTP_ACCEPT="application/json")
    assert json_response.status_code == 503
    assert json_response.json()["errorCode"] == "lamba_unavailable"
    # Public pages do not notice.
    assert client.get("/public/").status_code == 200


def test_correlation_id_is_passed_through(lamba_client: Client, lamba) -> None:
    lamba.requests_log.clear()
    lamba_client.get("/whoami/", HTTP_X_CORRELATION_ID="req-1234-abcd")
    sent = [r for r in lamba.requests_log if r.path == "/v1/me/context"]
    assert sent and sent[-1].headers["X-Correlation-Id"] == "req-1234-abcd"
    assert all("X-Tenant-Id" not in r.headers for r in lamba.requests_log)


@pytest.mark.django_db
def test_django_session_user_survives_a_dead_lamba_cookie(lamba: LambaEmulator) -> None:
    staff = User.objects.create_user("staff", password="pw-123456789")
    client = Client()
    client.force_login(staff, backend="django.contrib.auth.backends.ModelBackend")
    client.cookies[lamba_settings.SESSION_COOKIE] = "opaque-but-revoked"
    response = client.get("/username/")
    assert response.content == b"staff"
    # The staff user is still request.user (Lamba said 401 and the cookies were cleared).
    assert response.cookies[lamba_settings.SESSION_COOKIE].value == ""


def test_async_views_resolve_the_user_with_auser(lamba: LambaEmulator, lamba_user) -> None:
    client = AsyncClient()
    client_with_tokens(_scoped(lamba, lamba_user.email), client)

    async def scenario() -> list[Any]:
        return [
            (await client.get("/async-whoami/")).content,
            (await client.get("/async-protected/")).content,
            (await AsyncClient().get("/async-protected/")).status_code,
        ]

    assert asyncio.run(scenario()) == [b"user@example.com", b"user@example.com", 302]
