"""Shared pieces of the authorization tests: base URLs, people in the emulator, signed-in clients.

Each ``tests/test_<surface>.py`` adds its own views to ``urlpatterns`` and marks itself with
``pytest.mark.urls(__name__)``.
"""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, JsonResponse
from django.test import AsyncClient, Client
from django.urls import include, path

from django_lamba._internal.perms import safe_authorization
from django_lamba.conf import lamba_settings
from django_lamba.testing import EmulatedUser, LambaEmulator

VIEWER = "viewer@example.com"
ADMIN = "admin@example.com"
PASSWORD = "correct-horse-battery"
JSON = "application/json"


def whoami(request: HttpRequest) -> JsonResponse:
    """Describe ``request.user``: who, where, and what Lamba grants them."""
    user: Any = request.user
    if not user.is_authenticated:
        return JsonResponse({"email": None})
    context = getattr(user, "context", None)
    project = context.active_project if context else None
    authz = safe_authorization(user)
    return JsonResponse(
        {
            "email": user.email,
            "project": project.id if project else None,
            "roles": sorted(authz.role_keys) if authz else [],
            "permissions": sorted(authz.effective_permissions) if authz else [],
            "isProjectAdmin": bool(authz and authz.is_project_admin),
        }
    )


urlpatterns = [
    path("auth/", include("django_lamba.urls")),
    path("whoami/", whoami, name="authz_whoami"),
]


def add_viewer(emu: LambaEmulator) -> EmulatedUser:
    """A signed-up customer with the ``viewer`` role and no permissions."""
    return emu.add_user(VIEWER, PASSWORD, roles=["viewer"])


def add_admin(emu: LambaEmulator) -> EmulatedUser:
    """A Project admin and ``owner`` who can read and invite members."""
    return emu.add_user(
        ADMIN,
        PASSWORD,
        roles=["owner"],
        permissions=["members.read", "members.invite"],
        is_project_admin=True,
    )


def set_session(client: Client | AsyncClient, tokens: dict[str, Any]) -> None:
    """Give a test client the two Lamba cookies for a token set."""
    client.cookies[lamba_settings.SESSION_COOKIE] = tokens["access_token"]
    client.cookies[lamba_settings.REFRESH_COOKIE] = tokens["refresh_token"]


def session_for(emu: LambaEmulator, email: str, **kwargs: Any) -> dict[str, Any]:
    """Issue a session scoped to the emulator's default Workspace and Project."""
    return emu.issue_session(
        email, workspace_id=emu.workspace_id, project_id=emu.project_id, **kwargs
    )


def client_for(emu: LambaEmulator, email: str, **kwargs: Any) -> Client:
    """Return a test ``Client`` signed in as ``email`` (scoped to the default Project)."""
    client = Client(**kwargs)
    set_session(client, session_for(emu, email))
    return client


def async_client_for(emu: LambaEmulator, email: str) -> AsyncClient:
    """Return an ``AsyncClient`` signed in as ``email``."""
    client = AsyncClient()
    set_session(client, session_for(emu, email))
    return client


def lamba_is_down(emu: LambaEmulator, settings: Any, path: str = "/v1/me/authorization") -> None:
    """Make ``path`` answer 503 from now on, with no retries and short timeouts."""
    settings.LAMBA_MAX_RETRIES = 0
    settings.LAMBA_READ_TIMEOUT = 0.5
    emu.inject_fault(path, status=503, times=None, retry_after=7)
