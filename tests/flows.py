"""What the sign-in flow tests share: cookie names, JSON posts, reading the session back."""

from __future__ import annotations

import json
from typing import Any

from django.test import Client

AT = "lamba_access_token"
RT = "lamba_refresh_token"
HOME = "/home/"
PROBLEM_JSON = "application/problem+json"


def post_json(client: Client, url: str, data: dict[str, Any], **extra: Any) -> Any:
    """POST ``data`` as a JSON body, as an SPA or htmx caller would."""
    return client.post(url, json.dumps(data), content_type="application/json", **extra)


def token_cookies(response: Any) -> dict[str, str]:
    """Return the token cookies a response set (or cleared, as empty strings)."""
    return {name: response.cookies[name].value for name in (AT, RT) if name in response.cookies}


def whoami(client: Client) -> str:
    """Return who ``tests.views.whoami`` says is signed in."""
    return client.get("/whoami/").content.decode()
