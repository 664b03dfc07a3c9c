"""Values every page of the example site shows."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.http import HttpRequest

from .demo import DEMO_ACCOUNTS, DEMO_MFA_CODE

SITE_NAME = "Acme Console"


def site(request: HttpRequest) -> dict[str, Any]:
    """Return the site name, whether the API exists, and the demo accounts (emulator only)."""
    return {
        "site_name": SITE_NAME,
        "has_api": getattr(settings, "HAS_DRF", False),
        "demo_accounts": DEMO_ACCOUNTS,
        "demo_mfa_code": DEMO_MFA_CODE,
    }
