"""Auth-host OpenID Connect routes: discovery, JWKS, authorize, token, userinfo."""

from __future__ import annotations

import base64
import hashlib
import re
import secrets
from typing import Any
from urllib.parse import unquote, urlencode, urlsplit, urlunsplit

from ._errors import OAuthError, Problem
from ._http import Handler, RequestContext, Response, json_response
from ._models import ENVIRONMENTS, AuthCode, OidcClient
from ._pages import AUTHORIZE_PARAMS, error_page, sign_in_page
from ._sessions import bearer_token, create_session, mint_access_token, revoke
from ._tokens import ID_TOKEN_TYP, encode_jwt, iso, pkce_s256, random_token

PKCE_VALUE = re.compile(r"^[A-Za-z0-9._~-]{43,128}$")
ID_TOKEN_TTL = 600
NO_STORE = {"Cache-Control": "no-store", "Pragma": "no-cache"}


def discovery(ctx: RequestContext) -> Response:
    """GET /.well-known/openid-configuration."""
    base = ctx.auth_url
    return json_response(
        200,
        {
            "issuer": base,
            "authorization_endpoint": f"{base}/connect/authorize",
            "token_endpoint": f"{base}/connect/token",
            "userinfo_endpoint": f"{base}/connect/userinfo",
            "jwks_uri": f"{base}/.well-known/jwks.json",
            "response_types_supported": ["code"],
            "response_modes_supported": ["query"],
            "grant_types_supported": ["authorization_code", "client_credentials"],
            "subject_types_supported": ["public"],
            "id_token_signing_alg_values_supported": ["RS256"],
            "token_endpoint_auth_methods_supported": [
                "none",
                "client_secret_post",
                "client_secret_basic",
            ],
            "code_challenge_methods_supported": ["S256"],
            "scopes_supported": ["openid", "email", "profile"],
            "claims_supported": [
                "sub",
                "iss",
                "aud",
                "exp",
                "iat",
                "auth_time",
                "nonce",
                "sid",
                "amr",
                "email",
                "email_verified",
                "name",
            ],
            "authorization_response_iss_parameter_supported": True,
        },
        {"Cache-Control": "public, max-age=300"},
    )


def jwks(ctx: RequestContext) -> Response:
    """GET /.well-known/jwks.json: every published signing key."""
    keys = [key.public_jwk() for key in ctx.state.keys]
    return json_response(200, {"keys": keys}, {"Cache-Control": "public, max-age=300"})


def _redirect(redirect_uri: str, params: dict[str, str]) -> Response:
    parts = urlsplit(redirect_uri)
    extra = urlencode(params)
    query = f"{parts.query}&{extra}" if parts.query else extra
    location = urlunsplit((parts.scheme, parts.netloc, parts.path, query, parts.fragment))
    return Response(302, b"", None, {"Location": location, "Referrer-Policy": "no-referrer"})


def _authorize_request(
    ctx: RequestContext, raw: dict[str, list[str]]
) -> tuple[OidcClient, dict[str, str]] | Response:
    """Validate an authorization request; return the client and params, or an error answer."""
    if any(len(values) > 1 for values in raw.values()):
        return error_page(400, "A parameter was repeated in the authorization request.")
    params = {name: values[0] for name, values in raw.items()}
    client = ctx.state.oidc_clients.get(params.get("client_id", ""))
    if client is None:
        return error_page(400, "Unknown client_id.")
    redirect_uri = params.get("redirect_uri", "")
    if redirect_uri not in client.redirect_uris:
        return error_page(400, "The redirect_uri is not registered for this client.")

    def back(error: str, description: str) -> Response:
        answer = {"error": error, "error_description": description, "iss": ctx.auth_url}
        if "state" in params:
            answer["state"] = params["state"]
        return _redirect(redirect_uri, answer)

    if params.get("response_type") != "code":
        return back("unsupported_response_type", "Only response_type=code is supported.")
    if "openid" not in params.get("scope", "").split():
        return back("invalid_scope", "The scope must include openid.")
    if params.get("code_challenge_method") != "S256":
        return back("invalid_request", "PKCE with code_challenge_method=S256 is required.")
    if not re.fullmatch(r"[A-Za-z0-9_-]{43}", params.get("code_challenge", "")):
        return back("invalid_request", "A valid S256 code_challenge is required.")
    return client, params


def authorize_get(ctx: RequestContext) -> Response:
    """GET /connect/authorize: validate the request and show the hosted sign-in page."""
    checked = _authorize_request(ctx, ctx.query)
    if isinstance(checked, Response):
        return checked
    return sign_in_page(checked[1])


