"""The error contract: documented codes in any casing, the 402 facts, and sane ``Retry-After``.

These exercise the exception hierarchy and the shared answers directly; how the HTTP client
builds the exceptions is in ``test_client.py``.
"""

from __future__ import annotations

import json
import math
from typing import Any

import pytest

from django_lamba._internal.responses import answer_for, problem
from django_lamba.exceptions import (
    MAX_RETRY_AFTER,
    LambaError,
    LambaForbidden,
    LambaMFARequired,
    LambaPaymentRequired,
    LambaRateLimited,
    LambaUnauthorized,
    clamp_retry_after,
    error_class_for,
    same_code,
)

PLAN_FACTS = {"limit": "mau", "allowed": 1000, "current": 1000, "plan": "starter"}


# --- codes -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "code", ["mfa_required", "MFA_REQUIRED", "Mfa_Required", " mfa_required "]
)
def test_mfa_required_is_recognised_in_any_casing(code: str) -> None:
    assert error_class_for(401, code) is LambaMFARequired


def test_a_401_with_another_code_is_plain_unauthorized() -> None:
    assert error_class_for(401, "invalid_credentials") is LambaUnauthorized
    assert error_class_for(401, "") is LambaUnauthorized


@pytest.mark.parametrize(
    ("code", "documented"),
    [
        ("AUTHORIZATION_DENIED", "AUTHORIZATION_DENIED"),
        ("authorization_denied", "AUTHORIZATION_DENIED"),
        ("forbidden", "AUTHORIZATION_DENIED"),
        ("PLAN_LIMIT_EXCEEDED", "PLAN_LIMIT_EXCEEDED"),
        ("plan_limit_exceeded", "PLAN_LIMIT_EXCEEDED"),
        ("plan_limit_reached", "PLAN_LIMIT_EXCEEDED"),
        ("RATE_LIMIT_EXCEEDED", "rate_limit_exceeded"),
        ("Rate_Limited", "RATE_LIMIT_EXCEEDED"),
    ],
)
def test_documented_codes_match_case_insensitively_and_old_guesses_are_aliases(
    code: str, documented: str
) -> None:
    assert same_code(code, documented)
    assert LambaError(error_code=code).has_code(documented)


def test_codes_that_differ_do_not_match() -> None:
    assert not same_code("AUTHORIZATION_DENIED", "PLAN_LIMIT_EXCEEDED")
    assert not same_code("", "")
    assert not same_code(None, "mfa_required")
    assert not LambaError().has_code("mfa_required")


def test_public_codes_are_the_documented_ones() -> None:
    assert LambaPaymentRequired.public_code == "PLAN_LIMIT_EXCEEDED"
    assert LambaForbidden.public_code == "AUTHORIZATION_DENIED"
    assert LambaRateLimited.public_code == "RATE_LIMIT_EXCEEDED"
    assert LambaMFARequired.public_code == "mfa_required"
    assert LambaForbidden().to_problem()["errorCode"] == "AUTHORIZATION_DENIED"


@pytest.mark.parametrize(
    ("error", "expected"),
    [
        (LambaUnauthorized(error_code="INVALID_CREDENTIALS"), "email or password is not right"),
        (LambaForbidden(error_code="AUTHORIZATION_DENIED"), "do not have access"),
        (LambaForbidden(error_code="forbidden"), "do not have access"),
        (LambaForbidden(error_code="some_new_policy_code"), "do not have access"),
        (LambaPaymentRequired(error_code="PLAN_LIMIT_EXCEEDED"), "plan limit"),
        (LambaPaymentRequired(error_code="plan_limit_reached"), "plan limit"),
        (LambaPaymentRequired(), "plan limit"),
        (LambaError(status=400, error_code="VALIDATION_FAILED"), "correct the errors"),
    ],
)
def test_user_messages_are_found_whatever_the_code_casing(
    error: LambaError, expected: str
) -> None:
    assert expected in answer_for(error).message


# --- 402 ---------------------------------------------------------------------------------------


