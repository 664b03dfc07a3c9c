"""Forms behind the sign-in views; override the templates, or subclass these to add fields."""

from __future__ import annotations

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
