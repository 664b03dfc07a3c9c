"""The hosted sign-in and error pages of the emulated ``/connect/authorize``.

They wear the look of django_lamba's own sign-in pages (``django_lamba/base.html``), so a
demo that hops to the hosted page does not fall into bare HTML.
"""

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

_STYLE = """
* { box-sizing: border-box; }
body { font: 16px/1.5 system-ui, sans-serif; margin: 0; color: #1d2330; background: #f6f7fb; }
main { max-width: 26rem; margin: 3rem auto; padding: 1.5rem; background: #fff;
  border: 1px solid #e3e6ee; border-radius: .75rem; }
.lamba-host { color: #5d6677; font-size: .85rem; margin: 0 0 .5rem; }
h1 { font-size: 1.6rem; margin: 0 0 1rem; }
form p { display: flex; flex-direction: column; gap: .25rem; margin: 0 0 1rem; }
label { font-weight: 500; }
input { padding: .5rem; font: inherit; border: 1px solid #c5cad6; border-radius: .4rem; }
button { padding: .6rem 1rem; font: inherit; cursor: pointer; border-radius: .4rem;
  border: 1px solid #3b3fc4; background: #4f46e5; color: #fff; }
.helptext { color: #5d6677; font-size: .85rem; }
[role="alert"] { border: 2px solid #a00; border-radius: .4rem; padding: .5rem .8rem;
  margin: 0 0 1rem; color: #a00; background: #fef2f2; }
"""

_PAGE = """<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><meta name="robots" content="noindex">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{title}</title>
<style>{style}</style></head>
<body>
<main>
<p class="lamba-host">Lamba (emulator)</p>
<h1>{title}</h1>
{content}
</main>
</body>
</html>
"""


def error_page(status: int, message: str) -> Response:
    """Return an HTML error page (used when redirecting back would be unsafe)."""
    content = f'<p role="alert">{escape(message)}</p>'
    page = _PAGE.format(title="Sign-in error", content=content, style=_STYLE)
    return html_response(status, page)


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
<p><label for="login">Email or username</label>
<input id="login" name="login" type="text" autocomplete="username" value="{prefill}" required></p>
<p><label for="password">Password</label>
<input id="password" name="password" type="password" autocomplete="current-password" required></p>
<p><label for="mfa_code">Verification code</label>
<input id="mfa_code" name="mfa_code" inputmode="numeric" autocomplete="one-time-code"
 aria-describedby="mfa_code_help">
<span class="helptext" id="mfa_code_help">Only if your account uses an authenticator app.
</span></p>
<button type="submit">Sign in</button>
</form>"""
    page = _PAGE.format(title="Sign in to Lamba", content=content, style=_STYLE)
    return html_response(200, page, {"Referrer-Policy": "no-referrer"})
