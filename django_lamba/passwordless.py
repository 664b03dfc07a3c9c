"""Magic-link and phone one-time-code sign-in.

Both flows answer HTML forms and JSON, like every ``LambaFormView``. The request steps answer the
same whether or not Lamba knows the address (no account enumeration), and every send and every
verification also counts against a per-IP limit here (Lamba limits per account). A magic link's
GET never spends the token: mail scanners fetch links, so signing in takes one POST.
"""

from __future__ import annotations

import logging
from typing import Any, ClassVar
from urllib.parse import urlencode, urlsplit

from django import forms
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect, JsonResponse
from django.shortcuts import render, resolve_url
from django.urls import reverse

from ._internal import pending
from ._internal.flows import (
    check_ip_rate,
    check_login_rate,
    delete_flow_cookie,
    read_flow_cookie,
    refund_attempt,
    set_flow_cookie,
)
from ._internal.responses import problem, safe_next, wants_json
from ._internal.urls import site_url
from .client import get_client
from .conf import lamba_settings
from .exceptions import LambaForbidden, LambaNotFound, LambaUnauthorized
from .forms import MagicLinkConfirmForm, MagicLinkRequestForm, PhoneRequestForm, PhoneVerifyForm
from .views import LambaFormView, OneTimeCodeField

logger = logging.getLogger("django_lamba.passwordless")

LINK_SENT = "If an account uses that email, a sign-in link is on its way. It works once."
LINK_INVALID = (
    "This sign-in link has expired or was already used. Request a new one below, or open the"
    " newest link from your email."
)
CODE_SENT = "If an account uses that number, a code is on its way by text message."
CODE_WRONG = "That code is not right, or it has expired. Check the message and try again."
CODE_EXPIRED = "This code has expired or was tried too often. Request a new one."
MAGIC_LINK_COOKIE = "lamba_magic_link"


class PasswordlessView(LambaFormView):
    """A ``LambaFormView`` with flow-specific messages (``error_messages``) and ``next`` links."""

    def next_query(self, *, path_only: bool = False) -> str:
        """Return ``?next=...`` when the caller asked for a page other than the default.

        ``path_only`` drops a ``next`` with a host of its own: ``safe_next`` trusts the
        request's host, which must not decide what goes into a link sent out.
        """
        next_url = safe_next(self.request)
        if next_url == resolve_url(lamba_settings.LOGIN_REDIRECT_URL):
            return ""
        if path_only and (urlsplit(next_url).scheme or urlsplit(next_url).netloc):
            return ""
        return "?" + urlencode({"next": next_url})


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
            _add_error(form, LINK_INVALID)
            response = self.render_form(form, status=status, link_invalid=True)
        delete_flow_cookie(response, MAGIC_LINK_COOKIE)
        return response


def _add_error(form: forms.Form, message: str) -> None:
    if not form.is_bound:
        form.cleaned_data = {}  # add_error() on an unbound form needs it
    form.add_error(None, message)


def _phone_hint(phone: str) -> str:
    return phone[-2:] if len(phone) > 6 else ""


class PhoneRequestView(PasswordlessView):
    """Ask Lamba to text a one-time code; the number then waits server-side for the code."""

    form_class = PhoneRequestForm
    template_name = "django_lamba/phone_request.html"
    verify_template_name = "django_lamba/phone_verify.html"

    def perform(self, form: forms.Form) -> HttpResponse:
        check_ip_rate(self.request, "send")
        phone = form.cleaned_data["phone"]
        try:
            get_client().request_phone_code(phone)
        except (LambaNotFound, LambaForbidden) as error:
            logger.info("Phone code not sent (%s)", error)
        handle = pending.stash({"phone": phone})
        if wants_json(self.request):
            body = {"ok": True, "phoneToken": handle, "detail": CODE_SENT}
            return JsonResponse(body, status=202)
        verify = PhoneVerifyForm(initial={"phone_token": handle})
        context = self.get_context_data(
            form=verify, message=CODE_SENT, phone_hint=_phone_hint(phone)
        )
        return render(self.request, self.verify_template_name, context)


class PhoneCodeForm(PhoneRequestForm):
    """A number and the code texted to it in one request, as Lamba's guides send them."""

    code = OneTimeCodeField(
        widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "one-time-code"})
    )


class PhoneVerifyView(PasswordlessView):
    """Check a texted code and sign in.

    The number comes from the server-side handle (``phone_token``) the request step answered
    with, which HTML forms use, or with the code in the same request (``{phone, code}``, as a
    frontend built from Lamba's guides sends it). Codes count per IP and per number.
    """

    form_class = PhoneVerifyForm
    direct_form_class: ClassVar[type[forms.Form]] = PhoneCodeForm
    template_name = "django_lamba/phone_verify.html"
    request_template_name = "django_lamba/phone_request.html"
    error_messages: ClassVar[dict[str, str]] = {"invalid_code": CODE_WRONG}
    phone_hint = ""

    def get(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        # The code form only makes sense right after a code was sent.
        return HttpResponseRedirect(reverse("lamba:phone_request") + self.next_query())

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        return super().get_context_data(phone_hint=self.phone_hint, **kwargs)

    def get_form(self, data: dict[str, Any] | None = None) -> forms.Form:
        if data is not None and not data.get("phone_token") and data.get("phone"):
            return self.direct_form_class(data=data)
        return super().get_form(data)

    def perform(self, form: forms.Form) -> HttpResponse:
        check_ip_rate(self.request, "verify")
        handle = str(form.cleaned_data.get("phone_token") or "")
        if handle:
            stashed = pending.peek(handle)
            phone = str(stashed.get("phone") or "") if stashed else ""
            if not phone:
                return self.code_expired()
        else:
            phone = form.cleaned_data["phone"]
        self.phone_hint = _phone_hint(phone)
        counted = check_login_rate("phone", phone)
        tokens = get_client().verify_phone_code(phone, form.cleaned_data["code"])
        refund_attempt(counted)  # only wrong codes count against the number
        if handle:
            pending.discard(handle)
        return self.sign_in(tokens)

    def code_expired(self) -> HttpResponse:
        """Send the caller back to request a new code."""
        if wants_json(self.request):
            return problem(
                401, "Code expired", error_code="phone_code_expired", detail=CODE_EXPIRED
            )
        fresh = PhoneRequestForm()
        _add_error(fresh, CODE_EXPIRED)
        context = self.get_context_data(form=fresh)
        return render(self.request, self.request_template_name, context, status=401)


magic_link_request = MagicLinkRequestView.as_view()
magic_link_verify = MagicLinkVerifyView.as_view()
phone_request = PhoneRequestView.as_view()
phone_verify = PhoneVerifyView.as_view()
