"""``request.lamba``: the request's Lamba session, read by views, written back on the way out."""

from __future__ import annotations

from typing import Any

import pytest
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.test import Client, RequestFactory
from django.urls import include, path

from django_lamba.conf import lamba_settings
from django_lamba.state import LambaRequest, get_lamba
from django_lamba.testing import EmulatedUser, LambaEmulator, client_with_tokens
from django_lamba.types import TokenSet

pytestmark = pytest.mark.urls(__name__)


def _describe(request: Any) -> JsonResponse:
    request.user  # noqa: B018  (resolve first: a refresh may rotate the tokens)
    lamba = request.lamba
    context = lamba.context
    return JsonResponse(
        {
            "hasCookies": lamba.has_cookies,
            "rotated": lamba.rotated,
            "accessToken": lamba.access_token,
            "project": context.active_project.id if context and context.active_project else None,
            "refusal": lamba.refusal,
            "repr": repr(lamba),
        }
    )


def _sign_out(request: Any) -> HttpResponse:
    request.lamba.sign_out()
    return HttpResponse("bye")


urlpatterns = [
    path("auth/", include("django_lamba.urls")),
    path("describe/", _describe),
    path("sign-out/", _sign_out),
]


def scoped(lamba: LambaEmulator, **kwargs: Any) -> dict[str, Any]:
    return lamba.issue_session(
        "user@example.com", workspace_id=lamba.workspace_id, project_id=lamba.project_id, **kwargs
    )


def test_it_describes_the_session_without_showing_a_token(
    lamba: LambaEmulator, lamba_user: EmulatedUser
) -> None:
    tokens = scoped(lamba)
    body = client_with_tokens(tokens).get("/describe/").json()
    assert body["hasCookies"] is True
    assert body["rotated"] is False
    assert body["accessToken"] == tokens["access_token"]
    assert body["project"] == lamba.project_id
    assert body["refusal"] is None
    assert tokens["access_token"] not in body["repr"]
    assert tokens["refresh_token"] not in body["repr"]


def test_after_a_refresh_it_holds_the_rotated_tokens_the_response_writes(
    lamba: LambaEmulator, lamba_user: EmulatedUser
) -> None:
    tokens = scoped(lamba, access_token_ttl=-120)
    response = client_with_tokens(tokens).get("/describe/")
    body = response.json()
    assert body["rotated"] is True
    assert body["accessToken"] != tokens["access_token"]
    assert response.cookies[lamba_settings.SESSION_COOKIE].value == body["accessToken"]


def test_a_refused_session_says_why(lamba: LambaEmulator, lamba_user: EmulatedUser) -> None:
    body = client_with_tokens(lamba.issue_session("user@example.com")).get("/describe/").json()
    assert body["refusal"] == "project_reentry_required"
    assert body["project"] is None


def test_no_cookies_is_an_empty_session(lamba: LambaEmulator) -> None:
    body = Client().get("/describe/").json()
    assert body["hasCookies"] is False
    assert body["accessToken"] is None


def test_sign_out_clears_the_cookies_and_ends_the_session_at_lamba(
    lamba: LambaEmulator, lamba_user: EmulatedUser
) -> None:
    tokens = scoped(lamba)
    client = client_with_tokens(tokens)
    response = client.get("/sign-out/")
    assert response.cookies[lamba_settings.SESSION_COOKIE].value == ""
    assert response.cookies[lamba_settings.REFRESH_COOKIE].value == ""
    assert lamba.call_count("POST", "/v1/auth/logout") == 1
    # The old access token, replayed, signs nobody in.
    assert client_with_tokens(tokens).get("/describe/").json()["project"] is None


def test_sign_in_refuses_tokens_too_large_for_a_cookie() -> None:
    request = RequestFactory().get("/")
    lamba = LambaRequest(request)
    assert not lamba.sign_in(TokenSet(access_token="x" * 5000, refresh_token="r"))
    assert lamba.access_token is None


def test_without_the_middleware_views_get_a_detached_session() -> None:
    request: HttpRequest = RequestFactory().get("/")
    lamba = get_lamba(request)
    assert isinstance(lamba, LambaRequest)
    assert not lamba.has_cookies
    assert not hasattr(request, "lamba")
