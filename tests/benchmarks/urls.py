"""One protected view, the same for every configuration."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.urls import path

#: What the view answers when no middleware put a user on the request (the no-auth baseline).
NO_AUTH_BODY = "no-auth@example.com"


def whoami(request: HttpRequest) -> HttpResponse:
    """Return the signed-in user's email (401 when nobody is signed in)."""
    user = getattr(request, "user", None)
    if user is None:
        return HttpResponse(NO_AUTH_BODY, content_type="text/plain; charset=utf-8")
    if not user.is_authenticated:
        return HttpResponse("anonymous", status=401, content_type="text/plain; charset=utf-8")
    return HttpResponse(user.email, content_type="text/plain; charset=utf-8")


urlpatterns = [path("whoami/", whoami, name="whoami")]
