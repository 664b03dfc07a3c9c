"""Tenant binding: only sessions active in this site's Project (and environment) sign in here.

Every Lamba Workspace shares one issuer and one JWKS, so these tests sign people in to *other*
Projects of the same emulator and present their genuine cookies to a site configured for the
emulator's demo Workspace/Project.
"""

from __future__ import annotations

import logging
from typing import Any

import pytest
from django.contrib.auth.decorators import login_required, permission_required
from django.http import HttpRequest, HttpResponse
from django.template import engines
from django.test import Client
from django.urls import path
from django.views import View
from rest_framework.response import Response
from rest_framework.views import APIView

from django_lamba.conf import lamba_settings
from django_lamba.contrib.drf import HasLambaPermission, LambaAuthentication
from django_lamba.decorators import lamba_login_required, lamba_permission_required
from django_lamba.mixins import LambaPermissionRequiredMixin
from django_lamba.testing import LambaEmulator
from tests import authz_urls
from tests.authz_urls import ADMIN, JSON, PASSWORD, client_for, set_session

pytestmark = pytest.mark.urls(__name__)

ATTACKER = "mallory@example.com"
WS_ATTACKER, PRJ_ATTACKER = "ws_attacker", "prj_attacker"
PRJ_SECOND = "prj_second"
SWITCH = "/auth/switch-context/"


def _email(request: HttpRequest) -> HttpResponse:
    return HttpResponse(getattr(request.user, "email", ""), content_type="text/plain")


class MembersView(LambaPermissionRequiredMixin, View):
    permission_required = "members.read"

    def get(self, request: HttpRequest) -> HttpResponse:
        return _email(request)


class MembersAPI(APIView):
    authentication_classes = [LambaAuthentication]
    permission_classes = [HasLambaPermission("members.read")]

    def get(self, request: Any) -> Response:
        return Response({"email": request.user.email})


def _template(request: HttpRequest) -> HttpResponse:
    source = (
        "{% load lamba %}{{ user.is_authenticated }}|"
        "{{ user|has_lamba_permission:'members.read' }}|{{ user|has_lamba_role:'owner' }}"
    )
    return HttpResponse(engines["django"].from_string(source).render({"user": request.user}))


def _has_perm(request: HttpRequest) -> HttpResponse:
    return HttpResponse(str(request.user.has_perm("members.read")))


urlpatterns = [
    *authz_urls.urlpatterns,
    path("members/", lamba_permission_required("members.read")(_email)),
    path("members-mixin/", MembersView.as_view()),
    path("members-api/", MembersAPI.as_view()),
    path("signed-in/", lamba_login_required(_email)),
    path("django-login/", login_required(_email)),
    path("django-perm/", permission_required("members.read")(_email)),
    path("template/", _template),
    path("has-perm/", _has_perm),
]


@pytest.fixture
def mallory(lamba: LambaEmulator) -> dict[str, Any]:
    """The owner and admin of her own Project, signed in there: genuine, foreign tokens."""
    lamba.add_workspace(WS_ATTACKER, "Attacker Inc")
    lamba.add_project(WS_ATTACKER, PRJ_ATTACKER, "Attacker app")
    lamba.add_user(
        ATTACKER,
        PASSWORD,
        roles=["owner"],
        permissions=["members.read", "members.invite"],
        is_project_admin=True,
        project_id=PRJ_ATTACKER,
    )
    return lamba.issue_session(ATTACKER, workspace_id=WS_ATTACKER, project_id=PRJ_ATTACKER)


def client_with(tokens: dict[str, Any]) -> Client:
    client = Client()
    set_session(client, tokens)
    return client


# --- SECURITY 47: another Project's session is not signed in here ------------------------------


@pytest.mark.parametrize(
    "url", ["/members/", "/members-mixin/", "/signed-in/", "/members-api/", "/django-perm/"]
)
def test_sec47_other_project_session_is_refused_on_protected_pages(
    mallory: dict[str, Any], url: str
) -> None:
    client = client_with(mallory)
    page = client.get(url)
    assert page.status_code in (302, 401, 403)
    assert ATTACKER.encode() not in page.content
    api = client.get(url, HTTP_ACCEPT=JSON)
    assert api.status_code in (302, 401, 403)
    assert ATTACKER.encode() not in api.content


def test_sec47_other_project_session_is_anonymous(mallory: dict[str, Any]) -> None:
    client = client_with(mallory)
    assert client.get("/whoami/").json() == {"email": None}
    assert client.get("/template/").content == b"False|False|False"
    assert client.get("/has-perm/").content == b"False"
    login = client.get("/django-login/")
    assert login.status_code == 302
    assert login["Location"].startswith("/accounts/login/") or "login" in login["Location"]


