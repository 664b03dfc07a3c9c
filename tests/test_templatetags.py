"""``{% load lamba %}`` and the plain functions behind it: they answer, and never raise."""

from __future__ import annotations

import logging
from typing import Any

import pytest
from django.contrib.auth.models import AnonymousUser
from django.http import HttpRequest, HttpResponse
from django.template import Context, Template
from django.template.loader import render_to_string
from django.test import Client
from django.urls import path

from django_lamba._internal import perms
from django_lamba.exceptions import LambaError, LambaPaymentRequired, LambaUnavailable
from django_lamba.testing import EmulatedUser, LambaEmulator
from django_lamba.types import LambaAuthorization, LambaContext, LambaProfile
from django_lamba.user import LambaAnonymousUser, LambaUser
from tests import authz_urls
from tests.authz_urls import VIEWER, add_viewer, client_for, lamba_is_down

pytestmark = pytest.mark.urls(__name__)

NAV = (
    "{% load lamba %}"
    "{% if user|has_lamba_permission:'members.read' %}[members]{% endif %}"
    "{% if user|has_lamba_role:'owner' %}[owner]{% endif %}"
    "{% if user|is_lamba_project_admin %}[admin]{% endif %}"
    "{% has_lamba_permission user 'members.invite' 'members.read' any=True as can_any %}"
    "{% if can_any %}[any]{% endif %}"
    "{% lamba_permissions 'members.read' 'members.invite' as can_all %}"
    "{% if can_all %}[all]{% endif %}"
    "{% has_lamba_role user 'member' as is_member %}{% if is_member %}[member]{% endif %}"
)


def nav(request: HttpRequest) -> HttpResponse:
    return HttpResponse(Template(NAV).render(Context({"user": request.user})))


def authz_page(request: HttpRequest) -> HttpResponse:
    template = Template(
        "{% load lamba %}{% lamba_authorization as authz %}"
        "{% if authz %}{{ authz.effective_permissions|join:',' }}{% else %}none{% endif %}"
    )
    from django.template import RequestContext

    return HttpResponse(template.render(RequestContext(request)))


urlpatterns = [*authz_urls.urlpatterns, path("nav/", nav), path("authz/", authz_page)]


def make_user(
    loader: Any = None, *, perms_: tuple[str, ...] = (), roles: tuple[str, ...] = ()
) -> LambaUser:
    authz = LambaAuthorization(
        role_keys=frozenset(roles), effective_permissions=frozenset(perms_), is_project_admin=False
    )
    context = LambaContext(user=LambaProfile(id="usr_1", email="u@example.com"))
    return LambaUser(context, authorization_loader=loader or (lambda: authz))


def render(template: str, user: Any) -> str:
    return Template("{% load lamba %}" + template).render(Context({"user": user}))


# --- the plain functions -------------------------------------------------------------------


def test_checks_answer_from_the_authorization() -> None:
    user = make_user(perms_=("members.read",), roles=("member",))
    assert perms.safe_has_permissions(user, ["members.read"])
    assert not perms.safe_has_permissions(user, ["members.read", "members.invite"])
    assert perms.safe_has_permissions(user, ["members.read", "members.invite"], any=True)
    assert perms.safe_has_roles(user, ["member"])
    assert not perms.safe_is_project_admin(user)
    assert perms.has_permissions(user, ["members.read"])


@pytest.mark.parametrize("nobody", [AnonymousUser(), LambaAnonymousUser(), None, "", object()])
def test_non_customers_hold_nothing(nobody: Any) -> None:
    assert not perms.safe_has_permissions(nobody, ["members.read"])
    assert not perms.safe_has_roles(nobody, ["member"])
    assert not perms.safe_is_project_admin(nobody)
    assert perms.safe_authorization(nobody) is None
    assert not perms.has_permissions(nobody, ["members.read"])


