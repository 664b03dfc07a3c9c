"""Forms behind the sign-in views; override the templates, or subclass these to add fields."""

from __future__ import annotations

import re

from django import forms


class LoginForm(forms.Form):
    """Email (or username) and password."""

    login = forms.CharField(label="Email or username", max_length=320)
    password = forms.CharField(label="Password", strip=False, widget=forms.PasswordInput)


class MFAForm(forms.Form):
    """The second-factor code asked for when Lamba answers ``mfa_required``."""

    mfa_token = forms.CharField(widget=forms.HiddenInput, max_length=100)
    mfa_code = forms.CharField(label="Verification code", max_length=12)


class RegisterForm(forms.Form):
    """A new customer account."""

    email = forms.EmailField(label="Email", max_length=320)
    password = forms.CharField(
        label="Password", strip=False, min_length=8, widget=forms.PasswordInput
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


class MagicLinkRequestForm(forms.Form):
    """The email address to send a sign-in link to."""

    email = forms.EmailField(label="Email", max_length=320)


class MagicLinkConfirmForm(forms.Form):
    """The one-click confirmation of a sign-in link (JSON callers may send ``token`` here)."""

    token = forms.CharField(required=False, widget=forms.HiddenInput, max_length=2048)


class PhoneRequestForm(forms.Form):
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


class PhoneVerifyForm(forms.Form):
    """The code texted to the phone; the number itself stays on the server."""

    phone_token = forms.CharField(widget=forms.HiddenInput, max_length=100)
    code = forms.CharField(
        label="Code",
        max_length=12,
        widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "one-time-code"}),
    )
