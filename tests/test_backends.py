"""``LambaBackend``: Django's authentication-backend API answered by Lamba (the emulator)."""

from __future__ import annotations

import asyncio
import logging
from typing import Any

import pytest
from django.contrib.auth import authenticate
from django.contrib.auth.decorators import permission_required
from django.contrib.auth.models import AnonymousUser, User
from django.core.exceptions import ImproperlyConfigured
from django.http import HttpRequest, HttpResponse
from django.test import Client, RequestFactory
from django.urls import include, path

from django_lamba.backends import (
    LambaBackend,
    build_user,
    clear_user_factory,
    get_user_factory,
)
from django_lamba.exceptions import LambaUnavailable
from django_lamba.testing import EmulatedUser, LambaEmulator, client_with_tokens
from django_lamba.types import LambaAuthorization, LambaContext, LambaProfile, TokenSet
from django_lamba.user import LambaUser

AUTHZ_PATH = "/v1/me/authorization"


# --- a tiny URLconf for this module (used with @pytest.mark.urls) -----------------------------


@permission_required("members.read", raise_exception=True)
def members_view(request: HttpRequest) -> HttpResponse:
    return HttpResponse(f"members for {request.user.get_username()}")


@permission_required("members.write", raise_exception=True)
def edit_members_view(request: HttpRequest) -> HttpResponse:
    return HttpResponse("editing")


@permission_required(["members.read", "projects.read"])
def both_view(request: HttpRequest) -> HttpResponse:
    return HttpResponse("both")


def kind_view(request: HttpRequest) -> HttpResponse:
    return HttpResponse(request.user.__class__.__name__)  # through the lazy object


urlpatterns = [
    path("auth/", include("django_lamba.urls")),
    path("kind/", kind_view),
    path("members/", members_view),
    path("members/edit/", edit_members_view),
    path("both/", both_view),
]

uses_these_urls = pytest.mark.urls(__name__)


# --- helpers -----------------------------------------------------------------------------------


def tokens_for(lamba: LambaEmulator, email: str) -> TokenSet:
    shape = lamba.issue_session(
        email,
        workspace_id=lamba.workspace_id,
        project_id=lamba.project_id,
        environment=lamba.environment,
    )
    return TokenSet.from_json(shape)


@pytest.fixture
def lamba_tokens(lamba: LambaEmulator, lamba_user: EmulatedUser) -> TokenSet:
    return tokens_for(lamba, lamba_user.email)


@pytest.fixture
def user(lamba_tokens: TokenSet) -> LambaUser:
    found = LambaBackend().authenticate(RequestFactory().get("/"), lamba_tokens=lamba_tokens)
    assert isinstance(found, LambaUser)
    return found


# --- authenticate ------------------------------------------------------------------------------


def test_authenticate_returns_a_lamba_user(
    lamba_tokens: TokenSet, lamba_user: EmulatedUser
) -> None:
    found = LambaBackend().authenticate(RequestFactory().get("/"), lamba_tokens=lamba_tokens)
    assert isinstance(found, LambaUser)
    assert found.email == lamba_user.email
    assert found.id == lamba_user.id
    assert found.pk == lamba_user.id
    assert found.is_authenticated
    assert found.role_keys == ("member",)
    assert found.context.active_project is not None


def test_djangos_authenticate_finds_the_lamba_user(
    lamba_tokens: TokenSet, lamba_user: EmulatedUser
) -> None:
    found = authenticate(RequestFactory().get("/"), lamba_tokens=lamba_tokens)
    assert isinstance(found, LambaUser)
    assert found.email == lamba_user.email
    assert found.backend == "django_lamba.backends.LambaBackend"


def test_authenticate_without_a_request(lamba_tokens: TokenSet) -> None:
    assert isinstance(LambaBackend().authenticate(None, lamba_tokens=lamba_tokens), LambaUser)