def test_sec47_other_project_json_is_401_problem_with_an_error_code(
    mallory: dict[str, Any],
) -> None:
    response = client_with(mallory).get("/signed-in/", HTTP_ACCEPT=JSON)
    assert response.status_code == 401
    assert response["Content-Type"] == "application/problem+json"
    assert response.json()["errorCode"] == "project_not_allowed"


def test_sec47_other_project_is_refused_by_drf_with_401(mallory: dict[str, Any]) -> None:
    cookie = client_with(mallory).get("/members-api/")
    assert cookie.status_code == 401
    bearer = Client().get("/members-api/", HTTP_AUTHORIZATION=f"Bearer {mallory['access_token']}")
    assert bearer.status_code == 401
    assert ATTACKER.encode() not in bearer.content


def test_sec47_a_scoped_jwt_of_another_project_costs_no_call_to_lamba(
    lamba: LambaEmulator, mallory: dict[str, Any]
) -> None:
    lamba.reset_calls()
    client = client_with(mallory)
    for _ in range(3):
        assert client.get("/whoami/").json() == {"email": None}
    assert lamba.call_count("GET", "/v1/me/context") == 0
    assert lamba.call_count("POST", "/v1/auth/refresh") == 0


def test_sec47_the_context_refuses_tokens_that_cannot_be_read_locally(
    lamba: LambaEmulator, mallory: dict[str, Any], settings: Any
) -> None:
    """Opaque tokens (here: local verification off) are bound by the context, once per token."""
    settings.LAMBA_VERIFY_JWT = False
    lamba.reset_calls()
    client = client_with(mallory)
    for _ in range(3):
        assert client.get("/whoami/").json() == {"email": None}
    assert lamba.call_count("GET", "/v1/me/context") == 1
    assert lamba.call_count("GET", "/v1/me/authorization") == 0


def test_sec47_refusal_logs_one_warning_without_the_token(
    mallory: dict[str, Any], caplog: pytest.LogCaptureFixture
) -> None:
    client = client_with(mallory)
    with caplog.at_level(logging.INFO, logger="django_lamba"):
        for _ in range(3):
            client.get("/whoami/")
    refusals = [r for r in caplog.records if "Refused a Lamba session" in r.getMessage()]
    assert len(refusals) == 1
    assert refusals[0].levelno == logging.WARNING
    message = refusals[0].getMessage()
    assert PRJ_ATTACKER in message and WS_ATTACKER in message
    for record in caplog.records:
        assert mallory["access_token"] not in record.getMessage()
        assert mallory["refresh_token"] not in record.getMessage()


def test_sec47_the_cookies_of_a_refused_session_are_kept(mallory: dict[str, Any]) -> None:
    response = client_with(mallory).get("/signed-in/")
    assert lamba_settings.SESSION_COOKIE not in response.cookies
    assert lamba_settings.REFRESH_COOKIE not in response.cookies


def test_sec47_another_environment_is_refused(lamba: LambaEmulator, admin: Any) -> None:
    tokens = lamba.issue_session(
        ADMIN, workspace_id=lamba.workspace_id, project_id=lamba.project_id, environment="prod"
    )
    client = client_with(tokens)
    assert client.get("/whoami/").json() == {"email": None}
    assert client.get("/members/").status_code == 401


def test_sec47_this_projects_session_still_signs_in(lamba: LambaEmulator, admin: Any) -> None:
    client = client_for(lamba, ADMIN)
    assert client.get("/members/").content == ADMIN.encode()
    assert client.get("/template/").content == b"True|True|True"


def test_sec47_an_unbound_site_accepts_every_project(
    lamba: LambaEmulator, mallory: dict[str, Any], settings: Any
) -> None:
    settings.LAMBA_CUSTOMER_WORKSPACE_ID = ""
    settings.LAMBA_CUSTOMER_PROJECT_ID = ""
    assert client_with(mallory).get("/whoami/").json()["email"] == ATTACKER


# --- an unscoped session must enter the Project explicitly -------------------------------------


def test_sec47_unscoped_session_is_asked_to_enter_the_project_again(
    lamba: LambaEmulator, admin: Any
) -> None:
    client = client_with(lamba.issue_session(ADMIN))
    assert client.get("/whoami/").json() == {"email": None}

    api = client.get("/signed-in/", HTTP_ACCEPT=JSON)
    assert api.status_code == 401
    assert api.json()["errorCode"] == "project_reentry_required"

    page = client.get("/signed-in/")
    assert page.status_code == 401
    html = page.content.decode()
    assert 'action="/auth/switch-context/"' in html
    assert f'name="projectId" value="{lamba.project_id}"' in html
    assert f'name="workspaceId" value="{lamba.workspace_id}"' in html
    assert 'name="next" value="/signed-in/"' in html
    assert lamba_settings.SESSION_COOKIE not in page.cookies


