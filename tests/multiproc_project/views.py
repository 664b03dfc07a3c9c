"""The views the gunicorn workers serve."""

from __future__ import annotations

import os

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
    """200 with the email while signed in, else 401; both name the worker that answered."""
    signed_in = request.user.is_authenticated
    email = getattr(request.user, "email", "") if signed_in else ""
    return JsonResponse({"email": email, "pid": os.getpid()}, status=200 if signed_in else 401)
