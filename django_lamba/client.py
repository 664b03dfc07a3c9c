"""The one place that speaks HTTP to Lamba.

Views, middleware and decorators call :func:`get_client`; nothing else builds Lamba URLs or parses
ProblemDetails. Every call has connect and read timeouts, a deadline (``LAMBA_TOTAL_TIMEOUT``,
retries included, however slowly the answer trickles in) and an ``X-Correlation-Id``; none ever
sends the console-only scope headers. Bodies are read up to ``MAX_RESPONSE_BYTES``, decompressed
included. Every failure becomes a :class:`LambaError` subclass: a timeout, a connection error, a
5xx, or a body that is too large, too deep or not a Lamba problem is :class:`LambaUnavailable`.
Only idempotent calls are retried (see :meth:`LambaClient.request`).
"""

from __future__ import annotations

import email.utils
import logging
import os
import random
import threading
import time
from collections.abc import Callable
from datetime import datetime, timedelta, timezone
from typing import Any, TypeVar
from urllib.parse import urlsplit

import requests
from asgiref.sync import sync_to_async

from ._internal import breaker, correlation, transport
from ._internal.transport import MAX_JSON_DEPTH, MAX_RESPONSE_BYTES
from .conf import lamba_settings
from .exceptions import (
    MAX_RETRY_AFTER,
    LambaError,
    LambaPaymentRequired,
    LambaRateLimited,
    LambaUnavailable,
    clamp_retry_after,
    error_class_for,
)
from .types import (
    ClientCredentialsToken,
    LambaAuthorization,
    LambaContext,
    Page,
    TokenSet,
)

logger = logging.getLogger("django_lamba.client")

T = TypeVar("T")
_NO_CONTENT = object()

#: Methods retried without being asked; other calls are retried only when marked idempotent.
IDEMPOTENT_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
#: The most retries of one call, whatever ``LAMBA_MAX_RETRIES`` says (the contract's limit for
#: synchronous traffic).
MAX_RETRIES_CEILING = 3
#: The most random extra wait, in seconds, added to a 429's ``Retry-After``.
RATE_LIMIT_JITTER = 1.0
#: The longest lifetime believed of a management token, in seconds (a year).
MAX_TOKEN_LIFETIME = 366 * 86400.0
#: Keys only an error body from Lamba (ProblemDetails, the bare 402, an OAuth error) carries.
_PROBLEM_KEYS = frozenset({"errorCode", "error", "type", "title", "status", "detail", "traceId"})

_session_lock = threading.Lock()
_sessions: dict[int, requests.Session] = {}


def _pooled_session() -> requests.Session:
    """Return this process's pooled session (a new one after a fork, e.g. in gunicorn)."""
    pid = os.getpid()
    session = _sessions.get(pid)
    if session is None:
        with _session_lock:
            session = _sessions.get(pid)
            if session is None:
                session = requests.Session()
                adapter = transport.DeadlineAdapter(
                    pool_connections=4, pool_maxsize=32, max_retries=0
                )
                session.mount("http://", adapter)
                session.mount("https://", adapter)
                session.trust_env = False
                _sessions.clear()
                _sessions[pid] = session
    return session


def retry_sleep(seconds: float) -> None:
    """Wait between two attempts of one call (tests replace this so they never sleep)."""
    time.sleep(seconds)


def retry_jitter(upper: float) -> float:
    """Return a random extra wait in ``[0, upper]`` so throttled clients do not retry in step."""
    # Spreading retries out needs no cryptographic randomness.
    return random.uniform(0.0, upper) if upper > 0 else 0.0  # noqa: S311


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
        return transport.parse_json(body)
    except ValueError:  # not JSON, not UTF-8, or nested deeper than MAX_JSON_DEPTH
        return _NO_CONTENT


def _error_from_response(response: requests.Response, content: bytes) -> LambaError:
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


def _build(build: Callable[[Any], T], body: Any) -> T:
    """Turn a parsed body into a typed answer; values past what any type holds are an outage.

    The builders tolerate missing and mistyped fields; this also catches what they cannot
    foresee (an ``expires_in`` of 1e308 overflows a ``timedelta``), so upstream data only ever
    raises a :class:`LambaError`.
    """
    try:
        return build(body)
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


