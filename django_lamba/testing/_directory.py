"""The emulator's directory: create and look up Workspaces, Projects, users, memberships."""

from __future__ import annotations

import re
import threading
from collections.abc import Iterable
from typing import TYPE_CHECKING

from ._models import ENVIRONMENTS, EmulatedUser, Membership, Project, Workspace
from ._tokens import random_id

E164 = re.compile(r"^\+[1-9]\d{6,14}$")
EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
USERNAME = re.compile(r"^[A-Za-z0-9_.-]{3,32}$")


def _merge(existing: list[str], extra: Iterable[str]) -> list[str]:
    merged = list(existing)
    for item in extra:
        if item not in merged:
            merged.append(item)
    return merged


class EmulatorDirectory:
    """Directory operations of ``EmulatorState`` (a mixin over its containers and lock)."""

    lock: threading.RLock
    workspaces: dict[str, Workspace]
    projects: dict[str, Project]
    users: dict[str, EmulatedUser]
    memberships: dict[tuple[str, str], Membership]

    if TYPE_CHECKING:

        def now(self) -> float: ...

    def add_workspace(self, workspace_id: str, name: str) -> Workspace:
        """Create or rename a Workspace."""
        with self.lock:
            workspace = Workspace(workspace_id, name)
            self.workspaces[workspace_id] = workspace
            return workspace

    def add_project(self, workspace_id: str, project_id: str, name: str) -> Project:
        """Create or rename a Project in an existing Workspace."""
        with self.lock:
            if workspace_id not in self.workspaces:
                raise ValueError(f"Unknown workspace {workspace_id!r}.")
            project = Project(project_id, workspace_id, name)
            self.projects[project_id] = project
            return project

    def user_by_email(self, email: str) -> EmulatedUser | None:
        """Return the user with this email (case-insensitive), if any."""
        wanted = email.strip().casefold()
        return next((u for u in self.users.values() if u.email.casefold() == wanted), None)

    def user_by_username(self, username: str) -> EmulatedUser | None:
        """Return the user with this username (case-insensitive), if any."""
        wanted = username.strip().casefold()
        return next(
            (u for u in self.users.values() if u.username and u.username.casefold() == wanted),
            None,
        )

    def user_by_phone(self, phone: str) -> EmulatedUser | None:
        """Return the user with this phone number, if any."""
        return next((u for u in self.users.values() if u.phone == phone), None)

    def require_user(self, email: str) -> EmulatedUser:
        """Return the user with this email or raise ``LookupError``."""
        user = self.user_by_email(email)
        if user is None:
            raise LookupError(f"No emulated user with email {email!r}.")
        return user

    def create_user(
        self,
        email: str,
        password: str | None,
        *,
        username: str | None = None,
        display_name: str | None = None,
        phone: str | None = None,
        mfa_code: str | None = None,
        disabled: bool = False,
        email_verified: bool = True,
    ) -> EmulatedUser:
        """Create a user, refusing duplicates and malformed values with ``ValueError``."""
        with self.lock:
            if not EMAIL.match(email):
                raise ValueError(f"{email!r} is not an email address.")
            if self.user_by_email(email) is not None:
                raise ValueError(f"A user with email {email!r} already exists.")
            if username is not None and self.user_by_username(username) is not None:
                raise ValueError(f"A user with username {username!r} already exists.")
            if phone is not None and not E164.match(phone):
                raise ValueError(f"{phone!r} is not an E.164 phone number.")
            user = EmulatedUser(
                id=random_id("usr"),
                email=email.strip(),
                password=password,
                username=username,
                display_name=display_name,
                phone=phone,
                mfa_code=mfa_code,
                disabled=disabled,
                email_verified=email_verified,
                phone_verified=phone is not None,
                created_at=self.now(),
            )
            self.users[user.id] = user
            return user

    def grant(
        self,
        user: EmulatedUser,
        project_id: str,
        *,
        roles: Iterable[str] = (),
        permissions: Iterable[str] = (),
        is_project_admin: bool | None = None,
    ) -> Membership:
        """Add a membership of ``project_id`` (or extend one) with roles and permissions."""
        with self.lock:
            if project_id not in self.projects:
                raise ValueError(f"Unknown project {project_id!r}.")
            key = (user.id, project_id)
            membership = self.memberships.get(key)
            if membership is None:
                membership = Membership(user.id, project_id, joined_at=self.now())
                self.memberships[key] = membership
            membership.roles = _merge(membership.roles, roles)
            membership.permissions = _merge(membership.permissions, permissions)
            if is_project_admin is not None:
                membership.is_project_admin = is_project_admin
            return membership

    def membership(self, user_id: str, project_id: str | None) -> Membership | None:
        """Return the user's membership of ``project_id``, if any."""
        if project_id is None:
            return None
        return self.memberships.get((user_id, project_id))

    def memberships_of(self, user_id: str) -> list[Membership]:
        """Return all of a user's memberships."""
        return [m for (uid, _), m in self.memberships.items() if uid == user_id]

    def members_of(self, project_id: str) -> list[Membership]:
        """Return the memberships of a Project ordered by the member's email."""
        found = [m for (_, pid), m in self.memberships.items() if pid == project_id]
        return sorted(found, key=lambda m: self.users[m.user_id].email.casefold())

    def check_scope(self, workspace_id: str, project_id: str, environment: str) -> Project | None:
        """Return the Project if the triple names a real scope, else None."""
        project = self.projects.get(project_id)
        if project is None or project.workspace_id != workspace_id:
            return None
        return project if environment in ENVIRONMENTS else None
