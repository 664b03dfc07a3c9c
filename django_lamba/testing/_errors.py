"""Exceptions the emulator's route handlers raise to answer with an error."""

from __future__ import annotations

from typing import Any


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
