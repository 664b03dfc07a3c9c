"""The base of every sign-in form view: one form, one Lamba call, errors shown on the form.

Each view serves an HTML form from an overridable template and also accepts JSON (for SPA and
htmx callers), answering ``{"ok": true, "next": ...}`` or a ProblemDetails body. Every POST is
CSRF-protected, credentials are ``sensitive_post_parameters``, and the pages refuse framing.
"""

from __future__ import annotations

import logging
from typing import Any, ClassVar

from django import forms
from django.contrib.messages import get_messages
from django.http import HttpRequest, HttpResponse, HttpResponseBase
from django.shortcuts import render
from django.utils.decorators import method_decorator
from django.views import View
from django.views.decorators.cache import never_cache
from django.views.decorators.clickjacking import xframe_options_deny
from django.views.decorators.csrf import csrf_protect
from django.views.decorators.debug import sensitive_post_parameters

from ._internal.responses import (
    ErrorAnswer,
    answer_for,
    problem,
    request_data,
    safe_next,
    wants_json,
)
from ._internal.urls import NOT_CONFIGURED, SiteURLNotConfigured
from .exceptions import LambaError
from .forms import FIELD_ALIASES
from .signin import scope_tokens, signed_in_response
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
        # The messages framework's notes ("Please sign in to see that page"), also when the
        # project lacks its context processor; an empty list when it is not installed at all.
        return {
            "next": safe_next(self.request, default=""),
            "messages": get_messages(self.request),
            **kwargs,
        }

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