@pytest.mark.parametrize(
    "credentials",
    [
        {},
        {"username": "user@example.com", "password": "correct-horse-battery"},
        {"token": "something"},
        {"lamba_tokens": None},
    ],
)
def test_other_credentials_are_not_lambas(
    lamba: LambaEmulator, credentials: dict[str, Any]
) -> None:
    assert LambaBackend().authenticate(RequestFactory().get("/"), **credentials) is None
    assert lamba.call_count("GET", "/v1/me/context") == 0


@pytest.mark.django_db
def test_django_users_still_authenticate_beside_lamba(lamba: LambaEmulator) -> None:
    User.objects.create_user("staff", password="staff-password")
    found = authenticate(RequestFactory().get("/"), username="staff", password="staff-password")
    assert isinstance(found, User)
    assert lamba.call_count("GET", "/v1/me/context") == 0


def test_a_revoked_token_set_authenticates_nobody(lamba: LambaEmulator) -> None:
    lamba.add_user("gone@example.com", "long-enough-password")
    tokens = tokens_for(lamba, "gone@example.com")
    lamba.disable_user("gone@example.com")
    assert LambaBackend().authenticate(None, lamba_tokens=tokens) is None
    assert authenticate(None, lamba_tokens=tokens) is None


def test_aauthenticate(lamba_tokens: TokenSet, lamba_user: EmulatedUser) -> None:
    found = asyncio.run(LambaBackend().aauthenticate(None, lamba_tokens=lamba_tokens))
    assert isinstance(found, LambaUser)
    assert found.email == lamba_user.email
    assert asyncio.run(LambaBackend().aauthenticate(None, username="x", password="y")) is None


def test_users_are_never_loaded_from_django_sessions(lamba_user: EmulatedUser) -> None:
    assert LambaBackend().get_user(lamba_user.id) is None
    assert asyncio.run(LambaBackend().aget_user(lamba_user.id)) is None


# --- permissions -------------------------------------------------------------------------------


def test_has_perm_answers_from_lamba(user: LambaUser, lamba: LambaEmulator) -> None:
    assert user.has_perm("members.read")
    assert not user.has_perm("members.write")
    assert user.has_perms(["members.read"])
    assert not user.has_perms(["members.read", "members.write"])
    assert LambaBackend().has_perm(user, "members.read")
    # Loaded once per user object, not once per question.
    assert lamba.call_count("GET", AUTHZ_PATH) == 1


def test_has_perm_follows_grants(lamba: LambaEmulator, lamba_user: EmulatedUser) -> None:
    lamba.grant(lamba_user.email, permissions=["members.write"])
    fresh = LambaBackend().authenticate(None, lamba_tokens=tokens_for(lamba, lamba_user.email))
    assert isinstance(fresh, LambaUser)
    assert fresh.has_perm("members.write")


def test_has_perm_with_an_object_is_not_answered(user: LambaUser) -> None:
    assert not LambaBackend().has_perm(user, "members.read", obj=object())
    assert LambaBackend().get_all_permissions(user, obj=object()) == set()


def test_get_all_permissions(user: LambaUser) -> None:
    assert LambaBackend().get_all_permissions(user) == {"members.read"}
    assert user.get_all_permissions() == {"members.read"}


@pytest.mark.django_db
def test_other_users_get_no_lamba_permissions(lamba: LambaEmulator) -> None:
    backend = LambaBackend()
    staff = User(username="staff")
    for someone in (AnonymousUser(), staff):
        assert not backend.has_perm(someone, "members.read")
        assert backend.get_all_permissions(someone) == set()
    assert lamba.call_count("GET", AUTHZ_PATH) == 0


def test_an_outage_answers_false_and_logs(
    user: LambaUser, lamba: LambaEmulator, caplog: pytest.LogCaptureFixture
) -> None:
    lamba.inject_fault(AUTHZ_PATH, status=503, times=None)
    with caplog.at_level(logging.WARNING, logger="django_lamba.backends"):
        assert not user.has_perm("members.read")
    assert any(r.name == "django_lamba.backends" for r in caplog.records)
    assert user.get_all_permissions() == set()