def authorize_post(ctx: RequestContext) -> Response:
    """POST /connect/authorize: check the credentials, then redirect back with a code."""
    state = ctx.state
    form = ctx.form()
    if form is None:
        return error_page(400, "The sign-in form must be form-encoded.")
    credentials = {name: form.pop(name, [""])[0] for name in ("login", "password", "mfa_code")}
    checked = _authorize_request(ctx, {k: v for k, v in form.items() if k in AUTHORIZE_PARAMS})
    if isinstance(checked, Response):
        return checked
    client, params = checked
    login, password = credentials["login"].strip(), credentials["password"]
    user = (state.user_by_email(login) or state.user_by_username(login)) if login else None
    if (
        user is None
        or user.disabled
        or user.password is None
        or not secrets.compare_digest(password.encode(), user.password.encode())
    ):
        return sign_in_page(params, error="The login or password is incorrect.", login=login)
    amr = ["pwd"]
    if user.mfa_code is not None:
        code = credentials["mfa_code"].strip()
        if not code:
            return sign_in_page(params, error="Enter your one-time code.", login=login)
        if not secrets.compare_digest(code.encode(), user.mfa_code.encode()):
            return sign_in_page(params, error="The one-time code is incorrect.", login=login)
        amr = ["pwd", "mfa", "otp"]
    now = state.now()
    user.last_login_at = now
    code_value = random_token()
    state.auth_codes[code_value] = AuthCode(
        code=code_value,
        client_id=client.client_id,
        redirect_uri=params["redirect_uri"],
        user_id=user.id,
        scope=params["scope"],
        nonce=params.get("nonce"),
        code_challenge=params["code_challenge"],
        expires_at=now + state.auth_code_ttl,
        amr=amr,
    )
    answer = {"code": code_value, "iss": ctx.auth_url}
    if "state" in params:
        answer["state"] = params["state"]
    return _redirect(params["redirect_uri"], answer)


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
            "id_token": _id_token(ctx, session.id, user.id, grant, access),
            "token_type": "Bearer",
            "expires_in": lifetime,
            "scope": grant.scope,
        },
        NO_STORE,
    )


def _id_token(ctx: RequestContext, sid: str, user_id: str, grant: AuthCode, access: str) -> str:
    state = ctx.state
    user = state.users[user_id]
    now = int(state.now())
    digest = hashlib.sha256(access.encode("ascii")).digest()
    claims: dict[str, Any] = {
        "iss": ctx.auth_url,
        "sub": user.id,
        "aud": grant.client_id,
        "iat": now,
        "exp": now + ID_TOKEN_TTL,
        "auth_time": int(user.last_login_at or now),
        "sid": sid,
        "amr": grant.amr,
        "at_hash": base64.urlsafe_b64encode(digest[:16]).rstrip(b"=").decode("ascii"),
        "email": user.email,
        "email_verified": user.email_verified,
        "name": user.display_name or user.email,
    }
    if grant.nonce is not None:
        claims["nonce"] = grant.nonce
    return encode_jwt(claims, state.signing_key, typ=ID_TOKEN_TYP)


def userinfo(ctx: RequestContext) -> Response:
    """GET or POST /connect/userinfo with an OIDC access token."""
    state = ctx.state
    challenge = {"WWW-Authenticate": 'Bearer error="invalid_token"'}
    access = bearer_token(ctx.headers.get("Authorization"))
    if access is None:
        raise OAuthError(401, "invalid_token", "A bearer token is required.", headers=challenge)
    try:
        session = ctx.session()
    except Problem:
        raise OAuthError(
            401, "invalid_token", "The token is not valid.", headers=challenge
        ) from None
    user = state.users.get(session.subject)
    if session.kind != "oidc" or user is None:
        raise OAuthError(401, "invalid_token", "Use an OIDC access token.", headers=challenge)
    if "openid" not in session.scope.split():
        raise OAuthError(403, "insufficient_scope", "The token lacks the openid scope.")
    body = {
        "sub": user.id,
        "email": user.email,
        "email_verified": user.email_verified,
        "name": user.display_name or user.email,
        "preferred_username": user.username,
    }
    return json_response(200, body)


ROUTES: dict[str, dict[str, Handler]] = {
    "/.well-known/openid-configuration": {"GET": discovery},
    "/.well-known/jwks.json": {"GET": jwks},
    "/connect/authorize": {"GET": authorize_get, "POST": authorize_post},
    "/connect/token": {"POST": token},
    "/connect/userinfo": {"GET": userinfo, "POST": userinfo},
}
