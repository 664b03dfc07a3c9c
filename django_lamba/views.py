"""Sign-in views that proxy to Lamba's auth host server-side.

The views live in modules of one job each; this module gathers them under their historical
names (``django_lamba.views.LoginView``, ``views.login``, ...): ``formviews`` holds the base
``LambaFormView``, ``login`` the password sign-in with its second-factor step, and this module
registration and sign-out.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any, ClassVar

from django import forms
from django.contrib import messages
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect, JsonResponse
from django.utils.decorators import method_decorator
from django.views import View
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_protect

from ._internal.responses import ErrorAnswer, safe_next, wants_json
from .client import get_client
from .conf import lamba_settings
from .exceptions import LambaError
from .forms import LoginWithCodeForm, OneTimeCodeField, RegisterForm
from .formviews import LambaFormView
from .login import LoginView
from .state import get_lamba

__all__ = [
    "LambaFormView",
    "LoginView",
    "LoginWithCodeForm",
    "LogoutView",
    "OneTimeCodeField",
    "RegisterView",
    "login",
    "logout",
    "register",
]


class RegisterView(LambaFormView):
    """Create an account with Lamba and sign it in."""

    form_class = RegisterForm
    template_name = "django_lamba/register.html"
    #: What a taken identifier is called on the form, by the field Lamba names in ``errors``.
    taken_messages: ClassVar[dict[str, str]] = {
        "email": "An account with this email already exists. Sign in, or use another email.",
        "username": "This username is taken. Choose another one.",
    }
    #: When Lamba's 409 does not say which identifier is taken.
    taken_message = "An account with this email or username already exists."

    def get_error_answer(self, error: LambaError) -> ErrorAnswer:
        """Put a taken email or username on its own field, in this package's words."""
        answer = super().get_error_answer(error)
        if answer.status != 409:
            return answer
        taken = {
            field: [self.taken_messages[field]]
            for field in error.field_errors
            if field in self.taken_messages
        }
        if not taken:
            return replace(answer, message=self.taken_message)
        return replace(answer, field_errors=taken)

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
        # Shown by the next page that lists messages; a no-op without django.contrib.messages.
        messages.info(request, "You are signed out.", fail_silently=True)
        return HttpResponseRedirect(next_url)


login = LoginView.as_view()
register = RegisterView.as_view()
logout = LogoutView.as_view()
