"""One exception hierarchy for everything Lamba answers.

Catch by meaning (``LambaUnauthorized``, ``LambaRateLimited``, ``LambaUnavailable``), not by
status. Messages carry Lamba's ``errorCode`` and ``traceId``, never a token or a raw ``detail``
from upstream in a place a user can see.
"""

from __future__ import annotations

from typing import Any

from ._internal.codes import (
    AUTHORIZATION_DENIED,
    MAX_RETRY_AFTER,
    MFA_REQUIRED,
    PLAN_LIMIT_EXCEEDED,
    RATE_LIMIT_EXCEEDED,
    clamp_retry_after,
    code_key,
    same_code,
)
from ._internal.codes import count as _plan_count
from ._internal.codes import label as _plan_label
from ._internal.error_base import LambaError

__all__ = [
    "AUTHORIZATION_DENIED",
    "MAX_RETRY_AFTER",
    "MFA_REQUIRED",
    "PLAN_LIMIT_EXCEEDED",
    "RATE_LIMIT_EXCEEDED",
    "LambaBadRequest",
    "LambaConflict",
    "LambaError",
    "LambaForbidden",
    "LambaMFARequired",
    "LambaNotFound",
    "LambaPaymentRequired",
    "LambaPlanLimitExceeded",
    "LambaRateLimited",
    "LambaUnauthorized",
    "LambaUnavailable",
    "clamp_retry_after",
    "code_key",
    "error_class_for",
    "same_code",
]


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


#: The name of the documented 402 problem (``PLAN_LIMIT_EXCEEDED``): every 402 Lamba sends is
#: one, so it is the same class, with the typed facts ``limit``, ``allowed``, ``current`` and
#: ``plan``. Catch either name; code written against ``LambaPaymentRequired`` keeps working.
LambaPlanLimitExceeded = LambaPaymentRequired


class LambaForbidden(LambaError):
    """403 ``AUTHORIZATION_DENIED``: signed in, not allowed (role, policy or context).

    For a management token, Lamba names the scope the token lacked (``missing_scope``).
    """

    default_status = 403
    public_title = "Not allowed"
    public_code = AUTHORIZATION_DENIED

    @property
    def missing_scope(self) -> str | None:
        """The scope the call needed and the token lacked, e.g. ``"customer.members.write"``."""
        for key in ("requiredScope", "missingScope", "scope"):
            value = self.extra.get(key)
            if isinstance(value, list):
                value = " ".join(v for v in value if isinstance(v, str))
            found = _plan_label(value)
            if found:
                return found
        return None


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