def test_plan_limit_problem_details_facts_are_typed_attributes() -> None:
    body = {"type": "https://api.uselamba.com/problems/plan-limit", "status": 402, **PLAN_FACTS}
    error = LambaPaymentRequired(error_code="PLAN_LIMIT_EXCEEDED", extra=body)
    assert (error.limit, error.allowed, error.current, error.plan) == (
        "mau",
        1000,
        1000,
        "starter",
    )


def test_plan_limit_legacy_bare_body_is_read() -> None:
    body = {"error": "PLAN_LIMIT_EXCEEDED", "message": "MAU limit reached", **PLAN_FACTS}
    body["allowed"] = "1000"  # the older page shows numbers; tolerate a numeric string
    error = LambaPaymentRequired(error_code="PLAN_LIMIT_EXCEEDED", extra=body)
    assert (error.limit, error.allowed, error.current, error.plan) == (
        "mau",
        1000,
        1000,
        "starter",
    )


def test_plan_limit_facts_are_none_when_absent() -> None:
    error = LambaPaymentRequired()
    assert (error.limit, error.allowed, error.current, error.plan) == (None, None, None, None)


@pytest.mark.parametrize(
    "garbage", [None, True, -1, 1.5, math.nan, math.inf, "1e3", "-2", "", ["1"], {}, 2**70]
)
def test_plan_limit_garbage_counts_are_none(garbage: Any) -> None:
    error = LambaPaymentRequired(extra={"allowed": garbage, "current": garbage})
    assert (error.allowed, error.current) == (None, None)


@pytest.mark.parametrize("garbage", [None, 5, "", "   ", "x" * 65, "two\nlines", ["mau"], {}])
def test_plan_limit_garbage_labels_are_none(garbage: Any) -> None:
    error = LambaPaymentRequired(extra={"limit": garbage, "plan": garbage})
    assert (error.limit, error.plan) == (None, None)


def test_plan_limit_problem_for_visitors_keeps_the_plan_facts_out() -> None:
    error = LambaPaymentRequired(
        status=402, error_code="PLAN_LIMIT_EXCEEDED", trace_id="00-trace", extra=PLAN_FACTS
    )
    body = error.to_problem(detail=answer_for(error).message)
    assert body["errorCode"] == "PLAN_LIMIT_EXCEEDED"
    assert body["traceId"] == "00-trace"
    for key in PLAN_FACTS:
        assert key not in body
    text = json.dumps(body)
    assert "starter" not in text and "1000" not in text and "mau" not in text

    response = answer_for(error).problem()
    assert response.status_code == 402
    assert "starter" not in response.content.decode()
    assert "Retry-After" not in response  # a business state: nothing to retry


def test_plan_limit_message_is_calm_and_points_at_the_site_owner() -> None:
    message = answer_for(LambaPaymentRequired(extra=PLAN_FACTS)).message
    assert "owner or administrator" in message
    assert "starter" not in message and "1000" not in message


# --- Retry-After on exceptions -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        (None, None),
        (0, 0),
        (0.2, 1),
        (1.2, 2),
        (17.0, 17),
        (-5, 0),
        (-math.inf, 0),
        (float("1e999"), MAX_RETRY_AFTER),
        (10**400, MAX_RETRY_AFTER),
        (MAX_RETRY_AFTER + 1, MAX_RETRY_AFTER),
        (math.nan, None),
        (True, None),
        ("30", None),
    ],
)
def test_retry_after_on_an_exception_is_a_bounded_int_or_none(
    given: Any, expected: int | None
) -> None:
    assert clamp_retry_after(given) == expected
    error = LambaRateLimited(retry_after=given)
    assert error.retry_after == expected
    assert error.retry_after is None or type(error.retry_after) is int
    body = error.to_problem()
    assert body.get("retryAfter") == expected


@pytest.mark.parametrize("given", [math.inf, math.nan, -3.0, 10**400])
def test_problem_responses_never_fail_on_a_strange_retry_after(given: Any) -> None:
    response = problem(
        429, "Too many attempts", error_code="RATE_LIMIT_EXCEEDED", retry_after=given
    )
    header = response.get("Retry-After")
    assert header is None or 0 <= int(header) <= MAX_RETRY_AFTER
