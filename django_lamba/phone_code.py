"""Phone one-time-code sign-in: text a code, then check it; codes count per IP and per number.

Part of ``django_lamba.passwordless`` (import the views from there).
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
    check_login_rate,
    refund_attempt,
)
from ._internal.responses import problem, wants_json
from .client import get_client
from .exceptions import LambaForbidden, LambaNotFound
from .forms import PhoneRequestForm, PhoneVerifyForm
from .passwordless_base import CODE_EXPIRED, CODE_SENT, CODE_WRONG, PasswordlessView, add_error
from .views import OneTimeCodeField

logger = logging.getLogger("django_lamba.passwordless")


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
        add_error(fresh, CODE_EXPIRED)
        context = self.get_context_data(form=fresh)
        return render(self.request, self.request_template_name, context, status=401)
