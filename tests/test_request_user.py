"""``request.user`` under LambaMiddleware: the user itself, resolved on the first read.

The middleware gives a request with Lamba cookies a class of its own (a subclass of its class,
same name) whose ``user`` resolves the customer once and then is an ordinary attribute. These
tests prove it behaves as Django's lazy ``request.user`` does where that matters (laziness,
assignment, ``hasattr`` during an outage, the Django session user as fallback, ``auser``) and
that a request whose class cannot change still gets a lazy user.
"""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.core.handlers.wsgi import WSGIRequest
from django.http import HttpRequest, HttpResponse
from django.test import Client, RequestFactory
from django.utils.functional import SimpleLazyObject

from django_lamba import middleware
from django_lamba.exceptions import LambaError
from django_lamba.middleware import LambaMiddleware
from django_lamba.state import LambaRequest
from django_lamba.testing import EmulatedUser, LambaEmulator
from django_lamba.testing.pytest_plugin import LAMBA_USER_EMAIL
from django_lamba.user import LambaAnonymousUser, LambaUser


def _ok(request: HttpRequest) -> HttpResponse:
    return HttpResponse("ok")


def _cookie_request(lamba: LambaEmulator, email: str) -> WSGIRequest:
    tokens = lamba.issue_session(
        email, workspace_id=lamba.workspace_id, project_id=lamba.project_id
    )
    request = RequestFactory().get("/")
    request.COOKIES = {
        "lamba_access_token": tokens["access_token"],
        "lamba_refresh_token": tokens["refresh_token"],
    }
    return request


def _through_middleware(request: HttpRequest) -> HttpRequest:
    LambaMiddleware(_ok).process_request(request)
    return request


def test_request_user_is_the_lamba_user_itself_not_a_proxy(
    lamba: LambaEmulator, lamba_user: EmulatedUser
) -> None:
    request = _through_middleware(_cookie_request(lamba, lamba_user.email))
    user = request.user
    assert type(user) is LambaUser and user.email == LAMBA_USER_EMAIL
    assert request.user is user is request.lamba.user  # type: ignore[attr-defined]
    # Still the request Django built, by every check a project would make.
    assert isinstance(request, WSGIRequest) and type(request).__name__ == "WSGIRequest"
    assert repr(request) == "<WSGIRequest: GET '/'>"


def test_nothing_is_resolved_until_request_user_is_read(
    lamba: LambaEmulator, lamba_user: EmulatedUser
) -> None:
    request = _through_middleware(_cookie_request(lamba, lamba_user.email))
    lamba.reset_calls()
    assert "user" not in request.__dict__ and lamba.calls.total() == 0
    assert request.user.is_authenticated
    fetched = lamba.calls.total()
    assert "user" in request.__dict__ and lamba.calls["GET /v1/me/context"] == 1
    assert request.user.is_authenticated and lamba.calls.total() == fetched


def test_a_view_can_assign_request_user_before_or_after_the_first_read(
    lamba: LambaEmulator, lamba_user: EmulatedUser
) -> None:
    other = LambaAnonymousUser()
    request = _through_middleware(_cookie_request(lamba, lamba_user.email))
    request.user = other
    assert request.user is other
    request = _through_middleware(_cookie_request(lamba, lamba_user.email))
    assert request.user.is_authenticated
    request.user = other
    assert request.user is other


def test_during_an_outage_reading_request_user_works_and_using_it_raises(
    lamba: LambaEmulator, lamba_user: EmulatedUser, settings: Any
) -> None:
    settings.LAMBA_MAX_RETRIES = 0
    request = _through_middleware(_cookie_request(lamba, lamba_user.email))
    lamba.inject_fault("/v1/me/context", times=None, status=503)
    # What Django's auth context processor and login() do first.
    assert hasattr(request, "user")
    with pytest.raises(LambaError):
        request.user.is_authenticated  # noqa: B018
    assert request.lamba.outage is not None  # type: ignore[attr-defined]


@pytest.mark.django_db
def test_the_django_session_user_stays_request_user_when_lamba_signs_nobody_in(
    lamba: LambaEmulator,
) -> None:
    staff = User.objects.create_user("staff", password="pw-123456789")
    request = RequestFactory().get("/")
    request.COOKIES = {"lamba_access_token": "not-a-session"}
    request.user = SimpleLazyObject(lambda: staff)  # as AuthenticationMiddleware leaves it
    request = _through_middleware(request)
    assert request.lamba.django_user is not None  # type: ignore[attr-defined]
    assert request.user.get_username() == "staff"


def test_auser_answers_the_same_user(lamba: LambaEmulator, lamba_user: EmulatedUser) -> None:
    request = _through_middleware(_cookie_request(lamba, lamba_user.email))
    user = asyncio.run(request.auser())  # type: ignore[attr-defined]
    assert type(user) is LambaUser and user is request.user


def test_a_request_through_the_middleware_twice_keeps_one_class(
    lamba: LambaEmulator, lamba_user: EmulatedUser
) -> None:
    request = _through_middleware(_cookie_request(lamba, lamba_user.email))
    lazy_class = type(request)
    request = _through_middleware(request)
    assert type(request) is lazy_class and type(request).__mro__[1] is WSGIRequest
    assert request.user.email == LAMBA_USER_EMAIL


def test_a_request_whose_class_cannot_change_gets_a_lazy_user(
    lamba: LambaEmulator, lamba_user: EmulatedUser, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(middleware._lazy_requests, "attach", lambda request: False)
    request = _through_middleware(_cookie_request(lamba, lamba_user.email))
    assert type(request) is WSGIRequest
    assert isinstance(request.user, SimpleLazyObject)
    assert request.user.email == LAMBA_USER_EMAIL
    assert asyncio.run(request.auser()).email == LAMBA_USER_EMAIL  # type: ignore[attr-defined]
    assert isinstance(request.lamba, LambaRequest)  # type: ignore[attr-defined]


def test_through_the_whole_stack_request_user_is_the_user(lamba_client: Client) -> None:
    response = lamba_client.get("/whoami/")
    assert response.content == LAMBA_USER_EMAIL.encode()
    assert type(response.wsgi_request.user) is LambaUser
