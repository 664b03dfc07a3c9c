"""Tiny views the tests request through ``tests.urls``."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse

from django_lamba.decorators import lamba_login_required


def _text(body: str) -> HttpResponse:
    return HttpResponse(body, content_type="text/plain; charset=utf-8")


def public(request: HttpRequest) -> HttpResponse:
    """Answer without touching ``request.user`` (so no call to Lamba is needed)."""
    return _text("public")


def whoami(request: HttpRequest) -> HttpResponse:
    """Return the signed-in user's email, or "anonymous"."""
    user = request.user
    if not user.is_authenticated:
        return _text("anonymous")
    return _text(getattr(user, "email", "") or "anonymous")


@lamba_login_required
def protected(request: HttpRequest) -> HttpResponse:
    """Return the email of a user that ``lamba_login_required`` let through."""
    return _text(getattr(request.user, "email", ""))


@login_required
def django_login_required(request: HttpRequest) -> HttpResponse:
    """Return the email of a user that Django's own ``login_required`` let through."""
    return _text(getattr(request.user, "email", ""))
