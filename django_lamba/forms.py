"""Forms behind the sign-in views; override the templates, or subclass these to add fields."""

from __future__ import annotations

import re
from typing import Any

from django import forms

#: Lamba's shortest accepted password; said on the form before anyone submits.
MIN_PASSWORD_LENGTH = 8


class LambaForm(forms.Form):
    """A form whose fields point at their help text and error (``aria-describedby``) and say
    when they are invalid (``aria-invalid``), on every Django version (5.0+ does it itself).

    The ids are the ones ``_form.html`` gives the help text and the error: ``<id>_helptext``
    and ``<id>_error``.
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._describe()

    def full_clean(self) -> None:
        super().full_clean()
        self._describe()

    def add_error(self, field: str | None, error: Any) -> None:
        super().add_error(field, error)  # also after validation: Lamba's own field errors
        self._describe()

    def _describe(self) -> None:
        errors = getattr(self, "_errors", None) or {}  # None until validated
        for name, field in self.fields.items():
            auto_id = self[name].auto_id
            if not auto_id:
                continue
            ids = [f"{auto_id}_helptext"] if field.help_text else []
            if name in errors:
                ids.append(f"{auto_id}_error")
                field.widget.attrs["aria-invalid"] = "true"
            if ids:
                field.widget.attrs["aria-describedby"] = " ".join(ids)


class LoginForm(LambaForm):
    """Email (or username) and password."""

    login = forms.CharField(
        label="Email or username",
        max_length=320,
        widget=forms.TextInput(attrs={"autocomplete": "username"}),
    )
    password = forms.CharField(
        label="Password",
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
    )


class MFAForm(LambaForm):
    """The second-factor code asked for when Lamba answers ``mfa_required``."""

    mfa_token = forms.CharField(widget=forms.HiddenInput, max_length=100)
    mfa_code = forms.CharField(
        label="Verification code",
        max_length=12,
        widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "one-time-code"}),
    )


class RegisterForm(LambaForm):
    """A new customer account."""

    email = forms.EmailField(
        label="Email",
        max_length=320,
        widget=forms.EmailInput(attrs={"autocomplete": "email"}),
    )
    password = forms.CharField(
        label="Password",
        strip=False,
        min_length=MIN_PASSWORD_LENGTH,
        help_text=f"At least {MIN_PASSWORD_LENGTH} characters.",
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        error_messages={
            "min_length": f"Use at least {MIN_PASSWORD_LENGTH} characters for your password.",
        },
    )
    username = forms.CharField(label="Username", max_length=150, required=False)
    display_name = forms.CharField(label="Display name", max_length=150, required=False)


#: Lamba's camelCase field names mapped onto the forms' fields.
FIELD_ALIASES = {
    "displayName": "display_name",
    "mfaCode": "mfa_code",
    "mfaToken": "mfa_token",
    "redirectUri": "__all__",
}


#: An E.164 number: "+", a country code that does not start with 0, at most 15 digits in all.
E164 = re.compile(r"^\+[1-9]\d{6,14}$")
_PHONE_PUNCTUATION = re.compile(r"[\s().\-]")


class MagicLinkRequestForm(LambaForm):
    """The email address to send a sign-in link to."""

    email = forms.EmailField(label="Email", max_length=320)


class MagicLinkConfirmForm(LambaForm):
    """The one-click confirmation of a sign-in link (JSON callers may send ``token`` here)."""

    token = forms.CharField(required=False, widget=forms.HiddenInput, max_length=2048)


class PhoneRequestForm(LambaForm):
    """A phone number in international (E.164) format to text a code to."""

    phone = forms.CharField(
        label="Phone number",
        max_length=32,
        help_text="In international format, e.g. +15551234567.",
        widget=forms.TextInput(attrs={"type": "tel", "autocomplete": "tel"}),
    )

    def clean_phone(self) -> str:
        phone = _PHONE_PUNCTUATION.sub("", self.cleaned_data["phone"])
        if phone.startswith("00"):
            phone = "+" + phone[2:]
        if not E164.match(phone):
            raise forms.ValidationError(
                "Enter the number in international format: + then the country code and number,"
                " e.g. +15551234567.",
                code="invalid_phone",
            )
        return phone


class PhoneVerifyForm(LambaForm):
    """The code texted to the phone; the number itself stays on the server."""

    phone_token = forms.CharField(widget=forms.HiddenInput, max_length=100)
    code = forms.CharField(
        label="Code",
        max_length=12,
        widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "one-time-code"}),
    )


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


#: What customers call each factor and sign-in method Lamba names (``availableFactors``,
#: the session's ``amr``); unknown names are shown as "Another method", and an empty name
#: (``mfa``: "a second factor was used", which the factor's own name already says) is skipped.
METHOD_NAMES = {
    "pwd": "Password",
    "password": "Password",
    "totp": "Authenticator app",
    "otp": "Authenticator app",
    "email": "Email link",
    "magic_link": "Email link",
    "sms": "Text message",
    "phone": "Text message",
    "mfa": "",
    "oidc": "Lamba sign-in page",
    "webauthn": "Security key",
    "hwk": "Security key",
    "swk": "Passkey",
    "fido": "Security key",
    "recovery_code": "Recovery code",
}


def method_names(methods: Any) -> list[str]:
    """Return customer words for Lamba's factor or ``amr`` names, each once, in order."""
    names: list[str] = []
    for method in methods or ():
        name = METHOD_NAMES.get(str(method).lower(), "Another method")
        if name and name not in names:
            names.append(name)
    return names
