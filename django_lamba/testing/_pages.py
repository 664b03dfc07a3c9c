"""The minimal hosted sign-in and error pages of the emulated ``/connect/authorize``."""

from __future__ import annotations

from html import escape

from ._http import Response, html_response

#: Authorization-request parameters carried through the sign-in form as hidden fields.
AUTHORIZE_PARAMS = (
    "response_type",
    "client_id",
    "redirect_uri",
    "scope",
    "state",
    "nonce",
    "code_challenge",
    "code_challenge_method",
    "prompt",
    "login_hint",
)

_PAGE = """<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><meta name="robots" content="noindex">
<title>{title}</title></head>
<body>
<main>
<h1>{title}</h1>
{content}
</main>
</body>
</html>
"""


def error_page(status: int, message: str) -> Response:
    """Return an HTML error page (used when redirecting back would be unsafe)."""
    content = f'<p role="alert">{escape(message)}</p>'
    return html_response(status, _PAGE.format(title="Sign-in error", content=content))


def sign_in_page(params: dict[str, str], *, error: str | None = None, login: str = "") -> Response:
    """Return the hosted sign-in form that posts back to ``/connect/authorize``."""
    hidden = "\n".join(
        f'<input type="hidden" name="{name}" value="{escape(params[name])}">'
        for name in AUTHORIZE_PARAMS
        if name in params
    )
    alert = f'<p role="alert" class="error">{escape(error)}</p>\n' if error else ""
    prefill = escape(login or params.get("login_hint", ""))
    content = f"""{alert}<form method="post" action="/connect/authorize">
{hidden}
<label>Email or username <input name="login" type="text" autocomplete="username"
 value="{prefill}" required></label>
<label>Password <input name="password" type="password" autocomplete="current-password"
 required></label>
<label>One-time code (if enabled) <input name="mfa_code" inputmode="numeric"
 autocomplete="one-time-code"></label>
<button type="submit">Sign in</button>
</form>"""
    page = _PAGE.format(title="Sign in to Lamba", content=content)
    return html_response(200, page, {"Referrer-Policy": "no-referrer"})