def test_sec48_the_reentry_button_switches_into_the_project(
    lamba: LambaEmulator, admin: Any
) -> None:
    client = client_with(lamba.issue_session(ADMIN))
    client.get("/signed-in/")  # the page with the button
    scope = {"workspaceId": lamba.workspace_id, "projectId": lamba.project_id}
    response = client.post(SWITCH, {**scope, "next": "/signed-in/"})
    assert response.status_code == 302
    assert response["Location"] == "/signed-in/"
    assert client.get("/members/").content == ADMIN.encode()


def test_sec48_nothing_switches_an_unscoped_session_by_itself(
    lamba: LambaEmulator, admin: Any
) -> None:
    client = client_with(lamba.issue_session(ADMIN))
    lamba.reset_calls()
    for url in ("/whoami/", "/signed-in/", "/members/", "/members-api/"):
        client.get(url)
    assert lamba.call_count("POST", "/v1/sessions/switch-context") == 0


# --- SECURITY 48: switch-context goes only where the site allows --------------------------------


@pytest.fixture
def second_project(lamba: LambaEmulator, admin: Any) -> str:
    """A second Project of the demo Workspace where the admin is also an owner."""
    lamba.add_project(lamba.workspace_id, PRJ_SECOND, "Second")
    lamba.grant(ADMIN, project_id=PRJ_SECOND, roles=["owner"], permissions=["members.read"])
    return PRJ_SECOND


def test_sec48_switch_outside_allowed_projects_is_refused_without_calling_lamba(
    lamba: LambaEmulator, mallory: dict[str, Any], viewer: Any
) -> None:
    lamba.add_workspace(WS_ATTACKER, "Attacker Inc")
    lamba.grant(authz_urls.VIEWER, project_id=PRJ_ATTACKER, roles=["owner"])
    client = client_for(lamba, authz_urls.VIEWER)
    assert client.get("/members/").status_code == 403
    lamba.reset_calls()

    scope = {"workspaceId": WS_ATTACKER, "projectId": PRJ_ATTACKER}
    api = client.post(SWITCH, scope, content_type=JSON)
    assert api.status_code == 403
    assert api.json()["errorCode"] == "project_not_allowed"
    page = client.post(SWITCH, scope)
    assert page.status_code == 403
    assert b"This site does not serve that Workspace and Project." in page.content
    assert lamba.call_count("POST", "/v1/sessions/switch-context") == 0
    assert lamba_settings.SESSION_COOKIE not in page.cookies
    assert client.get("/members/").status_code == 403


def test_sec48_switch_to_another_environment_is_refused(lamba: LambaEmulator, admin: Any) -> None:
    client = client_for(lamba, ADMIN)
    lamba.reset_calls()
    scope = {
        "workspaceId": lamba.workspace_id,
        "projectId": lamba.project_id,
        "environment": "prod",
    }
    assert client.post(SWITCH, scope, content_type=JSON).status_code == 403
    assert lamba.call_count("POST", "/v1/sessions/switch-context") == 0


def test_sec48_allowed_projects_lets_a_site_serve_several(
    lamba: LambaEmulator, second_project: str, mallory: dict[str, Any], settings: Any
) -> None:
    settings.LAMBA_ALLOWED_PROJECTS = [
        f"{lamba.workspace_id}/{lamba.project_id}",
        f"{lamba.workspace_id}/{second_project}",
    ]
    client = client_for(lamba, ADMIN)
    assert client.get("/whoami/").json()["project"] == lamba.project_id
    scope = {"workspaceId": lamba.workspace_id, "projectId": second_project}
    assert client.post(SWITCH, scope, content_type=JSON).status_code == 200
    assert client.get("/whoami/").json()["project"] == second_project
    assert client.get("/members/").content == ADMIN.encode()
    # A Project not in the list is still refused.
    assert client_with(mallory).get("/whoami/").json() == {"email": None}


