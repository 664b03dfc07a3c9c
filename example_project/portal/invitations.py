"""Invitations on the members page: the admin API, called with the site's management client.

The members list is read with the customer's own session; inviting is done by the server with
``LambaManagementClient`` (``LAMBA_MANAGEMENT_CLIENT_*``), so the view checks that the customer
is an administrator of the Project before acting for them.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import ImproperlyConfigured
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.views.decorators.http import require_POST

from django_lamba.decorators import lamba_project_admin_required
from django_lamba.exceptions import (
    LambaBadRequest,
    LambaConflict,
    LambaError,
    LambaPlanLimitExceeded,
)
from django_lamba.management_client import Invitation, LambaManagementClient


def pending_invitations(request: HttpRequest) -> tuple[list[Invitation] | None, str]:
    """Return the Project's pending invitations for an admin (``None`` for anyone else)."""
    user: Any = request.user
    try:
        if not user.authorization.is_project_admin:
            return None, ""
        return LambaManagementClient().list_invitations(status="pending", limit=20).items, ""
    except ImproperlyConfigured:
        return [], "Set LAMBA_MANAGEMENT_CLIENT_ID and _SECRET to manage invitations here."
    except LambaError:
        return [], "Lamba could not list the invitations just now."


@require_POST
@lamba_project_admin_required(raise_exception=True)
def invite(request: HttpRequest) -> HttpResponse:
    """Invite an email address to the Project as a viewer, then go back to the members page."""
    email = request.POST.get("email", "").strip()
    try:
        invitation = LambaManagementClient().create_invitation(email, role_keys=["viewer"])
    except LambaBadRequest:
        messages.error(request, "Enter a valid email address.")
    except LambaConflict:
        messages.error(request, f"{email} is already a member or already invited.")
    except LambaPlanLimitExceeded as exc:
        messages.error(request, f"The {exc.plan or 'current'} plan has no room for more members.")
    except (LambaError, ImproperlyConfigured):
        messages.error(request, "Lamba could not send the invitation just now.")
    else:
        messages.success(request, f"Invited {invitation.email}.")
    return redirect("members")
