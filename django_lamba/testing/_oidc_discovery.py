"""Auth-host OIDC documents: discovery, JWKS, userinfo, and the ID tokens clients check."""

from __future__ import annotations

import base64
import hashlib
from typing import Any

from ._errors import OAuthError, Problem
from ._http import RequestContext, Response, json_response
from ._session_records import AuthCode
from ._sessions import bearer_token
from ._tokens import ID_TOKEN_TYP, encode_jwt

ID_TOKEN_TTL = 600


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


def id_token(ctx: RequestContext, sid: str, user_id: str, grant: AuthCode, access: str) -> str:
    """Mint the ID token for a code exchange: signed with the current key, ``at_hash`` bound."""
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
