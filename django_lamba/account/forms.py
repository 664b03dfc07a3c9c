"""The profile form: Lamba's editable profile fields, and what changed since the page was shown.

The page carries a hidden copy of each value it showed (``hidden_initials()``, named as
Django's ``show_hidden_initial`` names them), so a submission knows exactly which fields the
customer changed without asking Lamba again, even after a round of errors; only those are sent
(``changes()``). Lamba has the last word on validity: the form checks only what
keeps a request sane (lengths, URL shapes), and Lamba's field errors land on these fields.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.core.validators import URLValidator

from ..selfservice import LambaAccountProfile

#: Form field name -> Lamba's field name (and back, ``LAMBA_TO_FIELD``).
FIELD_TO_LAMBA = {
    "username": "username",
    "display_name": "displayName",
    "bio": "bio",
    "headline": "headline",
    "is_public_profile_enabled": "isPublicProfileEnabled",
    "links": "links",
}
LAMBA_TO_FIELD = {lamba: name for name, lamba in FIELD_TO_LAMBA.items()}
MAX_LINKS = 20


class LinksField(forms.CharField):
    """Links as a customer types them, one URL per line; cleaned into a list of URLs."""

    widget = forms.Textarea(attrs={"rows": 3})

    def prepare_value(self, value: Any) -> Any:
        if isinstance(value, (list, tuple)):
            return "\n".join(str(item) for item in value)
        return value

    def to_python(self, value: Any) -> list[str]:  # type: ignore[override]
        if isinstance(value, (list, tuple)):
            lines = [str(item).strip() for item in value]
        else:
            lines = [line.strip() for line in str(value or "").splitlines()]
        return [line for line in lines if line]

    def validate(self, value: Any) -> None:
        if len(value) > MAX_LINKS:
            raise forms.ValidationError(f"Add at most {MAX_LINKS} links.", code="too_many")
        check = URLValidator(schemes=["http", "https"])
        for url in value:
            if len(url) > 2000:
                raise forms.ValidationError("A link is too long.", code="too_long")
            try:
                check(url)
            except forms.ValidationError:
                raise forms.ValidationError(
                    "Enter each link as a full web address, like https://example.com.",
                    code="invalid_url",
                ) from None

    def has_changed(self, initial: Any, data: Any) -> bool:
        try:
            return self.to_python(initial) != self.to_python(data)
        except forms.ValidationError:
            return True


class ProfileForm(forms.Form):
    """The customer's own profile, as ``PATCH /v1/me/profile`` takes it."""

    display_name = forms.CharField(
        label="Display name",
        required=False,
        max_length=1000,
        help_text="The name people see.",
    )
    username = forms.CharField(
        label="Username",
        required=False,
        max_length=1000,
        strip=True,
        help_text="Letters, digits, dots, dashes or underscores.",
        widget=forms.TextInput(attrs={"autocomplete": "username", "spellcheck": "false"}),
    )
    headline = forms.CharField(
        label="Headline",
        required=False,
        max_length=1000,
        help_text="One line about you.",
    )
    bio = forms.CharField(
        label="Bio",
        required=False,
        max_length=10000,
        widget=forms.Textarea(attrs={"rows": 4}),
    )
    links = LinksField(
        label="Links",
        required=False,
        max_length=50000,
        help_text="One web address per line.",
    )
    is_public_profile_enabled = forms.BooleanField(
        label="Show my profile publicly",
        required=False,
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if self.is_bound and not self.initial:
            # What the page showed comes back in the hidden initial-* fields.
            self.initial = {
                name: self._shown(field, self.add_initial_prefix(name))
                for name, field in self.fields.items()
                if self.add_initial_prefix(name) in self.data
            }

    def _shown(self, field: forms.Field, key: str) -> Any:
        try:
            return field.to_python(self.data.get(key))
        except forms.ValidationError:
            return None

    def hidden_initials(self) -> list[tuple[str, str]]:
        """The hidden ``initial-*`` inputs to render: what this page shows as saved."""
        shown = []
        for name in self.fields:
            value = self.get_initial_for_field(self.fields[name], name)
            if isinstance(value, (list, tuple)):
                value = "\n".join(str(item) for item in value)
            shown.append((self.add_initial_prefix(name), "" if value is None else str(value)))
        return shown

    @classmethod
    def initial_for(cls, profile: LambaAccountProfile) -> dict[str, Any]:
        """Return the form's initial values for a profile as Lamba holds it."""
        return {
            "username": profile.username,
            "display_name": profile.display_name,
            "bio": profile.bio,
            "headline": profile.headline,
            "links": list(profile.links),
            "is_public_profile_enabled": profile.is_public_profile_enabled,
        }

    def changes(self, names: list[str] | None = None) -> dict[str, Any]:
        """Return the changed fields in Lamba's names (``names``: these fields instead)."""
        chosen = self.changed_data if names is None else names
        return {
            FIELD_TO_LAMBA[name]: self.cleaned_data[name]
            for name in chosen
            if name in FIELD_TO_LAMBA and name in self.cleaned_data
        }
