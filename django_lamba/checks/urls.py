"""A check that the URL names in the sign-in settings reverse (E015).

``LOGIN_URL = "lamba:login"`` only works when ``django_lamba.urls`` is included (namespace
``lamba``); without it every ``login_required`` page is a 500 (``NoReverseMatch``) for visitors.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.checks import CheckMessage, Error, Tags, register
from django.urls import NoReverseMatch, reverse

from ..conf import _raw

#: Settings that may name a URL pattern (``resolve_url`` reverses a value without ``/`` or ``.``).
DJANGO_SETTINGS = ("LOGIN_URL", "LOGIN_REDIRECT_URL", "LOGOUT_REDIRECT_URL")
LAMBA_SETTINGS = ("LAMBA_LOGIN_REDIRECT_URL", "LAMBA_LOGOUT_REDIRECT_URL")


def _url_names() -> list[tuple[str, str]]:
    found = [(name, getattr(settings, name, None)) for name in DJANGO_SETTINGS]
    found += [(name, _raw(name, None)) for name in LAMBA_SETTINGS]
    return [
        (name, value)
        for name, value in found
        if isinstance(value, str) and value and "/" not in value and "." not in value
    ]


@register(Tags.urls)
def check_url_names(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    """Check that every URL name in ``LOGIN_URL`` and the redirect settings reverses."""
    messages: list[CheckMessage] = []
    for name, value in _url_names():
        try:
            reverse(value)
        except NoReverseMatch:
            pass
        except Exception:  # a broken ROOT_URLCONF: Django's own URL checks report it
            return []
        else:
            continue
        if value.startswith("lamba:"):
            hint = (
                f"{name} names a django_lamba view, but django_lamba.urls is not included: add "
                'path("auth/", include("django_lamba.urls")) to your ROOT_URLCONF (its '
                "namespace is 'lamba'), or point the setting at a path."
            )
        else:
            hint = f"Name a URL pattern that exists, or set {name} to a path such as '/'."
        messages.append(
            Error(
                f"{name} is {value!r}, which does not reverse.",
                hint=hint + " Otherwise pages that redirect there answer 500 (NoReverseMatch).",
                id="django_lamba.E015",
            )
        )
    return messages
