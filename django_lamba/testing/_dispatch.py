"""The emulator's dispatcher: record, apply faults, check headers, route, answer problems."""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Callable
from typing import Any
from urllib.parse import parse_qs, urlsplit

from ._errors import OAuthError, Problem, validation_failed
from ._http import (
    Drip,
    RequestContext,
    Response,
    RouteTable,
    fault_response,
    media_type,
    oauth_error_response,
    problem_response,
)
from ._request_records import Headers, HostKind, RecordedRequest
from ._routing import match_route
from ._state import EmulatorState

logger = logging.getLogger("django_lamba.testing")

FORBIDDEN_HEADERS = ("X-Tenant-Id", "X-Project-Id", "X-Environment")


def _parse_for_log(headers: Headers, body: bytes) -> tuple[Any, dict[str, str] | None]:
    kind = media_type(headers)
    try:
        if kind == "application/json" and body:
            return json.loads(body.decode("utf-8")), None
        if kind == "application/x-www-form-urlencoded":
            pairs = parse_qs(body.decode("utf-8"), keep_blank_values=True)
            return None, {key: values[0] for key, values in pairs.items()}
    except (UnicodeDecodeError, ValueError):
        pass
    return None, None


class Dispatcher:
    """Record, apply faults, check headers, route, and turn any exception into a problem."""

    def __init__(
        self,
        state: EmulatorState,
        routes: dict[HostKind, RouteTable],
        urls: Callable[[], tuple[str, str]],
        stopping: threading.Event,
    ) -> None:
        self.state = state
        self.routes = routes
        self.urls = urls
        self.stopping = stopping

    def dispatch(
        self, host: HostKind, method: str, target: str, headers: Headers, body: bytes
    ) -> Response:
        """Answer one request; never raises."""
        try:
            split = urlsplit(target)
            query = parse_qs(split.query, keep_blank_values=True)
            parsed_json, parsed_form = _parse_for_log(headers, body)
            self.state.record(
                RecordedRequest(
                    host, method, split.path, query, headers, parsed_json, parsed_form, body
                )
            )
            fault = self.state.take_fault(host, method, split.path)
            if fault is not None and fault.latency > 0:
                self.stopping.wait(fault.latency)
            if fault is not None and fault.status is not None:
                response = fault_response(fault)
            else:
                auth_url, api_url = self.urls()
                ctx = RequestContext(
                    self.state, host, method, split.path, query, headers, body, auth_url, api_url
                )
                response = self._route(ctx)
            if fault is not None and fault.drip_interval > 0:
                response.drip = Drip(fault.drip_interval, fault.drip_bytes, fault.drip_headers)
            return response
        except Exception:
            logger.exception("Lamba emulator failed answering %s %s", method, target[:200])
            return problem_response(
                Problem(500, "internal_error", "The emulator failed to answer this request.")
            )
        finally:
            self._notify_outbox()
            self._after_request()

    def _route(self, ctx: RequestContext) -> Response:
        try:
            sent = [name for name in FORBIDDEN_HEADERS if name in ctx.headers]
            if sent:
                raise validation_failed(
                    {
                        name: ["This console header is not accepted on the public surface."]
                        for name in sent
                    },
                    "Scope comes from the token and switch-context, not from headers.",
                )
            methods, ctx.params = match_route(self.routes[ctx.host], ctx.path)
            if methods is None:
                raise Problem(404, "not_found", "No such route on this host.")
            handler = methods.get(ctx.method)
            if handler is None:
                raise Problem(
                    405,
                    "method_not_allowed",
                    f"{ctx.method} is not allowed here.",
                    headers={"Allow": ", ".join(sorted(methods))},
                )
            with self.state.lock:
                return handler(ctx)
        except Problem as problem:
            return problem_response(problem)
        except OAuthError as error:
            return oauth_error_response(error)

    def _after_request(self) -> None:
        hook = self.state.after_request
        if hook is not None:
            try:
                hook()
            except Exception:
                logger.exception("The emulator's after-request hook failed")

    def _notify_outbox(self) -> None:
        pending = self.state.drain_pending_outbox()
        hook = self.state.on_outbox
        for message in pending:
            if hook is None:
                continue
            try:
                hook(message)
            except Exception:
                logger.exception("The emulator's on_outbox hook failed")