def test_lamba_permission_maps_django_names(
    user: LambaUser, settings: Any, lamba: LambaEmulator
) -> None:
    class MappingBackend(LambaBackend):
        def lamba_permission(self, perm: str) -> str:
            return {"app.view_member": "members.read"}.get(perm, perm)

    assert MappingBackend().has_perm(user, "app.view_member")
    assert not LambaBackend().has_perm(user, "app.view_member")


# --- Django's own permission_required -----------------------------------------------------------


@uses_these_urls
def test_permission_required_lets_a_permitted_lamba_user_in(lamba_client: Client) -> None:
    response = lamba_client.get("/members/")
    assert response.status_code == 200
    assert response.content == b"members for user"


@uses_these_urls
def test_permission_required_refuses_a_lamba_user_without_the_permission(
    lamba_client: Client,
) -> None:
    assert lamba_client.get("/members/edit/").status_code == 403
    both = lamba_client.get("/both/")
    assert both.status_code == 302
    assert both["Location"].startswith("/auth/login/?next=")


@uses_these_urls
def test_permission_required_with_every_permission(
    lamba: LambaEmulator, lamba_user: EmulatedUser, lamba_client: Client
) -> None:
    lamba.grant(lamba_user.email, permissions=["projects.read"])
    assert lamba_client.get("/both/").status_code == 200


@uses_these_urls
def test_permission_required_sends_anonymous_visitors_to_sign_in(lamba: LambaEmulator) -> None:
    response = Client().get("/both/")
    assert response.status_code == 302
    assert response["Location"] == "/auth/login/?next=/both/"
    assert Client().get("/members/").status_code == 403
    assert lamba.call_count("GET", AUTHZ_PATH) == 0


# --- the user factory behind request.user -------------------------------------------------------


class MemberUser(LambaUser):
    """What a site's own user class looks like."""

    @property
    def greeting(self) -> str:
        return f"Hello {self.display_name}"


class MemberBackend(LambaBackend):
    def make_user(
        self,
        context: LambaContext,
        tokens: TokenSet | None = None,
        *,
        authorization_loader: Any = None,
        stale: bool = False,
    ) -> LambaUser:
        return MemberUser(context, authorization_loader=authorization_loader, stale=stale)


class LegacyBackend(LambaBackend):
    def make_user(self, context: Any, tokens: TokenSet) -> LambaUser:  # type: ignore[override]
        return MemberUser(context)


def make_member(
    context: LambaContext,
    tokens: TokenSet | None = None,
    *,
    authorization_loader: Any = None,
    stale: bool = False,
) -> LambaUser:
    return MemberUser(context, authorization_loader=authorization_loader, stale=stale)


def a_context() -> LambaContext:
    return LambaContext(user=LambaProfile(id="usr_1", email="u@example.com"))


def use_backends(settings: Any, *paths: str) -> None:
    settings.AUTHENTICATION_BACKENDS = [*paths, "django.contrib.auth.backends.ModelBackend"]


def test_build_user_uses_the_stock_backend_by_default() -> None:
    user = build_user(a_context(), stale=True)
    assert type(user) is LambaUser
    assert user.is_stale
    assert user.backend == "django_lamba.backends.LambaBackend"


def test_a_configured_backend_subclass_builds_every_user(settings: Any) -> None:
    use_backends(settings, f"{__name__}.MemberBackend")
    authz = LambaAuthorization(effective_permissions=frozenset({"members.read"}))
    user = build_user(a_context(), authorization_loader=lambda: authz)
    assert isinstance(user, MemberUser)
    assert user.greeting == "Hello u@example.com"
    assert user.has_lamba_permission("members.read")
    assert user.backend == f"{__name__}.MemberBackend"


def test_the_factory_is_resolved_once_and_again_after_a_settings_change(settings: Any) -> None:
    assert get_user_factory() == get_user_factory()
    use_backends(settings, f"{__name__}.MemberBackend")
    assert isinstance(build_user(a_context()), MemberUser)
    use_backends(settings, "django_lamba.backends.LambaBackend")
    assert type(build_user(a_context())) is LambaUser


