"""``django_lamba.contrib.drf`` against the real emulator: the same answers as the decorators."""

from __future__ import annotations

from typing import Any

import pytest

pytest.importorskip("rest_framework")

from django.test import Client
from django.urls import path
from rest_framework.permissions import AND, NOT, OR, BasePermission, IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from django_lamba.conf import lamba_settings
from django_lamba.contrib.drf import (
    HasLambaPermission,
    HasLambaRole,
    IsLambaAuthenticated,
    IsLambaProjectAdmin,
    LambaAuthentication,
    LambaPermissionRequired,
    LambaRoleRequired,
)
from django_lamba.testing import EmulatedUser, LambaEmulator
from tests import authz_urls
from tests.authz_urls import (
    ADMIN,
    VIEWER,
    client_for,
    lamba_is_down,
    session_for,
)

pytestmark = pytest.mark.urls(__name__)


class LambaAPIView(APIView):
    authentication_classes = [LambaAuthentication]

    def get(self, request: Request) -> Response:
        user: Any = request.user
        return Response({"email": user.email, "auth": repr(request.auth)})

    def post(self, request: Request) -> Response:
        return Response({"ok": True})


class MembersAPI(LambaAPIView):
    permission_classes = [HasLambaPermission("members.read")]


class AdminOrOwnerAPI(LambaAPIView):
    permission_classes = [IsLambaProjectAdmin | HasLambaRole("owner")]


class NotViewerAPI(LambaAPIView):
    permission_classes = [IsLambaAuthenticated & ~HasLambaRole("viewer")]


class ReadAndInviteAPI(LambaAPIView):
    permission_classes = [
        HasLambaPermission("members.read") & HasLambaPermission("members.invite")
    ]


class WithDRFsOwnAPI(LambaAPIView):
    permission_classes = [IsAuthenticated & HasLambaPermission("members.read", "x.y", any=True)]


class SignedInAPI(LambaAPIView):
    permission_classes = [IsLambaAuthenticated]


class CanInvite(LambaPermissionRequired):
    permission_required = ("members.invite",)


class OwnerOrMember(LambaRoleRequired):
    role_required = ("owner", "member")
    role_any = True


class SubclassedAPI(LambaAPIView):
    permission_classes = [CanInvite | OwnerOrMember]


urlpatterns = [
    *authz_urls.urlpatterns,
    path("api/members/", MembersAPI.as_view()),
    path("api/admin-or-owner/", AdminOrOwnerAPI.as_view()),
    path("api/not-viewer/", NotViewerAPI.as_view()),
    path("api/read-and-invite/", ReadAndInviteAPI.as_view()),
    path("api/with-drf/", WithDRFsOwnAPI.as_view()),
    path("api/me/", SignedInAPI.as_view()),
    path("api/subclassed/", SubclassedAPI.as_view()),
]


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


# --- the same answers as the decorators ----------------------------------------------------


def test_a_member_with_the_permission_passes_with_the_cookie(lamba_client: Client) -> None:
    response = lamba_client.get("/api/members/")
    assert response.status_code == 200
    assert response.json() == {"email": "user@example.com", "auth": "None"}


def test_a_user_without_it_gets_403(lamba: LambaEmulator, viewer: EmulatedUser) -> None:
    response = client_for(lamba, VIEWER).get("/api/members/")
    assert response.status_code == 403
    assert "permission" in response.json()["detail"]


def test_anonymous_gets_401_with_a_bearer_challenge(lamba: LambaEmulator) -> None:
    response = Client().get("/api/members/")
    assert response.status_code == 401
    assert response["WWW-Authenticate"] == 'Bearer realm="lamba"'


def test_a_bearer_access_token_is_accepted(lamba: LambaEmulator, lamba_user: EmulatedUser) -> None:
    token = session_for(lamba, lamba_user.email)["access_token"]
    response = Client().get("/api/members/", headers=bearer(token))
    assert response.status_code == 200
    body = response.json()
    assert body["email"] == "user@example.com"
    assert token not in body["auth"]  # request.auth is a TokenSet with a masked repr
    assert body["auth"].startswith("TokenSet(access_token=<token sha256:")


@pytest.mark.parametrize(
    "header", ["Bearer", "Bearer a b", "Bearer garbage", "Bearer " + "x" * 20000, "bearer ÿ"]
)
def test_a_bad_bearer_header_is_401(lamba: LambaEmulator, header: str) -> None:
    response = Client().get("/api/members/", headers={"Authorization": header})
    assert response.status_code == 401
    assert response["WWW-Authenticate"] == 'Bearer realm="lamba"'


def test_an_expired_bearer_token_is_401_without_a_refresh(
    lamba: LambaEmulator, lamba_user: EmulatedUser
) -> None:
    token = session_for(lamba, lamba_user.email, access_token_ttl=-120)["access_token"]
    lamba.reset_calls()
    response = Client().get("/api/members/", headers=bearer(token))
    assert response.status_code == 401
    assert lamba.call_count("POST", "/v1/auth/refresh") == 0


def test_a_revoked_bearer_token_is_401(lamba: LambaEmulator, lamba_user: EmulatedUser) -> None:
    token = session_for(lamba, lamba_user.email)["access_token"]
    lamba.revoke_session(lamba.session_id_for(token) or "")
    assert Client().get("/api/me/", headers=bearer(token)).status_code == 401


