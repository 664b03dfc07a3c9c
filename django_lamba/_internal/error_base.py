"""``LambaError``, the root of the exception hierarchy ``django_lamba.exceptions`` publishes.

Kept apart so the public module stays a readable list of meanings; import it from
``django_lamba.exceptions``.
"""

from __future__ import annotations

from typing import Any

from .codes import clamp_retry_after, same_code


class LambaError(Exception):
    """Lamba answered with an error (a ProblemDetails body, or something it could not parse)."""

    #: The default status when Lamba did not say.
    default_status = 500

    def __init__(
        self,
        message: str = "",
        *,
        status: int | None = None,
        error_code: str = "",
        trace_id: str = "",
        detail: str = "",
        title: str = "",
        field_errors: dict[str, list[str]] | None = None,
        retry_after: float | None = None,
        extra: dict[str, Any] | None = None,
    ) -> None:
        self.status = status if status is not None else self.default_status
        self.error_code = error_code
        self.trace_id = trace_id
        self.detail = detail
        self.title = title
        self.field_errors = field_errors or {}
        #: Seconds to wait before trying again: a whole number in ``[0, MAX_RETRY_AFTER]``.
        self.retry_after: int | None = clamp_retry_after(retry_after)
        self.extra = extra or {}
        super().__init__(message or self._default_message())

    def _default_message(self) -> str:
        parts = [f"Lamba answered {self.status}"]
        if self.error_code:
            parts.append(f"errorCode={self.error_code}")
        if self.trace_id:
            parts.append(f"traceId={self.trace_id}")
        return " ".join(parts)

    def has_code(self, *codes: str) -> bool:
        """Return whether Lamba's ``errorCode`` is one of ``codes`` (case-insensitive)."""
        return same_code(self.error_code, *codes)

    def __repr__(self) -> str:
        return (
            f"{type(self).__name__}(status={self.status}, error_code={self.error_code!r}, "
            f"trace_id={self.trace_id!r})"
        )

    def to_problem(self, detail: str | None = None) -> dict[str, Any]:
        """Return a ProblemDetails body safe to send to a browser (no upstream ``detail``)."""
        body: dict[str, Any] = {
            "type": "about:blank",
            "title": self.public_title,
            "status": self.status,
            "errorCode": self.error_code or type(self).public_code,
        }
        if detail:
            body["detail"] = detail
        if self.trace_id:
            body["traceId"] = self.trace_id
        if self.field_errors:
            body["errors"] = self.field_errors
        if self.retry_after is not None:
            body["retryAfter"] = self.retry_after
        return body

    public_title = "Sign-in service error"
    public_code = "lamba_error"
