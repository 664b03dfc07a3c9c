"""Lamba's error codes and the plain values its problems carry, read defensively.

The leaf under ``exceptions``: it imports nothing from the package, so the exception hierarchy
and anything below it can share one way of comparing codes and reading ``Retry-After`` and plan
facts. ``django_lamba.exceptions`` re-exports the public names.
"""

from __future__ import annotations

import math

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


def label(value: object) -> str | None:
    """Return a short printable label (a limit, a plan, a scope name), else ``None``."""
    if not isinstance(value, str):
        return None
    value = value.strip()
    return value if value and len(value) <= 64 and value.isprintable() else None


def count(value: object) -> int | None:
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