def _log_error(method: str, path: str, status: int, error: LambaError, elapsed_ms: float) -> None:
    """Log an error answer for the operator: always errorCode and traceId, never a token."""
    facts = ""
    level = logging.INFO if status < 500 else logging.WARNING
    if isinstance(error, LambaPaymentRequired):
        # The site owner has to act on this (upgrade, or clean up usage): say what was hit.
        level = logging.WARNING
        facts = " limit={} allowed={} current={} plan={}".format(
            *(
                "-" if v is None else v
                for v in (error.limit, error.allowed, error.current, error.plan)
            )
        )
    elif isinstance(error, LambaRateLimited):
        facts = f" retryAfter={'-' if error.retry_after is None else error.retry_after}"
    logger.log(
        level,
        "Lamba %s %s -> %s errorCode=%s traceId=%s%s (%.0f ms)",
        method,
        path,
        status,
        error.error_code or "-",
        error.trace_id or "-",
        facts,
        elapsed_ms,
    )


def _max_retry_wait() -> float:
    """Return ``LAMBA_MAX_RETRY_WAIT``, with nonsense (negative, NaN) read as 0."""
    value = lamba_settings.MAX_RETRY_WAIT
    return value if value >= 0 else 0.0


class LambaClient:
    """A client for Lamba's auth host and API host.

    Base URLs default to the settings, read on each call so ``override_settings`` works. The
    shared pooled session cuts every socket read to the call's deadline; a ``session`` passed in
    is checked against the deadline only between body reads, unless its adapter is a
    ``django_lamba._internal.transport.DeadlineAdapter``.
    """

    def __init__(
        self,
        *,
        auth_base_url: str | None = None,
        api_base_url: str | None = None,
        session: requests.Session | None = None,
        call_budget: float | None = None,
    ) -> None:
        self._auth_base_url = auth_base_url
        self._api_base_url = api_base_url
        self._session = session
        #: Seconds one call may take, retries and their waits included (``None``: the
        #: ``LAMBA_TOTAL_TIMEOUT`` setting, read on each call).
        self.call_budget = call_budget

    @property
    def auth_base_url(self) -> str:
        return (self._auth_base_url or lamba_settings.AUTH_BASE_URL).rstrip("/")

    @property
    def api_base_url(self) -> str:
        return (self._api_base_url or lamba_settings.API_BASE_URL).rstrip("/")

    # --- transport -------------------------------------------------------------------------

    def request(
        self,
        method: str,
        url: str,
        *,
        token: str | None = None,
        json: Any = None,
        form: dict[str, str] | None = None,
        params: dict[str, Any] | None = None,
        idempotent: bool | None = None,
    ) -> Any:
        """Send one call and return the parsed JSON body (``None`` for an empty answer).

        The whole call, retries and waits included, ends by its deadline
        (``LAMBA_TOTAL_TIMEOUT``, or ``call_budget``): connecting, waiting for headers and
        reading the body are each cut to the time left, and when none is left the connection is
        closed and :class:`LambaUnavailable` raised. A body over ``MAX_RESPONSE_BYTES`` (after
        decompression) or nested deeper than ``MAX_JSON_DEPTH`` is :class:`LambaUnavailable`.

        Only idempotent calls (GET, HEAD, OPTIONS, or ``idempotent=True``) are retried: after a
        connection error, a 5xx, or a 429 (waiting its ``Retry-After`` plus jitter), at most
        ``MAX_RETRIES_CEILING`` times, and never when the wait would pass
        ``LAMBA_MAX_RETRY_WAIT`` or the deadline. Anything else raises at once.
        """
        headers = {
            "Accept": "application/json",
            "Accept-Encoding": transport.ACCEPT_ENCODING,
            "X-Correlation-Id": correlation.current(),
        }
        if token:
            headers["Authorization"] = f"Bearer {token}"
        if idempotent is None:
            idempotent = method.upper() in IDEMPOTENT_METHODS
        retries = min(max(0, lamba_settings.MAX_RETRIES), MAX_RETRIES_CEILING) if idempotent else 0
        attempts = 1 + retries
        session = self._session or _pooled_session()
        connect_timeout = lamba_settings.CONNECT_TIMEOUT
        read_timeout = lamba_settings.READ_TIMEOUT
        budget = lamba_settings.TOTAL_TIMEOUT if self.call_budget is None else self.call_budget
        deadline = transport.Deadline(budget, read_timeout, time.monotonic)
        path = url.split("?", 1)[0]
        parts = urlsplit(url)
        host = f"{parts.scheme}://{parts.netloc}"
        for attempt in range(1, attempts + 1):
            breaker.before_call(host)
            left = deadline.remaining()
            if left <= 0:
                # Only reached after a retry wait used the rest: that failure already counted.
                raise self._timed_out(method, path)
            started = time.monotonic()
            try:
                with transport.bound(deadline):
                    response = session.request(
                        method,
                        url,
                        headers=headers,
                        json=json,
                        data=form,
                        params=params,
                        timeout=(min(connect_timeout, left), min(read_timeout, left)),
                        allow_redirects=False,
                        stream=True,
                    )
                    content = transport.read_body(response, deadline)
            except (requests.Timeout, transport.DeadlinePassed):
                breaker.failed(host)
                raise self._timed_out(method, path) from None
            except transport.BodyTooLarge:
                breaker.failed(host)
                logger.warning(
                    "Lamba %s %s answered a body over %s bytes", method, path, MAX_RESPONSE_BYTES
                )
                raise LambaUnavailable(
                    f"Lamba answered {method} {path} with a body that is too large."
                ) from None
            except (requests.RequestException, transport.BodyUnreadable) as exc:
                breaker.failed(host)
                logger.warning("Lamba %s %s failed: %s", method, path, type(exc).__name__)
                wait = self._retry_wait(None, attempt, deadline) if attempt < attempts else None
                if wait is not None:
                    retry_sleep(wait)
                    continue
                raise LambaUnavailable(
                    f"Lamba could not be reached for {method} {path}."
                ) from None
            elapsed_ms = (time.monotonic() - started) * 1000
            if response.status_code < 300:
                logger.debug(
                    "Lamba %s %s -> %s (%.0f ms)", method, path, response.status_code, elapsed_ms
                )
                try:
                    body = self._parse_success(response.status_code, content, method, path)
                except LambaUnavailable:
                    breaker.failed(host)
                    raise
                breaker.succeeded(host)
                return body
            error = _error_from_response(response, content)
            # Only outages count against the host: a 4xx answer is Lamba working.
            (breaker.failed if isinstance(error, LambaUnavailable) else breaker.succeeded)(host)
            _log_error(method, path, response.status_code, error, elapsed_ms)
            retryable = attempt < attempts and isinstance(
                error, (LambaRateLimited, LambaUnavailable)
            )
            wait = self._retry_wait(error, attempt, deadline) if retryable else None
            if wait is not None:
                logger.debug("Lamba %s %s: retrying in %.1f s", method, path, wait)
                retry_sleep(wait)
                continue
            raise error
        raise LambaUnavailable(f"Lamba could not answer {method} {path}.")  # pragma: no cover

    @staticmethod
    def _timed_out(method: str, path: str) -> LambaUnavailable:
        logger.warning("Lamba %s %s timed out", method, path)
        return LambaUnavailable(f"Lamba did not answer {method} {path} in time.")

    @staticmethod
    def _retry_wait(
        error: LambaError | None, attempt: int, deadline: transport.Deadline
    ) -> float | None:
        """Return how long to wait before attempt ``attempt + 1``, or ``None`` to give up.

        ``error`` is ``None`` after a connection error. The wait must leave time for the next
        attempt: a retry that could only start at the deadline is not made.
        """
        room = min(_max_retry_wait(), deadline.remaining())
        if isinstance(error, LambaRateLimited):
            # At least what Lamba asked for; the jitter only fills the room that is left.
            asked = 0.5 * 2.0**attempt if error.retry_after is None else float(error.retry_after)
            if asked > room or asked >= deadline.remaining():
                return None
            return asked + retry_jitter(min(RATE_LIMIT_JITTER, room - asked))
        # An outage: a short backoff with jitter, cut to fit.
        backoff = 0.1 * 2.0**attempt
        if room <= 0 or backoff >= deadline.remaining():
            return None
        return min(backoff + retry_jitter(backoff), room)

    @staticmethod
    def _parse_success(status: int, content: bytes, method: str, path: str) -> Any:
        if status == 204 or not content:
            return None
        try:
            return transport.parse_json(content)
        except ValueError:
            raise LambaUnavailable(
                f"Lamba answered {method} {path} with a body that is not JSON "
                f"(or nests deeper than {MAX_JSON_DEPTH} levels)."
            ) from None

    def _auth(self, method: str, path: str, **kwargs: Any) -> Any:
        return self.request(method, self.auth_base_url + path, **kwargs)

    def _api(self, method: str, path: str, **kwargs: Any) -> Any:
        return self.request(method, self.api_base_url + path, **kwargs)

    # --- auth host: sign-in ----------------------------------------------------------------

    def login_password(self, login: str, password: str, mfa_code: str | None = None) -> TokenSet:
        """Sign in with a login (email or username) and password; raises ``LambaMFARequired``."""
        body: dict[str, Any] = {"login": login, "password": password}
        if mfa_code:
            body["mfaCode"] = mfa_code
        return _build(TokenSet.from_json, self._auth("POST", "/v1/auth/login/password", json=body))

    def register(
        self,
        email: str,
        password: str,
        *,
        username: str | None = None,
        display_name: str | None = None,
    ) -> TokenSet:
        """Create a customer account and return its first session."""
        body: dict[str, Any] = {"email": email, "password": password}
        if username:
            body["username"] = username
        if display_name:
            body["displayName"] = display_name
        return _build(TokenSet.from_json, self._auth("POST", "/v1/auth/register", json=body))

    def request_magic_link(self, email: str, redirect_uri: str) -> None:
        """Ask Lamba to email a sign-in link pointing at ``redirect_uri``."""
        body = {"email": email, "redirectUri": redirect_uri}
        self._auth("POST", "/v1/auth/login/magic-link/request", json=body)

    def verify_magic_link(self, token: str) -> TokenSet:
        """Exchange a magic-link token for a session."""
        return _build(
            TokenSet.from_json,
            self._auth("POST", "/v1/auth/login/magic-link/verify", json={"token": token}),
        )

    def request_phone_code(self, phone: str) -> None:
        """Ask Lamba to text a one-time code to an E.164 phone number."""
        self._auth("POST", "/v1/auth/login/phone/request", json={"phone": phone})

    def verify_phone_code(self, phone: str, code: str) -> TokenSet:
        """Exchange a phone one-time code for a session."""
        body = {"phone": phone, "code": code}
        return _build(
            TokenSet.from_json, self._auth("POST", "/v1/auth/login/phone/verify", json=body)
        )

    # --- auth host: session ----------------------------------------------------------------

    def refresh(self, refresh_token: str) -> TokenSet:
        """Rotate the session: the old refresh token stops working."""
        body = {"refresh_token": refresh_token}
        return _build(TokenSet.from_json, self._auth("POST", "/v1/auth/refresh", json=body))

    def logout(self, access_token: str | None, refresh_token: str | None = None) -> None:
        """Revoke the session upstream."""
        body = {"refresh_token": refresh_token} if refresh_token else {}
        self._auth("POST", "/v1/auth/logout", token=access_token, json=body)

    def switch_context(
        self, access_token: str, workspace_id: str, project_id: str, environment: str
    ) -> TokenSet:
        """Exchange a session (or an OIDC access token) for one scoped to a Project."""
        body = {"workspaceId": workspace_id, "projectId": project_id, "environment": environment}
        return _build(
            TokenSet.from_json,
            self._auth("POST", "/v1/sessions/switch-context", token=access_token, json=body),
        )

    # --- auth host: OAuth / OIDC -----------------------------------------------------------

    def client_credentials(
        self,
        client_id: str,
        client_secret: str,
        *,
        workspace_id: str = "",
        project_id: str = "",
        environment: str = "",
        scope: str | None = None,
    ) -> ClientCredentialsToken:
        """Get a management token with the ``client_credentials`` grant."""
        form = {
            "grant_type": "client_credentials",
            "client_id": client_id,
            "client_secret": client_secret,
        }
        for key, value in (
            ("workspaceId", workspace_id),
            ("projectId", project_id),
            ("environment", environment),
            ("scope", scope or ""),
        ):
            if value:
                form[key] = value
        body = self._auth("POST", "/connect/token", form=form)
        if not isinstance(body, dict) or not isinstance(body.get("access_token"), str):
            raise LambaUnavailable("Lamba answered /connect/token without an access_token.")
        return ClientCredentialsToken(
            access_token=body["access_token"],
            expires_at=datetime.now(timezone.utc)
            + timedelta(seconds=_lifetime(body.get("expires_in"))),
            token_type=str(body.get("token_type") or "Bearer"),
            scope=str(body.get("scope") or ""),
        )

    def token_endpoint(self, url: str, form: dict[str, str]) -> dict[str, Any]:
        """POST a form to an OAuth token endpoint and return its JSON object."""
        body = self.request("POST", url, form=form)
        if not isinstance(body, dict):
            raise LambaUnavailable("The token endpoint answered with something other than JSON.")
        return body

    def get_document(self, url: str, *, token: str | None = None) -> dict[str, Any]:
        """GET a JSON object from an absolute URL (discovery, JWKS, userinfo)."""
        body = self.request("GET", url, token=token)
        if not isinstance(body, dict):
            raise LambaUnavailable("Expected a JSON object.")
        return body

    def get_jwks(self) -> dict[str, Any]:
        """Fetch the auth host's signing keys."""
        return self.get_document(self.auth_base_url + "/.well-known/jwks.json")

    # --- API host --------------------------------------------------------------------------

    def get_context(self, access_token: str) -> LambaContext:
        """``GET /v1/me/context``."""
        return _build(
            LambaContext.from_json, self._api("GET", "/v1/me/context", token=access_token)
        )

    def get_authorization(self, access_token: str) -> LambaAuthorization:
        """``GET /v1/me/authorization``."""
        body = self._api("GET", "/v1/me/authorization", token=access_token)
        return _build(LambaAuthorization.from_json, body)

    def get(self, path: str, access_token: str, params: dict[str, Any] | None = None) -> Any:
        """GET any API-host path (``/v1/me/...`` or ``/v1/admin/...``) and return its JSON."""
        return self._api("GET", path, token=access_token, params=params)

    def send(
        self,
        method: str,
        path: str,
        access_token: str,
        json: Any = None,
        *,
        idempotent: bool | None = None,
    ) -> Any:
        """Send a POST/PATCH/PUT/DELETE to an API-host path and return its JSON.

        Pass ``idempotent=True`` for a call that is safe to repeat (a PUT of a whole resource,
        a DELETE) to let it be retried after a 429 or an outage.
        """
        return self._api(method, path, token=access_token, json=json, idempotent=idempotent)

    def list_page(
        self, path: str, access_token: str, *, limit: int | None = None, cursor: str | None = None
    ) -> Page[dict[str, Any]]:
        """Fetch one ``{items, nextCursor}`` page."""
        params: dict[str, Any] = {}
        if limit:
            params["limit"] = limit
        if cursor:
            params["cursor"] = cursor
        body = self.get(path, access_token, params or None)
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

    # --- async twins -----------------------------------------------------------------------

    def _async(self, func: Callable[..., T]) -> Callable[..., Any]:
        return sync_to_async(func, thread_sensitive=False)

    async def aget_context(self, access_token: str) -> LambaContext:
        result: LambaContext = await self._async(self.get_context)(access_token)
        return result

    async def aget_authorization(self, access_token: str) -> LambaAuthorization:
        result: LambaAuthorization = await self._async(self.get_authorization)(access_token)
        return result

    async def arefresh(self, refresh_token: str) -> TokenSet:
        result: TokenSet = await self._async(self.refresh)(refresh_token)
        return result


_default_client = LambaClient()


def get_client() -> LambaClient:
    """Return the shared client (base URLs follow the settings)."""
    return _default_client
