"""``LambaEmulator``: the Lamba auth and API hosts, served on loopback for tests and demos."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable, Sequence
from types import TracebackType
from typing import Any

from . import (
    _admin_catalog_routes,
    _admin_domain_routes,
    _admin_ops_routes,
    _admin_routes,
    _api_routes,
    _auth_routes,
    _oidc,
    _selfservice_routes,
)
from ._admin_controls import EmulatorAdminControls
from ._http import Dispatcher, RouteTable
from ._inspection import EmulatorInspection
from ._models import (
    EmulatedUser,
    HostKind,
    ManagementClient,
    OidcClient,
    OutboxMessage,
)
from ._server import EmulatorHTTPServer
from ._sessions import create_session, revoke, revoke_scope, session_id_for, token_shape
from ._state import (
    DEFAULT_MANAGEMENT_CLIENT_ID,
    DEFAULT_MANAGEMENT_CLIENT_SECRET,
    DEFAULT_PROJECT_ID,
    DEFAULT_WORKSPACE_ID,
    EmulatorState,
    TokenFormat,
)
from ._tokens import new_signing_key
from ._tunables import EmulatorTunables
from ._webhook_controls import EmulatorWebhooks

AUTH_ROUTES: RouteTable = {**_auth_routes.ROUTES, **_oidc.ROUTES}
API_ROUTES: RouteTable = {
    **_api_routes.ROUTES,
    **_selfservice_routes.ROUTES,
    # The admin families (/v1/admin/*): a management token needs the scope, a customer session
    # the matching permission.
    **_admin_routes.ROUTES,
    **_admin_catalog_routes.ROUTES,
    **_admin_ops_routes.ROUTES,
    **_admin_domain_routes.ROUTES,
}


class LambaEmulator(EmulatorTunables, EmulatorInspection, EmulatorWebhooks, EmulatorAdminControls):
    """A strict, thread-safe emulation of Lamba's public auth host and API host.

    Each host is a real ``ThreadingHTTPServer`` on its own loopback port speaking the public
    customer contract (auth, OIDC, ``/v1/me/*``, ``/v1/admin/*``). Tests drive it over
    sockets and steer it with the methods below::

        with LambaEmulator() as emu:
            emu.add_user("ada@example.com", "correct-horse", roles=["member"])
            tokens = emu.issue_session("ada@example.com", project_id=emu.project_id)
            emu.inject_fault("/v1/me/context", status=503)

    ``reset()`` returns it to a fresh state (default Workspace ``ws_demo``, Project
    ``prj_demo``, management client ``mgmt_demo``) without rebinding ports or new keys.
    """

    workspace_id = DEFAULT_WORKSPACE_ID
    project_id = DEFAULT_PROJECT_ID
    environment = "test"
    management_client_id = DEFAULT_MANAGEMENT_CLIENT_ID
    management_client_secret = DEFAULT_MANAGEMENT_CLIENT_SECRET

    def __init__(
        self,
        host: str = "127.0.0.1",
        auth_port: int = 0,
        api_port: int = 0,
        access_token_ttl: float = 300,
        refresh_token_ttl: float = 30 * 86400,
        token_format: TokenFormat = "jwt",
        on_outbox: Callable[[OutboxMessage], None] | None = None,
    ) -> None:
        if token_format not in ("jwt", "opaque"):
            raise ValueError("token_format must be 'jwt' or 'opaque'.")
        self.host = host
        self._ports = (auth_port, api_port)
        self._state = EmulatorState(
            access_token_ttl=access_token_ttl,
            refresh_token_ttl=refresh_token_ttl,
            token_format=token_format,
        )
        self._state.on_outbox = on_outbox
        self._init_webhooks()
        # Sessions ended by an HTTP call send Lamba's events after the answer.
        self._state.after_request = lambda: self._send_lamba_events(background=True)
        self._stopping = threading.Event()
        self._servers: list[EmulatorHTTPServer] = []
        self._threads: list[threading.Thread] = []
        self._urls: tuple[str, str] | None = None
        self._dispatcher = Dispatcher(
            self._state,
            {"auth": AUTH_ROUTES, "api": API_ROUTES},
            self._current_urls,
            self._stopping,
        )

    # --- lifecycle -----------------------------------------------------------------------

    def start(self) -> LambaEmulator:
        """Bind both ports and start serving in daemon threads."""
        if self._servers:
            raise RuntimeError("The emulator is already running.")
        self._stopping.clear()
        kinds: tuple[HostKind, HostKind] = ("auth", "api")
        try:
            for kind, port in zip(kinds, self._ports, strict=True):
                self._servers.append(EmulatorHTTPServer((self.host, port), kind, self._dispatcher))
        except OSError:
            self._close_servers()
            raise
        display_host = f"[{self.host}]" if ":" in self.host else self.host
        auth_port, api_port = (server.server_address[1] for server in self._servers)
        self._urls = (f"http://{display_host}:{auth_port}", f"http://{display_host}:{api_port}")
        with self._state.lock:
            self._state.issuer = self._urls[0]
        for server in self._servers:
            thread = threading.Thread(
                target=server.serve_forever,
                kwargs={"poll_interval": 0.05},
                name=f"lamba-emulator-{server.host_kind}",
                daemon=True,
            )
            thread.start()
            self._threads.append(thread)
        return self

    def stop(self) -> None:
        """Stop serving, drop open connections and release both ports."""
        self._stopping.set()
        for server in self._servers:
            server.shutdown()
        self._close_servers()
        for thread in self._threads:
            thread.join(timeout=5)
        self._threads.clear()

    def _close_servers(self) -> None:
        for server in self._servers:
            server.close_connections()
            server.server_close()
        self._servers.clear()

    def __enter__(self) -> LambaEmulator:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    @property
    def running(self) -> bool:
        """Return whether the servers are up."""
        return bool(self._servers)

    def _current_urls(self) -> tuple[str, str]:
        if self._urls is None:
            raise RuntimeError("The emulator has not been started.")
        return self._urls

    @property
    def auth_url(self) -> str:
        """Return the auth host's base URL (no trailing slash); also the tokens' ``iss``."""
        return self._current_urls()[0]

    @property
    def api_url(self) -> str:
        """Return the API host's base URL (no trailing slash)."""
        return self._current_urls()[1]

    def reset(self) -> None:
        """Forget users, sessions, codes, clients, faults, calls, outbox, webhook endpoint."""
        self._reset_webhooks()
        self._state.clear()

    # --- directory -----------------------------------------------------------------------

    def add_workspace(self, workspace_id: str, name: str | None = None) -> None:
        """Create (or rename) a Workspace; ``name`` defaults to its id."""
        self._state.add_workspace(workspace_id, name or workspace_id)

    def add_project(self, workspace_id: str, project_id: str, name: str | None = None) -> None:
        """Create (or rename) a Project, and its Workspace if missing; names default to ids."""
        with self._state.lock:
            if workspace_id not in self._state.workspaces:
                self._state.add_workspace(workspace_id, workspace_id)
            self._state.add_project(workspace_id, project_id, name or project_id)

    def add_user(
        self,
        email: str,
        password: str | None = None,
        *,
        username: str | None = None,
        display_name: str | None = None,
        phone: str | None = None,
        mfa_code: str | None = None,
        roles: Sequence[str] = (),
        permissions: Sequence[str] = (),
        is_project_admin: bool = False,
        project_id: str | None = None,
        disabled: bool = False,
        email_verified: bool = True,
    ) -> EmulatedUser:
        """Create a user who is a member of ``project_id`` (default: the demo Project)."""
        with self._state.lock:
            user = self._state.create_user(
                email,
                password,
                username=username,
                display_name=display_name,
                phone=phone,
                mfa_code=mfa_code,
                disabled=disabled,
                email_verified=email_verified,
            )
            self._state.grant(
                user,
                project_id or self.project_id,
                roles=roles,
                permissions=permissions,
                is_project_admin=is_project_admin,
            )
            return user

    def get_user(self, email: str) -> EmulatedUser:
        """Return the user with this email or raise ``LookupError``."""
        return self._state.require_user(email)

    def grant(
        self,
        email: str,
        *,
        project_id: str | None = None,
        roles: Iterable[str] = (),
        permissions: Iterable[str] = (),
        is_project_admin: bool | None = None,
    ) -> None:
        """Add a Project membership, or add roles and permissions to an existing one."""
        with self._state.lock:
            user = self._state.require_user(email)
            self._state.grant(
                user,
                project_id or self.project_id,
                roles=roles,
                permissions=permissions,
                is_project_admin=is_project_admin,
            )

    def ungrant(
        self,
        email: str,
        *,
        project_id: str | None = None,
        roles: Iterable[str] = (),
        permissions: Iterable[str] = (),
        membership: bool = False,
    ) -> None:
        """Remove roles and permissions, or (``membership=True``) the whole membership."""
        with self._state.lock:
            user = self._state.require_user(email)
            key = (user.id, project_id or self.project_id)
            if membership:
                self._state.memberships.pop(key, None)
                return
            found = self._state.memberships.get(key)
            if found is not None:
                found.roles = [r for r in found.roles if r not in set(roles)]
                found.permissions = [p for p in found.permissions if p not in set(permissions)]

    def touch_profile(self, email: str, /, **changes: Any) -> None:
        """Change a profile as another device would (Lamba's field names, e.g. ``bio="x"``).

        Unknown fields raise ``ValueError``. Sessions that read the profile before this get a
        409 ``profile_conflict`` on their next ``PATCH /v1/me/profile`` (a stale edit).
        """
        unknown = set(changes) - set(_selfservice_routes.PROFILE_FIELDS)
        if unknown:
            raise ValueError(f"Not profile fields: {', '.join(sorted(unknown))}.")
        with self._state.lock:
            _selfservice_routes.apply_profile(self._state.require_user(email), changes)

    def link_social(self, email: str, *providers: str) -> None:
        """Link social sign-in providers (``"google"``, ``"github"``) to a user."""
        with self._state.lock:
            user = self._state.require_user(email)
            user.social_providers = list(dict.fromkeys([*user.social_providers, *providers]))

    def disable_user(self, email: str) -> None:
        """Disable a user and revoke all their sessions."""
        with self._state.lock:
            user = self._state.require_user(email)
            user.disabled = True
            for session in self._state.sessions.values():
                if session.subject == user.id and session.kind != "management":
                    revoke(self._state, session, "user_disabled")
        self._send_lamba_events(background=False)

    def add_oidc_client(
        self, client_id: str, redirect_uris: Iterable[str], client_secret: str | None = None
    ) -> OidcClient:
        """Register an App Client (public unless ``client_secret`` is given)."""
        client = OidcClient(client_id, list(redirect_uris), client_secret)
        with self._state.lock:
            self._state.oidc_clients[client_id] = client
        return client

    def add_management_client(
        self,
        client_id: str,
        client_secret: str,
        *,
        workspace_id: str | None = None,
        project_id: str | None = None,
        environment: str | None = "test",
        scopes: Iterable[str] | None = None,
    ) -> ManagementClient:
        """Register a Management Client; None scope values leave it unbound.

        ``scopes`` are the admin scopes it was granted (e.g. ``["customer.members.read"]``);
        ``None`` grants them all (``customer.admin``).
        """
        granted = None if scopes is None else tuple(scopes)
        client = ManagementClient(
            client_id, client_secret, workspace_id, project_id, environment, granted
        )
        with self._state.lock:
            self._state.management_clients[client_id] = client
        return client

    # --- sessions and keys ---------------------------------------------------------------

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

    def __repr__(self) -> str:
        where = f"{self._urls[0]} {self._urls[1]}" if self._urls and self._servers else "stopped"
        return f"<LambaEmulator {where} token_format={self.token_format!r}>"
