"""One exception hierarchy for everything Lamba answers.

Catch by meaning (``LambaUnauthorized``, ``LambaRateLimited``, ``LambaUnavailable``), not by
status. Messages carry Lamba's ``errorCode`` and ``traceId``, never a token or a raw ``detail``
from upstream in a place a user can see.
"""

from __future__ import annotations

from typing import Any


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
        self.retry_after = retry_after
        self.extra = extra or {}
        super().__init__(message or self._default_message())

    def _default_message(self) -> str:
        parts = [f"Lamba answered {self.status}"]
        if self.error_code:
            parts.append(f"errorCode={self.error_code}")
        if self.trace_id:
            parts.append(f"traceId={self.trace_id}")
        return " ".join(parts)

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
            body["retryAfter"] = int(self.retry_after + 0.999)
        return body

    public_title = "Sign-in service error"
    public_code = "lamba_error"


class LambaBadRequest(LambaError):
    """400: the request was malformed or failed validation; see ``field_errors``."""

    default_status = 400
    public_title = "Invalid request"
    public_code = "validation_failed"


class LambaUnauthorized(LambaError):
    """401: missing, expired or revoked session, or wrong credentials."""

    default_status = 401
    public_title = "Not signed in"
    public_code = "unauthorized"


class LambaMFARequired(LambaUnauthorized):
    """401 ``mfa_required``: the password was right; ask for the second factor."""

    public_title = "A verification code is required"

    @property
    def available_factors(self) -> list[str]:
        factors = self.extra.get("availableFactors")
        return [str(f) for f in factors] if isinstance(factors, list) else []


class LambaPaymentRequired(LambaError):
    """402: a plan or usage limit; a business state, never retried."""

    default_status = 402
    public_title = "Plan limit reached"
    public_code = "plan_limit_reached"


class LambaForbidden(LambaError):
    """403: signed in, not allowed."""

    default_status = 403
    public_title = "Not allowed"
    public_code = "forbidden"


class LambaNotFound(LambaError):
    """404: Lamba does not know the resource."""

    default_status = 404
    public_title = "Not found"
    public_code = "not_found"


class LambaConflict(LambaError):
    """409: conflicting state or a duplicate identity; reload before retrying."""

    default_status = 409
    public_title = "Conflict"
    public_code = "conflict"


class LambaRateLimited(LambaError):
    """429: too many requests; ``retry_after`` says how long to wait (seconds)."""

    default_status = 429
    public_title = "Too many attempts"
    public_code = "rate_limited"


class LambaUnavailable(LambaError):
    """Lamba could not be reached or gave an answer that is not a usable response.

    A timeout, a connection error, a 5xx, an HTML page or a malformed body. Never a reason to sign
    anyone out.
    """

    default_status = 503
    public_title = "Sign-in service unavailable"
    public_code = "lamba_unavailable"


_BY_STATUS: dict[int, type[LambaError]] = {
    400: LambaBadRequest,
    401: LambaUnauthorized,
    402: LambaPaymentRequired,
    403: LambaForbidden,
    404: LambaNotFound,
    409: LambaConflict,
    422: LambaBadRequest,
    429: LambaRateLimited,
}


def error_class_for(status: int, error_code: str = "") -> type[LambaError]:
    """Return the exception class for an upstream status and ``errorCode``."""
    if status == 401 and error_code == "mfa_required":
        return LambaMFARequired
    if status >= 500:
        return LambaUnavailable
    return _BY_STATUS.get(status, LambaError)
