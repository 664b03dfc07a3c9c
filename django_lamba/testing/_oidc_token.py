"""Auth-host OIDC token endpoint: ``client_credentials`` and ``authorization_code`` + PKCE."""

from __future__ import annotations

import base64
import re
import secrets
from urllib.parse import unquote

from ._errors import OAuthError
from ._http import RequestContext, Response, json_response
from ._models import ENVIRONMENTS
from ._oidc_discovery import id_token
from ._sessions import create_session, mint_access_token, revoke
from ._tokens import iso, pkce_s256

PKCE_VALUE = re.compile(r"^[A-Za-z0-9._~-]{43,128}$")
NO_STORE = {"Cache-Control": "no-store", "Pragma": "no-cache"}


def _client_credentials(ctx: RequestContext, params: dict[str, str]) -> tuple[str, str]:
    """Return ``(client_id, client_secret)`` from HTTP Basic or the form body."""
    header = ctx.headers.get("Authorization", "")
    if header[:6].lower() == "basic ":
        try:
            decoded = base64.b64decode(header[6:].strip(), validate=True).decode("utf-8")
        except ValueError:
            raise OAuthError(401, "invalid_client", "Malformed Basic credentials.") from None
        client_id, _, secret = decoded.partition(":")
        return unquote(client_id), unquote(secret)
    return params.get("client_id", ""), params.get("client_secret", "")


def _secret_ok(given: str, expected: str | None) -> bool:
    if expected is None:
        return True
    return bool(given) and secrets.compare_digest(given.encode(), expected.encode())


def token(ctx: RequestContext) -> Response:
    """POST /connect/token: client_credentials or authorization_code + PKCE."""
    form = ctx.form()
    if form is None:
        raise OAuthError(400, "invalid_request", "The body must be form-encoded.")
    if any(len(values) > 1 for values in form.values()):
        raise OAuthError(400, "invalid_request", "A parameter was repeated.")
    params = {name: values[0] for name, values in form.items()}
    grant_type = params.get("grant_type", "")
    if grant_type == "client_credentials":
        return _grant_client_credentials(ctx, params)
    if grant_type == "authorization_code":
        return _grant_authorization_code(ctx, params)
    if not grant_type:
        raise OAuthError(400, "invalid_request", "grant_type is required.")
    raise OAuthError(400, "unsupported_grant_type", "This grant type is not supported.")


def _grant_client_credentials(ctx: RequestContext, params: dict[str, str]) -> Response:
    state = ctx.state
    client_id, secret = _client_credentials(ctx, params)
    client = state.management_clients.get(client_id)
    if client is None or not secret or not _secret_ok(secret, client.client_secret):
        raise OAuthError(401, "invalid_client", "Client authentication failed.")
    scope_fields = ("workspaceId", "projectId", "environment")
    if any(not params.get(name) for name in scope_fields):
        raise OAuthError(
            400,
            "invalid_request",
            "workspaceId, projectId and environment are required.",
            extra={"errorCode": "customer_auth_context_binding_required"},
        )
    workspace_id, project_id, environment = (params[name] for name in scope_fields)
    if environment not in ENVIRONMENTS:
        raise OAuthError(400, "invalid_request", "environment must be 'test' or 'prod'.")
    if state.check_scope(workspace_id, project_id, environment) is None:
        raise OAuthError(400, "invalid_request", "Unknown Workspace or Project.")
    bound = (client.workspace_id, client.project_id, client.environment)
    given = (workspace_id, project_id, environment)
    if any(b is not None and b != g for b, g in zip(bound, given, strict=True)):
        raise OAuthError(400, "unauthorized_client", "The client is bound to another scope.")
    granted = client.scopes
    scope = params.get("scope", "").strip() or (" ".join(granted) if granted else "customer.admin")
    widened = granted is not None and not set(scope.split()) <= set(granted)
    if widened and "customer.admin" not in (granted or ()):
        raise OAuthError(400, "invalid_scope", "The client was not granted that scope.")
    session = create_session(
        state,
        client.client_id,
        kind="management",
        workspace_id=workspace_id,
        project_id=project_id,
        environment=environment,
        client_id=client.client_id,
        scope=scope,
    )
    access, lifetime = mint_access_token(state, session)
    body = {
        "access_token": access,
        "token_type": "Bearer",
        "expires_in": lifetime,
        "scope": scope,
        "expires_at": iso(state.now() + lifetime),
    }
    return json_response(200, body, NO_STORE)


def _grant_authorization_code(ctx: RequestContext, params: dict[str, str]) -> Response:
    state = ctx.state
    client_id, secret = _client_credentials(ctx, params)
    client = state.oidc_clients.get(client_id)
    if client is None or not _secret_ok(secret, client.client_secret):
        raise OAuthError(401, "invalid_client", "Client authentication failed.")
    code, verifier = params.get("code", ""), params.get("code_verifier", "")
    if not code or not params.get("redirect_uri") or not verifier:
        raise OAuthError(
            400, "invalid_request", "code, redirect_uri and code_verifier are required."
        )
    grant = state.auth_codes.get(code)
    if grant is None:
        raise OAuthError(400, "invalid_grant", "The authorization code is not valid.")
    if grant.used:
        # RFC 6749 section 4.1.2: a replayed code revokes what it was exchanged for.
        issued = state.sessions.get(grant.session_id or "")
        if issued is not None:
            revoke(state, issued, "code_reused")
        raise OAuthError(400, "invalid_grant", "The authorization code was already used.")
    if grant.expires_at <= state.now():
        raise OAuthError(400, "invalid_grant", "The authorization code has expired.")
    if grant.client_id != client_id or grant.redirect_uri != params["redirect_uri"]:
        raise OAuthError(400, "invalid_grant", "The code was issued to another client or URI.")
    if not PKCE_VALUE.match(verifier):
        raise OAuthError(400, "invalid_request", "The code_verifier is malformed.")
    if not secrets.compare_digest(pkce_s256(verifier), grant.code_challenge):
        raise OAuthError(400, "invalid_grant", "PKCE verification failed.")
    user = state.users.get(grant.user_id)
    if user is None or user.disabled:
        raise OAuthError(400, "invalid_grant", "The user can no longer sign in.")
    grant.used = True
    session = create_session(
        state,
        user.id,
        kind="oidc",
        amr=grant.amr,
        mfa_satisfied="mfa" in grant.amr,
        client_id=client_id,
        scope=grant.scope,
    )
    grant.session_id = session.id
    access, lifetime = mint_access_token(state, session)
    return json_response(
        200,
        {
            "access_token": access,
            "id_token": id_token(ctx, session.id, user.id, grant, access),
            "token_type": "Bearer",
            "expires_in": lifetime,
            "scope": grant.scope,
        },
        NO_STORE,
    )
