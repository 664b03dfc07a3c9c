"""``LambaClient``: one typed method per Lamba endpoint, and the only way in to Lamba.

Views, middleware and decorators call :func:`get_client`; nothing else builds Lamba URLs or parses
ProblemDetails. Every call has connect and read timeouts, a deadline (``LAMBA_TOTAL_TIMEOUT``,
retries included, however slowly the answer trickles in) and an ``X-Correlation-Id``; none ever
sends the console-only scope headers. Bodies are read up to ``MAX_RESPONSE_BYTES``, decompressed
included. Every failure becomes a :class:`LambaError` subclass: a timeout, a connection error, a
5xx, or a body that is too large, too deep or not a Lamba problem is :class:`LambaUnavailable`.
Only idempotent calls are retried (see :meth:`LambaClient.request`). Sending a call lives in
``_internal/wire.py``, reading its answer in ``_internal/answers.py``.
"""

from __future__ import annotations

from typing import Any

import requests

from ._internal import answers, wire
from ._internal.answers import MAX_JSON_DEPTH, MAX_TOKEN_LIFETIME, parse_retry_after
from ._internal.answers import build as _build
from ._internal.transport import MAX_RESPONSE_BYTES
from ._internal.wire import (
    IDEMPOTENT_METHODS,
    MAX_RETRIES_CEILING,
    RATE_LIMIT_JITTER,
    retry_jitter,
    retry_sleep,
)
from .apihost import ApiHostMethods
from .conf import lamba_settings
from .exceptions import LambaUnavailable
from .types import ClientCredentialsToken, TokenSet

__all__ = [
    "IDEMPOTENT_METHODS",
    "MAX_JSON_DEPTH",
    "MAX_RESPONSE_BYTES",
    "MAX_RETRIES_CEILING",
    "MAX_TOKEN_LIFETIME",
    "RATE_LIMIT_JITTER",
    "LambaClient",
    "get_client",
    "parse_retry_after",
    "retry_jitter",
    "retry_sleep",
]


class LambaClient(ApiHostMethods):
    """A client for Lamba's auth host and API host (its methods: here and ``apihost``).

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
        return wire.send(
            method,
            url,
            session=self._session,
            call_budget=self.call_budget,
            token=token,
            json=json,
            form=form,
            params=params,
            idempotent=idempotent,
        )

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
        return answers.management_token(self._auth("POST", "/connect/token", form=form))

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

    async def arefresh(self, refresh_token: str) -> TokenSet:
        """Async twin of ``refresh`` (the API host's twins are in ``apihost``)."""
        result: TokenSet = await self._async(self.refresh)(refresh_token)
        return result


_default_client = LambaClient()


def get_client() -> LambaClient:
    """Return the shared client (base URLs follow the settings)."""
    return _default_client
