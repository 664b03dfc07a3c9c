"""Session lifecycle: create, mint access tokens, rotate refresh tokens, verify, revoke."""

from __future__ import annotations

from typing import Any

from ._errors import Problem
from ._models import EmulatedUser
from ._session_records import OpaqueGrant, Session, SessionKind
from ._state import EmulatorState
from ._tokens import (
    ACCESS_TOKEN_TYP,
    TokenError,
    decode_jwt,
    encode_jwt,
    iso,
    random_id,
    random_token,
)

UNAUTHENTICATED_HEADERS = {"WWW-Authenticate": 'Bearer realm="lamba"'}


def unauthorized(code: str, detail: str) -> Problem:
    """Return a 401 problem with a ``WWW-Authenticate`` challenge."""
    return Problem(401, code, detail, headers=dict(UNAUTHENTICATED_HEADERS))


def create_session(
    state: EmulatorState,
    subject: str,
    *,
    kind: SessionKind = "customer",
    amr: list[str] | None = None,
    mfa_satisfied: bool = False,
    workspace_id: str | None = None,
    project_id: str | None = None,
    environment: str | None = None,
    client_id: str | None = None,
    scope: str = "",
) -> Session:
    """Create and store a new session."""
    with state.lock:
        now = state.now()
        session = Session(
            id=random_id("ses"),
            kind=kind,
            subject=subject,
            created_at=now,
            last_seen_at=now,
            workspace_id=workspace_id,
            project_id=project_id,
            environment=environment,
            amr=list(amr or []),
            mfa_satisfied=mfa_satisfied,
            client_id=client_id,
            scope=scope,
        )
        state.sessions[session.id] = session
        return session


def mint_access_token(
    state: EmulatorState, session: Session, ttl: float | None = None
) -> tuple[str, int]:
    """Return a new access token for ``session`` and its lifetime in seconds."""
    with state.lock:
        lifetime = int(state.access_token_ttl if ttl is None else ttl)
        now = int(state.now())
        if state.token_format == "opaque":
            token = random_token()
            grant = OpaqueGrant(session.id, now + lifetime, session.project_id)
            state.opaque_access[token] = grant
            return token, lifetime
        claims: dict[str, Any] = {
            "iss": state.issuer,
            "sub": session.subject,
            "sid": session.id,
            "iat": now,
            "exp": now + lifetime,
            "jti": random_token(12),
        }
        if session.client_id is not None:
            claims["client_id"] = session.client_id
        if session.scope:
            claims["scope"] = session.scope
        if session.project_id is not None:
            claims["workspace_id"] = session.workspace_id
            claims["project_id"] = session.project_id
            claims["environment"] = session.environment
        return encode_jwt(claims, state.signing_key, typ=ACCESS_TOKEN_TYP), lifetime


def token_shape(
    state: EmulatorState, session: Session, ttl: float | None = None
) -> dict[str, Any]:
    """Rotate the session's refresh token, mint an access token, return the token shape."""
    with state.lock:
        refresh = random_token()
        session.refresh_token = refresh
        session.refresh_expires_at = state.now() + state.refresh_token_ttl
        state.refresh_index[refresh] = session.id
        access, lifetime = mint_access_token(state, session, ttl)
        return {
            "access_token": access,
            "refresh_token": refresh,
            "refresh_token_expires_at": iso(session.refresh_expires_at),
            "token_type": "Bearer",
            "expires_in": lifetime,
        }


def login(
    state: EmulatorState, user: EmulatedUser, *, amr: list[str], mfa_satisfied: bool = False
) -> dict[str, Any]:
    """Start an unscoped customer session for ``user`` and return its token shape."""
    with state.lock:
        user.last_login_at = state.now()
        session = create_session(state, user.id, amr=amr, mfa_satisfied=mfa_satisfied)
        return token_shape(state, session)


def revoke(state: EmulatorState, session: Session, reason: str) -> None:
    """End ``session`` (idempotent); its access and refresh tokens stop working."""
    with state.lock:
        if session.revoked_reason is None:
            session.revoked_reason = reason
            state.revocations.append((session.id, reason))


