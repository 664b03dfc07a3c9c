"""OIDC hosted login views (being written)."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse


def _todo(request: HttpRequest) -> HttpResponse:
    return HttpResponse(status=501)


oidc_login = oidc_callback = _todo
