"""Where the example project finds Lamba: the environment, else the embedded emulator.

django_lamba reads every ``LAMBA_*`` setting from the environment when settings.py leaves it
out, and it reads on every access. So the demo never writes Lamba's address into settings.py:
``rundemo`` puts its emulator's URLs into ``os.environ`` before serving, and a real Lamba is
used by exporting ``LAMBA_CUSTOMER_AUTH_BASE_URL`` and friends instead.
"""

from __future__ import annotations

import os

from portal.demo import MOBILE_PROJECT

from django_lamba.testing import LambaEmulator

EMULATOR_HOST = "127.0.0.1"
EMULATOR_AUTH_PORT = 8001
EMULATOR_API_PORT = 8002
SITE_HOST = "127.0.0.1"
SITE_PORT = 8000
#: The OIDC App Client ``rundemo`` registers with its emulator for the demo's callback URL.
DEMO_CLIENT_ID = "demo-client"
#: The webhook signing secret ``rundemo`` gives its emulator and this site (demo only).
DEMO_WEBHOOK_SECRET = "whsec_example_project_demo"


def emulator_environment(auth_url: str, api_url: str) -> dict[str, str]:
    """Return the ``LAMBA_*`` variables that point this site at an emulator."""
    return {
        "LAMBA_CUSTOMER_AUTH_BASE_URL": auth_url,
        "LAMBA_CUSTOMER_API_BASE_URL": api_url,
        # With both set, every sign-in is switched into the demo Project right away.
        "LAMBA_CUSTOMER_WORKSPACE_ID": LambaEmulator.workspace_id,
        "LAMBA_CUSTOMER_PROJECT_ID": LambaEmulator.project_id,
        "LAMBA_CUSTOMER_ENV": LambaEmulator.environment,
        # The site serves the demo Project and the Mobile App Project of the same Workspace;
        # the Labs Workspace's Project is listed on the dashboard but not served here.
        "LAMBA_ALLOWED_PROJECTS": (
            f"{LambaEmulator.workspace_id}/{LambaEmulator.project_id},"
            f"{LambaEmulator.workspace_id}/{MOBILE_PROJECT[0]}"
        ),
        "LAMBA_CLIENT_ID": DEMO_CLIENT_ID,
        "LAMBA_MANAGEMENT_CLIENT_ID": LambaEmulator.management_client_id,
        "LAMBA_MANAGEMENT_CLIENT_SECRET": LambaEmulator.management_client_secret,
        # The emulator delivers its webhooks (session.revoked, user.logout) to lamba:webhook.
        "LAMBA_WEBHOOK_SECRET": DEMO_WEBHOOK_SECRET,
    }


def site_url(host: str = SITE_HOST, port: int = SITE_PORT) -> str:
    """Return the origin the demo serves on, for ``LAMBA_SITE_URL``."""
    name = f"[{host}]" if ":" in host else host
    return f"http://{name}:{port}"


def use_site_url(host: str = SITE_HOST, port: int = SITE_PORT) -> None:
    """Set ``LAMBA_SITE_URL`` to where the demo serves, unless the environment names one.

    Emailed sign-in links and the OIDC ``redirect_uri`` are built from it, never from the
    request's Host header.
    """
    os.environ.setdefault("LAMBA_SITE_URL", site_url(host, port))


def use_emulator_defaults() -> None:
    """Point at an emulator on its default ports, unless the environment names a Lamba."""
    use_site_url()  # runserver's default address
    if os.environ.get("LAMBA_CUSTOMER_AUTH_BASE_URL"):
        return
    defaults = emulator_environment(
        f"http://{EMULATOR_HOST}:{EMULATOR_AUTH_PORT}",
        f"http://{EMULATOR_HOST}:{EMULATOR_API_PORT}",
    )
    for name, value in defaults.items():
        os.environ.setdefault(name, value)
