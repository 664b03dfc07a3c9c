"""/notes/: the customer's own notes, rows with a ``ForeignKey`` to ``request.user``.

Only with ``LAMBA_LOCAL_USERS`` on (``LAMBA_LOCAL_USERS=1 python manage.py rundemo``): then the
customer is a row of ``AUTH_USER_MODEL`` (see docs/local-users.md). Off, the page says so.
"""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render

from django_lamba.conf import lamba_settings
from django_lamba.decorators import lamba_login_required

from .models import Note


@lamba_login_required
def notes(request: HttpRequest) -> HttpResponse:
    """List the customer's notes; a POST adds one."""
    if not lamba_settings.LOCAL_USERS:
        return render(request, "portal/notes.html", {"local_users": False})
    if request.method == "POST":
        text = request.POST.get("text", "").strip()[:200]
        if text:
            Note.objects.create(owner=request.user, text=text)
        return redirect("notes")
    mine = Note.objects.filter(owner=request.user)
    return render(request, "portal/notes.html", {"local_users": True, "notes": mine})
