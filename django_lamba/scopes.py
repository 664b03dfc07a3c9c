"""Scoped sessions: the switch-context view (being written)."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse


def _todo(request: HttpRequest) -> HttpResponse:
    return HttpResponse(status=501)


switch_context = _todo
