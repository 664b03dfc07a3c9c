"""The typed results of Lamba calls: tolerant parsing and token masking."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from django_lamba.exceptions import (
    LambaConflict,
    LambaError,
    LambaMFARequired,
    LambaRateLimited,
    LambaUnauthorized,
    LambaUnavailable,
    error_class_for,
)
from django_lamba.types import (
    ClientCredentialsToken,
    LambaAuthorization,
    LambaContext,
    TokenSet,
    mask,
    parse_datetime,
)

ACCESS = "eyJhbGciOiJSUzI1NiJ9.access-secret-value.signature"
REFRESH = "refresh-secret-value-0123456789"
NOW = datetime(2026, 1, 1, 12, 0, tzinfo=timezone.utc)


# --- TokenSet ----------------------------------------------------------------------------------


def test_token_set_parses_the_documented_shape() -> None:
    tokens = TokenSet.from_json(
        {
            "access_token": ACCESS,
            "refresh_token": REFRESH,
            "refresh_token_expires_at": "2026-12-01T10:00:00Z",
        }
    )
    assert tokens.access_token == ACCESS
    assert tokens.refresh_token == REFRESH
    assert tokens.refresh_token_expires_at == datetime(2026, 12, 1, 10, tzinfo=timezone.utc)
    assert tokens.access_token_expires_at is None
    assert tokens.token_type == "Bearer"


def test_token_set_ignores_unknown_fields_and_tolerates_missing_optional_ones() -> None:
    tokens = TokenSet.from_json(
        {"access_token": ACCESS, "scope": "openid", "new_field": {"nested": [1, 2]}, "x": None}
    )
    assert tokens.access_token == ACCESS
    assert tokens.refresh_token == ""
    assert tokens.refresh_token_expires_at is None
    assert tokens.id_token == ""


def test_token_set_tolerates_wrongly_typed_optional_fields() -> None:
    tokens = TokenSet.from_json(
        {
            "access_token": ACCESS,
            "refresh_token": 42,
            "refresh_token_expires_at": "not a date",
            "token_type": None,
            "expires_in": "soon",
        }
    )
    assert tokens.refresh_token == ""
    assert tokens.refresh_token_expires_at is None
    assert tokens.access_token_expires_at is None
    assert tokens.token_type == "Bearer"


def test_token_set_derives_access_expiry_from_expires_in() -> None:
    tokens = TokenSet.from_json({"access_token": ACCESS, "expires_in": 300}, now=NOW)
    assert tokens.access_token_expires_at == NOW + timedelta(seconds=300)


@pytest.mark.parametrize(
    "body",
    [
        {},
        {"refresh_token": REFRESH},
        {"access_token": ""},
        {"access_token": None},
        {"access_token": 123},
        [],
        "access_token",
        None,
    ],
)
def test_token_set_without_an_access_token_is_unavailable(body: object) -> None:
    with pytest.raises(LambaUnavailable):
        TokenSet.from_json(body)


def test_token_set_round_trips_through_to_dict() -> None:
    tokens = TokenSet.from_json(
        {
            "access_token": ACCESS,
            "refresh_token": REFRESH,
            "refresh_token_expires_at": "2026-12-01T10:00:00+00:00",
            "id_token": "id-token",
            "expires_in": 60,
        },
        now=NOW,
    )
    assert TokenSet.from_json(tokens.to_dict()) == tokens


def test_token_set_repr_and_str_never_contain_the_tokens() -> None:
    tokens = TokenSet(ACCESS, REFRESH, id_token="id-token-secret")
    for text in (repr(tokens), str(tokens), f"{tokens}", f"{tokens!r}", repr([tokens])):
        assert ACCESS not in text
        assert REFRESH not in text
        assert "id-token-secret" not in text
        assert "access-secret-value" not in text
    assert mask(ACCESS) in repr(tokens)


def test_client_credentials_token_repr_masks_the_token() -> None:
    token = ClientCredentialsToken(ACCESS, expires_at=NOW)
    assert ACCESS not in repr(token)
    assert ACCESS not in str(token)


def test_mask_is_short_stable_and_distinct() -> None:
    assert mask(ACCESS) == mask(ACCESS)
    assert mask(ACCESS) != mask(REFRESH)
    assert ACCESS not in mask(ACCESS)
    assert len(mask(ACCESS)) < 40
    assert mask(None) == mask("") == "<none>"


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("2026-12-01T10:00:00Z", datetime(2026, 12, 1, 10, tzinfo=timezone.utc)),
        ("2026-12-01T10:00:00z", datetime(2026, 12, 1, 10, tzinfo=timezone.utc)),
        ("2026-12-01T12:00:00+02:00", datetime(2026, 12, 1, 10, tzinfo=timezone.utc)),
        ("2026-12-01T10:00:00", datetime(2026, 12, 1, 10, tzinfo=timezone.utc)),
        ("2026-12-01T10:00:00.123456Z", datetime(2026, 12, 1, 10, 0, 0, 123456, timezone.utc)),
        ("yesterday", None),
        ("", None),
        (None, None),
        (1700000000, None),
    ],
)
def test_parse_datetime(value: object, expected: datetime | None) -> None:
    parsed = parse_datetime(value)
    assert parsed == expected
    if parsed is not None:
        assert parsed.tzinfo is not None


# --- LambaContext ------------------------------------------------------------------------------

FULL_CONTEXT = {
    "user": {
        "id": "usr_1",
        "email": "ada@example.com",
        "username": "ada",
        "displayName": "Ada",
        "emailVerified": True,
        "phoneVerified": False,
        "avatarUrl": "https://example.com/a.png",
        "futureField": "ignored",
    },
    "activeWorkspace": {"id": "ws_demo", "name": "Demo", "plan": "pro"},
    "activeProject": {"id": "prj_demo", "name": "Demo Project", "environment": "test"},
    "membership": {"projectId": "prj_demo", "status": "active"},
    "roleKeys": ["member", "editor"],
    "session": {
        "id": "ses_1",
        "lastSeenAt": "2026-01-01T12:00:00Z",
        "mfaSatisfied": True,
        "amr": ["pwd", "otp"],
    },
    "somethingNew": [1, 2, 3],
}


def test_context_parses_every_documented_field() -> None:
    context = LambaContext.from_json(FULL_CONTEXT)
    assert context.user.id == "usr_1"
    assert context.user.email == "ada@example.com"
    assert context.user.display_name == "Ada"
    assert context.user.email_verified is True
    assert context.active_workspace is not None
    assert context.active_workspace.id == "ws_demo"
    assert context.active_project is not None
    assert context.active_project.id == "prj_demo"
    assert context.environment == "test"
    assert context.role_keys == ("member", "editor")
    assert context.session.id == "ses_1"
    assert context.session.mfa_satisfied is True
    assert context.session.amr == ("pwd", "otp")
    assert context.session.last_seen_at == NOW
    assert context.raw["somethingNew"] == [1, 2, 3]


def test_context_with_only_a_user_id_is_fine() -> None:
    context = LambaContext.from_json({"user": {"id": "usr_1"}})
    assert context.user.id == "usr_1"
    assert context.user.email == ""
    assert context.active_workspace is None
    assert context.active_project is None
    assert context.environment == ""
    assert context.membership is None
    assert context.role_keys == ()
    assert context.session.id == ""


def test_context_tolerates_wrongly_typed_optional_fields() -> None:
    context = LambaContext.from_json(
        {
            "user": {"id": "usr_1", "email": None, "emailVerified": "yes"},
            "activeWorkspace": "ws_demo",
            "activeProject": None,
            "membership": ["not", "a", "dict"],
            "roleKeys": "admin",
            "session": "ses_1",
        }
    )
    assert context.user.email == ""
    assert context.user.email_verified is False
    assert context.active_workspace is None
    assert context.active_project is None
    assert context.membership is None
    assert context.role_keys == ()
    assert context.session.id == ""


def test_context_drops_non_string_role_keys() -> None:
    context = LambaContext.from_json({"user": {"id": "u"}, "roleKeys": ["member", 3, None]})
    assert context.role_keys == ("member",)


@pytest.mark.parametrize(
    "body",
    [{}, {"user": {}}, {"user": {"id": ""}}, {"user": {"id": 7}}, {"user": "usr_1"}, [], None],
)
def test_context_without_a_user_id_is_unavailable(body: object) -> None:
    with pytest.raises(LambaUnavailable):
        LambaContext.from_json(body)


# --- LambaAuthorization ------------------------------------------------------------------------


def test_authorization_parses_and_answers() -> None:
    authz = LambaAuthorization.from_json(
        {
            "roleKeys": ["member"],
            "effectivePermissions": ["members.read", "projects.read"],
            "permissionSources": {"members.read": ["role:member"], "projects.read": "direct"},
            "isProjectAdmin": True,
            "unknown": 1,
        }
    )
    assert authz.role_keys == frozenset({"member"})
    assert authz.effective_permissions == frozenset({"members.read", "projects.read"})
    assert authz.permission_sources["members.read"] == ("role:member",)
    assert authz.permission_sources["projects.read"] == ()
    assert authz.is_project_admin is True
    assert authz.has_permission("members.read")
    assert not authz.has_permission("members.write")
    assert authz.has_role("member")
    assert not authz.has_role("admin")


@pytest.mark.parametrize("body", [{}, None, [], {"effectivePermissions": "members.read"}])
def test_authorization_with_nothing_usable_grants_nothing(body: object) -> None:
    authz = LambaAuthorization.from_json(body)
    assert authz.effective_permissions == frozenset()
    assert authz.role_keys == frozenset()
    assert authz.is_project_admin is False
    assert not authz.has_permission("members.read")


def test_authorization_is_project_admin_needs_a_real_boolean() -> None:
    assert LambaAuthorization.from_json({"isProjectAdmin": "true"}).is_project_admin is False


# --- exceptions --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("status", "code", "expected"),
    [
        (401, "mfa_required", LambaMFARequired),
        (401, "invalid_credentials", LambaUnauthorized),
        (409, "identity_already_exists", LambaConflict),
        (429, "", LambaRateLimited),
        (500, "", LambaUnavailable),
        (503, "", LambaUnavailable),
        (418, "", LambaError),
    ],
)
def test_error_class_for(status: int, code: str, expected: type[LambaError]) -> None:
    assert error_class_for(status, code) is expected


def test_exception_text_carries_code_and_trace_but_not_detail() -> None:
    error = LambaUnauthorized(
        status=401,
        error_code="token_expired",
        trace_id="trace-1",
        detail=f"token {ACCESS} expired",
        extra={"detail": f"token {ACCESS} expired"},
    )
    for text in (str(error), repr(error)):
        assert "token_expired" in text
        assert "trace-1" in text
        assert ACCESS not in text


def test_to_problem_never_echoes_upstream_detail() -> None:
    error = LambaRateLimited(
        error_code="rate_limited", trace_id="t", detail="internal upstream words", retry_after=1.2
    )
    body = error.to_problem(detail="Try again soon.")
    assert body["detail"] == "Try again soon."
    assert "internal upstream words" not in str(body)
    assert body["status"] == 429
    assert body["retryAfter"] == 2
    assert body["traceId"] == "t"


def test_mfa_required_available_factors() -> None:
    error = LambaMFARequired(status=401, extra={"availableFactors": ["totp", "sms"]})
    assert error.available_factors == ["totp", "sms"]
    assert LambaMFARequired(extra={"availableFactors": "totp"}).available_factors == []
    assert LambaMFARequired().available_factors == []
