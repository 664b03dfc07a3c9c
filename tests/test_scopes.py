"""Scoped sessions: ``lamba:switch_context`` and sign-in scoping, against the real emulator."""

from __future__ import annotations

from typing import Any

import pytest
from django.shortcuts import resolve_url
from django.test import Client

from django_lamba._internal import store
from django_lamba.conf import lamba_settings
from django_lamba.testing import EmulatedUser, LambaEmulator
from tests.authz_urls import JSON, PASSWORD, client_for

pytestmark = pytest.mark.urls("tests.authz_urls")

SWITCH = "/auth/switch-context/"
OTHER = "prj_other"


def allow(settings: Any, lamba: LambaEmulator, *projects: str) -> None:
    """Let this site serve ``projects`` of the demo Workspace besides the demo Project."""
    settings.LAMBA_ALLOWED_PROJECTS = [
        f"{lamba.workspace_id}/{project}" for project in (lamba.project_id, *projects)
    ]


@pytest.fixture
def other_project(lamba: LambaEmulator, lamba_user: EmulatedUser, settings: Any) -> str:
    """A second Project, served by this site, where ``user@example.com`` is an owner."""
    allow(settings, lamba, OTHER)
    lamba.add_project(lamba.workspace_id, OTHER, "Other")
    lamba.grant(
        lamba_user.email,
        project_id=OTHER,
        roles=["owner"],
        permissions=["billing.manage"],
        is_project_admin=True,
    )
    return OTHER


def scope(lamba: LambaEmulator, project: str, **extra: str) -> dict[str, str]:
    return {"workspaceId": lamba.workspace_id, "projectId": project, **extra}


def cookie(client: Client, name: str) -> str:
    return client.cookies[name].value


def test_switching_rewrites_the_cookies_and_shows_the_new_roles(
    lamba: LambaEmulator, lamba_client: Client, other_project: str
) -> None:
    before = lamba_client.get("/whoami/").json()
    assert before["project"] == lamba.project_id
    assert (before["roles"], before["permissions"]) == (["member"], ["members.read"])
    old_access = cookie(lamba_client, lamba_settings.SESSION_COOKIE)
    old_refresh = cookie(lamba_client, lamba_settings.REFRESH_COOKIE)
    old_hash = store.token_hash(old_access)
    assert store.get_context(old_hash) is not None
    assert store.get_authorization(old_hash) is not None

    response = lamba_client.post(SWITCH, scope(lamba, other_project, next="/whoami/"))

    assert response.status_code == 302
    assert response["Location"] == "/whoami/"
    assert response.cookies[lamba_settings.SESSION_COOKIE].value not in ("", old_access)
    assert response.cookies[lamba_settings.REFRESH_COOKIE].value not in ("", old_refresh)
    assert response.cookies[lamba_settings.SESSION_COOKIE]["httponly"]
    assert "no-store" in response["Cache-Control"]
    assert store.get_context(old_hash) is None
    assert store.get_authorization(old_hash) is None
    after = lamba_client.get("/whoami/").json()
    assert after == {
        "email": "user@example.com",
        "project": other_project,
        "roles": ["owner"],
        "permissions": ["billing.manage"],
        "isProjectAdmin": True,
    }


def test_json_callers_get_ok_and_the_environment_defaults_to_the_setting(
    lamba: LambaEmulator, lamba_client: Client, other_project: str
) -> None:
    response = lamba_client.post(SWITCH, scope(lamba, other_project), content_type=JSON)
    assert response.status_code == 200
    assert response.json() == {
        "ok": True,
        "next": resolve_url(lamba_settings.LOGIN_REDIRECT_URL),
        "workspaceId": lamba.workspace_id,
        "projectId": other_project,
        "environment": lamba.environment,
    }
    assert lamba_client.get("/whoami/").json()["project"] == other_project


def test_not_a_member_is_a_clear_403_and_the_session_is_kept(
    lamba: LambaEmulator, lamba_client: Client, settings: Any
) -> None:
    allow(settings, lamba, "prj_closed")
    lamba.add_project(lamba.workspace_id, "prj_closed", "Closed")
    page = lamba_client.post(SWITCH, scope(lamba, "prj_closed"))
    assert page.status_code == 403
    assert b"You are not a member of that Workspace and Project." in page.content
    assert lamba_settings.SESSION_COOKIE not in page.cookies
    api = lamba_client.post(SWITCH, scope(lamba, "prj_closed"), content_type=JSON)
    assert api.status_code == 403
    assert api.json()["errorCode"] == "AUTHORIZATION_DENIED"
    assert api.json()["detail"] == "You are not a member of that Workspace and Project."
    assert lamba_client.get("/whoami/").json()["project"] == lamba.project_id


def test_a_missing_field_is_customer_auth_context_binding_required(
    lamba: LambaEmulator, lamba_client: Client
) -> None:
    lamba.reset_calls()
    api = lamba_client.post(SWITCH, {"projectId": OTHER}, content_type=JSON)
    assert api.status_code == 400
    body = api.json()
    assert body["errorCode"] == "customer_auth_context_binding_required"
    assert "workspaceId" in body["detail"]
    assert set(body["errors"]) == {"workspaceId"}
    page = lamba_client.post(SWITCH, {"workspaceId": lamba.workspace_id})
    assert page.status_code == 400
    assert b"needs a Workspace, a Project and an environment" in page.content
    assert lamba.call_count("POST", "/v1/sessions/switch-context") == 0


