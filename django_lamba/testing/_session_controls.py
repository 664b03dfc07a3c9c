"""The emulator's session controls: sign users in, revoke sessions and scopes, rotate keys."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ._sessions import create_session, revoke, revoke_scope, session_id_for, token_shape
from ._state import EmulatorState
from ._tokens import new_signing_key


class EmulatorSessionControls:
    """Issue and end sessions, manage signing keys (mixed into ``LambaEmulator``)."""

    _state: EmulatorState
    project_id: str
    environment: str

    if TYPE_CHECKING:

        def _send_lamba_events(self, *, background: bool) -> None: ...

    def issue_session(
        self,
        email: str,
        *,
        workspace_id: str | None = None,
        project_id: str | None = None,
        environment: str | None = None,
        access_token_ttl: float | None = None,
    ) -> dict[str, Any]:
        """Sign a user in directly and return the token shape (scoped if any scope is given)."""
        state = self._state
        with state.lock:
            user = state.require_user(email)
            if user.disabled:
                raise ValueError(f"{email!r} is disabled.")
            ws: str | None = None
            env: str | None = None
            project_key: str | None = None
            if workspace_id is not None or project_id is not None or environment is not None:
                project = state.projects.get(project_id or self.project_id)
                if project is None:
                    raise ValueError(f"Unknown project {project_id!r}.")
                env = environment or self.environment
                ws = workspace_id or project.workspace_id
                if state.check_scope(ws, project.id, env) is None:
                    raise ValueError(f"({ws!r}, {project.id!r}, {env!r}) is not a valid scope.")
                if state.membership(user.id, project.id) is None:
                    raise ValueError(f"{email!r} is not a member of {project.id!r}.")
                project_key = project.id
            amr = ["pwd", "mfa", "otp"] if user.mfa_code else ["pwd"]
            user.last_login_at = state.now()
            session = create_session(
                state,
                user.id,
                amr=amr,
                mfa_satisfied=user.mfa_code is not None,
                workspace_id=ws,
                project_id=project_key,
                environment=env,
            )
            return token_shape(state, session, access_token_ttl)

    def revoke_session(self, session_id: str) -> None:
        """Revoke a session as Lamba would (e.g. an admin signing the user out)."""
        with self._state.lock:
            session = self._state.sessions.get(session_id)
            if session is None:
                raise LookupError(f"No session {session_id!r}.")
            revoke(self._state, session, "revoked")
        self._send_lamba_events(background=False)

    def revoke_user_sessions(self, email: str) -> list[str]:
        """Revoke every live session of a user (an admin's "sign out everywhere"); return ids."""
        with self._state.lock:
            user = self._state.require_user(email)
            ended = [
                session
                for session in self._state.sessions.values()
                if session.subject == user.id
                and session.kind != "management"
                and not session.revoked
            ]
            for session in ended:
                revoke(self._state, session, "revoked")
        self._send_lamba_events(background=False)
        return [session.id for session in ended]

    def revoke_scope(self, session_id: str) -> None:
        """Revoke a session's Project scope as Lamba does; its global identity stays signed in.

        The scoped access tokens get 401 ``session_revoked`` from then on. The session's refresh
        token still works but answers unscoped tokens (no Workspace, Project or roles), and an
        explicit switch-context with those re-enters the Project while the membership lasts.
        Raises ``LookupError`` for an unknown session, ``ValueError`` for an ended, unscoped or
        management one.
        """
        with self._state.lock:
            session = self._state.sessions.get(session_id)
            if session is None:
                raise LookupError(f"No session {session_id!r}.")
            if session.revoked or session.kind != "customer" or session.project_id is None:
                raise ValueError(f"Session {session_id!r} is not a live Project-scoped session.")
            revoke_scope(self._state, session)

    def session_id_for(self, access_token: str) -> str | None:
        """Return the session id of a genuine access token (expired or revoked ones too)."""
        return session_id_for(self._state, access_token)

    def rotate_signing_key(self, keep_old: bool = True) -> str:
        """Sign with a new key; unless ``keep_old``, unpublish the old ones. Return the new kid."""
        key = new_signing_key()
        with self._state.lock:
            self._state.keys = [*self._state.keys, key] if keep_old else [key]
        return key.kid

    def jwks(self) -> dict[str, Any]:
        """Return the published JWKS document."""
        with self._state.lock:
            return {"keys": [key.public_jwk() for key in self._state.keys]}
