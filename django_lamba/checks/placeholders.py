"""A check for example values copied from the docs into settings (W007).

The README and the quickstart show ``LAMBA_CUSTOMER_WORKSPACE_ID = "ws_..."``; other pages show
``"your-app-client-id"``, ``"https://your.site"`` or ``"whsec_..."``. Copied as they are, they fail
later and obscurely (every sign-in refused, a 401 from ``/connect/token``), so they are named here.
"""

from __future__ import annotations

import re

from django.core.checks import CheckMessage, Warning

from ..conf import _raw, _split

#: The settings looked at, and whether their value is a secret (never shown in a message).
CHECKED = (
    ("LAMBA_CUSTOMER_AUTH_BASE_URL", False),
    ("LAMBA_CUSTOMER_API_BASE_URL", False),
    ("LAMBA_CUSTOMER_WORKSPACE_ID", False),
    ("LAMBA_CUSTOMER_PROJECT_ID", False),
    ("LAMBA_ALLOWED_PROJECTS", False),
    ("LAMBA_SITE_URL", False),
    ("LAMBA_CLIENT_ID", False),
    ("LAMBA_CLIENT_SECRET", True),
    ("LAMBA_MANAGEMENT_CLIENT_ID", False),
    ("LAMBA_MANAGEMENT_CLIENT_SECRET", True),
    ("LAMBA_WEBHOOK_SECRET", True),
)

_YOUR = re.compile(r"(?:^|[-_.:/])your[-_.]", re.IGNORECASE)
_XS = re.compile(r"^(?:[a-z]+_)?x{3,}$", re.IGNORECASE)
_WORDS = frozenset(
    {"changeme", "change-me", "change_me", "replace-me", "replace_me", "todo", "placeholder"}
)


def looks_like_placeholder(value: str) -> bool:
    """Whether ``value`` reads like a docs example: ``ws_...``, ``ws_xxx``, ``your-client-id``."""
    text = value.strip()
    if not text:
        return False
    return (
        "..." in text
        or "\u2026" in text
        or ("<" in text and ">" in text)
        or bool(_YOUR.search(text))
        or bool(_XS.match(text))
        or text.lower() in _WORDS
    )


def check_placeholders() -> list[CheckMessage]:
    messages: list[CheckMessage] = []
    for name, secret in CHECKED:
        raw = _raw(name, "")
        values = _split(raw) if raw else []
        found = [value for value in values if looks_like_placeholder(value)]
        if not found:
            continue
        shown = "its value is not shown" if secret else ", ".join(repr(v) for v in found)
        messages.append(
            Warning(
                f"{name} looks like a placeholder copied from the docs ({shown}).",
                hint=f"Set {name} to the real value from the Lamba console (Workspace and "
                "Project ids look like 'ws_' and 'prj_' followed by letters and digits); an "
                "example value makes every sign-in, token or webhook fail later, and obscurely.",
                id="django_lamba.W007",
            )
        )
    return messages