def test_missing_template_arguments_match_nothing() -> None:
    user = make_user(perms_=("members.read",))
    assert not perms.safe_has_permissions(user, ["", None])
    assert not perms.safe_has_permissions(user, ["members.read", None])
    assert not perms.safe_has_permissions(user, [], any=True)


@pytest.mark.parametrize(
    "error", [LambaUnavailable(), LambaPaymentRequired(), LambaError(status=418)]
)
def test_an_outage_answers_false_asks_once_and_logs_once(
    error: LambaError, caplog: pytest.LogCaptureFixture
) -> None:
    calls: list[int] = []

    def failing() -> LambaAuthorization:
        calls.append(1)
        raise error

    user = make_user(failing)
    with caplog.at_level(logging.WARNING, logger="django_lamba.perms"):
        assert not perms.safe_has_permissions(user, ["members.read"])
        assert not perms.safe_has_roles(user, ["member"])
        assert not perms.safe_is_project_admin(user)
    assert calls == [1]
    assert len([r for r in caplog.records if r.name == "django_lamba.perms"]) == 1
    with pytest.raises(type(error)):
        perms.has_permissions(user, ["members.read"])
    assert calls == [1]


# --- the template library ------------------------------------------------------------------


def test_filters_and_tags_render() -> None:
    member = make_user(perms_=("members.read",), roles=("member",))
    assert Template(NAV).render(Context({"user": member})) == "[members][any][member]"
    owner = make_user(perms_=("members.read", "members.invite"), roles=("owner",))
    assert Template(NAV).render(Context({"user": owner})) == "[members][owner][any][all]"


def test_tags_never_raise_in_a_template() -> None:
    def down() -> LambaAuthorization:
        raise LambaUnavailable()

    assert Template(NAV).render(Context({"user": make_user(down)})) == ""
    assert Template(NAV).render(Context({"user": AnonymousUser()})) == ""
    assert Template(NAV).render(Context({})) == ""
    tag = "{% has_lamba_permission user missing as ok %}{{ ok }}"
    assert render(tag, make_user(perms_=("members.read",))) == "False"


def test_lamba_authorization_tag() -> None:
    user = make_user(perms_=("b.read", "a.read"))
    out = render(
        "{% lamba_authorization as authz %}{{ authz.effective_permissions|length }}", user
    )
    assert out == "2"
    assert (
        render("{% lamba_authorization as a %}{{ a|default:'none' }}", AnonymousUser()) == "none"
    )


def test_the_packaged_templates_still_render_with_the_library_loaded() -> None:
    html = render_to_string("django_lamba/forbidden.html", {"message": "Nope"})
    assert "Nope" in html


# --- through the middleware, against the emulator ------------------------------------------


def test_a_member_sees_the_members_button_and_a_viewer_does_not(
    lamba: LambaEmulator, lamba_client: Client, viewer: EmulatedUser
) -> None:
    assert lamba_client.get("/nav/").content == b"[members][any][member]"
    assert client_for(lamba, VIEWER).get("/nav/").content == b""
    assert Client().get("/nav/").content == b""


def test_templates_never_raise_when_lamba_is_down(
    lamba: LambaEmulator,
    lamba_client: Client,
    settings: Any,
    caplog: pytest.LogCaptureFixture,
) -> None:
    lamba_is_down(lamba, settings)
    lamba.reset_calls()
    with caplog.at_level(logging.WARNING, logger="django_lamba.perms"):
        response = lamba_client.get("/nav/")
    assert response.status_code == 200
    assert response.content == b""
    assert lamba.call_count("GET", "/v1/me/authorization") == 1
    assert len([r for r in caplog.records if r.name == "django_lamba.perms"]) == 1
    assert lamba_client.get("/authz/").content == b"none"


def test_lamba_authorization_tag_uses_the_request_user(lamba_client: Client) -> None:
    assert lamba_client.get("/authz/").content == b"members.read"


@pytest.fixture
def viewer(lamba: LambaEmulator) -> EmulatedUser:
    return add_viewer(lamba)
