"""The admin client's HTTP policy in isolation (``responses``): 429s, retries, typed refusals."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
import responses

from django_lamba._internal import wire
from django_lamba._internal.responses import answer_for
from django_lamba.exceptions import (
    LambaForbidden,
    LambaPaymentRequired,
    LambaPlanLimitExceeded,
    LambaRateLimited,
    error_class_for,
)
from django_lamba.management_client import LambaManagementClient
from django_lamba.testing import reset

AUTH = "https://auth.lamba.test"
API = "https://api.lamba.test"


@pytest.fixture
def waits(monkeypatch: pytest.MonkeyPatch, settings: Any) -> Iterator[list[float]]:
    settings.LAMBA_CUSTOMER_AUTH_BASE_URL = AUTH
    settings.LAMBA_CUSTOMER_API_BASE_URL = API
    settings.LAMBA_MANAGEMENT_CLIENT_ID = "mgmt"
    settings.LAMBA_MANAGEMENT_CLIENT_SECRET = "mgmt-secret"
    settings.LAMBA_CUSTOMER_WORKSPACE_ID = "ws"
    settings.LAMBA_CUSTOMER_PROJECT_ID = "prj"
    settings.LAMBA_CUSTOMER_ENV = "test"
    settings.LAMBA_MAX_RETRIES = 3
    settings.LAMBA_MAX_RETRY_WAIT = 5
    settings.LAMBA_TOTAL_TIMEOUT = 60
    slept: list[float] = []
    monkeypatch.setattr(wire, "retry_sleep", slept.append)
    monkeypatch.setattr(wire, "retry_jitter", lambda upper: upper / 2)
    reset(shared_cache=True)
    responses.start()
    try:
        responses.add(
            responses.POST,
            f"{AUTH}/connect/token",
            json={"access_token": "mgmt-token", "token_type": "Bearer", "expires_in": 600},
        )
        yield slept
    finally:
        responses.stop()
        responses.reset()
    reset(shared_cache=True)


def rate_limited(retry_after: str = "1") -> dict[str, Any]:
    return {
        "status": 429,
        "json": {
            "type": "https://api.uselamba.com/problems/rate-limit",
            "status": 429,
            "errorCode": "RATE_LIMIT_EXCEEDED",
            "traceId": "t-429",
        },
        "headers": {"Retry-After": retry_after},
    }


def page_body(*emails: str) -> dict[str, Any]:
    return {"items": [{"userId": e, "email": e} for e in emails], "nextCursor": None}


def test_a_read_is_retried_after_429_waiting_retry_after_plus_jitter(waits: list[float]) -> None:
    responses.add(responses.GET, f"{API}/v1/admin/members", **rate_limited("2"))
    responses.add(responses.GET, f"{API}/v1/admin/members", json=page_body("a@example.com"))
    assert [m.email for m in LambaManagementClient().list_members().items] == ["a@example.com"]
    assert len(waits) == 1 and 2 <= waits[0] <= 2 + wire.RATE_LIMIT_JITTER


def test_a_read_gives_up_after_three_retries(waits: list[float]) -> None:
    for _ in range(5):
        responses.add(responses.GET, f"{API}/v1/admin/roles", **rate_limited())
    with pytest.raises(LambaRateLimited) as caught:
        LambaManagementClient().list_roles()
    assert len(waits) == 3 and caught.value.retry_after == 1
    assert sum(1 for c in responses.calls if c.request.method == "GET") == 4


def test_a_wait_longer_than_allowed_is_not_waited(waits: list[float]) -> None:
    responses.add(responses.GET, f"{API}/v1/admin/domains", **rate_limited("120"))
    with pytest.raises(LambaRateLimited) as caught:
        LambaManagementClient().list_domains()
    assert waits == [] and caught.value.retry_after == 120


@pytest.mark.parametrize(
    ("call", "method", "path"),
    [
        (lambda c: c.create_invitation("a@example.com"), "POST", "/v1/admin/invitations"),
        (
            lambda c: c.rotate_application_secret("app_1"),
            "POST",
            "/v1/admin/applications/app_1/rotate-secret",
        ),
        (
            lambda c: c.retry_webhook_delivery("whd_1"),
            "POST",
            "/v1/admin/webhooks/deliveries/whd_1/retry",
        ),
    ],
)
def test_a_post_is_never_retried(waits: list[float], call: Any, method: str, path: str) -> None:
    responses.add(method, f"{API}{path}", **rate_limited())
    with pytest.raises(LambaRateLimited):
        call(LambaManagementClient())
    assert waits == [] and sum(1 for c in responses.calls if c.request.url.endswith(path)) == 1


def test_setting_roles_and_removing_are_retried(waits: list[float]) -> None:
    path = f"{API}/v1/admin/members/usr_1"
    responses.add(responses.PATCH, path, **rate_limited())
    responses.add(responses.PATCH, path, json={"userId": "usr_1", "roleKeys": ["a"]})
    responses.add(responses.DELETE, path, **rate_limited())
    responses.add(responses.DELETE, path, status=204)
    client = LambaManagementClient()
    assert client.update_member_roles("usr_1", ["a", "a"]).role_keys == ("a",)
    client.remove_member("usr_1")
    assert len(waits) == 2
    patch = next(c for c in responses.calls if c.request.method == "PATCH")
    assert json.loads(patch.request.body or b"{}") == {"roleKeys": ["a"]}


def test_a_402_carries_the_plan_facts_in_either_shape(waits: list[float]) -> None:
    for body in (
        {
            "type": "https://api.uselamba.com/problems/plan-limit",
            "status": 402,
            "errorCode": "PLAN_LIMIT_EXCEEDED",
            "limit": "members",
            "allowed": 10,
            "current": 10,
            "plan": "free",
            "traceId": "t-1",
        },
        {
            "error": "PLAN_LIMIT_EXCEEDED",
            "limit": "members",
            "allowed": "10",
            "current": 10.0,
            "plan": "free",
            "message": "Upgrade.",
        },
    ):
        responses.add(responses.POST, f"{API}/v1/admin/invitations", status=402, json=body)
        with pytest.raises(LambaPlanLimitExceeded) as caught:
            LambaManagementClient().create_invitation("a@example.com")
        error = caught.value
        assert (error.limit, error.allowed, error.current, error.plan) == (
            "members",
            10,
            10,
            "free",
        )


def test_a_403_names_the_missing_scope_when_lamba_does(waits: list[float]) -> None:
    responses.add(
        responses.GET,
        f"{API}/v1/admin/applications",
        status=403,
        json={
            "status": 403,
            "errorCode": "AUTHORIZATION_DENIED",
            "traceId": "t",
            "requiredScope": "customer.applications.read",
        },
    )
    responses.add(
        responses.GET,
        f"{API}/v1/admin/applications",
        status=403,
        json={"status": 403, "errorCode": "AUTHORIZATION_DENIED"},
    )
    client = LambaManagementClient()
    with pytest.raises(LambaForbidden) as caught:
        client.list_applications()
    assert caught.value.missing_scope == "customer.applications.read"
    with pytest.raises(LambaForbidden) as caught:
        client.list_applications()
    assert caught.value.missing_scope is None


def test_ids_are_sent_as_one_path_segment(waits: list[float]) -> None:
    responses.add(
        responses.POST,
        f"{API}/v1/admin/invitations/a%2Fb%3Fc/resend",
        json={"id": "a/b?c", "status": "pending"},
    )
    assert LambaManagementClient().resend_invitation("a/b?c").id == "a/b?c"


def test_the_token_is_asked_for_the_configured_scope(waits: list[float]) -> None:
    responses.add(responses.GET, f"{API}/v1/admin/members", json=page_body())
    LambaManagementClient(scope="customer.members.read").list_members()
    token_call = next(c for c in responses.calls if c.request.url.endswith("/connect/token"))
    form = str(token_call.request.body)
    assert "scope=customer.members.read" in form and "workspaceId=ws" in form
    api_call = next(c for c in responses.calls if "/v1/admin/" in c.request.url)
    assert api_call.request.headers["Authorization"] == "Bearer mgmt-token"


def test_the_new_errors_get_the_existing_customer_answers() -> None:
    plan = LambaPlanLimitExceeded(
        status=402,
        error_code="PLAN_LIMIT_EXCEEDED",
        trace_id="t-1",
        extra={"limit": "members", "allowed": 5, "current": 5, "plan": "free"},
    )
    answer = answer_for(plan)
    assert (answer.status, answer.code) == (402, "PLAN_LIMIT_EXCEEDED")
    assert "members" not in json.dumps(plan.to_problem())  # the plan facts stay private
    scope = LambaForbidden(
        status=403, error_code="AUTHORIZATION_DENIED", extra={"requiredScope": "customer.x.write"}
    )
    assert answer_for(scope).status == 403
    assert "customer.x.write" not in json.dumps(scope.to_problem())
    assert error_class_for(402, "plan_limit_exceeded") is LambaPlanLimitExceeded
    assert error_class_for(402, "") is LambaPaymentRequired
