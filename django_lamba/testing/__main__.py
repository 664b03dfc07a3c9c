"""Run a Lamba emulator with demo users: ``python -m django_lamba.testing``.

It prints the settings for a Django project as shell ``export`` lines (every comment a ``#``
line, so the block pastes into a shell as it is) or, with ``--settings``, as Python to paste at
the end of ``settings.py``; a ``LAMBA_*`` value in settings.py wins over the environment.
"""

from __future__ import annotations

import argparse
import shlex
import threading
from collections.abc import Sequence

from ._session_records import OutboxMessage
from .demo import seed_demo_users
from .emulator import LambaEmulator

DEFAULT_CLIENT_ID = "demo-client"
DEFAULT_REDIRECT_URIS = (
    "http://127.0.0.1:8000/auth/oidc/callback/",
    "http://localhost:8000/auth/oidc/callback/",
)


def _print_message(message: OutboxMessage) -> None:
    if message.kind == "magic_link":
        print(f"[outbox] magic link for {message.to}: {message.url}", flush=True)
    else:
        print(f"[outbox] SMS code for {message.to}: {message.token_or_code}", flush=True)


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m django_lamba.testing",
        description="Serve an emulated Lamba auth host and API host with demo users.",
    )
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--auth-port", type=int, default=8001)
    parser.add_argument("--api-port", type=int, default=8002)
    parser.add_argument("--token-format", choices=("jwt", "opaque"), default="jwt")
    parser.add_argument("--access-token-ttl", type=int, default=300)
    parser.add_argument("--client-id", default=DEFAULT_CLIENT_ID, help="OIDC App Client id")
    parser.add_argument(
        "--settings",
        action="store_true",
        help="print the settings as Python for settings.py instead of shell exports",
    )
    parser.add_argument(
        "--site-url",
        default="http://127.0.0.1:8000",
        help="your Django site's address (LAMBA_SITE_URL), default http://127.0.0.1:8000",
    )
    parser.add_argument(
        "--redirect-uri",
        action="append",
        dest="redirect_uris",
        help="a registered OIDC redirect URI (repeatable)",
    )
    return parser


def settings_for(emu: LambaEmulator, client_id: str, site_url: str) -> dict[str, str]:
    """Return the ``LAMBA_*`` values a Django project needs to use ``emu``."""
    return {
        "LAMBA_CUSTOMER_AUTH_BASE_URL": emu.auth_url,
        "LAMBA_CUSTOMER_API_BASE_URL": emu.api_url,
        "LAMBA_CUSTOMER_WORKSPACE_ID": emu.workspace_id,
        "LAMBA_CUSTOMER_PROJECT_ID": emu.project_id,
        "LAMBA_CUSTOMER_ENV": emu.environment,
        "LAMBA_CLIENT_ID": client_id,
        "LAMBA_MANAGEMENT_CLIENT_ID": emu.management_client_id,
        "LAMBA_MANAGEMENT_CLIENT_SECRET": emu.management_client_secret,
        "LAMBA_SITE_URL": site_url,
        "LAMBA_COOKIE_SECURE": "False",
    }


def settings_block(values: dict[str, str], redirect_uris: Sequence[str], *, python: bool) -> str:
    """Return ``values`` as shell exports, or as Python for settings.py, ready to paste."""
    lines = [
        "# Lamba emulator running. Settings for your Django project"
        + (" (paste at the end of settings.py):" if python else " (paste into a shell):"),
        "# LAMBA_CLIENT_ID's redirect URIs: " + ", ".join(redirect_uris),
        "# LAMBA_COOKIE_SECURE=False only for plain-http local development.",
    ]
    if not python:
        lines.append("# A LAMBA_* value set in settings.py wins over these: remove it there.")
    for name, value in values.items():
        if python:
            literal = "False" if value == "False" else repr(value)
            lines.append(f"{name} = {literal}")
        else:
            lines.append(f"export {name}={shlex.quote(value)}")
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    """Start the emulator, print how to use it, and serve until interrupted."""
    args = _parser().parse_args(argv)
    emu = LambaEmulator(
        host=args.host,
        auth_port=args.auth_port,
        api_port=args.api_port,
        access_token_ttl=args.access_token_ttl,
        token_format=args.token_format,
        on_outbox=_print_message,
    )
    try:
        emu.start()
    except OSError as exc:
        print(f"Cannot listen on {args.host}:{args.auth_port}/{args.api_port}: {exc}", flush=True)
        return 2
    try:
        users = seed_demo_users(emu)
        redirect_uris = args.redirect_uris or list(DEFAULT_REDIRECT_URIS)
        emu.add_oidc_client(args.client_id, redirect_uris)
        values = settings_for(emu, args.client_id, args.site_url)
        print(settings_block(values, redirect_uris, python=args.settings), flush=True)
        print("# Demo users:")
        for email, password, description in users:
            print(f"#   {email} / {password}  - {description}")
        print("# Magic links and SMS codes are printed below as they are sent. Ctrl-C stops.")
        print(flush=True)
        threading.Event().wait()
    except KeyboardInterrupt:
        print("Stopping.", flush=True)
    finally:
        emu.stop()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
