"""Views that write and read notes for ``request.user``."""

from __future__ import annotations

import threading
from typing import Any

from asgiref.sync import sync_to_async
from django.contrib.auth import get_user_model
from django.db import connections
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views.decorators.http import require_POST

from django_lamba._internal import perms
from django_lamba.decorators import lamba_login_required
from django_lamba.user import LambaUser

from .models import Note


@require_POST
@lamba_login_required
def add_note(request: HttpRequest) -> HttpResponse:
    """Save a note owned by the signed-in customer; answer its id."""
    note = Note.objects.create(owner=request.user, text=request.POST.get("text", ""))
    return HttpResponse(str(note.pk), content_type="text/plain")


@lamba_login_required
def my_notes(request: HttpRequest) -> HttpResponse:
    """List the signed-in customer's notes, one a line."""
    texts = Note.objects.filter(owner=request.user).values_list("text", flat=True)
    return HttpResponse("\n".join(texts), content_type="text/plain")


def who(request: HttpRequest) -> JsonResponse:
    """Describe ``request.user`` as the local users' tests need to see it."""
    user: Any = request.user
    if not user.is_authenticated:
        return JsonResponse({"authenticated": False})
    identity = getattr(user, "lamba_identity", None)
    lamba = getattr(user, "lamba", None)  # a Django session user (staff) has no Lamba side
    return JsonResponse(
        {
            "authenticated": True,
            "is_row": isinstance(user, get_user_model()),
            "is_lamba_user": isinstance(user, LambaUser),
            "pk": user.pk,
            "lamba_id": lamba.lamba_id if lamba else None,
            "context_email": lamba.context.user.email if lamba else None,
            "username": user.get_username(),
            "has_perm": user.has_perm("members.read"),
            "has_other_perm": user.has_perm("members.invite"),
            "filter": perms.safe_has_permissions(user, ("members.read",)),
            "identity": identity.lamba_user_id if identity else None,
            "is_staff": bool(getattr(user, "is_staff", False)),
        }
    )


async def which_threads(request: HttpRequest) -> HttpResponse:
    """Answer the thread that resolved ``request.user`` and Django's thread for sync work."""
    user = await request.auser()
    sync_thread = await sync_to_async(threading.get_ident)()
    resolved_in = getattr(user, "resolved_in_thread", None)
    # What request_finished does in production; the test client turns that receiver off.
    await sync_to_async(connections.close_all)()
    return JsonResponse({"resolved_in": resolved_in, "sync_thread": sync_thread})
