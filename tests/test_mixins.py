"""Class-based view mixins against the real emulator: the decorators' behaviour, per class."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.http import HttpRequest, HttpResponse
from django.test import AsyncClient, Client
from django.urls import path
from django.views import View

from django_lamba.mixins import (
    LambaLoginRequiredMixin,
    LambaPermissionRequiredMixin,
    LambaProjectAdminRequiredMixin,
    LambaRoleRequiredMixin,
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


class EmailView(View):
    def get(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        return HttpResponse(getattr(request.user, "email", ""))


class SignedInView(LambaLoginRequiredMixin, EmailView):
    pass


class MembersView(LambaPermissionRequiredMixin, EmailView):
    permission_required = "members.read"


class ManageView(LambaPermissionRequiredMixin, EmailView):
    permission_required = ("members.read", "members.invite")


class EitherView(LambaPermissionRequiredMixin, EmailView):
    permission_required = ["members.invite", "members.read"]
    permission_any = True


class PerObjectView(LambaPermissionRequiredMixin, EmailView):
    """Chooses the permission from the URL, through ``get_permission_required()``."""

    def get_permission_required(self) -> tuple[str, ...]:
        return (f"{self.kwargs['area']}.read",)


class StrictView(LambaPermissionRequiredMixin, EmailView):
    permission_required = "members.invite"
    raise_exception = True


class ExplainedView(LambaPermissionRequiredMixin, EmailView):
    permission_required = "members.invite"
    permission_denied_message = "Only people who can invite members may open this."
    login_url = "/elsewhere/"


class OwnerView(LambaRoleRequiredMixin, EmailView):
    role_required = "owner"


class OwnerOrMemberView(LambaRoleRequiredMixin, EmailView):
    role_required = ("owner", "member")
    role_any = True


class AdminView(LambaProjectAdminRequiredMixin, EmailView):
    pass


class StackedView(LambaRoleRequiredMixin, LambaPermissionRequiredMixin, EmailView):
    """Needs the ``owner`` role and ``members.read``: each mixin checks its own."""

    role_required = "owner"
    permission_required = "members.read"


class UnconfiguredView(LambaPermissionRequiredMixin, EmailView):
    pass


class AsyncMembersView(LambaPermissionRequiredMixin, View):
    permission_required = "members.read"

    async def get(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        user: Any = await request.auser()
        return HttpResponse(user.email)


class AsyncStackedView(LambaLoginRequiredMixin, LambaProjectAdminRequiredMixin, View):
    async def get(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        return HttpResponse("admin")


urlpatterns = [
    *authz_urls.urlpatterns,
    path("signed-in/", SignedInView.as_view()),
    path("members/", MembersView.as_view()),
    path("manage/", ManageView.as_view()),
    path("either/", EitherView.as_view()),
    path("area/<str:area>/", PerObjectView.as_view()),
    path("strict/", StrictView.as_view()),
    path("explained/", ExplainedView.as_view()),
    path("owner/", OwnerView.as_view()),
    path("owner-or-member/", OwnerOrMemberView.as_view()),
    path("admin/", AdminView.as_view()),
    path("stacked/", StackedView.as_view()),
    path("unconfigured/", UnconfiguredView.as_view()),
    path("async-members/", AsyncMembersView.as_view()),
    path("async-stacked/", AsyncStackedView.as_view()),
]


def test_permission_mixin_lets_a_member_through_and_refuses_others(
    lamba: LambaEmulator, lamba_client: Client, viewer: EmulatedUser
) -> None:
    assert lamba_client.get("/members/").content == b"user@example.com"
    refused = client_for(lamba, VIEWER).get("/members/")
    assert refused.status_code == 403
    assert "django_lamba/forbidden.html" in [t.name for t in refused.templates]
    as_json = client_for(lamba, VIEWER).get("/members/", headers={"Accept": JSON})
    assert (as_json.status_code, as_json.json()["errorCode"]) == (403, "AUTHORIZATION_DENIED")


def test_anonymous_callers_are_sent_to_sign_in_or_get_401(lamba: LambaEmulator) -> None:
    assert Client().get("/members/")["Location"] == "/auth/login/?next=/members/"
    assert Client().get("/signed-in/")["Location"] == "/auth/login/?next=/signed-in/"
    as_json = Client().get("/members/", headers={"Accept": JSON})
    assert as_json.status_code == 401
    assert as_json["Content-Type"] == "application/problem+json"


def test_login_mixin_only_needs_a_signed_in_user(
    lamba: LambaEmulator, viewer: EmulatedUser
) -> None:
    assert client_for(lamba, VIEWER).get("/signed-in/").content == b"viewer@example.com"


def test_all_or_any_of_several_permissions(
    lamba: LambaEmulator, lamba_client: Client, admin: EmulatedUser
) -> None:
    assert lamba_client.get("/manage/").status_code == 403
    assert lamba_client.get("/either/").status_code == 200
    assert client_for(lamba, ADMIN).get("/manage/").status_code == 200


def test_get_permission_required_decides_per_request(lamba_client: Client) -> None:
    assert lamba_client.get("/area/members/").status_code == 200
    assert lamba_client.get("/area/billing/").status_code == 403


def test_attributes_pair_with_getters(lamba: LambaEmulator, lamba_client: Client) -> None:
    strict = lamba_client.get("/strict/")
    assert strict.status_code == 403
    assert "django_lamba/forbidden.html" not in [t.name for t in strict.templates]
    explained = lamba_client.get("/explained/")
    assert b"Only people who can invite members may open this." in explained.content
    assert Client().get("/explained/")["Location"] == "/elsewhere/?next=/explained/"


def test_role_and_admin_mixins(
    lamba: LambaEmulator, lamba_client: Client, admin: EmulatedUser, viewer: EmulatedUser
) -> None:
    admin_client = client_for(lamba, ADMIN)
    assert lamba_client.get("/owner/").status_code == 403
    assert admin_client.get("/owner/").status_code == 200
    assert lamba_client.get("/owner-or-member/").status_code == 200
    assert client_for(lamba, VIEWER).get("/owner-or-member/").status_code == 403
    assert lamba_client.get("/admin/").status_code == 403
    assert admin_client.get("/admin/").status_code == 200


def test_stacked_mixins_each_check_their_own_requirement(
    lamba: LambaEmulator, lamba_client: Client, lamba_user: EmulatedUser, admin: EmulatedUser
) -> None:
    assert client_for(lamba, ADMIN).get("/stacked/").status_code == 200
    assert lamba_client.get("/stacked/").status_code == 403  # a member, not an owner
    lamba.grant(lamba_user.email, roles=["owner"])
    lamba.ungrant(lamba_user.email, permissions=["members.read"])
    owner_without_permission = client_for(lamba, lamba_user.email)
    assert owner_without_permission.get("/stacked/").status_code == 403


def test_a_missing_permission_is_a_configuration_error(lamba_client: Client) -> None:
    with pytest.raises(ImproperlyConfigured, match="permission_required"):
        lamba_client.get("/unconfigured/")


def test_an_outage_is_a_503_and_a_plan_limit_a_402(
    lamba: LambaEmulator, lamba_client: Client, settings: Any
) -> None:
    lamba.inject_fault("/v1/me/authorization", status=402)
    assert lamba_client.get("/members/").status_code == 402
    lamba_is_down(lamba, settings)
    down = lamba_client.get("/members/")
    assert (down.status_code, down["Retry-After"]) == (503, "7")


def test_async_views_are_guarded(
    lamba: LambaEmulator, lamba_user: EmulatedUser, viewer: EmulatedUser, admin: EmulatedUser
) -> None:
    async def scenario() -> list[Any]:
        member = async_client_for(lamba, lamba_user.email)
        return [
            (await member.get("/async-members/")).content,
            (await async_client_for(lamba, VIEWER).get("/async-members/")).status_code,
            (await AsyncClient().get("/async-members/")).status_code,
            (await member.get("/async-stacked/")).status_code,
            (await async_client_for(lamba, ADMIN).get("/async-stacked/")).content,
            (await AsyncClient().get("/async-stacked/", headers={"Accept": JSON})).status_code,
        ]

    assert asyncio.run(scenario()) == [b"user@example.com", 403, 302, 403, b"admin", 401]
