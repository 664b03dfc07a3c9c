"""Sign-in views that proxy to Lamba's auth host server-side.

Each view serves an HTML form from an overridable template and also accepts JSON (for SPA and
htmx callers), answering ``{"ok": true, "next": ...}`` or a ProblemDetails body. Every POST is
CSRF-protected, credentials are ``sensitive_post_parameters``, and the pages refuse framing.
"""

from __future__ import annotations

import logging
import re
from typing import Any, ClassVar

from django import forms
from django.contrib.auth.signals import user_login_failed
from django.http import (
    HttpRequest,
    HttpResponse,
    HttpResponseBase,
    HttpResponseRedirect,
    JsonResponse,
)
from django.shortcuts import render
from django.utils.decorators import method_decorator
from django.views import View
from django.views.decorators.cache import never_cache
from django.views.decorators.clickjacking import xframe_options_deny
from django.views.decorators.csrf import csrf_protect
from django.views.decorators.debug import sensitive_post_parameters

from ._internal import pending
from ._internal.flows import check_ip_rate, check_login_rate, refund_attempt
from ._internal.responses import (
    ErrorAnswer,
    answer_for,
    problem,
    request_data,
    safe_next,
    wants_json,
)
from ._internal.urls import NOT_CONFIGURED, SiteURLNotConfigured
from .client import get_client
from .conf import lamba_settings
from .exceptions import LambaError, LambaMFARequired, LambaUnauthorized
from .forms import FIELD_ALIASES, LoginForm, MFAForm, RegisterForm
from .signin import scope_tokens, signed_in_response
from .state import get_lamba
from .types import TokenSet

logger = logging.getLogger("django_lamba.views")

_SENSITIVE = (
    "password",
    "mfa_code",
    "mfaCode",
    "code",
    "token",
    "mfa_token",
    "mfaToken",
    "phone_token",
)


def _camel_to_field(name: str) -> str:
    return FIELD_ALIASES.get(name, "".join("_" + c.lower() if c.isupper() else c for c in name))


