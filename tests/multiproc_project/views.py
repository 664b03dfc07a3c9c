"""The views the gunicorn workers serve."""

from __future__ import annotations

import os
import time

from django.http import HttpRequest, JsonResponse

from django_lamba.decorators import lamba_login_required


def ping(request: HttpRequest) -> JsonResponse:
    """Answer without looking at the user (readiness probe)."""
    return JsonResponse({"ok": True, "pid": os.getpid()})


@lamba_login_required
def whoami(request: HttpRequest) -> JsonResponse:
    """Return the signed-in user's email and the worker process that served it."""
    return JsonResponse({"email": getattr(request.user, "email", ""), "pid": os.getpid()})


def session(request: HttpRequest) -> JsonResponse:
    """200 with the email while signed in, else 401; both name the worker and when it decided.

    ``at`` is this host's monotonic clock (shared by every process on Linux), read once the user
    was resolved, so the test measures when the worker decided, not when the answer arrived.
    """
    signed_in = request.user.is_authenticated
    decided = time.monotonic()
    email = getattr(request.user, "email", "") if signed_in else ""
    body = {"email": email, "pid": os.getpid(), "at": decided}
    return JsonResponse(body, status=200 if signed_in else 401)
