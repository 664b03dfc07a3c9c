"""What the account pages answer when Lamba says no, is slow to answer, or is down."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from django_lamba.testing import LambaEmulator

JSON = "application/json"
#: Each page and the Lamba call it makes besides the context.
CALLS = [
    ("lamba:security", "/v1/me/security"),
    ("lamba:memberships", "/v1/me/memberships"),
    ("lamba:profile", "/v1/me/profile"),
]


@pytest.mark.parametrize(("name", "path"), CALLS)
def test_a_session_lamba_ended_is_sent_to_sign_in(
    lamba: LambaEmulator, lamba_client: Client, name: str, path: str
) -> None:
    lamba.inject_fault(path, status=401, error_code="session_revoked")
    response = lamba_client.get(reverse(name))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("lamba:login"))
    lamba.inject_fault(path, status=401, error_code="session_revoked")
    problem = lamba_client.get(reverse(name), HTTP_ACCEPT=JSON)
    assert problem.status_code == 401
    assert problem.json()["errorCode"] == "authentication_required"


@pytest.mark.parametrize(("name", "path"), CALLS)
def test_forbidden_is_a_403_page_or_problem(
    lamba: LambaEmulator, lamba_client: Client, name: str, path: str
) -> None:
    lamba.inject_fault(path, status=403, times=2)
    page = lamba_client.get(reverse(name))
    assert page.status_code == 403
    assert b"You do not have access to this." in page.content
    problem = lamba_client.get(reverse(name), HTTP_ACCEPT=JSON)
    assert (problem.status_code, problem.json()["errorCode"]) == (403, "AUTHORIZATION_DENIED")


@pytest.mark.parametrize(("name", "path"), CALLS)
def test_a_rate_limit_keeps_its_retry_after(
    lamba: LambaEmulator, lamba_client: Client, name: str, path: str
) -> None:
    lamba.inject_fault(path, status=429, retry_after=120, times=None)
    page = lamba_client.get(reverse(name))
    assert page.status_code == 429
    assert page["Retry-After"] == "120"
    problem = lamba_client.get(reverse(name), HTTP_ACCEPT=JSON)
    assert problem.status_code == 429
    assert problem.json()["errorCode"] == "RATE_LIMIT_EXCEEDED"
    assert lamba.call_count("GET", path) == 2, "a long wait is not retried into"


@pytest.mark.parametrize(("name", "path"), CALLS)
@pytest.mark.parametrize("html_page", [False, True])
def test_an_outage_is_a_503_with_retry_after(
    lamba: LambaEmulator, lamba_client: Client, name: str, path: str, html_page: bool
) -> None:
    if html_page:
        lamba.inject_html_error(path, status=502, times=None)
    else:
        lamba.inject_fault(path, status=503, times=None)
    page = lamba_client.get(reverse(name))
    assert page.status_code == 503
    assert page["Retry-After"]
    assert b"<html>" not in page.content.lower().replace(b"<html lang", b"")
    assert b"Traceback" not in page.content
    problem = lamba_client.get(reverse(name), HTTP_ACCEPT=JSON)
    assert problem.status_code == 503
    assert problem.json()["errorCode"] == "lamba_unavailable"


def test_a_plan_limit_is_the_plan_limit_page(lamba: LambaEmulator, lamba_client: Client) -> None:
    lamba.inject_fault("/v1/me/security", status=402)
    response = lamba_client.get(reverse("lamba:security"))
    assert response.status_code == 402


def test_the_overview_needs_no_call_beyond_the_context(
    lamba: LambaEmulator, lamba_client: Client
) -> None:
    lamba_client.get(reverse("lamba:account"))
    lamba.reset_calls()
    assert lamba_client.get(reverse("lamba:account")).status_code == 200
    assert lamba.calls.total() == 0


def test_a_session_this_site_refuses_gets_the_reentry_page(
    lamba: LambaEmulator, lamba_client: Client
) -> None:
    sid = lamba.session_id_for(lamba_client.cookies["lamba_access_token"].value)
    assert sid is not None
    lamba.revoke_scope(sid)
    from django_lamba.testing.reset import reset

    reset(shared_cache=True)
    response = lamba_client.get(reverse("lamba:account"))
    assert response.status_code == 401
    assert b"switch-context" in response.content