def test_lambas_own_binding_error_is_a_configuration_message(
    lamba: LambaEmulator, lamba_client: Client, other_project: str
) -> None:
    lamba.inject_fault(
        "/v1/sessions/switch-context",
        status=400,
        error_code="customer_auth_context_binding_required",
    )
    response = lamba_client.post(SWITCH, scope(lamba, other_project), content_type=JSON)
    assert response.status_code == 400
    assert response.json()["errorCode"] == "customer_auth_context_binding_required"
    assert "LAMBA_CUSTOMER_WORKSPACE_ID" in response.json()["detail"]


@pytest.mark.parametrize(("status", "expected"), [(503, 503), (429, 429)])
def test_lamba_trouble_keeps_the_session(
    lamba: LambaEmulator,
    lamba_client: Client,
    other_project: str,
    settings: Any,
    status: int,
    expected: int,
) -> None:
    settings.LAMBA_MAX_RETRIES = 0
    lamba.inject_fault("/v1/sessions/switch-context", status=status, retry_after=7)
    response = lamba_client.post(SWITCH, scope(lamba, other_project))
    assert response.status_code == expected
    assert response["Retry-After"] == "7"
    assert lamba_settings.SESSION_COOKIE not in response.cookies
    assert lamba_client.get("/whoami/").json()["project"] == lamba.project_id


def test_a_plan_limit_shows_the_plan_page(
    lamba: LambaEmulator, lamba_client: Client, other_project: str
) -> None:
    lamba.inject_fault("/v1/sessions/switch-context", status=402)
    response = lamba_client.post(SWITCH, scope(lamba, other_project))
    assert response.status_code == 402
    assert "django_lamba/plan_limit.html" in [t.name for t in response.templates]


@pytest.mark.parametrize("evil", ["//evil.com", "https://evil.com/", "javascript:alert(1)"])
def test_next_must_stay_on_this_site(
    lamba: LambaEmulator, lamba_client: Client, other_project: str, evil: str
) -> None:
    response = lamba_client.post(SWITCH, scope(lamba, other_project, next=evil))
    assert response.status_code == 302
    assert response["Location"] == resolve_url(lamba_settings.LOGIN_REDIRECT_URL)


def test_post_only_and_csrf_protected(
    lamba: LambaEmulator, lamba_user: EmulatedUser, other_project: str
) -> None:
    client = client_for(lamba, lamba_user.email, enforce_csrf_checks=True)
    assert client.get(SWITCH).status_code == 405
    assert client.post(SWITCH, scope(lamba, other_project)).status_code == 403
    client.get("/auth/login/")
    data = scope(lamba, other_project, csrfmiddlewaretoken=client.cookies["csrftoken"].value)
    assert client.post(SWITCH, data).status_code == 302


def test_anonymous_callers_are_sent_to_sign_in(lamba: LambaEmulator) -> None:
    page = Client().post(SWITCH, scope(lamba, OTHER, next="/whoami/"))
    assert page["Location"] == "/auth/login/?next=/whoami/"
    api = Client().post(SWITCH, scope(lamba, OTHER), content_type=JSON)
    assert api.status_code == 401
    assert lamba.call_count("POST", "/v1/sessions/switch-context") == 0


def test_sign_in_is_scoped_to_the_configured_project(
    lamba: LambaEmulator, lamba_user: EmulatedUser
) -> None:
    client = Client()
    body = {"login": lamba_user.email, "password": PASSWORD}
    assert client.post("/auth/login/", body, content_type=JSON).status_code == 200
    me = client.get("/whoami/").json()
    assert (me["project"], me["roles"]) == (lamba.project_id, ["member"])


def test_switching_keeps_the_csrf_secret_so_other_tabs_keep_working(
    lamba: LambaEmulator, lamba_user: EmulatedUser, other_project: str
) -> None:
    client = client_for(lamba, lamba_user.email, enforce_csrf_checks=True)
    client.get("/auth/login/")
    secret = client.cookies["csrftoken"].value
    response = client.post(SWITCH, scope(lamba, other_project, csrfmiddlewaretoken=secret))
    assert response.status_code == 302
    assert "csrftoken" not in response.cookies
    # A sign-in, by contrast, is a new identity and gets a new secret.
    signed_in = client.post(
        "/auth/login/",
        {"login": lamba_user.email, "password": PASSWORD, "csrfmiddlewaretoken": secret},
    )
    assert signed_in.status_code == 302
    assert signed_in.cookies["csrftoken"].value != secret


def test_a_scoped_token_too_large_for_a_cookie_is_a_clear_502(
    lamba: LambaEmulator, lamba_client: Client, other_project: str
) -> None:
    huge = {"access_token": "a" * 5000, "refresh_token": "r", "token_type": "Bearer"}
    lamba.inject_fault("/v1/sessions/switch-context", status=200, body=huge)
    response = lamba_client.post(SWITCH, scope(lamba, other_project), HTTP_ACCEPT=JSON)
    assert response.status_code == 502
    assert response.json()["errorCode"] == "session_too_large"
    assert response.cookies[lamba_settings.SESSION_COOKIE].value == ""
    assert "a" * 100 not in response.content.decode()