def revoke_scope(state: EmulatorState, session: Session) -> None:
    """Drop ``session``'s Project scope; the global identity session and its refresh live on.

    Access tokens minted for the scope stop working (they name a Project the session no longer
    has); a refresh answers unscoped tokens, and only an explicit switch-context re-enters.
    """
    with state.lock:
        session.workspace_id = session.project_id = session.environment = None
        state.revocations.append((session.id, "scope_revoked"))


def refresh(state: EmulatorState, refresh_token: str) -> dict[str, Any]:
    """Rotate ``refresh_token``; a reused one revokes the whole session."""
    with state.lock:
        session = state.sessions.get(state.refresh_index.get(refresh_token, ""))
        if session is None or session.kind != "customer":
            raise unauthorized("invalid_grant", "The refresh token is not valid.")
        if session.revoked:
            raise unauthorized("session_revoked", "The session has been revoked.")
        if refresh_token != session.refresh_token:
            revoke(state, session, "refresh_token_reused")
            raise unauthorized(
                "refresh_token_reused",
                "The refresh token was already used; the session has been revoked.",
            )
        if session.refresh_expires_at is None or session.refresh_expires_at <= state.now():
            raise unauthorized("token_expired", "The refresh token has expired.")
        user = state.users.get(session.subject)
        if user is None or user.disabled:
            revoke(state, session, "user_disabled")
            raise unauthorized("session_revoked", "The session has been revoked.")
        return token_shape(state, session)


def _access_claims(state: EmulatorState, token: str, *, verify_exp: bool) -> dict[str, Any]:
    """Verify an access-token JWT against the emulator's keys and return its claims."""
    return decode_jwt(
        token,
        state.keys_by_kid(),
        issuer=state.issuer,
        typ=ACCESS_TOKEN_TYP,
        now=state.now(),
        verify_exp=verify_exp,
    )


def session_for_access_token(
    state: EmulatorState, token: str, *, allow_expired: bool = False
) -> Session:
    """Return the live session an access token belongs to, or raise a 401 problem."""
    with state.lock:
        if state.token_format == "opaque":
            grant = state.opaque_access.get(token)
            if grant is None:
                raise unauthorized("invalid_token", "The bearer token is not valid.")
            if not allow_expired and grant.expires_at <= state.now():
                raise unauthorized("token_expired", "The access token has expired.")
            session_id, project_id = grant.session_id, grant.project_id
        else:
            try:
                claims = _access_claims(state, token, verify_exp=not allow_expired)
            except TokenError as exc:
                raise unauthorized(exc.code, exc.detail) from None
            session_id = str(claims.get("sid", ""))
            project_id = claims.get("project_id")
        session = state.sessions.get(session_id)
        if session is None:
            raise unauthorized("invalid_token", "The bearer token is not valid.")
        if session.revoked:
            raise unauthorized("session_revoked", "The session has been revoked.")
        # A session's scope only ever goes away (switch-context makes a new session), so a
        # token naming another Project than its session carries a revoked scope.
        if project_id != session.project_id:
            raise unauthorized("session_revoked", "The Project scope of this token was revoked.")
        return session


def session_id_for(state: EmulatorState, token: str) -> str | None:
    """Return the session id an access token names (even if expired or revoked), if genuine."""
    with state.lock:
        if state.token_format == "opaque":
            grant = state.opaque_access.get(token)
            return grant.session_id if grant else None
        try:
            claims = _access_claims(state, token, verify_exp=False)
        except TokenError:
            return None
        sid = claims.get("sid")
        return str(sid) if sid else None


def authenticate(state: EmulatorState, authorization: str | None) -> Session:
    """Return the live session behind an ``Authorization: Bearer`` header, or raise 401."""
    token = bearer_token(authorization)
    if token is None:
        raise unauthorized("authentication_required", "A bearer access token is required.")
    return session_for_access_token(state, token)


def bearer_token(authorization: str | None) -> str | None:
    """Return the token in an ``Authorization: Bearer`` header value, if well-formed."""
    if not authorization:
        return None
    scheme, _, token = authorization.strip().partition(" ")
    token = token.strip()
    if scheme.lower() != "bearer" or not token or " " in token:
        return None
    return token
