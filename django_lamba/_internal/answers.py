"""Reading what Lamba answered: a body into bounded JSON or a typed value, a failure into an error.

Everything here works on bytes already read (``transport`` bounds the read). JSON is refused
before parsing when it nests deeper than :data:`MAX_JSON_DEPTH`, so no body can reach a recursion
limit. An error is recognised by its body, not its content type; anything that is not a Lamba
problem is :class:`LambaUnavailable` (or, for a gateway's 429, :class:`LambaRateLimited`).
"""

from __future__ import annotations

import email.utils
import json
import logging
import re
from collections.abc import Callable
from datetime import datetime, timedelta, timezone
from itertools import accumulate
from typing import Any, TypeVar

import requests

from ..exceptions import (
    MAX_RETRY_AFTER,
    LambaError,
    LambaRateLimited,
    LambaUnavailable,
    clamp_retry_after,
    error_class_for,
)
from ..types import ClientCredentialsToken, Page

logger = logging.getLogger("django_lamba.client")

T = TypeVar("T")

#: The deepest JSON nesting accepted (Lamba's bodies nest a few levels).
MAX_JSON_DEPTH = 64
#: The longest lifetime believed of a management token, in seconds (a year).
MAX_TOKEN_LIFETIME = 366 * 86400.0
#: Keys only an error body from Lamba (ProblemDetails, the bare 402, an OAuth error) carries.
_PROBLEM_KEYS = frozenset({"errorCode", "error", "type", "title", "status", "detail", "traceId"})
_NO_CONTENT = object()

# --- JSON ----------------------------------------------------------------------------------

# A JSON string, or the unterminated rest of one: every quote matches, so this stays linear.
_STRING = re.compile(rb'"(?:[^"\\]|\\.)*(?:"|\\?\Z)', re.DOTALL)
_NOT_BRACKET = re.compile(rb"[^\[\]{}]+")
_STEP = {ord("["): 1, ord("{"): 1, ord("]"): -1, ord("}"): -1}


def json_depth(body: bytes) -> int:
    """Return how deeply ``body`` nests arrays and objects, without parsing it."""
    brackets = _NOT_BRACKET.sub(b"", _STRING.sub(b"", body))
    return max(accumulate(map(_STEP.__getitem__, brackets)), default=0)


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON.")


def parse_json(body: bytes, max_depth: int = MAX_JSON_DEPTH) -> Any:
    """Parse a JSON body (UTF-8, or UTF-16/32 with or without a BOM); raise ``ValueError``.

    The declared charset is ignored: JSON is UTF-8 (RFC 8259), and a garbage charset must not
    matter. ``NaN`` and ``Infinity`` are refused, as is nesting deeper than ``max_depth``.
    """
    if json_depth(body) > max_depth:
        raise ValueError(f"The JSON nests deeper than {max_depth} levels.")
    try:
        return json.loads(body, parse_constant=_reject_constant)
    except RecursionError:  # only when the caller's own stack is already nearly full
        raise ValueError("The JSON nests too deeply for this stack.") from None


def parse_success(status: int, content: bytes, method: str, path: str) -> Any:
    """Return a 2xx answer's JSON (``None`` when empty); a body that is not JSON is an outage."""
    if status == 204 or not content:
        return None
    try:
        return parse_json(content)
    except ValueError:
        raise LambaUnavailable(
            f"Lamba answered {method} {path} with a body that is not JSON "
            f"(or nests deeper than {MAX_JSON_DEPTH} levels)."
        ) from None


def build(builder: Callable[[Any], T], body: Any) -> T:
    """Turn a parsed body into a typed answer; values past what any type holds are an outage.

    The builders tolerate missing and mistyped fields; this also catches what they cannot
    foresee (an ``expires_in`` of 1e308 overflows a ``timedelta``), so upstream data only ever
    raises a :class:`LambaError`.
    """
    try:
        return builder(body)
    except (TypeError, ValueError, ArithmeticError, LookupError) as exc:
        logger.warning("Lamba answered values that do not fit: %s", type(exc).__name__)
        raise LambaUnavailable("Lamba answered with values that do not fit.") from None


