"""The account overview, security and memberships pages, against the real emulator."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from django_lamba._internal import store
from django_lamba.conf import lamba_settings
from django_lamba.testing import EmulatedUser, LambaEmulator

JSON = "application/json"
PAGES = ("lamba:account", "lamba:profile", "lamba:security", "lamba:memberships")
OTHER, FOREIGN = "prj_other", "prj_foreign"


@pytest.fixture
def projects(lamba: LambaEmulator, lamba_user: EmulatedUser, settings: Any) -> None:
    """Two more Projects: ``prj_other`` (served by this site) and ``prj_foreign`` (not)."""
    settings.LAMBA_ALLOWED_PROJECTS = [
        f"{lamba.workspace_id}/{lamba.project_id}",
        f"{lamba.workspace_id}/{OTHER}",
    ]
    for project, name in ((OTHER, "Other"), (FOREIGN, "Foreign")):
        lamba.add_project(lamba.workspace_id, project, name)
        lamba.grant(lamba_user.email, project_id=project, roles=["owner"])


@pytest.mark.parametrize("name", PAGES)
def test_anonymous_visitors_are_sent_to_sign_in(lamba: LambaEmulator, name: str) -> None:
    response = Client().get(reverse(name))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("lamba:login") + "?next=")


@pytest.mark.parametrize("name", PAGES)
def test_anonymous_scripts_get_a_401_problem(lamba: LambaEmulator, name: str) -> None:
    response = Client().get(reverse(name), HTTP_ACCEPT=JSON)
    assert response.status_code == 401
    assert response["Content-Type"] == "application/problem+json"
    assert response.json()["errorCode"] == "authentication_required"


@pytest.mark.parametrize("name", PAGES)
def test_account_pages_are_private_and_never_framed(lamba_client: Client, name: str) -> None:
    response = lamba_client.get(reverse(name))
    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"]
    assert response["X-Frame-Options"] == "DENY"
    assert "frame-ancestors 'none'" in response["Content-Security-Policy"]
    assert b'aria-label="Your account"' in response.content


def test_overview_says_who_where_and_which_roles(lamba_client: Client) -> None:
    html = lamba_client.get(reverse("lamba:account")).content.decode()
    for text in ("Test User (user@example.com)", "Demo Workspace", "Demo Project", "Test"):
        assert text in html
    assert '<span class="chip">member</span>' in html
    for name in PAGES[1:]:
        assert f'href="{reverse(name)}"' in html


def test_overview_as_json(lamba: LambaEmulator, lamba_client: Client) -> None:
    body = lamba_client.get(reverse("lamba:account"), HTTP_ACCEPT=JSON).json()
    assert body["user"]["email"] == "user@example.com"
    assert body["project"] == {"id": lamba.project_id, "name": "Demo Project"}
    assert (body["environment"], body["roleKeys"]) == ("test", ["member"])
    assert body["pages"]["profile"] == reverse("lamba:profile")


def test_security_speaks_the_customers_words(
    lamba: LambaEmulator, lamba_user: EmulatedUser
) -> None:
    lamba.add_user("mfa@example.com", "pw-pw-pw-pw", mfa_code="123456", phone="+15550001")
    lamba.link_social("mfa@example.com", "google", "github")
    from tests.authz_urls import client_for

    client = client_for(lamba, "mfa@example.com")
    html = client.get(reverse("lamba:security")).content.decode()
    for words in ("Authenticator app", "Password", "Email link", "Text message code", "GitHub"):
        assert words in html
    assert "Confirmed with a second step" in html
    for jargon in ("totp", "pwd", "magicLink", ">google<"):
        assert jargon not in html
    body = client.get(reverse("lamba:security"), HTTP_ACCEPT=JSON).json()
    assert body["security"]["availableFactors"] == ["totp"]
    assert body["security"]["factorNames"] == ["Authenticator app"]
    assert body["signInMethods"]["socialProviders"] == ["google", "github"]
    assert body["security"]["lastLoginAt"]


def test_memberships_offer_a_switch_only_into_projects_this_site_serves(
    lamba: LambaEmulator, lamba_client: Client, projects: None
) -> None:
    html = lamba_client.get(reverse("lamba:memberships")).content.decode()
    assert html.count('action="/auth/switch-context/"') == 1
    assert f'name="projectId" value="{OTHER}"' in html
    assert "Switch to Other" in html
    assert "This site does not serve this Project." in html
    assert "You are using this Project now." in html

    items = lamba_client.get(reverse("lamba:memberships"), HTTP_ACCEPT=JSON).json()["items"]
    by_project = {item["project"]["id"]: item for item in items}
    assert by_project[OTHER]["canSwitch"] is True
    assert by_project[FOREIGN]["canSwitch"] is False
    assert by_project[FOREIGN]["reason"] == "This site does not serve this Project."
    assert by_project[lamba.project_id]["isActive"] is True


def test_memberships_page_through_next_cursor(
    lamba: LambaEmulator, lamba_client: Client, projects: None
) -> None:
    first = lamba_client.get(reverse("lamba:memberships") + "?limit=2", HTTP_ACCEPT=JSON).json()
    assert len(first["items"]) == 2 and first["nextCursor"]
    html = lamba_client.get(reverse("lamba:memberships") + "?limit=2").content.decode()
    assert 'rel="next"' in html
    url = f"{reverse('lamba:memberships')}?limit=2&cursor={first['nextCursor']}"
    second = lamba_client.get(url, HTTP_ACCEPT=JSON).json()
    assert [i["project"]["id"] for i in second["items"]] == [OTHER]
    assert second["nextCursor"] is None
    assert "First page" in lamba_client.get(url).content.decode()


@pytest.mark.parametrize("query", ["?limit=0", "?limit=abc", "?limit=1000", "?cursor=%00"])
def test_a_bad_page_link_is_a_400_without_a_call(
    lamba: LambaEmulator, lamba_client: Client, query: str
) -> None:
    lamba.reset_calls()
    response = lamba_client.get(reverse("lamba:memberships") + query, HTTP_ACCEPT=JSON)
    assert response.status_code == 400
    assert response.json()["errorCode"] == "validation_failed"
    assert lamba_client.get(reverse("lamba:memberships") + query).status_code == 400
    assert lamba.call_count("GET", "/v1/me/memberships") == 0


def test_a_cursor_lamba_refuses_is_a_400(lamba: LambaEmulator, lamba_client: Client) -> None:
    response = lamba_client.get(reverse("lamba:memberships") + "?cursor=bogus")
    assert response.status_code == 400


def test_switching_from_the_memberships_page(
    lamba: LambaEmulator, lamba_client: Client, projects: None
) -> None:
    scope = {"workspaceId": lamba.workspace_id, "projectId": OTHER, "environment": "test"}
    response = lamba_client.post(
        reverse("lamba:switch_context"), {**scope, "next": reverse("lamba:memberships")}
    )
    assert response.status_code == 302
    assert response["Location"] == reverse("lamba:memberships")
    items = lamba_client.get(reverse("lamba:memberships"), HTTP_ACCEPT=JSON).json()["items"]
    assert {i["project"]["id"]: i["isActive"] for i in items}[OTHER] is True


def _calls(lamba: LambaEmulator) -> tuple[int, int, int]:
    return (
        lamba.call_count("GET", "/v1/me/security"),
        lamba.call_count("GET", "/v1/me/linked-identities"),
        lamba.call_count("GET", "/v1/me/memberships"),
    )


def test_security_and_memberships_are_cached_per_session(
    lamba: LambaEmulator, lamba_client: Client
) -> None:
    for _ in range(3):
        lamba_client.get(reverse("lamba:security"))
        lamba_client.get(reverse("lamba:memberships"))
    assert _calls(lamba) == (1, 1, 1)
    from tests.authz_urls import client_for

    client_for(lamba, "user@example.com").get(reverse("lamba:security"))
    assert _calls(lamba) == (2, 2, 1), "another session has its own entries"


def test_the_account_cache_can_be_turned_off(
    lamba: LambaEmulator, lamba_client: Client, settings: Any
) -> None:
    settings.LAMBA_ACCOUNT_CACHE_TTL = 0
    lamba_client.get(reverse("lamba:security"))
    lamba_client.get(reverse("lamba:security"))
    assert _calls(lamba)[:2] == (2, 2)


def test_sign_out_drops_the_account_cache(lamba: LambaEmulator, lamba_client: Client) -> None:
    from django_lamba.account import cache

    lamba_client.get(reverse("lamba:security"))
    token = lamba_client.cookies[lamba_settings.SESSION_COOKIE].value
    key = cache._key(token, cache.SECURITY, "")
    assert store.cache().get(key) is not None
    lamba_client.post(reverse("lamba:logout"))
    fresh = cache._key(token, cache.SECURITY, "")
    assert fresh != key, "a new generation: every kept page of this token is dropped"
    assert store.cache().get(fresh) is None


def test_a_lamba_error_is_never_cached(lamba: LambaEmulator, lamba_client: Client) -> None:
    lamba.inject_fault("/v1/me/security", status=403)
    assert lamba_client.get(reverse("lamba:security")).status_code == 403
    assert lamba_client.get(reverse("lamba:security")).status_code == 200
