"""The Sessions page: a session revoked at Lamba ends on this site at once, through a webhook.

``rundemo`` registers this site's ``lamba:webhook`` with its embedded emulator (as you would in
Lamba's console) and hands the emulator to :func:`use_emulator`. "Sign out everywhere" then asks
the emulator to revoke every session of the signed-in customer, as an administrator would in
Lamba's console; the emulator delivers one signed ``session.revoked`` per session to this site,
whose built-in handler ends them on every worker. Another browser signed in as the same
customer is signed out on its next request. Against a real Lamba, revoke sessions in its console.
"""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.http import require_http_methods

from django_lamba.models import LambaWebhookEvent
from django_lamba.testing import LambaEmulator

_emulator: LambaEmulator | None = None


def use_emulator(emulator: LambaEmulator | None) -> None:
    """Let the demo button revoke sessions in ``rundemo``'s embedded emulator."""
    global _emulator
    _emulator = emulator


@require_http_methods(["GET", "POST"])
def sessions(request: HttpRequest) -> HttpResponse:
    """Show the current session and the latest webhooks; POST revokes the customer's sessions."""
    user: Any = request.user
    if request.method == "POST" and user.is_authenticated and _emulator is not None:
        revoked = _emulator.revoke_user_sessions(user.email)  # delivers the webhooks first
        return HttpResponseRedirect(f"{reverse('sessions')}?revoked={len(revoked)}")
    context = {
        "session": user.context.session if user.is_authenticated else None,
        "can_revoke": _emulator is not None,
        "revoked": request.GET.get("revoked", ""),
        "events": LambaWebhookEvent.objects.order_by("-received_at", "-id")[:8],
        "webhook_url": request.build_absolute_uri(reverse("lamba:webhook")),
    }
    return render(request, "portal/sessions.html", context)
