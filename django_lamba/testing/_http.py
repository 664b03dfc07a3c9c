"""Request context and response builders shared by both emulated hosts' route handlers."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from http import HTTPStatus
from typing import Any
from urllib.parse import parse_qs

from ._errors import (
    AUTHORIZATION_DENIED,
    PLAN_LIMIT_EXCEEDED,
    RATE_LIMIT_EXCEEDED,
    OAuthError,
    Problem,
    problem_type,
    validation_failed,
)
from ._models import PlanLimit
from ._request_records import Fault, Headers, HostKind
from ._session_records import Session
from ._sessions import authenticate
from ._state import EmulatorState
from ._tokens import trace_id

DEFAULT_FAULT_CODES = {
    400: "validation_failed",
    401: "token_expired",
    402: PLAN_LIMIT_EXCEEDED,
    403: AUTHORIZATION_DENIED,
    404: "not_found",
    409: "conflict",
    429: RATE_LIMIT_EXCEEDED,
    500: "internal_error",
    502: "bad_gateway",
    503: "service_unavailable",
    504: "gateway_timeout",
}


@dataclass(frozen=True)
class Drip:
    """How to send an answer slowly: ``size`` bytes, then ``interval`` seconds of silence."""

    interval: float
    size: int = 1
    headers: bool = False


@dataclass
class Response:
    """An answer to write: status, body bytes, content type and extra headers."""

    status: int
    body: bytes = b""
    content_type: str | None = None
    headers: dict[str, str] = field(default_factory=dict)
    drip: Drip | None = None


def json_response(status: int, data: Any, headers: dict[str, str] | None = None) -> Response:
    """Return a JSON response."""
    body = json.dumps(data, separators=(",", ":")).encode("utf-8")
    return Response(status, body, "application/json", dict(headers or {}))


def html_response(status: int, html: str, headers: dict[str, str] | None = None) -> Response:
    """Return an HTML page that may not be framed."""
    base = {"X-Frame-Options": "DENY", "Content-Security-Policy": "frame-ancestors 'none'"}
    return Response(
        status, html.encode("utf-8"), "text/html; charset=utf-8", base | (headers or {})
    )


def problem_response(problem: Problem) -> Response:
    """Return an RFC 9457 ProblemDetails response for ``problem``.

    Served as ``application/problem+json``, except 429s: the rate-limits page serves its problem
    as ``application/json``, and clients must recognise a problem by its body.
    """
    data: dict[str, Any] = {
        "type": problem_type(problem.code),
        "title": HTTPStatus(problem.status).phrase,
        "status": problem.status,
        "detail": problem.detail,
        "errorCode": problem.code,
        "traceId": trace_id(),
    }
    if problem.errors:
        data["errors"] = problem.errors
    data.update(problem.extra)
    body = json.dumps(data, separators=(",", ":")).encode("utf-8")
    content_type = "application/json" if problem.status == 429 else "application/problem+json"
    return Response(problem.status, body, content_type, dict(problem.headers))


def plan_limit_response(limit: PlanLimit, headers: dict[str, str] | None = None) -> Response:
    """Return a 402 ``PLAN_LIMIT_EXCEEDED``: ProblemDetails, or the older bare body."""
    if limit.legacy_body:
        data = {"error": PLAN_LIMIT_EXCEEDED, **limit.facts(), "message": limit.message()}
        return json_response(402, data, headers)
    problem = Problem(
        402, PLAN_LIMIT_EXCEEDED, limit.message(), extra=limit.facts(), headers=headers
    )
    return problem_response(problem)


def oauth_error_response(error: OAuthError) -> Response:
    """Return an OAuth 2.0 error response (RFC 6749 section 5.2)."""
    data = {"error": error.error, "error_description": error.description} | error.extra
    return json_response(error.status, data, {"Pragma": "no-cache"} | error.headers)


def fault_response(fault: Fault) -> Response:
    """Return the canned answer of an injected fault."""
    status = fault.status or 500
    headers = {} if fault.retry_after is None else {"Retry-After": str(fault.retry_after)}
    body = fault.body
    if body is None:
        code = fault.error_code or DEFAULT_FAULT_CODES.get(status, "injected_fault")
        if status == 402 and code == PLAN_LIMIT_EXCEEDED:
            return plan_limit_response(PlanLimit(), headers)
        return problem_response(Problem(status, code, "Injected fault.", headers=headers))
    if isinstance(body, dict | list):
        data = json.dumps(body).encode("utf-8")
        return Response(status, data, fault.content_type or "application/json", headers)
    data = body.encode("utf-8") if isinstance(body, str) else body
    return Response(status, data, fault.content_type or "text/html; charset=utf-8", headers)


def media_type(headers: Headers) -> str:
    """Return the request's media type, lower-cased and without parameters."""
    return headers.get("Content-Type", "").split(";", 1)[0].strip().lower()


@dataclass
class RequestContext:
    """Everything a route handler needs about one request."""

    state: EmulatorState
    host: HostKind
    method: str
    path: str
    query: dict[str, list[str]]
    headers: Headers
    body: bytes
    auth_url: str
    api_url: str
    #: Values of the route's ``{name}`` segments (percent-decoded).
    params: dict[str, str] = field(default_factory=dict)

    def arg(self, name: str) -> str | None:
        """Return the first value of query parameter ``name``, if present."""
        values = self.query.get(name)
        return values[0] if values else None

    def json(self, *, optional: bool = False) -> dict[str, Any]:
        """Return the JSON object body, or raise 400 ``validation_failed``."""
        if optional and not self.body.strip():
            return {}
        if media_type(self.headers) != "application/json":
            raise validation_failed({}, "The request body must be JSON (application/json).")
        try:
            data = json.loads(self.body.decode("utf-8"))
        except (UnicodeDecodeError, ValueError):
            raise validation_failed({}, "The request body is not valid JSON.") from None
        if not isinstance(data, dict):
            raise validation_failed({}, "The request body must be a JSON object.")
        return data

    def form(self) -> dict[str, list[str]] | None:
        """Return the form-encoded body, or None if the body is not form-encoded."""
        if media_type(self.headers) != "application/x-www-form-urlencoded":
            return None
        try:
            return parse_qs(self.body.decode("utf-8"), keep_blank_values=True)
        except (UnicodeDecodeError, ValueError):
            return None

    def session(self) -> Session:
        """Return the live session of the bearer token, or raise 401."""
        return authenticate(self.state, self.headers.get("Authorization"))


Handler = Callable[[RequestContext], Response]
RouteTable = dict[str, dict[str, Handler]]
