"""Auth-host OIDC authorize endpoint (hosted sign-in, codes) and the OIDC route table."""

from __future__ import annotations

import re
import secrets
from urllib.parse import urlencode, urlsplit, urlunsplit

from ._http import Handler, RequestContext, Response
from ._models import OidcClient
from ._oidc_discovery import discovery, jwks, userinfo
from ._oidc_token import token
from ._pages import AUTHORIZE_PARAMS, error_page, sign_in_page
from ._session_records import AuthCode
from ._tokens import random_token


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


ROUTES: dict[str, dict[str, Handler]] = {
    "/.well-known/openid-configuration": {"GET": discovery},
    "/.well-known/jwks.json": {"GET": jwks},
    "/connect/authorize": {"GET": authorize_get, "POST": authorize_post},
    "/connect/token": {"POST": token},
    "/connect/userinfo": {"GET": userinfo, "POST": userinfo},
}
