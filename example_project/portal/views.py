"""The example site's pages: what a Django project built on django_lamba looks like."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.generic import TemplateView

from django_lamba.client import get_client
from django_lamba.conf import lamba_settings
from django_lamba.decorators import lamba_login_required, lamba_permission_required
from django_lamba.exceptions import LambaBadRequest, LambaError, LambaForbidden, LambaUnavailable
from django_lamba.forms import method_names
from django_lamba.mixins import LambaProjectAdminRequiredMixin

from .demo import DEMO_ACCOUNTS
from .invitations import pending_invitations


@dataclass(frozen=True)
class Scope:
    """A Workspace/Project the signed-in customer can switch into."""

    workspace_id: str
    workspace_name: str
    project_id: str
    project_name: str
    role_keys: tuple[str, ...]
    is_project_admin: bool
    is_active: bool
    #: Whether this site serves the Project (LAMBA_ALLOWED_PROJECTS): only those can be entered.
    is_served: bool


def access_token(request: HttpRequest) -> str:
    """Return the customer's current access token, for calling Lamba's API on their behalf."""
    return request.lamba.access_token or ""  # type: ignore[attr-defined]


def home(request: HttpRequest) -> HttpResponse:
    """Show what the site is, and how to sign in."""
    return render(request, "portal/home.html")


def sign_in(request: HttpRequest) -> HttpResponse:
    """List every way to sign in: password, email link, text code, Lamba's hosted page."""
    return render(request, "portal/sign_in.html", {"oidc_enabled": _oidc_enabled()})


def _oidc_enabled() -> bool:
    return bool(lamba_settings.CLIENT_ID)


@lamba_login_required
def dashboard(request: HttpRequest) -> HttpResponse:
    """Show the customer's whole context: profile, scope, roles, permissions and session."""
    user: Any = request.user
    authorization, authorization_error = None, ""
    try:
        authorization = user.authorization
    except LambaError:
        # The page still works during an outage; only the permission list is missing.
        authorization_error = "Lamba could not be reached for your permissions just now."
    scopes, scopes_error = _switchable_scopes(request)
    context = {
        "lamba": user.context,
        "authorization": authorization,
        "authorization_error": authorization_error,
        "permissions": sorted(authorization.effective_permissions) if authorization else [],
        "scopes": scopes,
        "scopes_error": scopes_error,
        # "Password, Authenticator app" rather than Lamba's amr values ("pwd", "otp").
        "sign_in_methods": method_names(user.context.session.amr),
        "phone_number": masked_phone(user.email),
        # Switch within the environment this site runs in: test and prod are separate worlds.
        "environment": user.context.environment or lamba_settings.ENV,
    }
    return render(request, "portal/dashboard.html", context)


def masked_phone(email: str) -> str:
    """Return the customer's phone number with all but its last two digits hidden, or "".

    ``/v1/me/context`` says only whether a phone is verified, not which: the demo knows the
    numbers it seeded into its emulator; a real site would keep the number it collected.
    """
    for account in DEMO_ACCOUNTS:
        if account.email == email and account.phone:
            return "•" * (len(account.phone) - 2) + account.phone[-2:]
    return ""


def _switchable_scopes(request: HttpRequest) -> tuple[list[Scope], str]:
    try:
        page = get_client().list_page("/v1/me/memberships", access_token(request), limit=50)
    except LambaError:
        return [], "Your other Projects could not be loaded just now."
    allowed = set(lamba_settings.ALLOWED_PROJECTS)
    scopes = []
    for item in page.items:
        workspace, project = item.get("workspace") or {}, item.get("project") or {}
        if not workspace.get("id") or not project.get("id"):
            continue
        scopes.append(
            Scope(
                workspace_id=str(workspace["id"]),
                workspace_name=str(workspace.get("name") or workspace["id"]),
                project_id=str(project["id"]),
                project_name=str(project.get("name") or project["id"]),
                role_keys=tuple(str(r) for r in item.get("roleKeys") or ()),
                is_project_admin=bool(item.get("isProjectAdmin")),
                is_active=bool(item.get("isActive")),
                is_served=(str(workspace["id"]), str(project["id"])) in allowed,
            )
        )
    return scopes, ""


@lamba_permission_required("members.read")
def members(request: HttpRequest) -> HttpResponse:
    """List the Project's members from ``/v1/admin/members``, one cursor page at a time."""
    cursor = request.GET.get("cursor") or None
    page_size = settings.MEMBERS_PAGE_SIZE
    context: dict[str, Any] = {
        "cursor": cursor,
        "members": [],
        "next_cursor": None,
        "page_size": page_size,
    }
    status = 200
    try:
        page = get_client().list_page(
            "/v1/admin/members",
            access_token(request),
            limit=page_size,
            cursor=cursor,
        )
    except LambaForbidden:
        # The permission was taken away since the session's authorization was cached.
        message = "Your role in this Project no longer lets you see its members."
        return render(request, "django_lamba/forbidden.html", {"message": message}, status=403)
    except LambaBadRequest:
        context["error"] = "That page link is no longer valid. Start again from the first page."
        status = 400
    except LambaUnavailable:
        context["error"] = "Lamba could not be reached. Please try again in a moment."
        status = 503
    except LambaError:
        context["error"] = "Lamba could not list the members just now."
        status = 502
    else:
        context.update(members=page.items, next_cursor=page.next_cursor)
    # Administrators also see the pending invitations, read with the admin API.
    context["invitations"], context["invitations_error"] = pending_invitations(request)
    return render(request, "portal/members.html", context, status=status)


class ProjectAdminView(LambaProjectAdminRequiredMixin, TemplateView):
    """A page only the Project's admins can open: where each permission comes from.

    A class-based view with a mixin; ``@lamba_project_admin_required`` does the same for
    function views.
    """

    template_name = "portal/project_admin.html"
    permission_denied_message = "Only administrators of this Project can open this page."

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        user: Any = self.request.user
        authorization = user.authorization
        return super().get_context_data(
            lamba=user.context,
            authorization=authorization,
            sources=sorted(authorization.permission_sources.items()),
            **kwargs,
        )


project_admin = ProjectAdminView.as_view()
