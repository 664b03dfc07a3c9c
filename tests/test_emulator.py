"""The Lamba emulator, driven over real sockets the way django_lamba's client meets Lamba."""

from __future__ import annotations

import base64
import hashlib
import json
import os
import re
import secrets
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from typing import Any
from urllib.parse import parse_qs, urlsplit

import jwt
import pytest
import requests

from django_lamba.testing import EmulatedUser, LambaEmulator, OutboxMessage
from django_lamba.testing import emulator as emulator_module
from django_lamba.testing.demo import DEMO_MFA_CODE, seed_demo_users

PASSWORD = "s3cret-password"
SCOPE = {"workspaceId": "ws_demo", "projectId": "prj_demo", "environment": "test"}
TOKEN_KEYS = {
    "access_token",
    "refresh_token",
    "refresh_token_expires_at",
    "token_type",
    "expires_in",
}
ISO_Z = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$")
REDIRECT_URI = "https://app.example.com/callback"


# --- fixtures and helpers ----------------------------------------------------------------


@pytest.fixture(scope="module")
def server() -> Iterator[LambaEmulator]:
    with LambaEmulator() as running:
        yield running


@pytest.fixture
def emu(server: LambaEmulator) -> Iterator[LambaEmulator]:
    server.reset()
    yield server
    server.clear_faults()


@pytest.fixture
def http() -> Iterator[requests.Session]:
    with requests.Session() as session:
        yield session


@pytest.fixture
def member(emu: LambaEmulator) -> EmulatedUser:
    return emu.add_user(
        "member@example.com",
        PASSWORD,
        username="mem",
        display_name="Mem Ber",
        phone="+15550000002",
        roles=["member"],
        permissions=["members.read"],
    )


