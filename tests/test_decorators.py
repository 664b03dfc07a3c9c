"""Permission, role and Project-admin decorators against the real emulator."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from django.contrib.auth.decorators import permission_required
from django.contrib.auth.models import User
from django.http import HttpRequest, HttpResponse
from django.test import AsyncClient, Client
from django.urls import path

from django_lamba.conf import lamba_settings
from django_lamba.decorators import (
    lamba_login_required,
    lamba_permission_required,
    lamba_project_admin_required,
    lamba_role_required,
)
from django_lamba.testing import EmulatedUser, LambaEmulator
from tests import authz_urls
from tests.authz_urls import (
    ADMIN,
    JSON,
    VIEWER,
    async_client_for,
    client_for,
    lamba_is_down,
)

pytestmark = pytest.mark.urls(__name__)


def _email(request: HttpRequest) -> HttpResponse:
    return HttpResponse(getattr(request.user, "email", ""), content_type="text/plain")


members = lamba_permission_required("members.read")(_email)
manage = lamba_permission_required(["members.read", "members.invite"])(_email)
either = lamba_permission_required(("members.invite", "members.read"), any=True)(_email)
members_raise = lamba_permission_required("members.read", raise_exception=True)(_email)
members_elsewhere = lamba_permission_required("members.read", login_url="/elsewhere/")(_email)
owner = lamba_role_required("owner")(_email)
owner_or_member = lamba_role_required(["owner", "member"], any=True)(_email)
admin_bare = lamba_project_admin_required(_email)
admin_raise = lamba_project_admin_required(raise_exception=True)(_email)
signed_in = lamba_login_required(_email)
django_members = permission_required("members.read")(_email)
django_members_raise = permission_required("members.read", raise_exception=True)(_email)


@lamba_permission_required("members.read")
async def async_members(request: HttpRequest) -> HttpResponse:
    user: Any = await request.auser()
    return HttpResponse(user.email)


@lamba_project_admin_required
async def async_admin(request: HttpRequest) -> HttpResponse:
    return HttpResponse("admin")


def no_checks(request: HttpRequest) -> HttpResponse:
    user: Any = request.user
    return HttpResponse(user.email)


urlpatterns = [
    *authz_urls.urlpatterns,
    path("members/", members),
    path("manage/", manage),
    path("either/", either),
    path("members-raise/", members_raise),
    path("members-elsewhere/", members_elsewhere),
    path("owner/", owner),
    path("owner-or-member/", owner_or_member),
    path("admin/", admin_bare),
    path("admin-raise/", admin_raise),
    path("signed-in/", signed_in),
    path("django-members/", django_members),
    path("django-members-raise/", django_members_raise),
    path("async-members/", async_members),
    path("async-admin/", async_admin),
    path("no-checks/", no_checks),
]


# --- the must-shows ----------------------------------------------------------------


def test_a_user_with_the_permission_passes(lamba_client: Client) -> None:
    response = lamba_client.get("/members/")
    assert response.status_code == 200
    assert response.content == b"user@example.com"


def test_a_user_without_it_gets_the_403_page(lamba: LambaEmulator, viewer: EmulatedUser) -> None:
    response = client_for(lamba, VIEWER).get("/members/")
    assert response.status_code == 403
    assert "django_lamba/forbidden.html" in [t.name for t in response.templates]
    assert b"Not allowed" in response.content


def test_a_user_without_it_gets_403_problem_details_as_json(
    lamba: LambaEmulator, viewer: EmulatedUser
) -> None:
    response = client_for(lamba, VIEWER).get("/members/", headers={"Accept": JSON})
    assert response.status_code == 403
    assert response["Content-Type"] == "application/problem+json"
    assert response.json()["errorCode"] == "AUTHORIZATION_DENIED"
    assert response.json()["status"] == 403


def test_an_anonymous_browser_is_sent_to_sign_in(lamba: LambaEmulator) -> None:
    response = Client().get("/members/?tab=1")
    assert response.status_code == 302
    assert response["Location"] == "/auth/login/?next=/members/%3Ftab%3D1"


@pytest.mark.parametrize(
    "headers", [{"Accept": JSON}, {"HX-Request": "true"}, {"Accept": "application/problem+json"}]
)
def test_an_anonymous_script_gets_401_problem_details(
    lamba: LambaEmulator, headers: dict[str, str]
) -> None:
    response = Client().get("/members/", headers=headers)
    assert response.status_code == 401
    assert response["Content-Type"] == "application/problem+json"
    assert response.json()["errorCode"] == "authentication_required"
    assert "WWW-Authenticate" in response


def test_djangos_own_permission_required_works_on_a_lamba_user(
    lamba: LambaEmulator, lamba_client: Client, viewer: EmulatedUser
) -> None:
    assert lamba_client.get("/django-members/").content == b"user@example.com"
    viewer_client = client_for(lamba, VIEWER)
    # Django's behaviour for a signed-in user without the permission: back to the login page.
    assert viewer_client.get("/django-members/").status_code == 302
    assert viewer_client.get("/django-members-raise/").status_code == 403


# --- arguments -----------------------------------------------------------------------------


def test_several_permissions_need_all_unless_any(
    lamba: LambaEmulator, lamba_client: Client, admin: EmulatedUser
) -> None:
    assert lamba_client.get("/manage/").status_code == 403
    assert lamba_client.get("/either/").status_code == 200
    admin_client = client_for(lamba, ADMIN)
    assert admin_client.get("/manage/").status_code == 200


def test_raise_exception_hands_the_403_to_django(
    lamba: LambaEmulator, viewer: EmulatedUser
) -> None:
    response = client_for(lamba, VIEWER).get("/members-raise/")
    assert response.status_code == 403
    assert "django_lamba/forbidden.html" not in [t.name for t in response.templates]
    # Anonymous callers are still sent to sign in.
    assert Client().get("/members-raise/").status_code == 302


def test_login_url_is_used_for_anonymous_callers(lamba: LambaEmulator) -> None:
    response = Client().get("/members-elsewhere/")
    assert response["Location"] == "/elsewhere/?next=/members-elsewhere/"


def test_roles(
    lamba: LambaEmulator, lamba_client: Client, admin: EmulatedUser, viewer: EmulatedUser
) -> None:
    assert lamba_client.get("/owner/").status_code == 403
    assert client_for(lamba, ADMIN).get("/owner/").status_code == 200
    assert lamba_client.get("/owner-or-member/").status_code == 200
    assert client_for(lamba, VIEWER).get("/owner-or-member/").status_code == 403


def test_project_admin_bare_and_with_arguments(
    lamba: LambaEmulator, lamba_client: Client, admin: EmulatedUser
) -> None:
    assert lamba_client.get("/admin/").status_code == 403
    assert client_for(lamba, ADMIN).get("/admin/").status_code == 200
    raised = lamba_client.get("/admin-raise/")
    assert raised.status_code == 403
    assert "django_lamba/forbidden.html" not in [t.name for t in raised.templates]


def test_an_empty_permission_list_is_a_mistake() -> None:
    with pytest.raises(ValueError, match="at least one permission"):
        lamba_permission_required([])
    with pytest.raises(ValueError, match="at least one role"):
        lamba_role_required("")


# --- async views ---------------------------------------------------------------------------


def test_async_views_are_guarded_the_same_way(
    lamba: LambaEmulator, lamba_user: EmulatedUser, viewer: EmulatedUser, admin: EmulatedUser
) -> None:
    async def scenario() -> list[Any]:
        member = async_client_for(lamba, lamba_user.email)
        anonymous = AsyncClient()
        return [
            (await member.get("/async-members/")).content,
            (await member.get("/async-admin/")).status_code,
            (await async_client_for(lamba, VIEWER).get("/async-members/")).status_code,
            (await async_client_for(lamba, ADMIN).get("/async-admin/")).content,
            (await anonymous.get("/async-members/")).status_code,
            (await anonymous.get("/async-members/", headers={"Accept": JSON})).status_code,
        ]

    assert asyncio.run(scenario()) == [b"user@example.com", 403, 403, b"admin", 302, 401]


# --- what Lamba answers --------------------------------------------------------------------


def test_authorization_is_fetched_only_when_asked_then_cached(
    lamba: LambaEmulator, lamba_client: Client
) -> None:
    lamba.reset_calls()
    assert lamba_client.get("/no-checks/").status_code == 200
    assert lamba.call_count("GET", "/v1/me/authorization") == 0
    assert lamba_client.get("/members/").status_code == 200
    assert lamba_client.get("/either/").status_code == 200
    assert lamba.call_count("GET", "/v1/me/authorization") == 1


def test_a_plan_limit_shows_the_plan_page_and_is_not_retried(
    lamba: LambaEmulator, lamba_client: Client
) -> None:
    lamba.inject_fault("/v1/me/authorization", status=402, times=None)
    lamba.reset_calls()
    page = lamba_client.get("/members/")
    assert page.status_code == 402
    assert "django_lamba/plan_limit.html" in [t.name for t in page.templates]
    assert lamba.call_count("GET", "/v1/me/authorization") == 1
    api = lamba_client.get("/members/", headers={"Accept": JSON})
    assert api.status_code == 402
    assert api.json()["errorCode"] == "PLAN_LIMIT_EXCEEDED"
    # Still signed in: a plan limit is not a logout.
    assert lamba_settings.SESSION_COOKIE not in page.cookies


@pytest.mark.parametrize("status", [503, 429])
def test_an_outage_is_a_503_with_retry_after_and_keeps_the_session(
    lamba: LambaEmulator, lamba_client: Client, settings: Any, status: int
) -> None:
    lamba_is_down(lamba, settings)
    lamba.inject_fault("/v1/me/authorization", status=status, times=None, retry_after=7)
    page = lamba_client.get("/members/")
    assert page.status_code == 503
    assert page["Retry-After"] == "7"
    assert "django_lamba/unavailable.html" in [t.name for t in page.templates]
    assert lamba_settings.SESSION_COOKIE not in page.cookies
    api = lamba_client.get("/members/", headers={"Accept": JSON})
    assert api.status_code == 503
    assert api["Content-Type"] == "application/problem+json"


def test_a_session_revoked_before_the_check_is_sent_to_sign_in(
    lamba: LambaEmulator, lamba_client: Client
) -> None:
    assert lamba_client.get("/no-checks/").status_code == 200  # the context is now cached
    access = lamba_client.cookies[lamba_settings.SESSION_COOKIE].value
    lamba.revoke_session(lamba.session_id_for(access) or "")
    response = lamba_client.get("/members/", headers={"Accept": JSON})
    assert response.status_code == 401
    assert response.json()["errorCode"] == "authentication_required"
    assert response.cookies[lamba_settings.SESSION_COOKIE].value == ""


@pytest.mark.django_db
def test_a_django_staff_user_has_no_lamba_permissions(lamba: LambaEmulator) -> None:
    staff = User.objects.create_user("staff", password="pw", is_staff=True, is_superuser=True)
    client = Client()
    client.force_login(staff, backend="django.contrib.auth.backends.ModelBackend")
    assert client.get("/signed-in/").status_code == 200
    assert client.get("/members/").status_code == 403


def test_internal_helpers_stay_importable_but_are_not_exported() -> None:
    import django_lamba.decorators as decorators
    from django_lamba._internal import access

    assert "login_url" not in decorators.__all__
    assert "anonymous_response" not in decorators.__all__
    for name in ("login_url", "anonymous_response"):
        with pytest.warns(DeprecationWarning, match=f"decorators.{name} is internal"):
            assert getattr(decorators, name) is getattr(access, name)
    with pytest.raises(AttributeError):
        decorators.no_such_name  # noqa: B018