@method_decorator(
    [sensitive_post_parameters(*_SENSITIVE), csrf_protect, never_cache, xframe_options_deny],
    name="dispatch",
)
class LambaFormView(View):
    """A form that, when valid, performs one Lamba call; the base of every sign-in view.

    Subclasses set ``form_class`` and ``template_name`` and implement ``perform(form)``, returning
    a response or raising ``LambaError`` (shown on the form, or as ProblemDetails to JSON callers).
    """

    form_class: ClassVar[type[forms.Form]]
    template_name: ClassVar[str]
    #: Messages for Lamba ``errorCode`` values (any casing), in place of the generic ones.
    error_messages: ClassVar[dict[str, str]] = {}
    http_method_names = ["get", "post"]
    sent_names: dict[str, str]

    def setup(self, request: HttpRequest, *args: Any, **kwargs: Any) -> None:
        super().setup(request, *args, **kwargs)
        self.sent_names = {}

    def get_form(self, data: dict[str, Any] | None = None) -> forms.Form:
        return self.form_class(data=data)

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        return {"next": safe_next(self.request, default=""), **kwargs}

    def render_form(self, form: forms.Form, status: int = 200, **extra: Any) -> HttpResponse:
        context = self.get_context_data(form=form, **extra)
        response = render(self.request, self.template_name, context, status=status)
        return response

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        response = super().dispatch(request, *args, **kwargs)
        response["Content-Security-Policy"] = "frame-ancestors 'none'"
        response.setdefault("Referrer-Policy", "same-origin")
        return response

    def get(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        return self.render_form(self.get_form())

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        submitted = request_data(request)
        # Field errors go back under the names the caller used (mfaCode, not mfa_code).
        self.sent_names = {_camel_to_field(str(k)): str(k) for k in submitted}
        self.sent_names.pop("__all__", None)
        data = {_camel_to_field(str(k)): v for k, v in submitted.items()}
        form = self.get_form(data)
        if not form.is_valid():
            return self.invalid(form)
        try:
            return self.perform(form)
        except LambaError as error:
            return self.lamba_error(form, error)
        except SiteURLNotConfigured:
            return self.site_url_missing(form)

    def perform(self, form: forms.Form) -> HttpResponse:
        raise NotImplementedError

    def site_url_missing(self, form: forms.Form) -> HttpResponse:
        """Say calmly that this flow is unavailable: ``LAMBA_SITE_URL`` is not set (logged)."""
        if wants_json(self.request):
            return problem(
                503,
                "Not available",
                error_code="site_url_not_configured",
                detail=NOT_CONFIGURED,
            )
        form.add_error(None, NOT_CONFIGURED)
        return self.render_form(form, status=503)

    def invalid(self, form: forms.Form) -> HttpResponse:
        if wants_json(self.request):
            return problem(
                400,
                "Invalid request",
                error_code="validation_failed",
                detail="Please correct the errors.",
                errors={
                    self.sent_names.get(k, k): [str(m) for m in v] for k, v in form.errors.items()
                },
            )
        return self.render_form(form, status=400)

    def get_error_answer(self, error: LambaError) -> ErrorAnswer:
        """Return what the caller gets for ``error`` (``answer_for`` with ``error_messages``)."""
        return answer_for(error, messages=self.error_messages)

    def lamba_error(self, form: forms.Form, error: LambaError) -> HttpResponse:
        """Show a Lamba error on the form, or as ProblemDetails; never upstream's own words.

        The status and ``Retry-After`` come from ``answer_for``: a 4xx the person can act on
        keeps its status, anything that is Lamba failing is a 503 with ``Retry-After``.
        """
        answer = self.get_error_answer(error)
        if wants_json(self.request):
            return answer.problem()
        placed = False
        for field, messages in answer.field_errors.items():
            name = _camel_to_field(field)
            if name not in form.fields and name != "__all__":
                continue  # e.g. workspaceId: the person can't fix it; say what is wrong instead
            for message in messages:
                form.add_error(name if name in form.fields else None, message)
                placed = True
        if not placed:
            if not form.is_bound:
                form.cleaned_data = {}  # add_error() on an unbound form needs it
            form.add_error(None, answer.message)
        return answer.apply(self.render_form(form, status=answer.status))

    def sign_in(self, tokens: TokenSet) -> HttpResponse:
        """Scope the new session if configured, set the cookies and go to ``next``."""
        return signed_in_response(self.request, scope_tokens(tokens), safe_next(self.request))


#: A one-time code as people type it: 4 to 12 letters, digits or dashes (inner spaces dropped).
ONE_TIME_CODE = re.compile(r"^[0-9A-Za-z-]{4,12}$")


class OneTimeCodeField(forms.CharField):
    """A texted or authenticator code, checked for shape before it is sent to Lamba."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("label", "Code")
        kwargs.setdefault("max_length", 32)
        super().__init__(**kwargs)

    def clean(self, value: Any) -> str:
        code = re.sub(r"\s", "", str(super().clean(value)))
        if code and not ONE_TIME_CODE.match(code):
            raise forms.ValidationError(
                "Enter the code as it was sent to you: 4 to 12 letters or digits.",
                code="invalid_code",
            )
        return code


class LoginWithCodeForm(LoginForm):
    """Login, password and the second-factor code in one request, as Lamba's guides send it."""

    mfa_code = OneTimeCodeField(label="Verification code")


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
        user_login_failed.send(sender=__name__, credentials={"login": login}, request=self.request)

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
        return self.render_form(form, factors=error.available_factors)

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


class RegisterView(LambaFormView):
    """Create an account with Lamba and sign it in."""

    form_class = RegisterForm
    template_name = "django_lamba/register.html"

    def perform(self, form: forms.Form) -> HttpResponse:
        data = form.cleaned_data
        tokens = get_client().register(
            data["email"],
            data["password"],
            username=data.get("username") or None,
            display_name=data.get("display_name") or None,
        )
        return self.sign_in(tokens)


@method_decorator([csrf_protect, never_cache], name="dispatch")
class LogoutView(View):
    """POST only: revoke the session upstream and clear both cookies whatever Lamba answers."""

    http_method_names = ["post", "options"]

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        get_lamba(request).sign_out()
        next_url = safe_next(request, default=lamba_settings.LOGOUT_REDIRECT_URL)
        if wants_json(request):
            return JsonResponse({"ok": True, "next": next_url})
        return HttpResponseRedirect(next_url)


login = LoginView.as_view()
register = RegisterView.as_view()
logout = LogoutView.as_view()