def auth(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def assert_problem(response: requests.Response, status: int, code: str) -> dict[str, Any]:
    assert response.status_code == status, response.text
    # The docs serve 429 problems as application/json, every other one as problem+json.
    expected = "application/json" if status == 429 else "application/problem+json"
    assert response.headers["Content-Type"] == expected
    body: dict[str, Any] = response.json()
    assert body["status"] == status
    assert body["errorCode"] == code
    assert {"type", "title", "detail", "traceId"} <= body.keys()
    return body


def login(emu: LambaEmulator, http: requests.Session, who: str = "member@example.com") -> Any:
    response = http.post(
        f"{emu.auth_url}/v1/auth/login/password", json={"login": who, "password": PASSWORD}
    )
    assert response.status_code == 200, response.text
    return response.json()


def switch(emu: LambaEmulator, http: requests.Session, token: str, **body: str) -> Any:
    return http.post(
        f"{emu.auth_url}/v1/sessions/switch-context", json=SCOPE | body, headers=auth(token)
    )


def scoped_login(
    emu: LambaEmulator, http: requests.Session, who: str = "member@example.com"
) -> Any:
    response = switch(emu, http, login(emu, http, who)["access_token"])
    assert response.status_code == 200, response.text
    return response.json()


def me(emu: LambaEmulator, http: requests.Session, token: str, what: str = "context") -> Any:
    return http.get(f"{emu.api_url}/v1/me/{what}", headers=auth(token))


def json_of(body: bytes) -> Any:
    return json.loads(body)


def emu_address(url: str) -> tuple[str, int]:
    parts = urlsplit(url)
    return parts.hostname or "127.0.0.1", parts.port or 80


def claims_of(token: str) -> dict[str, Any]:
    return jwt.decode(token, options={"verify_signature": False})


# --- register and password login ---------------------------------------------------------


def test_register_answers_token_shape_and_joins_default_project(
    emu: LambaEmulator, http: requests.Session
) -> None:
    response = http.post(
        f"{emu.auth_url}/v1/auth/register",
        json={"email": "new@example.com", "password": PASSWORD, "displayName": "New"},
    )
    assert response.status_code == 201
    tokens = response.json()
    assert set(tokens) == TOKEN_KEYS
    assert tokens["token_type"] == "Bearer"
    assert tokens["expires_in"] == 300
    assert ISO_Z.match(tokens["refresh_token_expires_at"])
    assert switch(emu, http, tokens["access_token"]).status_code == 200


def test_register_rejects_duplicates_and_bad_fields(
    emu: LambaEmulator, http: requests.Session, member: EmulatedUser
) -> None:
    url = f"{emu.auth_url}/v1/auth/register"
    taken = http.post(url, json={"email": "MEMBER@example.com", "password": PASSWORD})
    assert set(assert_problem(taken, 409, "identity_already_exists")["errors"]) == {"email"}
    # A new email with a taken username: the 409 names the username, not the email.
    body = {"email": "fresh@example.com", "password": PASSWORD, "username": "mem"}
    taken = http.post(url, json=body)
    assert set(assert_problem(taken, 409, "identity_already_exists")["errors"]) == {"username"}
    bad = assert_problem(
        http.post(url, json={"email": "nope", "password": "short"}), 400, "validation_failed"
    )
    assert set(bad["errors"]) == {"email", "password"}


def test_password_login_by_email_or_username(
    emu: LambaEmulator, http: requests.Session, member: EmulatedUser
) -> None:
    assert set(login(emu, http, "member@example.com")) == TOKEN_KEYS
    assert set(login(emu, http, "mem")) == TOKEN_KEYS
    url = f"{emu.auth_url}/v1/auth/login/password"
    wrong = http.post(url, json={"login": "mem", "password": "wrong-password"})
    assert_problem(wrong, 401, "invalid_credentials")
    unknown = http.post(url, json={"login": "ghost@example.com", "password": PASSWORD})
    assert_problem(unknown, 401, "invalid_credentials")
    missing = http.post(url, json={"login": "mem"})
    assert "password" in assert_problem(missing, 400, "validation_failed")["errors"]


def test_mfa_login_requires_the_code(emu: LambaEmulator, http: requests.Session) -> None:
    emu.add_user("mfa@example.com", PASSWORD, mfa_code="123456")
    url = f"{emu.auth_url}/v1/auth/login/password"
    base = {"login": "mfa@example.com", "password": PASSWORD}
    required = assert_problem(http.post(url, json=base), 401, "mfa_required")
    assert required["availableFactors"] == ["totp"]
    assert_problem(http.post(url, json=base | {"mfaCode": "000000"}), 401, "invalid_mfa_code")
    ok = http.post(url, json=base | {"mfaCode": "123456"})
    assert ok.status_code == 200
    session = me(emu, http, ok.json()["access_token"]).json()["session"]
    assert session["mfaSatisfied"] is True
    assert "mfa" in session["amr"]


def test_password_login_with_mfa_code_in_one_call_finishes_mfa_sign_in(
    emu: LambaEmulator, http: requests.Session
) -> None:
    emu.add_user("mfa@example.com", PASSWORD, mfa_code="654321")
    response = http.post(
        f"{emu.auth_url}/v1/auth/login/password",
        json={"login": "mfa@example.com", "password": PASSWORD, "mfaCode": "654321"},
    )
    assert response.status_code == 200, response.text
    tokens = response.json()
    assert set(tokens) == TOKEN_KEYS
    assert me(emu, http, tokens["access_token"], "security").json()["mfaSatisfied"] is True
    assert switch(emu, http, tokens["access_token"]).status_code == 200


# --- magic links and phone codes ---------------------------------------------------------


def test_magic_link_is_sent_and_single_use(
    emu: LambaEmulator, http: requests.Session, member: EmulatedUser
) -> None:
    request_url = f"{emu.auth_url}/v1/auth/login/magic-link/request"
    body = {"email": member.email, "redirectUri": f"{REDIRECT_URI}?next=/app"}
    assert http.post(request_url, json=body).status_code == 202
    link = emu.last_magic_link(member.email)
    assert link.startswith(f"{REDIRECT_URI}?next=/app&token=")
    token = parse_qs(urlsplit(link).query)["token"][0]
    assert emu.outbox[-1] == OutboxMessage(
        "magic_link", member.email, token, link, emu.outbox[-1].created_at
    )
    verify_url = f"{emu.auth_url}/v1/auth/login/magic-link/verify"
    first = http.post(verify_url, json={"token": token})
    assert first.status_code == 200
    assert set(first.json()) == TOKEN_KEYS
    assert_problem(http.post(verify_url, json={"token": token}), 401, "invalid_token")


def test_magic_link_for_unknown_email_is_accepted_silently(
    emu: LambaEmulator, http: requests.Session
) -> None:
    body = {"email": "ghost@example.com", "redirectUri": REDIRECT_URI}
    response = http.post(f"{emu.auth_url}/v1/auth/login/magic-link/request", json=body)
    assert response.status_code == 202
    assert emu.outbox == []


def test_magic_link_expires_after_fifteen_minutes(
    emu: LambaEmulator, http: requests.Session, member: EmulatedUser
) -> None:
    body = {"email": member.email, "redirectUri": REDIRECT_URI}
    http.post(f"{emu.auth_url}/v1/auth/login/magic-link/request", json=body)
    token = emu.outbox[-1].token_or_code
    emu.clock = lambda: time.time() + 15 * 60 + 1
    verify = http.post(f"{emu.auth_url}/v1/auth/login/magic-link/verify", json={"token": token})
    assert_problem(verify, 401, "invalid_token")


def test_phone_code_login_and_wrong_codes(
    emu: LambaEmulator, http: requests.Session, member: EmulatedUser
) -> None:
    phone = "+15550000002"
    request_url = f"{emu.auth_url}/v1/auth/login/phone/request"
    verify_url = f"{emu.auth_url}/v1/auth/login/phone/verify"
    assert http.post(request_url, json={"phone": phone}).status_code == 202
    code = emu.last_sms_code(phone)
    assert re.fullmatch(r"\d{6}", code)
    wrong = "000000" if code != "000000" else "111111"
    assert_problem(
        http.post(verify_url, json={"phone": phone, "code": wrong}), 401, "invalid_code"
    )
    assert http.post(verify_url, json={"phone": phone, "code": code}).status_code == 200
    again = http.post(verify_url, json={"phone": phone, "code": code})
    assert_problem(again, 401, "invalid_code")


def test_phone_verify_takes_phone_and_code_and_answers_the_token_shape(
    emu: LambaEmulator, http: requests.Session, member: EmulatedUser
) -> None:
    phone = "+15550000002"
    http.post(f"{emu.auth_url}/v1/auth/login/phone/request", json={"phone": phone})
    verify_url = f"{emu.auth_url}/v1/auth/login/phone/verify"
    code_only = http.post(verify_url, json={"code": emu.last_sms_code(phone)})
    assert set(assert_problem(code_only, 400, "validation_failed")["errors"]) == {"phone"}
    response = http.post(verify_url, json={"phone": phone, "code": emu.last_sms_code(phone)})
    assert response.status_code == 200, response.text
    tokens = response.json()
    assert set(tokens) == TOKEN_KEYS
    context = me(emu, http, tokens["access_token"]).json()
    assert context["user"]["email"] == member.email
    assert context["session"]["amr"] == ["sms"]


def test_five_wrong_phone_codes_burn_the_code(
    emu: LambaEmulator, http: requests.Session, member: EmulatedUser
) -> None:
    phone = "+15550000002"
    http.post(f"{emu.auth_url}/v1/auth/login/phone/request", json={"phone": phone})
    code = emu.last_sms_code(phone)
    wrong = "000000" if code != "000000" else "111111"
    verify_url = f"{emu.auth_url}/v1/auth/login/phone/verify"
    for _ in range(5):
        http.post(verify_url, json={"phone": phone, "code": wrong})
    assert_problem(http.post(verify_url, json={"phone": phone, "code": code}), 401, "invalid_code")


def test_phone_request_validates_e164_and_hides_unknown_numbers(
    emu: LambaEmulator, http: requests.Session
) -> None:
    url = f"{emu.auth_url}/v1/auth/login/phone/request"
    bad = assert_problem(http.post(url, json={"phone": "5551234"}), 400, "validation_failed")
    assert "phone" in bad["errors"]
    assert http.post(url, json={"phone": "+15559999999"}).status_code == 202
    assert emu.outbox == []


@pytest.mark.parametrize(
    ("path", "body"),
    [
        (
            "/v1/auth/login/magic-link/request",
            {"email": "a@example.com", "redirectUri": REDIRECT_URI},
        ),
        ("/v1/auth/login/phone/request", {"phone": "+15550000002"}),
    ],
)
def test_code_requests_are_rate_limited_per_identifier(
    emu: LambaEmulator, http: requests.Session, path: str, body: dict[str, str]
) -> None:
    statuses = [http.post(f"{emu.auth_url}{path}", json=body).status_code for _ in range(5)]
    assert statuses == [202] * 5
    limited = http.post(f"{emu.auth_url}{path}", json=body)
    assert_problem(limited, 429, "RATE_LIMIT_EXCEEDED")
    assert 1 <= int(limited.headers["Retry-After"]) <= 60


# --- refresh and logout ------------------------------------------------------------------


def test_refresh_rotates_and_reuse_revokes_the_session(
    emu: LambaEmulator, http: requests.Session, member: EmulatedUser
) -> None:
    first = login(emu, http)
    url = f"{emu.auth_url}/v1/auth/refresh"
    second = http.post(url, json={"refresh_token": first["refresh_token"]})
    assert second.status_code == 200
    rotated = second.json()
    assert set(rotated) == TOKEN_KEYS
    assert rotated["refresh_token"] != first["refresh_token"]
    assert emu.session_id_for(rotated["access_token"]) == emu.session_id_for(first["access_token"])
    reused = http.post(url, json={"refresh_token": first["refresh_token"]})
    assert_problem(reused, 401, "refresh_token_reused")
    after = http.post(url, json={"refresh_token": rotated["refresh_token"]})
    assert_problem(after, 401, "session_revoked")
    assert_problem(me(emu, http, rotated["access_token"]), 401, "session_revoked")
    assert emu.session_id_for(first["access_token"]) in emu.revoked_sessions


def test_concurrent_refreshes_with_one_token_end_the_session(
    emu: LambaEmulator, member: EmulatedUser
) -> None:
    tokens = login(emu, requests.Session())
    results: list[int] = []
    barrier = threading.Barrier(4)

    def refresh() -> None:
        barrier.wait()
        response = requests.post(
            f"{emu.auth_url}/v1/auth/refresh",
            json={"refresh_token": tokens["refresh_token"]},
            timeout=5,
        )
        results.append(response.status_code)

    threads = [threading.Thread(target=refresh) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(results) == [200, 401, 401, 401]
    assert emu.revoked_sessions == [emu.session_id_for(tokens["access_token"])]


def test_refresh_rejects_expired_and_unknown_tokens(
    emu: LambaEmulator, http: requests.Session, member: EmulatedUser
) -> None:
    url = f"{emu.auth_url}/v1/auth/refresh"
    assert_problem(http.post(url, json={"refresh_token": "nope"}), 401, "invalid_grant")
    tokens = login(emu, http)
    emu.clock = lambda: time.time() + 31 * 86400
    assert_problem(
        http.post(url, json={"refresh_token": tokens["refresh_token"]}), 401, "token_expired"
    )


def test_disabled_user_loses_sessions_and_cannot_refresh(
    emu: LambaEmulator, http: requests.Session, member: EmulatedUser
) -> None:
    tokens = login(emu, http)
    emu.disable_user(member.email)
    refresh = http.post(
        f"{emu.auth_url}/v1/auth/refresh", json={"refresh_token": tokens["refresh_token"]}
    )
    assert refresh.status_code == 401
    assert me(emu, http, tokens["access_token"]).status_code == 401
    assert_problem(
        http.post(
            f"{emu.auth_url}/v1/auth/login/password",
            json={"login": member.email, "password": PASSWORD},
        ),
        401,
        "invalid_credentials",
    )


def test_logout_revokes_access_and_refresh(
    emu: LambaEmulator, http: requests.Session, member: EmulatedUser
) -> None:
    tokens = login(emu, http)
    response = http.post(
        f"{emu.auth_url}/v1/auth/logout",
        json={"refresh_token": tokens["refresh_token"]},
        headers=auth(tokens["access_token"]),
    )
    assert response.status_code == 204
    assert response.content == b""
    assert_problem(me(emu, http, tokens["access_token"]), 401, "session_revoked")
    refresh = http.post(
        f"{emu.auth_url}/v1/auth/refresh", json={"refresh_token": tokens["refresh_token"]}
    )
    assert_problem(refresh, 401, "session_revoked")


def test_logout_accepts_an_expired_access_token_with_the_refresh_token(
    emu: LambaEmulator, http: requests.Session, member: EmulatedUser
) -> None:
    tokens = emu.issue_session(member.email, access_token_ttl=-10)
    assert_problem(me(emu, http, tokens["access_token"]), 401, "token_expired")
    response = http.post(
        f"{emu.auth_url}/v1/auth/logout",
        json={"refresh_token": tokens["refresh_token"]},
        headers=auth(tokens["access_token"]),
    )
    assert response.status_code == 204
    assert emu.session_id_for(tokens["access_token"]) in emu.revoked_sessions
    nothing = http.post(f"{emu.auth_url}/v1/auth/logout")
    assert nothing.status_code == 401


# --- switch-context, context, authorization ----------------------------------------------


def test_context_before_and_after_switch(
    emu: LambaEmulator, http: requests.Session, member: EmulatedUser
) -> None:
    tokens = login(emu, http)
    before = me(emu, http, tokens["access_token"]).json()
    assert before["user"]["email"] == member.email
    assert before["user"]["id"] == member.id
    assert before["activeWorkspace"] is None
    assert before["activeProject"] is None
    assert before["membership"] is None
    assert before["roleKeys"] == []
    assert me(emu, http, tokens["access_token"], "authorization").json() == {
        "roleKeys": [],
        "effectivePermissions": [],
        "permissionSources": {},
        "isProjectAdmin": False,
    }
    switched = switch(emu, http, tokens["access_token"])
    assert switched.status_code == 200
    scoped = switched.json()
    assert set(scoped) == TOKEN_KEYS
    claims = claims_of(scoped["access_token"])
    assert (claims["workspace_id"], claims["project_id"], claims["environment"]) == (
        "ws_demo",
        "prj_demo",
        "test",
    )
    after = me(emu, http, scoped["access_token"]).json()
    assert after["activeWorkspace"] == {"id": "ws_demo", "name": "Demo Workspace"}
    assert after["activeProject"] == {
        "id": "prj_demo",
        "name": "Demo Project",
        "environment": "test",
    }
    assert after["roleKeys"] == ["member"]
    assert me(emu, http, scoped["access_token"], "authorization").json() == {
        "roleKeys": ["member"],
        "effectivePermissions": ["members.read"],
        "permissionSources": {"members.read": ["role:member"]},
        "isProjectAdmin": False,
    }
    assert_problem(me(emu, http, tokens["access_token"]), 401, "session_revoked")
    assert emu.revoked_sessions == []


def test_switch_context_validates_scope_and_membership(
    emu: LambaEmulator, http: requests.Session, member: EmulatedUser
) -> None:
    emu.add_project("ws_demo", "prj_other", "Other")
    token = login(emu, http)["access_token"]
    missing = http.post(
        f"{emu.auth_url}/v1/sessions/switch-context",
        json={"workspaceId": "ws_demo"},
        headers=auth(token),
    )
    body = assert_problem(missing, 400, "customer_auth_context_binding_required")
    assert set(body["errors"]) == {"projectId", "environment"}
    assert_problem(switch(emu, http, token, environment="staging"), 400, "validation_failed")
    assert_problem(switch(emu, http, token, projectId="prj_nope"), 403, "AUTHORIZATION_DENIED")
    assert_problem(switch(emu, http, token, projectId="prj_other"), 403, "AUTHORIZATION_DENIED")
    unauthenticated = http.post(f"{emu.auth_url}/v1/sessions/switch-context", json=SCOPE)
    assert_problem(unauthenticated, 401, "authentication_required")
    emu.grant(member.email, project_id="prj_other", roles=["owner"], is_project_admin=True)
    other = switch(emu, http, token, projectId="prj_other")
    assert other.status_code == 200
    authz = me(emu, http, other.json()["access_token"], "authorization").json()
    assert authz["isProjectAdmin"] is True
    assert authz["roleKeys"] == ["owner"]


def test_add_project_creates_a_missing_workspace_in_one_call(
    emu: LambaEmulator, http: requests.Session
) -> None:
    emu.add_project("ws_attacker", "prj_attacker")
    emu.add_user("mallory@example.com", PASSWORD, project_id="prj_attacker", roles=["owner"])
    tokens = emu.issue_session(
        "mallory@example.com", workspace_id="ws_attacker", project_id="prj_attacker"
    )
    context = me(emu, http, tokens["access_token"]).json()
    assert context["activeWorkspace"] == {"id": "ws_attacker", "name": "ws_attacker"}
    assert context["activeProject"] == {
        "id": "prj_attacker",
        "name": "prj_attacker",
        "environment": "test",
    }
    emu.add_project("ws_attacker", "prj_attacker", "Renamed")
    renamed = me(emu, http, tokens["access_token"]).json()["activeProject"]
    assert renamed["name"] == "Renamed"
    emu.add_project("ws_demo", "prj_named", "Named")  # the old three-argument call
    assert me(emu, http, tokens["access_token"]).json()["activeWorkspace"]["id"] == "ws_attacker"


def test_owner_of_another_project_is_scoped_there_and_refused_in_the_demo_project(
    emu: LambaEmulator, http: requests.Session, member: EmulatedUser
) -> None:
    emu.add_project("ws_attacker", "prj_attacker", "Attacker Project")
    mallory = emu.add_user(
        "mallory@example.com",
        PASSWORD,
        project_id="prj_attacker",
        roles=["owner"],
        is_project_admin=True,
    )
    tokens = emu.issue_session(
        mallory.email, workspace_id="ws_attacker", project_id="prj_attacker"
    )
    token = tokens["access_token"]
    claims = claims_of(token)
    assert (claims["workspace_id"], claims["project_id"], claims["environment"]) == (
        "ws_attacker",
        "prj_attacker",
        "test",
    )
    authz = me(emu, http, token, "authorization").json()
    assert (authz["roleKeys"], authz["isProjectAdmin"]) == (["owner"], True)
    members = http.get(f"{emu.api_url}/v1/admin/members", headers=auth(token)).json()
    assert [item["email"] for item in members["items"]] == [mallory.email]
    # Not a member of the demo Project: no session there, and switch-context refuses.
    with pytest.raises(ValueError):
        emu.issue_session(mallory.email, project_id=emu.project_id)
    assert_problem(switch(emu, http, token), 403, "AUTHORIZATION_DENIED")
    mixed = switch(emu, http, token, workspaceId="ws_demo", projectId="prj_attacker")
    assert_problem(mixed, 403, "AUTHORIZATION_DENIED")
    # A viewer of the demo Project gets in, without admin rights there.
    emu.grant(mallory.email, roles=["viewer"])
    demo = emu.issue_session(mallory.email, workspace_id="ws_demo", project_id="prj_demo")
    demo_authz = me(emu, http, demo["access_token"], "authorization").json()
    assert (demo_authz["roleKeys"], demo_authz["isProjectAdmin"]) == (["viewer"], False)
    refused = http.get(f"{emu.api_url}/v1/admin/members", headers=auth(demo["access_token"]))
    assert_problem(refused, 403, "AUTHORIZATION_DENIED")
    switched = switch(emu, http, token)
    assert switched.status_code == 200
    assert me(emu, http, switched.json()["access_token"]).json()["roleKeys"] == ["viewer"]


def test_issue_session_without_scope_is_global(
    emu: LambaEmulator, http: requests.Session, member: EmulatedUser
) -> None:
    tokens = emu.issue_session(member.email)
    claims = claims_of(tokens["access_token"])
    assert not {"workspace_id", "project_id", "environment"} & claims.keys()
    context = me(emu, http, tokens["access_token"]).json()
    assert (context["activeWorkspace"], context["activeProject"], context["membership"]) == (
        None,
        None,
        None,
    )
    assert context["roleKeys"] == []
    assert me(emu, http, tokens["access_token"], "authorization").json()["roleKeys"] == []


def refresh_with(emu: LambaEmulator, http: requests.Session, refresh_token: str) -> Any:
    return http.post(f"{emu.auth_url}/v1/auth/refresh", json={"refresh_token": refresh_token})


def test_revoke_scope_rejects_the_scoped_token_but_keeps_the_global_session(
    emu: LambaEmulator, http: requests.Session, member: EmulatedUser
) -> None:
    scoped = scoped_login(emu, http)
    session_id = emu.session_id_for(scoped["access_token"])
    assert session_id is not None
    emu.revoke_scope(session_id)
    for what in ("context", "authorization", "memberships", "profile"):
        assert_problem(me(emu, http, scoped["access_token"], what), 401, "session_revoked")
    members = http.get(f"{emu.api_url}/v1/admin/members", headers=auth(scoped["access_token"]))
    assert_problem(members, 401, "session_revoked")
    assert session_id not in emu.revoked_sessions
    assert emu.revocations[-1] == (session_id, "scope_revoked")
    refreshed = refresh_with(emu, http, scoped["refresh_token"])
    assert refreshed.status_code == 200, refreshed.text
    unscoped = refreshed.json()
    assert set(unscoped) == TOKEN_KEYS
    assert emu.session_id_for(unscoped["access_token"]) == session_id
    assert (
        not {"workspace_id", "project_id", "environment"}
        & claims_of(unscoped["access_token"]).keys()
    )
    context = me(emu, http, unscoped["access_token"]).json()
    assert (context["activeWorkspace"], context["activeProject"], context["membership"]) == (
        None,
        None,
        None,
    )
    assert context["roleKeys"] == []
    authz = me(emu, http, unscoped["access_token"], "authorization").json()
    assert (authz["roleKeys"], authz["isProjectAdmin"]) == ([], False)
    # The revoked scope does not heal: its token stays refused, even by switch-context.
    assert_problem(me(emu, http, scoped["access_token"]), 401, "session_revoked")
    assert_problem(switch(emu, http, scoped["access_token"]), 401, "session_revoked")
    back = switch(emu, http, unscoped["access_token"])
    assert back.status_code == 200, back.text
    assert claims_of(back.json()["access_token"])["project_id"] == "prj_demo"
    assert me(emu, http, back.json()["access_token"]).json()["roleKeys"] == ["member"]


def test_revoke_scope_keeps_refresh_rotation_and_reuse_detection(
    emu: LambaEmulator, http: requests.Session, member: EmulatedUser
) -> None:
    scoped = scoped_login(emu, http)
    session_id = emu.session_id_for(scoped["access_token"]) or ""
    emu.revoke_scope(session_id)
    rotated = refresh_with(emu, http, scoped["refresh_token"])
    assert rotated.status_code == 200
    assert rotated.json()["refresh_token"] != scoped["refresh_token"]
    reused = refresh_with(emu, http, scoped["refresh_token"])
    assert_problem(reused, 401, "refresh_token_reused")
    assert_problem(
        refresh_with(emu, http, rotated.json()["refresh_token"]), 401, "session_revoked"
    )
    assert session_id in emu.revoked_sessions


def test_revoke_scope_refuses_unknown_unscoped_and_ended_sessions(
    emu: LambaEmulator, member: EmulatedUser
) -> None:
    with pytest.raises(LookupError):
        emu.revoke_scope("ses_nope")
    unscoped = emu.issue_session(member.email)
    with pytest.raises(ValueError):
        emu.revoke_scope(emu.session_id_for(unscoped["access_token"]) or "")
    scoped = emu.issue_session(member.email, project_id=emu.project_id)
    session_id = emu.session_id_for(scoped["access_token"]) or ""
    emu.revoke_scope(session_id)
    with pytest.raises(ValueError):
        emu.revoke_scope(session_id)
    ended = emu.issue_session(member.email, project_id=emu.project_id)
    emu.revoke_session(emu.session_id_for(ended["access_token"]) or "")
    with pytest.raises(ValueError):
        emu.revoke_scope(emu.session_id_for(ended["access_token"]) or "")


def test_revoke_scope_with_opaque_tokens(http: requests.Session) -> None:
    with LambaEmulator(token_format="opaque") as emu:
        emu.add_user("o@example.com", PASSWORD)
        scoped = emu.issue_session("o@example.com", project_id=emu.project_id)
        assert me(emu, http, scoped["access_token"]).json()["activeProject"]["id"] == "prj_demo"
        emu.revoke_scope(emu.session_id_for(scoped["access_token"]) or "")
        assert_problem(me(emu, http, scoped["access_token"]), 401, "session_revoked")
        unscoped = refresh_with(emu, http, scoped["refresh_token"]).json()
        assert me(emu, http, unscoped["access_token"]).json()["activeProject"] is None
        assert switch(emu, http, unscoped["access_token"]).status_code == 200


def test_exceeded_plan_limit_answers_402_problem_on_switch_context(
    emu: LambaEmulator, http: requests.Session, member: EmulatedUser
) -> None:
    emu.add_project("ws_other", "prj_other")
    emu.grant(member.email, project_id="prj_other", roles=["member"])
    emu.exceed_plan_limit(limit="mau", allowed=50, current=51, plan="starter")
    token = login(emu, http)["access_token"]  # the sign-in itself still works
    refused = switch(emu, http, token)
    body = assert_problem(refused, 402, "PLAN_LIMIT_EXCEEDED")
    assert body["type"] == "https://api.uselamba.com/problems/plan-limit"
    assert body["title"] == "Payment Required"
    assert (body["limit"], body["allowed"], body["current"], body["plan"]) == (
        "mau",
        50,
        51,
        "starter",
    )
    assert me(emu, http, token).status_code == 200  # the refused switch kept the session
    other = switch(emu, http, token, workspaceId="ws_other", projectId="prj_other")
    assert other.status_code == 200  # other Projects are not limited
    token = login(emu, http)["access_token"]
    emu.clear_plan_limit()
    assert switch(emu, http, token).status_code == 200


def test_exceeded_plan_limit_can_answer_the_older_bare_body(
    emu: LambaEmulator, http: requests.Session, member: EmulatedUser
) -> None:
    emu.exceed_plan_limit(emu.project_id, legacy_body=True)
    refused = switch(emu, http, login(emu, http)["access_token"])
    assert refused.status_code == 402
    assert refused.headers["Content-Type"] == "application/json"
    body = refused.json()
    assert set(body) == {"error", "limit", "allowed", "current", "plan", "message"}
    assert (body["error"], body["limit"], body["allowed"], body["current"], body["plan"]) == (
        "PLAN_LIMIT_EXCEEDED",
        "mau",
        1000,
        1000,
        "free",
    )
    assert body["message"]


def test_plan_limit_is_not_revealed_to_non_members_and_ends_with_reset(
    emu: LambaEmulator, http: requests.Session, member: EmulatedUser
) -> None:
    with pytest.raises(ValueError):
        emu.exceed_plan_limit("prj_nope")
    emu.add_project("ws_outside", "prj_outside")
    emu.add_user("outsider@example.com", PASSWORD, project_id="prj_outside")
    emu.exceed_plan_limit()
    token = login(emu, http, "outsider@example.com")["access_token"]
    assert_problem(switch(emu, http, token), 403, "AUTHORIZATION_DENIED")
    emu.reset()
    emu.add_user("member@example.com", PASSWORD)
    assert switch(emu, http, login(emu, http)["access_token"]).status_code == 200


def test_self_service_shapes(
    emu: LambaEmulator, http: requests.Session, member: EmulatedUser
) -> None:
    token = scoped_login(emu, http)["access_token"]
    memberships = me(emu, http, token, "memberships").json()
    assert memberships["nextCursor"] is None
    assert memberships["items"][0]["project"] == {"id": "prj_demo", "name": "Demo Project"}
    security = me(emu, http, token, "security").json()
    assert set(security) == {
        "emailVerified",
        "phoneVerified",
        "mfaRequired",
        "mfaEnrolled",
        "mfaSatisfied",
        "availableFactors",
        "lastLoginAt",
    }
    linked = me(emu, http, token, "linked-identities").json()
    assert linked == {"password": True, "magicLink": True, "phone": True, "socialProviders": []}


def test_profile_patch_needs_a_known_field(
    emu: LambaEmulator, http: requests.Session, member: EmulatedUser
) -> None:
    token = login(emu, http)["access_token"]
    url = f"{emu.api_url}/v1/me/profile"
    assert http.get(url, headers=auth(token)).json()["displayName"] == "Mem Ber"
    assert_problem(http.patch(url, json={}, headers=auth(token)), 400, "validation_failed")
    unknown = http.patch(url, json={"colour": "red"}, headers=auth(token))
    assert "colour" in assert_problem(unknown, 400, "validation_failed")["errors"]
    changed = http.patch(url, json={"displayName": "Renamed", "bio": "Hi"}, headers=auth(token))
    assert changed.status_code == 200
    assert changed.json()["displayName"] == "Renamed"
    assert me(emu, http, token).json()["user"]["displayName"] == "Renamed"


# --- admin members and management tokens -------------------------------------------------


def test_admin_members_pages_with_cursor(
    emu: LambaEmulator, http: requests.Session, member: EmulatedUser
) -> None:
    for name in ("alice", "bob", "carol"):
        emu.add_user(f"{name}@example.com", PASSWORD)
    token = scoped_login(emu, http)["access_token"]
    url = f"{emu.api_url}/v1/admin/members"
    first = http.get(url, params={"limit": 3}, headers=auth(token)).json()
    assert [item["email"] for item in first["items"]] == [
        "alice@example.com",
        "bob@example.com",
        "carol@example.com",
    ]
    assert set(first["items"][0]) >= {"userId", "email", "displayName", "roleKeys"}
    second = http.get(
        url, params={"limit": 3, "cursor": first["nextCursor"]}, headers=auth(token)
    ).json()
    assert [item["email"] for item in second["items"]] == ["member@example.com"]
    assert second["nextCursor"] is None
    bad_cursor = http.get(url, params={"cursor": "!!"}, headers=auth(token))
    assert_problem(bad_cursor, 400, "validation_failed")
    assert_problem(
        http.get(url, params={"limit": 0}, headers=auth(token)), 400, "validation_failed"
    )


def test_admin_members_forbidden_without_permission_or_scope(
    emu: LambaEmulator, http: requests.Session, member: EmulatedUser
) -> None:
    emu.add_user("viewer@example.com", PASSWORD, roles=["viewer"])
    url = f"{emu.api_url}/v1/admin/members"
    viewer = scoped_login(emu, http, "viewer@example.com")["access_token"]
    assert_problem(http.get(url, headers=auth(viewer)), 403, "AUTHORIZATION_DENIED")
    unscoped = login(emu, http)["access_token"]
    assert_problem(http.get(url, headers=auth(unscoped)), 403, "AUTHORIZATION_DENIED")


def client_credentials(emu: LambaEmulator, http: requests.Session, **extra: str) -> Any:
    form = {
        "grant_type": "client_credentials",
        "client_id": emu.management_client_id,
        "client_secret": emu.management_client_secret,
        **SCOPE,
        "scope": "customer.members.read",
    } | extra
    return http.post(f"{emu.auth_url}/connect/token", data=form)


def test_management_token_calls_admin_but_not_me(
    emu: LambaEmulator, http: requests.Session, member: EmulatedUser
) -> None:
    response = client_credentials(emu, http)
    assert response.status_code == 200
    body = response.json()
    assert set(body) == {"access_token", "token_type", "expires_in", "scope", "expires_at"}
    assert body["scope"] == "customer.members.read"
    assert ISO_Z.match(body["expires_at"])
    token = body["access_token"]
    members = http.get(f"{emu.api_url}/v1/admin/members", headers=auth(token))
    assert [item["email"] for item in members.json()["items"]] == [member.email]
    assert_problem(me(emu, http, token), 403, "AUTHORIZATION_DENIED")


def test_client_credentials_errors_are_oauth_style(
    emu: LambaEmulator, http: requests.Session
) -> None:
    wrong = client_credentials(emu, http, client_secret="wrong")
    assert wrong.status_code == 401
    assert wrong.json()["error"] == "invalid_client"
    unscoped = client_credentials(emu, http, workspaceId="")
    assert unscoped.status_code == 400
    assert unscoped.json()["error"] == "invalid_request"
    assert unscoped.json()["errorCode"] == "customer_auth_context_binding_required"
    as_json = http.post(f"{emu.auth_url}/connect/token", json={"grant_type": "client_credentials"})
    assert as_json.json()["error"] == "invalid_request"


# --- OIDC --------------------------------------------------------------------------------


def pkce_pair() -> tuple[str, str]:
    verifier = secrets.token_urlsafe(48)
    digest = hashlib.sha256(verifier.encode()).digest()
    return verifier, base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


def authorize_params(challenge: str) -> dict[str, str]:
    return {
        "response_type": "code",
        "client_id": "web",
        "redirect_uri": REDIRECT_URI,
        "scope": "openid email profile",
        "state": "state-123",
        "nonce": "nonce-456",
        "code_challenge": challenge,
        "code_challenge_method": "S256",
    }


def sign_in(emu: LambaEmulator, http: requests.Session, challenge: str) -> requests.Response:
    form = authorize_params(challenge) | {"login": "member@example.com", "password": PASSWORD}
    return http.post(f"{emu.auth_url}/connect/authorize", data=form, allow_redirects=False)


def test_discovery_and_jwks(emu: LambaEmulator, http: requests.Session) -> None:
    config = http.get(f"{emu.auth_url}/.well-known/openid-configuration").json()
    assert config["issuer"] == emu.auth_url
    assert config["token_endpoint"] == f"{emu.auth_url}/connect/token"
    assert config["code_challenge_methods_supported"] == ["S256"]
    assert config["response_types_supported"] == ["code"]
    assert config["id_token_signing_alg_values_supported"] == ["RS256"]
    keys = http.get(config["jwks_uri"]).json()["keys"]
    assert len(keys) == 1
    assert {keys[0]["kty"], keys[0]["use"], keys[0]["alg"]} == {"RSA", "sig", "RS256"}


def test_oidc_code_flow_with_pkce(
    emu: LambaEmulator, http: requests.Session, member: EmulatedUser
) -> None:
    emu.add_oidc_client("web", [REDIRECT_URI])
    verifier, challenge = pkce_pair()
    page = http.get(f"{emu.auth_url}/connect/authorize", params=authorize_params(challenge))
    assert page.status_code == 200
    assert 'name="password"' in page.text
    assert page.headers["X-Frame-Options"] == "DENY"
    bad_password = authorize_params(challenge) | {"login": member.email, "password": "nope"}
    retry = http.post(
        f"{emu.auth_url}/connect/authorize", data=bad_password, allow_redirects=False
    )
    assert retry.status_code == 200
    assert "Location" not in retry.headers
    redirect = sign_in(emu, http, challenge)
    assert redirect.status_code == 302
    location = urlsplit(redirect.headers["Location"])
    assert f"{location.scheme}://{location.netloc}{location.path}" == REDIRECT_URI
    query = parse_qs(location.query)
    assert query["state"] == ["state-123"]
    exchange = {
        "grant_type": "authorization_code",
        "code": query["code"][0],
        "redirect_uri": REDIRECT_URI,
        "client_id": "web",
        "code_verifier": "x" * 43,
    }
    wrong = http.post(f"{emu.auth_url}/connect/token", data=exchange)
    assert wrong.status_code == 400
    assert wrong.json()["error"] == "invalid_grant"
    tokens = http.post(
        f"{emu.auth_url}/connect/token", data=exchange | {"code_verifier": verifier}
    )
    assert tokens.status_code == 200
    body = tokens.json()
    assert {"access_token", "id_token", "token_type", "expires_in"} <= set(body)
    jwks = jwt.PyJWKClient(f"{emu.auth_url}/.well-known/jwks.json")
    id_claims = jwt.decode(
        body["id_token"],
        jwks.get_signing_key_from_jwt(body["id_token"]).key,
        algorithms=["RS256"],
        audience="web",
        issuer=emu.auth_url,
    )
    assert jwt.get_unverified_header(body["id_token"])["typ"] == "JWT"
    assert (id_claims["sub"], id_claims["nonce"], id_claims["email"]) == (
        member.id,
        "nonce-456",
        member.email,
    )
    info = http.get(f"{emu.auth_url}/connect/userinfo", headers=auth(body["access_token"]))
    assert info.json()["sub"] == member.id
    assert info.json()["email"] == member.email
    assert_problem(me(emu, http, body["access_token"]), 403, "AUTHORIZATION_DENIED")
    reused = http.post(
        f"{emu.auth_url}/connect/token", data=exchange | {"code_verifier": verifier}
    )
    assert reused.json()["error"] == "invalid_grant"
    assert (
        http.get(
            f"{emu.auth_url}/connect/userinfo", headers=auth(body["access_token"])
        ).status_code
        == 401
    )


def test_oidc_access_token_switches_into_a_customer_session(
    emu: LambaEmulator, http: requests.Session, member: EmulatedUser
) -> None:
    emu.add_oidc_client("web", [REDIRECT_URI], client_secret="web-secret")
    verifier, challenge = pkce_pair()
    code = parse_qs(urlsplit(sign_in(emu, http, challenge).headers["Location"]).query)["code"][0]
    exchange = {
        "grant_type": "authorization_code",
        "code": code,
        "redirect_uri": REDIRECT_URI,
        "code_verifier": verifier,
    }
    no_secret = http.post(f"{emu.auth_url}/connect/token", data=exchange | {"client_id": "web"})
    assert no_secret.status_code == 401
    tokens = http.post(f"{emu.auth_url}/connect/token", data=exchange, auth=("web", "web-secret"))
    assert tokens.status_code == 200
    scoped = switch(emu, http, tokens.json()["access_token"])
    assert scoped.status_code == 200
    assert me(emu, http, scoped.json()["access_token"]).json()["roleKeys"] == ["member"]


def test_authorize_never_redirects_to_unregistered_uris(
    emu: LambaEmulator, http: requests.Session
) -> None:
    emu.add_oidc_client("web", [REDIRECT_URI])
    _, challenge = pkce_pair()
    url = f"{emu.auth_url}/connect/authorize"
    evil = authorize_params(challenge) | {"redirect_uri": "https://evil.example.com/cb"}
    response = http.get(url, params=evil, allow_redirects=False)
    assert response.status_code == 400
    assert "Location" not in response.headers
    assert response.headers["Content-Type"].startswith("text/html")
    unknown = http.get(url, params=evil | {"client_id": "nope"}, allow_redirects=False)
    assert unknown.status_code == 400
    no_pkce = {k: v for k, v in authorize_params(challenge).items() if k != "code_challenge"}
    back = http.get(url, params=no_pkce, allow_redirects=False)
    assert back.status_code == 302
    assert parse_qs(urlsplit(back.headers["Location"]).query)["error"] == ["invalid_request"]


# --- keys --------------------------------------------------------------------------------


def verify_with_jwks(emu: LambaEmulator, token: str) -> dict[str, Any]:
    jwks = jwt.PyJWKClient(f"{emu.auth_url}/.well-known/jwks.json", cache_keys=False)
    key = jwks.get_signing_key_from_jwt(token).key
    return jwt.decode(token, key, algorithms=["RS256"], issuer=emu.auth_url)


def test_access_tokens_verify_against_jwks(emu: LambaEmulator, member: EmulatedUser) -> None:
    token = emu.issue_session(member.email)["access_token"]
    header = jwt.get_unverified_header(token)
    assert (header["alg"], header["typ"]) == ("RS256", "at+jwt")
    claims = verify_with_jwks(emu, token)
    assert claims["sub"] == member.id
    assert claims["sid"] == emu.session_id_for(token)
    assert "aud" not in claims
    assert {"iat", "exp", "jti"} <= set(claims)


def test_signing_key_rotation(
    emu: LambaEmulator, http: requests.Session, member: EmulatedUser
) -> None:
    old = emu.issue_session(member.email)["access_token"]
    new_kid = emu.rotate_signing_key()
    new = emu.issue_session(member.email)["access_token"]
    assert jwt.get_unverified_header(new)["kid"] == new_kid
    assert len(emu.jwks()["keys"]) == 2
    assert verify_with_jwks(emu, old)["sub"] == verify_with_jwks(emu, new)["sub"]
    assert me(emu, http, old).status_code == 200
    emu.rotate_signing_key(keep_old=False)
    assert len(emu.jwks()["keys"]) == 1
    assert_problem(me(emu, http, old), 401, "invalid_token")
    assert_problem(me(emu, http, new), 401, "invalid_token")


def test_bearer_tokens_of_the_wrong_kind_are_refused(
    emu: LambaEmulator, http: requests.Session, member: EmulatedUser
) -> None:
    assert_problem(me(emu, http, "garbage"), 401, "invalid_token")
    assert_problem(http.get(f"{emu.api_url}/v1/me/context"), 401, "authentication_required")
    token = emu.issue_session(member.email)["access_token"]
    header, payload, _ = token.split(".")
    assert_problem(me(emu, http, f"{header}.{payload}.AAAA"), 401, "invalid_token")
    forged = jwt.encode(claims_of(token), "s" * 32, algorithm="HS256")
    assert_problem(me(emu, http, forged), 401, "invalid_token")


# --- faults, headers, protocol -----------------------------------------------------------


def test_injected_html_502_then_recovery(
    emu: LambaEmulator, http: requests.Session, member: EmulatedUser
) -> None:
    token = emu.issue_session(member.email)["access_token"]
    fault = emu.inject_fault("/v1/me/context", status=502, body="<html>Bad gateway</html>")
    broken = me(emu, http, token)
    assert broken.status_code == 502
    assert broken.headers["Content-Type"].startswith("text/html")
    assert me(emu, http, token).status_code == 200
    assert fault.hits == 1
    assert emu.call_count("GET", "/v1/me/context") == 2


def test_injected_malformed_200_and_402_problem(
    emu: LambaEmulator, http: requests.Session, member: EmulatedUser
) -> None:
    token = emu.issue_session(member.email)["access_token"]
    emu.inject_fault(
        "/v1/me/context", status=200, body="{not json", content_type="application/json"
    )
    malformed = me(emu, http, token)
    assert malformed.status_code == 200
    with pytest.raises(ValueError):
        malformed.json()
    emu.inject_fault("/v1/me/*", method="GET", status=402, host="api", times=None)
    assert_problem(me(emu, http, token, "authorization"), 402, "PLAN_LIMIT_EXCEEDED")
    assert_problem(me(emu, http, token), 402, "PLAN_LIMIT_EXCEEDED")
    emu.clear_faults()
    assert me(emu, http, token).status_code == 200


def test_injected_429_carries_retry_after(
    emu: LambaEmulator, http: requests.Session, member: EmulatedUser
) -> None:
    emu.inject_fault("/v1/auth/refresh", status=429, retry_after=7)
    response = http.post(f"{emu.auth_url}/v1/auth/refresh", json={"refresh_token": "x"})
    assert_problem(response, 429, "RATE_LIMIT_EXCEEDED")
    assert response.headers["Retry-After"] == "7"


def test_injected_latency_times_out_or_slows_a_real_answer(
    emu: LambaEmulator, http: requests.Session, member: EmulatedUser
) -> None:
    token = emu.issue_session(member.email)["access_token"]
    whole = me(emu, http, token)
    emu.inject_fault("/v1/me/context", latency=0.5, times=2)
    with pytest.raises(requests.Timeout):
        http.get(f"{emu.api_url}/v1/me/context", headers=auth(token), timeout=0.1)
    slow = http.get(f"{emu.api_url}/v1/me/context", headers=auth(token), timeout=5)
    assert slow.status_code == 200
    assert slow.json()["user"] == whole.json()["user"]


def test_a_dripped_answer_arrives_whole_but_slowly(
    emu: LambaEmulator, http: requests.Session, member: EmulatedUser
) -> None:
    token = emu.issue_session(member.email)["access_token"]
    url = f"{emu.api_url}/v1/me/context"
    whole = me(emu, http, token)
    emu.inject_drip("/v1/me/context", interval=0.01, size=100, host="api")
    dripped = http.get(url, headers=auth(token), timeout=5)
    assert dripped.status_code == 200
    assert dripped.headers["Content-Length"] == str(len(dripped.content))
    assert len(dripped.content) > 200  # at least three pieces
    assert dripped.json()["user"] == whole.json()["user"]
    # The head is sent at once; the body waits between pieces, longer than this read timeout.
    emu.inject_drip("/v1/me/context", interval=1.0, size=100, host="api")
    with http.get(url, headers=auth(token), stream=True, timeout=(5, 0.3)) as slow:
        assert slow.status_code == 200
        with pytest.raises(requests.ConnectionError):
            _ = slow.content
    assert me(emu, http, token).status_code == 200  # times=1: the next answer is whole


def test_a_dripped_head_holds_back_even_the_status_line(
    emu: LambaEmulator, member: EmulatedUser
) -> None:
    emu.inject_drip("/v1/me/context", interval=1.0, size=8, headers=True)
    with socket.create_connection(emu_address(emu.api_url), timeout=5) as sock:
        sock.sendall(b"GET /v1/me/context HTTP/1.1\r\nHost: x\r\n\r\n")
        assert sock.recv(1024) == b"HTTP/1.1"  # 8 bytes, and the rest of the line waits
        sock.settimeout(0.3)
        with pytest.raises(TimeoutError):
            sock.recv(1024)


def test_the_emulator_answers_others_while_one_connection_drips(
    emu: LambaEmulator, http: requests.Session, member: EmulatedUser
) -> None:
    token = emu.issue_session(member.email)["access_token"]
    emu.inject_drip("/v1/me/context", interval=0.5, size=1)  # minutes for the whole body
    with socket.create_connection(emu_address(emu.api_url), timeout=5) as slow:
        slow.sendall(b"GET /v1/me/context HTTP/1.1\r\nHost: x\r\n\r\n")
        assert slow.recv(4096).startswith(b"HTTP/1.1 401 ")  # the head, then the drip
        for what in ("context", "authorization"):
            answer = http.get(f"{emu.api_url}/v1/me/{what}", headers=auth(token), timeout=5)
            assert answer.status_code == 200


def test_a_stopping_emulator_ends_its_drips() -> None:
    with LambaEmulator() as running:
        running.inject_drip("/v1/me/context", interval=30, size=1)
        sock = socket.create_connection(emu_address(running.api_url), timeout=5)
        sock.sendall(b"GET /v1/me/context HTTP/1.1\r\nHost: x\r\n\r\n")
        assert sock.recv(4096).startswith(b"HTTP/1.1 401 ")
    with sock:
        # Closed by the stop, not 30 s on (the socket's own timeout would raise first).
        assert sock.recv(4096) == b""


def test_injected_html_error_looks_like_a_load_balancer_page(
    emu: LambaEmulator, http: requests.Session, member: EmulatedUser
) -> None:
    token = emu.issue_session(member.email)["access_token"]
    fault = emu.inject_html_error("/v1/me/*", host="api", times=2)
    for what in ("context", "authorization"):
        page = me(emu, http, token, what)
        assert page.status_code == 502
        assert page.headers["Content-Type"] == "text/html"
        assert "<h1>502 Bad Gateway</h1>" in page.text
    assert me(emu, http, token).status_code == 200
    assert fault.hits == 2
    emu.inject_html_error("/v1/me/context", status=504)
    assert "504 Gateway Timeout" in me(emu, http, token).text
    emu.inject_html_error("/v1/me/context", host="auth")  # the wrong host: no effect
    assert me(emu, http, token).status_code == 200


def test_injected_deep_json_is_an_ok_answer_of_opening_brackets(
    emu: LambaEmulator, http: requests.Session, member: EmulatedUser
) -> None:
    token = emu.issue_session(member.email)["access_token"]
    emu.inject_deep_json("/v1/me/context", method="GET")
    deep = me(emu, http, token)
    assert deep.status_code == 200
    assert deep.headers["Content-Type"] == "application/json"
    assert deep.content == b"[" * 200_000
    emu.inject_deep_json("/v1/me/context", depth=5, status=503)
    shallow = me(emu, http, token)
    assert (shallow.status_code, shallow.content) == (503, b"[[[[[")
    assert me(emu, http, token).status_code == 200


@pytest.mark.parametrize(
    "kwargs",
    [{}, {"drip_interval": -1}, {"drip_interval": 1, "drip_bytes": 0}],
    ids=["nothing", "negative-interval", "empty-pieces"],
)
def test_a_fault_that_would_do_nothing_or_never_end_is_refused(
    emu: LambaEmulator, kwargs: dict[str, Any]
) -> None:
    with pytest.raises(ValueError):
        emu.inject_fault("/v1/me/context", **kwargs)


def test_rate_limit_answers_documented_problem_as_application_json(
    emu: LambaEmulator, http: requests.Session, member: EmulatedUser
) -> None:
    url = f"{emu.auth_url}/v1/auth/login/phone/request"
    emu.configure(rate_limit=1)
    assert http.post(url, json={"phone": "+15550000002"}).status_code == 202
    limited = http.post(url, json={"phone": "+15550000002"})
    body = assert_problem(limited, 429, "RATE_LIMIT_EXCEEDED")
    assert limited.headers["Content-Type"] == "application/json"
    assert body["type"] == "https://api.uselamba.com/problems/rate-limit"
    assert body["title"] == "Too Many Requests"
    assert int(limited.headers["Retry-After"]) == body["retryAfter"] > 0


def test_forbidden_answers_documented_authorization_problem(
    emu: LambaEmulator, http: requests.Session, member: EmulatedUser
) -> None:
    emu.add_project("ws_demo", "prj_other", "Other")
    token = login(emu, http)["access_token"]
    denied = switch(emu, http, token, projectId="prj_other")
    body = assert_problem(denied, 403, "AUTHORIZATION_DENIED")
    assert body["type"] == "https://api.uselamba.com/problems/authorization"
    assert body["title"] == "Forbidden"
    assert body["traceId"]


def test_undocumented_problems_keep_problem_json_and_a_docs_type(
    emu: LambaEmulator, http: requests.Session
) -> None:
    body = assert_problem(http.get(f"{emu.api_url}/v1/me/context"), 401, "authentication_required")
    assert body["type"] == "https://uselamba.com/docs/reference/errors#authentication_required"


def test_injected_faults_default_to_documented_codes(
    emu: LambaEmulator, http: requests.Session, member: EmulatedUser
) -> None:
    token = emu.issue_session(member.email)["access_token"]
    emu.inject_fault("/v1/me/context", status=403)
    denied = assert_problem(me(emu, http, token), 403, "AUTHORIZATION_DENIED")
    assert denied["type"] == "https://api.uselamba.com/problems/authorization"
    emu.inject_fault("/v1/me/context", status=402)
    plan = assert_problem(me(emu, http, token), 402, "PLAN_LIMIT_EXCEEDED")
    assert plan["type"] == "https://api.uselamba.com/problems/plan-limit"
    assert (plan["limit"], plan["allowed"], plan["current"], plan["plan"]) == (
        "mau",
        1000,
        1000,
        "free",
    )
    emu.inject_fault("/v1/me/context", status=429, retry_after=3)
    limited = me(emu, http, token)
    body = assert_problem(limited, 429, "RATE_LIMIT_EXCEEDED")
    assert limited.headers["Content-Type"] == "application/json"
    assert body["type"] == "https://api.uselamba.com/problems/rate-limit"
    assert limited.headers["Retry-After"] == "3"
    emu.inject_fault("/v1/me/context", status=403, error_code="policy_denied")
    assert_problem(me(emu, http, token), 403, "policy_denied")


@pytest.mark.parametrize("header", ["X-Tenant-Id", "X-Project-Id", "X-Environment"])
def test_console_headers_are_rejected(
    emu: LambaEmulator, http: requests.Session, member: EmulatedUser, header: str
) -> None:
    token = emu.issue_session(member.email)["access_token"]
    response = http.get(f"{emu.api_url}/v1/me/context", headers=auth(token) | {header: "prj_demo"})
    assert header in assert_problem(response, 400, "validation_failed")["errors"]
    jwks = http.get(f"{emu.auth_url}/.well-known/jwks.json", headers={header: "x"})
    assert jwks.status_code == 400


def test_request_shape_errors(emu: LambaEmulator, http: requests.Session) -> None:
    url = f"{emu.auth_url}/v1/auth/login/password"
    as_form = http.post(url, data={"login": "a", "password": "b"})
    assert_problem(as_form, 400, "validation_failed")
    broken = http.post(url, data="{oops", headers={"Content-Type": "application/json"})
    assert_problem(broken, 400, "validation_failed")
    not_object = http.post(url, json=["login"])
    assert_problem(not_object, 400, "validation_failed")
    wrong_method = http.get(url)
    assert_problem(wrong_method, 405, "method_not_allowed")
    assert wrong_method.headers["Allow"] == "POST"
    assert_problem(http.get(f"{emu.auth_url}/v1/me/context"), 404, "not_found")
    assert_problem(http.get(f"{emu.api_url}/v1/auth/refresh"), 404, "not_found")


def test_problem_trace_ids_are_random(emu: LambaEmulator, http: requests.Session) -> None:
    first = assert_problem(http.get(f"{emu.api_url}/nope"), 404, "not_found")
    second = assert_problem(http.get(f"{emu.api_url}/nope"), 404, "not_found")
    assert first["traceId"] != second["traceId"]


def test_handler_crash_is_a_problem_without_traceback(
    emu: LambaEmulator, http: requests.Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    def boom(ctx: Any) -> Any:
        raise RuntimeError("secret-token-in-traceback")

    monkeypatch.setitem(emulator_module.API_ROUTES["/v1/me/context"], "GET", boom)
    response = http.get(f"{emu.api_url}/v1/me/context")
    assert_problem(response, 500, "internal_error")
    assert "secret-token" not in response.text
    assert "Traceback" not in response.text


def test_requests_are_logged_with_headers(
    emu: LambaEmulator, http: requests.Session, member: EmulatedUser
) -> None:
    emu.reset_calls()
    response = http.post(
        f"{emu.auth_url}/v1/auth/login/password",
        json={"login": member.email, "password": PASSWORD},
        headers={"X-Correlation-Id": "corr-1"},
    )
    assert response.headers["X-Correlation-Id"] == "corr-1"
    (logged,) = emu.requests_log
    assert (logged.host, logged.method, logged.path) == ("auth", "POST", "/v1/auth/login/password")
    assert logged.headers["x-correlation-id"] == "corr-1"
    assert "X-Tenant-Id" not in logged.headers
    assert logged.json == {"login": member.email, "password": PASSWORD}
    assert emu.calls.snapshot() == {"POST /v1/auth/login/password": 1}


def test_issue_session_scopes_and_expires(
    emu: LambaEmulator, http: requests.Session, member: EmulatedUser
) -> None:
    scoped = emu.issue_session(member.email, project_id=emu.project_id)
    assert me(emu, http, scoped["access_token"]).json()["activeProject"]["id"] == "prj_demo"
    expired = emu.issue_session(member.email, access_token_ttl=-1)
    assert_problem(me(emu, http, expired["access_token"]), 401, "token_expired")
    emu.revoke_session(emu.session_id_for(scoped["access_token"]) or "")
    assert_problem(me(emu, http, scoped["access_token"]), 401, "session_revoked")
    emu.add_project("ws_demo", "prj_other", "Other")
    with pytest.raises(ValueError):
        emu.issue_session(member.email, project_id="prj_other")


def test_outbox_hook_sees_each_message(emu: LambaEmulator, http: requests.Session) -> None:
    seen: list[OutboxMessage] = []
    emu.on_outbox = seen.append
    try:
        emu.add_user("p@example.com", phone="+15550000009")
        http.post(f"{emu.auth_url}/v1/auth/login/phone/request", json={"phone": "+15550000009"})
    finally:
        emu.on_outbox = None
    assert [(m.kind, m.to) for m in seen] == [("sms", "+15550000009")]


# --- opaque tokens -----------------------------------------------------------------------


def test_opaque_tokens_are_looked_up_and_revocable(http: requests.Session) -> None:
    with LambaEmulator(token_format="opaque") as emu:
        emu.add_user("o@example.com", PASSWORD)
        tokens = login(emu, http, "o@example.com")
        assert "." not in tokens["access_token"]
        assert me(emu, http, tokens["access_token"]).status_code == 200
        refreshed = http.post(
            f"{emu.auth_url}/v1/auth/refresh",
            json={"refresh_token": tokens["refresh_token"]},
            timeout=5,
        ).json()
        assert switch(emu, http, refreshed["access_token"]).status_code == 200
        assert_problem(me(emu, http, tokens["access_token"]), 401, "session_revoked")
        expired = emu.issue_session("o@example.com", access_token_ttl=-1)["access_token"]
        assert_problem(me(emu, http, expired), 401, "token_expired")


# --- demo seeding and the command --------------------------------------------------------


def test_demo_users_can_sign_in(emu: LambaEmulator, http: requests.Session) -> None:
    users = seed_demo_users(emu)
    assert [email for email, _, _ in users][:3] == [
        "admin@example.com",
        "member@example.com",
        "viewer@example.com",
    ]
    url = f"{emu.auth_url}/v1/auth/login/password"
    for email, password, _ in users:
        body = {"login": email, "password": password}
        if email.startswith("mfa"):
            body["mfaCode"] = DEMO_MFA_CODE
        assert http.post(url, json=body).status_code == 200


@pytest.mark.skipif(sys.platform == "win32", reason="needs POSIX SIGINT delivery")
def test_command_prints_urls_and_stops_on_interrupt() -> None:
    process = subprocess.Popen(
        [sys.executable, "-m", "django_lamba.testing", "--auth-port", "0", "--api-port", "0"],
        stdout=subprocess.PIPE,
        text=True,
        env=os.environ | {"PYTHONUNBUFFERED": "1"},
    )
    assert process.stdout is not None
    lines: list[str] = []
    watchdog = threading.Timer(15, process.kill)
    watchdog.start()
    try:
        for line in process.stdout:
            lines.append(line)
            if "Ctrl-C" in line:
                break
        auth_url = next(line for line in lines if "AUTH_BASE_URL=" in line).split("=", 1)[1]
        config = requests.get(f"{auth_url.strip()}/.well-known/openid-configuration", timeout=5)
        assert config.json()["issuer"] == auth_url.strip()
        assert any("admin@example.com" in line for line in lines)
    finally:
        process.send_signal(signal.SIGINT)
        assert process.wait(timeout=10) == 0
        watchdog.cancel()


# --- the pytest plugin -------------------------------------------------------------------


def plugin_fixture(request: pytest.FixtureRequest, name: str) -> Any:
    try:
        from django.conf import settings

        if not settings.configured:
            pytest.skip("Django settings are not configured")
        return request.getfixturevalue(name)
    except pytest.FixtureLookupError:
        pytest.skip("the django_lamba pytest plugin is not loaded")


def test_plugin_points_django_at_the_emulator(request: pytest.FixtureRequest) -> None:
    from django.conf import settings

    lamba: LambaEmulator = plugin_fixture(request, "lamba")
    assert lamba.auth_url == settings.LAMBA_CUSTOMER_AUTH_BASE_URL
    assert lamba.api_url == settings.LAMBA_CUSTOMER_API_BASE_URL
    assert lamba.outbox == []


def test_plugin_client_carries_a_scoped_session(request: pytest.FixtureRequest) -> None:
    from django_lamba.conf import lamba_settings

    client = plugin_fixture(request, "lamba_client")
    lamba: LambaEmulator = request.getfixturevalue("lamba")
    user: EmulatedUser = request.getfixturevalue("lamba_user")
    access = client.cookies[lamba_settings.SESSION_COOKIE].value
    assert client.cookies[lamba_settings.REFRESH_COOKIE].value
    context = requests.get(
        f"{lamba.api_url}/v1/me/context", headers=auth(access), timeout=5
    ).json()
    assert context["user"]["email"] == user.email == "user@example.com"
    assert context["activeProject"]["id"] == lamba.project_id
