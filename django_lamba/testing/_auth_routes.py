"""Auth-host routes: register, password login, refresh, logout, switch; the auth route table."""

from __future__ import annotations

from ._directory import EMAIL, USERNAME
from ._errors import Problem, authorization_denied, validation_failed
from ._fields import REQUIRED, same, text_field
from ._http import Handler, RequestContext, Response, json_response, plan_limit_response
from ._models import ENVIRONMENTS
from ._passwordless_routes import (
    magic_link_request,
    magic_link_verify,
    phone_request,
    phone_verify,
)
from ._session_records import Session
from ._sessions import (
    bearer_token,
    create_session,
    login,
    refresh,
    revoke,
    session_id_for,
    token_shape,
    unauthorized,
)
from ._state import DEFAULT_PROJECT_ID

MIN_PASSWORD_LENGTH = 8


def register(ctx: RequestContext) -> Response:
    """POST /v1/auth/register: create an identity and sign it in."""
    state = ctx.state
    data = ctx.json()
    errors: dict[str, list[str]] = {}
    email = text_field(data, "email", errors)
    password = text_field(data, "password", errors)
    username = text_field(data, "username", errors, required=False)
    display_name = text_field(data, "displayName", errors, required=False)
    if email is not None and not EMAIL.match(email):
        errors.setdefault("email", []).append("Enter a valid email address.")
    if password is not None and len(password) < MIN_PASSWORD_LENGTH:
        errors.setdefault("password", []).append(
            f"The password must be at least {MIN_PASSWORD_LENGTH} characters long."
        )
    if username is not None and not USERNAME.match(username):
        errors.setdefault("username", []).append(
            "Use 3 to 32 letters, digits, dots, dashes or underscores."
        )
    if errors or email is None or password is None:
        raise validation_failed(errors)
    # A 409 names the taken identifier in ``errors`` (the contract's field errors), so the
    # product can say which one to change.
    taken: dict[str, list[str]] = {}
    if state.user_by_email(email) is not None:
        taken["email"] = ["An identity with this email exists."]
    if username is not None and state.user_by_username(username) is not None:
        taken["username"] = ["An identity with this username exists."]
    if taken:
        raise Problem(
            409, "identity_already_exists", "An identity with these details exists.", errors=taken
        )
    user = state.create_user(
        email, password, username=username, display_name=display_name, email_verified=False
    )
    if DEFAULT_PROJECT_ID in state.projects:
        state.grant(user, DEFAULT_PROJECT_ID)
    return json_response(201, login(state, user, amr=["pwd"]))


def login_password(ctx: RequestContext) -> Response:
    """POST /v1/auth/login/password: sign in with email or username, password and MFA."""
    state = ctx.state
    data = ctx.json()
    errors: dict[str, list[str]] = {}
    login_id = text_field(data, "login", errors)
    password = text_field(data, "password", errors)
    mfa_code = text_field(data, "mfaCode", errors, required=False)
    if errors or login_id is None or password is None:
        raise validation_failed(errors)
    user = state.user_by_email(login_id) or state.user_by_username(login_id)
    if user is None or user.disabled or user.password is None or not same(password, user.password):
        raise Problem(401, "invalid_credentials", "The login or password is incorrect.")
    if user.mfa_code is None:
        return json_response(200, login(state, user, amr=["pwd"]))
    if mfa_code is None:
        raise Problem(
            401,
            "mfa_required",
            "A second factor is required to complete sign-in.",
            extra={"availableFactors": ["totp"]},
        )
    if not same(mfa_code, user.mfa_code):
        raise Problem(401, "invalid_mfa_code", "The one-time code is incorrect.")
    tokens = login(state, user, amr=["pwd", "mfa", "otp"], mfa_satisfied=True)
    return json_response(200, tokens)


def refresh_route(ctx: RequestContext) -> Response:
    """POST /v1/auth/refresh: rotate the refresh token."""
    errors: dict[str, list[str]] = {}
    token = text_field(ctx.json(), "refresh_token", errors)
    if errors or token is None:
        raise validation_failed(errors)
    return json_response(200, refresh(ctx.state, token))


def logout(ctx: RequestContext) -> Response:
    """POST /v1/auth/logout: revoke the session named by the access and/or refresh token."""
    state = ctx.state
    errors: dict[str, list[str]] = {}
    refresh_token = text_field(ctx.json(optional=True), "refresh_token", errors, required=False)
    if errors:
        raise validation_failed(errors)
    found: list[Session] = []
    access = bearer_token(ctx.headers.get("Authorization"))
    for session_id in (
        session_id_for(state, access) if access else None,
        state.refresh_index.get(refresh_token) if refresh_token else None,
    ):
        session = state.sessions.get(session_id or "")
        if session is not None and session.kind in ("customer", "oidc"):
            found.append(session)
    if not found:
        raise unauthorized("invalid_token", "No valid access or refresh token was presented.")
    for session in found:
        revoke(state, session, "logout")
    return Response(204)


def switch_context(ctx: RequestContext) -> Response:
    """POST /v1/sessions/switch-context: trade a session for one scoped to a Project."""
    state = ctx.state
    session = ctx.session()
    if session.kind == "management":
        raise authorization_denied("Management tokens cannot enter a customer context.")
    data = ctx.json()
    missing = [
        name
        for name in ("workspaceId", "projectId", "environment")
        if not isinstance(data.get(name), str) or not data.get(name)
    ]
    if missing:
        raise Problem(
            400,
            "customer_auth_context_binding_required",
            "workspaceId, projectId and environment are all required.",
            errors={name: [REQUIRED] for name in missing},
        )
    workspace_id, project_id = str(data["workspaceId"]), str(data["projectId"])
    environment = str(data["environment"])
    if environment not in ENVIRONMENTS:
        raise validation_failed({"environment": ["Use 'test' or 'prod'."]})
    user = state.users.get(session.subject)
    if user is None or user.disabled:
        raise unauthorized("session_revoked", "The session has been revoked.")
    if (
        state.check_scope(workspace_id, project_id, environment) is None
        or state.membership(user.id, project_id) is None
    ):
        raise authorization_denied("You are not a member of that Workspace and Project.")
    plan_limit = state.plan_limits.get(project_id)
    if plan_limit is not None:
        # Entering the Project would count a monthly active user the plan has no room for.
        return plan_limit_response(plan_limit)
    scoped = create_session(
        state,
        user.id,
        amr=session.amr,
        mfa_satisfied=session.mfa_satisfied,
        workspace_id=workspace_id,
        project_id=project_id,
        environment=environment,
    )
    revoke(state, session, "context_switched")
    return json_response(200, token_shape(state, scoped))


ROUTES: dict[str, dict[str, Handler]] = {
    "/v1/auth/register": {"POST": register},
    "/v1/auth/login/password": {"POST": login_password},
    "/v1/auth/login/magic-link/request": {"POST": magic_link_request},
    "/v1/auth/login/magic-link/verify": {"POST": magic_link_verify},
    "/v1/auth/login/phone/request": {"POST": phone_request},
    "/v1/auth/login/phone/verify": {"POST": phone_verify},
    "/v1/auth/refresh": {"POST": refresh_route},
    "/v1/auth/logout": {"POST": logout},
    "/v1/sessions/switch-context": {"POST": switch_context},
}
