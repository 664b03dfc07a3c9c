"""The emulator's directory controls: Workspaces, Projects, users, memberships and clients."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Any

from . import _selfservice_routes
from ._models import EmulatedUser, ManagementClient, OidcClient
from ._sessions import revoke
from ._state import EmulatorState


class EmulatorUserControls:
    """Create and change what Lamba's directory holds (mixed into ``LambaEmulator``)."""

    _state: EmulatorState
    project_id: str

    if TYPE_CHECKING:

        def _send_lamba_events(self, *, background: bool) -> None: ...

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
