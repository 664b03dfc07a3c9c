"""What the magic-link and phone-code views share: their messages, ``next`` links, form errors."""

from __future__ import annotations

from urllib.parse import urlencode, urlsplit

from django import forms
from django.shortcuts import resolve_url

from ._internal.responses import safe_next
from .conf import lamba_settings
from .views import LambaFormView

LINK_SENT = "If an account uses that email, a sign-in link is on its way. It works once."
LINK_INVALID = (
    "This sign-in link has expired or was already used. Request a new one below, or open the"
    " newest link from your email."
)
CODE_SENT = "If an account uses that number, a code is on its way by text message."
CODE_WRONG = "That code is not right, or it has expired. Check the message and try again."
CODE_EXPIRED = "This code has expired or was tried too often. Request a new one."
MAGIC_LINK_COOKIE = "lamba_magic_link"


class PasswordlessView(LambaFormView):
    """A ``LambaFormView`` with flow-specific messages (``error_messages``) and ``next`` links."""

    def next_query(self, *, path_only: bool = False) -> str:
        """Return ``?next=...`` when the caller asked for a page other than the default.

        ``path_only`` drops a ``next`` with a host of its own: ``safe_next`` trusts the
        request's host, which must not decide what goes into a link sent out.
        """
        next_url = safe_next(self.request)
        if next_url == resolve_url(lamba_settings.LOGIN_REDIRECT_URL):
            return ""
        if path_only and (urlsplit(next_url).scheme or urlsplit(next_url).netloc):
            return ""
        return "?" + urlencode({"next": next_url})


def add_error(form: forms.Form, message: str) -> None:
    if not form.is_bound:
        form.cleaned_data = {}  # add_error() on an unbound form needs it
    form.add_error(None, message)