@pytest.mark.parametrize("target", ["MemberUser", "make_member"])
def test_lamba_user_factory_names_a_user_class_or_a_function(settings: Any, target: str) -> None:
    settings.LAMBA_USER_FACTORY = f"{__name__}.{target}"
    user = build_user(a_context(), stale=True)
    assert isinstance(user, MemberUser)
    assert user.is_stale
    settings.LAMBA_USER_FACTORY = None
    assert type(build_user(a_context())) is LambaUser


def test_lamba_user_factory_falls_back_to_the_environment(
    settings: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("LAMBA_USER_FACTORY", f"{__name__}.MemberUser")
    clear_user_factory()
    try:
        assert isinstance(build_user(a_context()), MemberUser)
    finally:
        monkeypatch.delenv("LAMBA_USER_FACTORY")
        clear_user_factory()


@pytest.mark.parametrize("path", ["no.such.module.Factory", f"{__name__}.AUTHZ_PATH"])
def test_a_bad_lamba_user_factory_names_the_setting(settings: Any, path: str) -> None:
    settings.LAMBA_USER_FACTORY = path
    with pytest.raises(ImproperlyConfigured, match="LAMBA_USER_FACTORY"):
        build_user(a_context())


def test_the_old_make_user_signature_still_works_with_a_warning(settings: Any) -> None:
    use_backends(settings, f"{__name__}.LegacyBackend")
    authz = LambaAuthorization(effective_permissions=frozenset({"members.read"}))
    with pytest.warns(DeprecationWarning, match="old make_user signature"):
        user = build_user(a_context(), authorization_loader=lambda: authz, stale=True)
    assert isinstance(user, MemberUser)
    assert user.is_stale
    assert user.has_lamba_permission("members.read")


def test_authenticate_uses_the_backends_make_user(
    settings: Any, lamba_tokens: TokenSet, lamba: LambaEmulator
) -> None:
    use_backends(settings, f"{__name__}.MemberBackend")
    found = authenticate(RequestFactory().get("/"), lamba_tokens=lamba_tokens)
    assert isinstance(found, MemberUser)
    assert found.backend == f"{__name__}.MemberBackend"
    assert found.has_perm("members.read")
    assert lamba.call_count("GET", AUTHZ_PATH) == 1


def test_authenticate_leaves_the_context_cached_for_the_next_request(
    lamba_tokens: TokenSet, lamba: LambaEmulator
) -> None:
    assert isinstance(authenticate(None, lamba_tokens=lamba_tokens), LambaUser)
    response = client_with_tokens(lamba_tokens.to_dict()).get("/whoami/")
    assert response.content == b"user@example.com"
    assert lamba.call_count("GET", "/v1/me/context") == 1


@uses_these_urls
def test_request_user_is_built_by_the_configured_backend(
    settings: Any, lamba_tokens: TokenSet
) -> None:
    use_backends(settings, f"{__name__}.MemberBackend")
    response = client_with_tokens(lamba_tokens.to_dict()).get("/kind/")
    assert response.content == b"MemberUser"


def test_authenticate_refuses_a_session_of_another_project(lamba: LambaEmulator) -> None:
    lamba.add_workspace("ws_other", "Other Inc")
    lamba.add_project("ws_other", "prj_other", "Other app")
    lamba.add_user("other@example.com", "long-enough-password", project_id="prj_other")
    shape = lamba.issue_session(
        "other@example.com", workspace_id="ws_other", project_id="prj_other"
    )
    assert authenticate(None, lamba_tokens=TokenSet.from_json(shape)) is None


def test_authenticate_during_an_outage_raises(
    lamba_tokens: TokenSet, lamba: LambaEmulator
) -> None:
    lamba.inject_fault("/v1/me/context", status=503, times=None)
    with pytest.raises(LambaUnavailable):
        LambaBackend().authenticate(None, lamba_tokens=lamba_tokens)
