"""Magic-link sign-in: email a link back to this site; one POST from its page signs in.

A magic link's GET never spends the token (mail scanners fetch links): it moves the token out of
the address bar into a server-side stash and shows a confirmation page. Part of
``django_lamba.passwordless`` (import the views from there).
"""

from __future__ import annotations

import logging
from typing import Any, ClassVar

from django import forms
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect, JsonResponse
from django.shortcuts import render
from django.urls import reverse

from ._internal import pending
from ._internal.flows import (
    check_ip_rate,
    delete_flow_cookie,
    read_flow_cookie,
    set_flow_cookie,
)
from ._internal.responses import problem, wants_json
from ._internal.urls import site_url
from .client import get_client
from .exceptions import LambaForbidden, LambaNotFound, LambaUnauthorized
from .forms import MagicLinkConfirmForm, MagicLinkRequestForm
from .passwordless_base import (
    LINK_INVALID,
    LINK_SENT,
    MAGIC_LINK_COOKIE,
    PasswordlessView,
    add_error,
)

logger = logging.getLogger("django_lamba.passwordless")


class MagicLinkRequestView(PasswordlessView):
    """Ask Lamba to email a sign-in link back to this site's ``lamba:magic_link_verify``."""

    form_class = MagicLinkRequestForm
    template_name = "django_lamba/magic_link_request.html"
    sent_template_name = "django_lamba/magic_link_sent.html"

    def get_verify_url(self) -> str:
        """Return the absolute URL the emailed link points at (Lamba appends ``token``).

        Built from ``LAMBA_SITE_URL``, never from the request's ``Host`` header.
        """
        path = reverse("lamba:magic_link_verify") + self.next_query(path_only=True)
        return site_url(self.request, path)

    def perform(self, form: forms.Form) -> HttpResponse:
        verify_url = self.get_verify_url()  # first: without LAMBA_SITE_URL nothing is sent
        check_ip_rate(self.request, "send")
        email = form.cleaned_data["email"]
        try:
            get_client().request_magic_link(email, verify_url)
        except (LambaNotFound, LambaForbidden) as error:
            # Unknown or disabled accounts get the same answer as everyone else.
            logger.info("Magic link not sent (%s)", error)
        if wants_json(self.request):
            return JsonResponse({"ok": True, "detail": LINK_SENT}, status=202)
        context = self.get_context_data(email=email, message=LINK_SENT)
        return render(self.request, self.sent_template_name, context)


class MagicLinkVerifyView(PasswordlessView):
    """Confirm a sign-in link with one click (POST); the GET that opens it changes nothing.

    The GET moves the link's token out of the address bar: it is kept server-side behind a
    handle in a short-lived HttpOnly cookie, and the browser is redirected to this URL without
    it (answered with ``Referrer-Policy: no-referrer``). The confirmation page itself can then
    keep the default policy, which CSRF checks need: a ``no-referrer`` page POSTs with
    ``Origin: null``. JSON callers may instead POST ``{"token": ...}``.
    """

    form_class = MagicLinkConfirmForm
    template_name = "django_lamba/magic_link_confirm.html"
    error_messages: ClassVar[dict[str, str]] = {"invalid_token": LINK_INVALID}

    def get(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        token = request.GET.get("token", "")
        if token:
            response: HttpResponse = HttpResponseRedirect(request.path + self.next_query())
            if len(token) <= 2048:
                handle = pending.stash({"token": token})
                set_flow_cookie(response, MAGIC_LINK_COOKIE, handle, pending.PENDING_TTL)
            response["Referrer-Policy"] = "no-referrer"
            return response
        if not read_flow_cookie(request, MAGIC_LINK_COOKIE):
            return self.link_invalid(self.get_form(), status=400)
        return self.render_form(self.get_form())

    def perform(self, form: forms.Form) -> HttpResponse:
        check_ip_rate(self.request, "verify")
        token = str(form.cleaned_data.get("token") or "")
        handle = "" if token else read_flow_cookie(self.request, MAGIC_LINK_COOKIE)
        if handle:
            stashed = pending.peek(handle)
            token = str(stashed.get("token") or "") if stashed else ""
        if not token:
            return self.link_invalid(form)
        try:
            tokens = get_client().verify_magic_link(token)
        except LambaUnauthorized:
            if handle:
                pending.discard(handle)
            return self.link_invalid(form)
        if handle:
            pending.discard(handle)
        response = self.sign_in(tokens)
        delete_flow_cookie(response, MAGIC_LINK_COOKIE)
        return response

    def link_invalid(self, form: forms.Form, status: int = 401) -> HttpResponse:
        """Say the link is spent or expired, and offer a new one."""
        if wants_json(self.request):
            response: HttpResponse = problem(
                status, "Sign-in link not valid", error_code="invalid_token", detail=LINK_INVALID
            )
        else:
            add_error(form, LINK_INVALID)
            response = self.render_form(form, status=status, link_invalid=True)
        delete_flow_cookie(response, MAGIC_LINK_COOKIE)
        return response
