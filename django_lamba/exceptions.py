"""One exception hierarchy for everything Lamba answers.

Catch by meaning (``LambaUnauthorized``, ``LambaRateLimited``, ``LambaUnavailable``), not by
status. Messages carry Lamba's ``errorCode`` and ``traceId``, never a token or a raw ``detail``
from upstream in a place a user can see.
"""

from __future__ import annotations

import math
from typing import Any

#: The longest ``Retry-After`` the package believes, in seconds; longer waits are clamped to it.
MAX_RETRY_AFTER = 3600

# The documented codes (Lamba's own casing; compare them with ``same_code`` / ``has_code``).
AUTHORIZATION_DENIED = "AUTHORIZATION_DENIED"
PLAN_LIMIT_EXCEEDED = "PLAN_LIMIT_EXCEEDED"
RATE_LIMIT_EXCEEDED = "RATE_LIMIT_EXCEEDED"
MFA_REQUIRED = "mfa_required"

# Codes this package guessed before the docs were read, still accepted as their documented twin.
_ALIASES = {
    "forbidden": "authorization_denied",
    "plan_limit_reached": "plan_limit_exceeded",
    "rate_limited": "rate_limit_exceeded",
}


def code_key(code: object) -> str:
    """Return the form of an ``errorCode`` to compare on: case-folded, legacy aliases resolved.

    Lamba's code casing is mixed (``AUTHORIZATION_DENIED``, ``mfa_required``), so codes are only
    ever compared through this.
    """
    if not isinstance(code, str):
        return ""
    key = code.strip().casefold()
    return _ALIASES.get(key, key)


def same_code(code: object, *candidates: str) -> bool:
    """Return whether ``code`` is one of ``candidates``, ignoring case and legacy aliases."""
    key = code_key(code)
    return bool(key) and any(key == code_key(candidate) for candidate in candidates)


def clamp_retry_after(seconds: object) -> int | None:
    """Return a wait in whole seconds within ``[0, MAX_RETRY_AFTER]``; ``None`` for nonsense.

    Fractions round up (waiting a little longer than asked is the safe side); infinity is the
    ceiling; NaN, booleans and anything not a number are ``None``.
    """
    if isinstance(seconds, bool) or not isinstance(seconds, (int, float)):
        return None
    if isinstance(seconds, float):
        if math.isnan(seconds):
            return None
        if math.isinf(seconds):
            return MAX_RETRY_AFTER if seconds > 0 else 0
        seconds = math.ceil(seconds)
    return min(max(int(seconds), 0), MAX_RETRY_AFTER)


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
    public_code = MFA_REQUIRED

    @property
    def available_factors(self) -> list[str]:
        factors = self.extra.get("availableFactors")
        return [str(f) for f in factors] if isinstance(factors, list) else []


def _plan_label(value: object) -> str | None:
    """Return a short printable label (a limit name, a plan name), else ``None``."""
    if not isinstance(value, str):
        return None
    value = value.strip()
    return value if value and len(value) <= 64 and value.isprintable() else None


def _plan_count(value: object) -> int | None:
    """Return a non-negative whole count, else ``None`` (``"12"`` and ``12.0`` count)."""
    if isinstance(value, bool):
        return None
    if isinstance(value, str):
        value = value.strip()
        if not (value.isascii() and value.isdigit() and len(value) <= 18):
            return None
        return int(value)
    if isinstance(value, float):
        if not math.isfinite(value) or not value.is_integer() or abs(value) >= 2**63:
            return None
        value = int(value)
    if isinstance(value, int) and 0 <= value < 2**63:
        return value
    return None


class LambaPaymentRequired(LambaError):
    """402 ``PLAN_LIMIT_EXCEEDED``: the site's plan hit a limit; a business state, never retried.

    Lamba sends the facts as ProblemDetails extension fields or, in the older shape, as a bare
    ``{error, limit, allowed, current, plan, message}``; both end up in ``extra`` and are read by
    the typed properties below (``None`` when absent or not what the docs describe).
    """

    default_status = 402
    public_title = "Plan limit reached"
    public_code = PLAN_LIMIT_EXCEEDED

    @property
    def limit(self) -> str | None:
        """Which limit was reached, e.g. ``"mau"``."""
        return _plan_label(self.extra.get("limit"))

    @property
    def allowed(self) -> int | None:
        """How much the plan allows."""
        return _plan_count(self.extra.get("allowed"))

    @property
    def current(self) -> int | None:
        """How much is in use."""
        return _plan_count(self.extra.get("current"))

    @property
    def plan(self) -> str | None:
        """The site's Lamba plan, e.g. ``"free"``."""
        return _plan_label(self.extra.get("plan"))

    def to_problem(self, detail: str | None = None) -> dict[str, Any]:
        """Return a ProblemDetails for the site's visitors, without the plan facts.

        ``limit``, ``allowed``, ``current`` and ``plan`` describe the site owner's contract with
        Lamba (its plan and its user counts): a visitor can do nothing with them and the owner
        may not want them public, so they stay out of the body. ``errorCode`` and ``traceId``
        stay in, so an owner handed the body can find the event; the owner reads the facts on
        this exception and in the client's log line for the 402.
        """
        return super().to_problem(detail)


class LambaForbidden(LambaError):
    """403 ``AUTHORIZATION_DENIED``: signed in, not allowed (role, policy or context)."""

    default_status = 403
    public_title = "Not allowed"
    public_code = AUTHORIZATION_DENIED


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
    """429 ``RATE_LIMIT_EXCEEDED``: too many requests; ``retry_after`` says how long to wait."""

    default_status = 429
    public_title = "Too many attempts"
    public_code = RATE_LIMIT_EXCEEDED


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
    """Return the exception class for an upstream status and ``errorCode`` (any casing)."""
    if status == 401 and same_code(error_code, MFA_REQUIRED):
        return LambaMFARequired
    if status >= 500:
        return LambaUnavailable
    return _BY_STATUS.get(status, LambaError)
