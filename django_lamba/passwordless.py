"""Magic-link and phone one-time-code sign-in views (being written)."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse


def _todo(request: HttpRequest) -> HttpResponse:
    return HttpResponse(status=501)


magic_link_request = magic_link_verify = phone_request = phone_verify = _todo