# --- what Lamba answers --------------------------------------------------------------------


@pytest.mark.parametrize("path_", ["/v1/me/authorization", "/v1/me/context"])
def test_an_outage_is_503_with_retry_after(
    lamba: LambaEmulator, lamba_client: Client, settings: Any, path_: str
) -> None:
    lamba_is_down(lamba, settings, path_)
    response = lamba_client.get("/api/members/")
    assert response.status_code == 503
    assert response["Retry-After"] == "7"
    assert response.json()["detail"]
    assert lamba_settings.SESSION_COOKIE not in response.cookies


def test_an_outage_seen_through_a_bearer_token_is_503(
    lamba: LambaEmulator, lamba_user: EmulatedUser, settings: Any
) -> None:
    token = session_for(lamba, lamba_user.email)["access_token"]
    lamba_is_down(lamba, settings, "/v1/me/context")
    response = Client().get("/api/me/", headers=bearer(token))
    assert response.status_code == 503
    assert response["Retry-After"] == "7"


def test_a_plan_limit_is_402_and_not_retried(lamba: LambaEmulator, lamba_client: Client) -> None:
    lamba.inject_fault("/v1/me/authorization", status=402, times=None)
    lamba.reset_calls()
    response = lamba_client.get("/api/members/")
    assert response.status_code == 402
    assert lamba.call_count("GET", "/v1/me/authorization") == 1


def test_a_rate_limit_stays_a_429_with_lambas_retry_after(
    lamba: LambaEmulator, lamba_client: Client, settings: Any
) -> None:
    settings.LAMBA_MAX_RETRIES = 0
    lamba.inject_fault("/v1/me/authorization", status=429, retry_after=11)
    response = lamba_client.get("/api/members/")
    assert response.status_code == 429
    assert response["Retry-After"] == "11"
    assert response.json()["errorCode"] == "RATE_LIMIT_EXCEEDED"


def test_an_outage_answer_carries_the_code_and_never_lambas_detail(
    lamba: LambaEmulator, lamba_client: Client, settings: Any
) -> None:
    settings.LAMBA_MAX_RETRIES = 0
    lamba.inject_fault("/v1/me/authorization", status=500, times=None)
    response = lamba_client.get("/api/members/")
    assert response.status_code == 503
    assert response.json()["errorCode"] == "lamba_unavailable"
    assert "Injected fault" not in response.content.decode()


# --- composition ---------------------------------------------------------------------------


def test_or_and_not_compose(
    lamba: LambaEmulator, lamba_client: Client, admin: EmulatedUser, viewer: EmulatedUser
) -> None:
    admin_client, viewer_client = client_for(lamba, ADMIN), client_for(lamba, VIEWER)
    assert admin_client.get("/api/admin-or-owner/").status_code == 200
    assert lamba_client.get("/api/admin-or-owner/").status_code == 403
    assert lamba_client.get("/api/not-viewer/").status_code == 200
    assert viewer_client.get("/api/not-viewer/").status_code == 403
    assert Client().get("/api/not-viewer/").status_code == 401
    assert lamba_client.get("/api/read-and-invite/").status_code == 403
    assert admin_client.get("/api/read-and-invite/").status_code == 200
    assert lamba_client.get("/api/with-drf/").status_code == 200
    assert viewer_client.get("/api/with-drf/").status_code == 403


def test_factories_return_composable_permission_classes() -> None:
    members = HasLambaPermission("members.read")
    assert issubclass(members, BasePermission)
    assert members is HasLambaPermission("members.read")  # one class per argument list
    assert members.__name__ == "HasLambaPermission('members.read')"
    assert HasLambaRole("owner", "admin", any=True).__name__ == (
        "HasLambaRole('owner', 'admin', any=True)"
    )
    assert isinstance((members | IsLambaProjectAdmin)(), OR)
    assert isinstance((IsLambaProjectAdmin & members)(), AND)
    assert isinstance((~members)(), NOT)
    with pytest.raises(ValueError, match="at least one permission"):
        HasLambaPermission()


def test_permission_classes_can_be_subclassed(
    lamba: LambaEmulator, lamba_client: Client, viewer: EmulatedUser
) -> None:
    assert lamba_client.get("/api/subclassed/").status_code == 200
    assert client_for(lamba, VIEWER).get("/api/subclassed/").status_code == 403


# --- CSRF ----------------------------------------------------------------------------------


def test_cookie_authenticated_writes_need_a_csrf_token(
    lamba: LambaEmulator, lamba_user: EmulatedUser
) -> None:
    client = client_for(lamba, lamba_user.email, enforce_csrf_checks=True)
    refused = client.post("/api/members/", {}, content_type="application/json")
    assert refused.status_code == 403
    assert "CSRF" in refused.json()["detail"]
    client.get("/auth/login/")  # the sign-in page sets the CSRF cookie
    csrf = client.cookies["csrftoken"].value
    accepted = client.post(
        "/api/members/", {}, content_type="application/json", headers={"X-CSRFToken": csrf}
    )
    assert accepted.status_code == 200


def test_bearer_writes_need_no_csrf_token(lamba: LambaEmulator, lamba_user: EmulatedUser) -> None:
    token = session_for(lamba, lamba_user.email)["access_token"]
    client = Client(enforce_csrf_checks=True)
    response = client.post(
        "/api/members/", {}, content_type="application/json", headers=bearer(token)
    )
    assert response.status_code == 200