def test_sec48_allowed_projects_from_the_environment_are_comma_separated(
    lamba: LambaEmulator, monkeypatch: pytest.MonkeyPatch, settings: Any
) -> None:
    del settings.LAMBA_CUSTOMER_WORKSPACE_ID
    del settings.LAMBA_CUSTOMER_PROJECT_ID
    for name in ("LAMBA_CUSTOMER_WORKSPACE_ID", "LAMBA_WORKSPACE_ID"):
        monkeypatch.delenv(name, raising=False)
    for name in ("LAMBA_CUSTOMER_PROJECT_ID", "LAMBA_PROJECT_ID"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("LAMBA_ALLOWED_PROJECTS", " ws_a/prj_a, ws_b/prj_b ,bad, /x, ws_a/prj_a")
    assert lamba_settings.ALLOWED_PROJECTS == (("ws_a", "prj_a"), ("ws_b", "prj_b"))


def test_sec48_with_several_allowed_projects_sign_in_stays_unscoped_until_chosen(
    lamba: LambaEmulator, second_project: str, settings: Any
) -> None:
    settings.LAMBA_CUSTOMER_WORKSPACE_ID = ""
    settings.LAMBA_CUSTOMER_PROJECT_ID = ""
    settings.LAMBA_ALLOWED_PROJECTS = [
        f"{lamba.workspace_id}/{lamba.project_id}",
        f"{lamba.workspace_id}/{second_project}",
    ]
    client = Client()
    login = client.post("/auth/login/", {"login": ADMIN, "password": PASSWORD})
    assert login.status_code == 302
    page = client.get("/signed-in/")
    assert page.status_code == 401
    html = page.content.decode()
    assert f'value="{lamba.project_id}"' in html and f'value="{second_project}"' in html
    scope = {"workspaceId": lamba.workspace_id, "projectId": second_project}
    assert client.post(SWITCH, scope, content_type=JSON).status_code == 200
    assert client.get("/whoami/").json()["project"] == second_project


def test_sec48_a_single_allowed_project_is_where_sign_in_goes(
    lamba: LambaEmulator, admin: Any, settings: Any
) -> None:
    settings.LAMBA_CUSTOMER_WORKSPACE_ID = ""
    settings.LAMBA_CUSTOMER_PROJECT_ID = ""
    settings.LAMBA_ALLOWED_PROJECTS = [f"{lamba.workspace_id}/{lamba.project_id}"]
    client = Client()
    assert client.post("/auth/login/", {"login": ADMIN, "password": PASSWORD}).status_code == 302
    assert client.get("/whoami/").json()["project"] == lamba.project_id


# --- a revoked Project scope never heals by itself ---------------------------------------------


def test_sec48_a_revoked_scope_is_not_healed_and_can_be_reentered(
    lamba: LambaEmulator, admin: Any, settings: Any
) -> None:
    settings.LAMBA_CONTEXT_CACHE_TTL = 0  # no cached context hides the revocation
    client = client_for(lamba, ADMIN)
    assert client.get("/members/").content == ADMIN.encode()
    session_id = lamba.session_id_for(client.cookies[lamba_settings.SESSION_COOKIE].value)
    assert session_id
    lamba.revoke_scope(session_id)
    lamba.reset_calls()

    api = client.get("/members/", HTTP_ACCEPT=JSON)
    assert api.status_code == 401
    assert api.json()["errorCode"] == "project_reentry_required"
    # The refresh came back unscoped: its rotated tokens are kept, nothing switched them back.
    assert lamba.call_count("POST", "/v1/auth/refresh") == 1
    assert lamba.call_count("POST", "/v1/sessions/switch-context") == 0
    assert api.cookies[lamba_settings.SESSION_COOKIE].value
    for url in ("/whoami/", "/members/", "/members-api/", "/signed-in/"):
        client.get(url)
    assert lamba.call_count("POST", "/v1/sessions/switch-context") == 0
    assert client.get("/whoami/").json() == {"email": None}

    page = client.get("/members/")
    assert page.status_code == 401
    assert b'action="/auth/switch-context/"' in page.content
    scope = {"workspaceId": lamba.workspace_id, "projectId": lamba.project_id}
    assert client.post(SWITCH, {**scope, "next": "/members/"}).status_code == 302
    assert lamba.call_count("POST", "/v1/sessions/switch-context") == 1
    assert client.get("/members/").content == ADMIN.encode()


def test_sec48_a_switch_refused_for_the_plan_limit_is_a_402(
    lamba: LambaEmulator, admin: Any
) -> None:
    client = client_with(lamba.issue_session(ADMIN))
    lamba.exceed_plan_limit(limit="mau", allowed=1000, current=1000, plan="free")
    scope = {"workspaceId": lamba.workspace_id, "projectId": lamba.project_id}
    api = client.post(SWITCH, scope, content_type=JSON)
    assert api.status_code == 402
    page = client.post(SWITCH, scope)
    assert page.status_code == 402
    assert lamba_settings.SESSION_COOKIE not in page.cookies
    lamba.clear_plan_limit()
    assert client.post(SWITCH, scope, content_type=JSON).status_code == 200
