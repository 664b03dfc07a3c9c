"""Password sign-in, with the second-factor step when Lamba asks for one."""

from __future__ import annotations

from typing import Any, ClassVar

from django import forms
from django.contrib.auth.signals import user_login_failed
from django.http import HttpResponse
from django.shortcuts import render

from ._internal import pending
from ._internal.flows import check_ip_rate, check_login_rate, refund_attempt
from ._internal.responses import problem, wants_json
from .client import get_client
from .conf import lamba_settings
from .exceptions import LambaError, LambaMFARequired, LambaUnauthorized
from .forms import LoginForm, LoginWithCodeForm, MFAForm, method_names
from .formviews import LambaFormView
from .types import TokenSet


class LoginView(LambaFormView):
    """Password sign-in, with the MFA code step when Lamba asks for it.

    The code arrives one of two ways: with the server-side handle (``mfa_token``) that the
    ``mfa_required`` answer carries, which keeps the password out of the page (HTML forms use
    this), or in one request with ``login`` and ``password`` (``mfaCode``, as a frontend built
    from Lamba's guides sends it). Either way each code counts against the per-IP limit and the
    per-login limit, so fresh handles do not buy fresh guesses.
    """

    form_class = LoginForm
    code_form_class: ClassVar[type[forms.Form]] = LoginWithCodeForm
    mfa_form_class: ClassVar[type[forms.Form]] = MFAForm
    template_name = "django_lamba/login.html"
    mfa_template_name = "django_lamba/mfa.html"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        return super().get_context_data(oidc_enabled=bool(lamba_settings.CLIENT_ID), **kwargs)

    def get_form(self, data: dict[str, Any] | None = None) -> forms.Form:
        if data is not None and data.get("mfa_token"):
            return self.mfa_form_class(data=data)
        if data is not None and data.get("mfa_code"):
            return self.code_form_class(data=data)
        return self.form_class(data=data)

    def render_form(self, form: forms.Form, status: int = 200, **extra: Any) -> HttpResponse:
        if isinstance(form, self.mfa_form_class):
            context = self.get_context_data(form=form, **extra)
            return render(self.request, self.mfa_template_name, context, status=status)
        return super().render_form(form, status, **extra)

    def perform(self, form: forms.Form) -> HttpResponse:
        if isinstance(form, self.mfa_form_class):
            return self._verify_code(form)
        login, password = form.cleaned_data["login"], form.cleaned_data["password"]
        code = str(form.cleaned_data.get("mfa_code") or "")
        try:
            if code:
                check_ip_rate(self.request, "verify")
                tokens = self._login_with_code(login, password, code)
            else:
                tokens = get_client().login_password(login, password)
        except LambaMFARequired as error:
            return self._ask_for_code(login, password, error)
        except LambaUnauthorized:
            self._failed(login)
            raise
        return self.sign_in(tokens)

    def _failed(self, login: str) -> None:
        """Tell Django's ``user_login_failed`` receivers (e.g. django-axes); never the password."""
        user_login_failed.send(
            sender="django_lamba.views", credentials={"login": login}, request=self.request
        )

    def _login_with_code(self, login: str, password: str, code: str) -> TokenSet:
        """Send the code, counted per login first; only wrong codes stay counted."""
        counted = check_login_rate("mfa", login)
        try:
            tokens = get_client().login_password(login, password, mfa_code=code)
        except LambaError as error:
            if error.error_code.lower() == "invalid_credentials":
                refund_attempt(counted)  # a wrong password, not a code guess
            raise
        refund_attempt(counted)
        return tokens

    def _ask_for_code(self, login: str, password: str, error: LambaMFARequired) -> HttpResponse:
        handle = pending.stash({"login": login, "password": password})
        if wants_json(self.request):
            return problem(
                401,
                "A verification code is required",
                error_code="mfa_required",
                detail="Send mfaCode with mfaToken, or with login and password, to finish.",
                mfaToken=handle,
                availableFactors=error.available_factors,
            )
        form = self.mfa_form_class(initial={"mfa_token": handle})
        # ``factors`` as Lamba names them (``totp``); ``factor_names`` in customers' words.
        factors = error.available_factors
        return self.render_form(form, factors=factors, factor_names=method_names(factors))

    def _verify_code(self, form: forms.Form) -> HttpResponse:
        check_ip_rate(self.request, "verify")
        handle = form.cleaned_data["mfa_token"]
        stashed = pending.peek(handle)
        if stashed is None:
            message = "This sign-in has expired. Please enter your password again."
            if wants_json(self.request):
                return problem(401, "Sign-in expired", error_code="mfa_expired", detail=message)
            fresh = self.form_class()
            fresh.cleaned_data = {}  # add_error() on an unbound form needs it
            fresh.add_error(None, message)
            return self.render_form(fresh, status=401)
        code = str(form.cleaned_data["mfa_code"])
        try:
            tokens = self._login_with_code(stashed["login"], stashed["password"], code)
        except LambaUnauthorized:
            self._failed(stashed["login"])
            raise
        pending.discard(handle)
        return self.sign_in(tokens)