def _lifetime(value: object, default: float = 300.0) -> float:
    """Return a lifetime in seconds from ``expires_in``, within ``[0, MAX_TOKEN_LIFETIME]``."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return default
    if value > MAX_TOKEN_LIFETIME:  # compared before float(): 10**400 does not fit a float
        return MAX_TOKEN_LIFETIME
    return max(float(value), 0.0)


def management_token(body: Any) -> ClientCredentialsToken:
    """Return the token a ``client_credentials`` answer from ``/connect/token`` carries."""
    if not isinstance(body, dict) or not isinstance(body.get("access_token"), str):
        raise LambaUnavailable("Lamba answered /connect/token without an access_token.")
    return ClientCredentialsToken(
        access_token=body["access_token"],
        expires_at=datetime.now(timezone.utc)
        + timedelta(seconds=_lifetime(body.get("expires_in"))),
        token_type=str(body.get("token_type") or "Bearer"),
        scope=str(body.get("scope") or ""),
    )


def list_page(path: str, body: Any) -> Page[dict[str, Any]]:
    """Return the ``{items, nextCursor}`` page ``path`` answered; anything else is an outage."""
    if not isinstance(body, dict):
        raise LambaUnavailable(f"Lamba answered {path} with something other than a list page.")
    items = body.get("items")
    next_cursor = body.get("nextCursor")
    return Page(
        items=[item for item in items if isinstance(item, dict)]
        if isinstance(items, list)
        else [],
        next_cursor=next_cursor if isinstance(next_cursor, str) and next_cursor else None,
    )


# --- errors --------------------------------------------------------------------------------


def parse_retry_after(value: str | None, *, now: datetime | None = None) -> int | None:
    """Parse ``Retry-After`` (delta-seconds or an HTTP date) into whole seconds.

    The result is clamped to ``[0, MAX_RETRY_AFTER]``: a date in the past is 0. Anything else (a
    sign, a fraction, an exponent, ``nan``, non-ASCII digits, a date that does not parse) is
    ``None``. Never raises.
    """
    if not isinstance(value, str) or not value.isascii():
        return None
    value = value.strip()
    if value.isdigit():
        digits = value.lstrip("0") or "0"
        # Judged as text: 400 digits must not become a float (inf) or a 400-digit int.
        if len(digits) > len(str(MAX_RETRY_AFTER)):
            return MAX_RETRY_AFTER
        return clamp_retry_after(int(digits))
    try:
        when = email.utils.parsedate_to_datetime(value)
        if when.tzinfo is None:
            when = when.replace(tzinfo=timezone.utc)
        seconds = (when - (now or datetime.now(timezone.utc))).total_seconds()
    except (TypeError, ValueError, IndexError, OverflowError):
        return None
    return clamp_retry_after(seconds)


def _text(value: object, limit: int = 200) -> str:
    """Return an upstream identifier fit for logs and messages, else ``""``."""
    if not isinstance(value, str):
        return ""
    value = value.strip()
    return value if len(value) <= limit and value.isprintable() else ""


def _read_json(body: bytes) -> Any:
    """Return the body as JSON whatever the content type says; ``_NO_CONTENT`` if it is not."""
    try:
        return parse_json(body)
    except ValueError:  # not JSON, not UTF-8, or nested deeper than MAX_JSON_DEPTH
        return _NO_CONTENT


def error_from_response(response: requests.Response, content: bytes) -> LambaError:
    """Return the :class:`LambaError` an answer of 300 or more (with body ``content``) means."""
    retry_after = parse_retry_after(response.headers.get("Retry-After"))
    status = response.status_code
    body = _read_json(content)
    # A problem is recognised by its body, not its content type: Lamba serves some as
    # application/json, some as application/problem+json.
    if not isinstance(body, dict) or not _PROBLEM_KEYS.intersection(body):
        # Not Lamba speaking (an HTML page from a proxy, a truncated body, a gateway's own
        # JSON): an outage, except that a gateway's 429 still means "slow down".
        if status == 429:
            return LambaRateLimited(status=429, retry_after=retry_after)
        return LambaUnavailable(f"Lamba answered {status} with a body that is not a problem.")
    # errorCode, else error (the bare 402 body and OAuth errors).
    error_code = _text(body.get("errorCode"), 100) or _text(body.get("error"), 100)
    errors = body.get("errors")
    field_errors: dict[str, list[str]] = {}
    if isinstance(errors, dict):
        for key, messages in errors.items():
            if isinstance(messages, list):
                field_errors[str(key)] = [str(m) for m in messages]
            elif isinstance(messages, str):
                field_errors[str(key)] = [messages]
    cls = error_class_for(status, error_code)
    detail = next(
        (
            body[key]
            for key in ("detail", "error_description", "message")
            if isinstance(body.get(key), str) and body[key]
        ),
        "",
    )
    return cls(
        status=status,
        error_code=error_code,
        trace_id=_text(body.get("traceId")),
        detail=detail,
        title=_text(body.get("title")),
        field_errors=field_errors,
        retry_after=retry_after,
        extra=body,
    )
