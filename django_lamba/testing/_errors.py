"""Exceptions the emulator's route handlers raise to answer with an error."""

from __future__ import annotations

from typing import Any

#: The documented codes (lamba-api.md "Response rules") and their ProblemDetails ``type`` URIs.
AUTHORIZATION_DENIED = "AUTHORIZATION_DENIED"
PLAN_LIMIT_EXCEEDED = "PLAN_LIMIT_EXCEEDED"
RATE_LIMIT_EXCEEDED = "RATE_LIMIT_EXCEEDED"
PROBLEMS_BASE = "https://api.uselamba.com/problems/"
PROBLEM_TYPES = {
    AUTHORIZATION_DENIED: PROBLEMS_BASE + "authorization",
    PLAN_LIMIT_EXCEEDED: PROBLEMS_BASE + "plan-limit",
    RATE_LIMIT_EXCEEDED: PROBLEMS_BASE + "rate-limit",
}
#: The type of problems the docs publish no URI for: their entry on the errors page.
UNDOCUMENTED_PROBLEM_TYPE = "https://uselamba.com/docs/reference/errors#{code}"


class Problem(Exception):
    """Answer with an RFC 9457 ProblemDetails body carrying ``errorCode`` and ``traceId``."""

    def __init__(
        self,
        status: int,
        code: str,
        detail: str,
        *,
        errors: dict[str, list[str]] | None = None,
        extra: dict[str, Any] | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(f"{status} {code}: {detail}")
        self.status = status
        self.code = code
        self.detail = detail
        self.errors = errors
        self.extra = extra or {}
        self.headers = headers or {}


class OAuthError(Exception):
    """Answer with an OAuth 2.0 error body ``{"error", "error_description"}``."""

    def __init__(
        self,
        status: int,
        error: str,
        description: str,
        *,
        extra: dict[str, Any] | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(f"{status} {error}: {description}")
        self.status = status
        self.error = error
        self.description = description
        self.extra = extra or {}
        self.headers = headers or {}


def validation_failed(errors: dict[str, list[str]], detail: str | None = None) -> Problem:
    """Return a 400 ``validation_failed`` problem listing ``errors`` per field."""
    return Problem(
        400,
        "validation_failed",
        detail or "One or more fields are invalid.",
        errors=errors,
    )


def authorization_denied(detail: str) -> Problem:
    """Return a 403 ``AUTHORIZATION_DENIED`` problem (role, policy or context mismatch)."""
    return Problem(403, AUTHORIZATION_DENIED, detail)


def rate_limit_exceeded(retry_after: int, detail: str | None = None) -> Problem:
    """Return a 429 ``RATE_LIMIT_EXCEEDED`` problem asking to wait ``retry_after`` seconds."""
    return Problem(
        429,
        RATE_LIMIT_EXCEEDED,
        detail or "Too many requests. Try again later.",
        headers={"Retry-After": str(retry_after)},
        extra={"retryAfter": retry_after},
    )


def problem_type(code: str) -> str:
    """Return the ProblemDetails ``type`` URI for ``code``."""
    return PROBLEM_TYPES.get(code, UNDOCUMENTED_PROBLEM_TYPE.format(code=code))
