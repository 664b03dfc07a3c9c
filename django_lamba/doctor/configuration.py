"""Doctor checks that need no network: the system checks, the webhook endpoint, the binding."""

from __future__ import annotations

from django.core.checks import ERROR, CheckMessage
from django.urls import NoReverseMatch, reverse

from ..checks import check_settings, check_url_names
from ..conf import lamba_settings
from .results import Finding


def settings_findings() -> list[Finding]:
    """Turn what ``manage.py check`` says about django_lamba into findings, hint as the fix.

    The cache's deploy checks are left to the doctor's own cache check, which goes further.
    """
    messages: list[CheckMessage] = [
        m for m in check_settings() + check_url_names() if not m.is_silenced()
    ]
    if not messages:
        return [Finding("settings", "ok", "manage.py check finds nothing to fix")]
    return [
        Finding(
            f"settings {str(message.id).removeprefix('django_lamba.')}",
            "fail" if message.level >= ERROR else "warn",
            str(message.msg),
            fix=str(message.hint or ""),
            facts={"id": message.id},
        )
        for message in messages
    ]


def webhook_finding() -> Finding:
    """Check that the webhook secret is set and ``lamba:webhook`` resolves to a URL."""
    secrets = lamba_settings.WEBHOOK_SECRET
    try:
        path = reverse("lamba:webhook")
    except NoReverseMatch:
        path = ""
    if not secrets and not path:
        return Finding("webhook", "skip", "not set up (LAMBA_WEBHOOK_SECRET unset, no URL)")
    if not path:
        return Finding(
            "webhook",
            "fail",
            "LAMBA_WEBHOOK_SECRET is set but the lamba:webhook URL does not resolve",
            fix='Include django_lamba.urls: path("auth/", include("django_lamba.urls")).',
        )
    url = (lamba_settings.SITE_URL.rstrip("/") or "") + path
    if not secrets:
        return Finding(
            "webhook",
            "warn",
            f"{url} is served but LAMBA_WEBHOOK_SECRET is not set: every delivery gets 401",
            fix="Copy the endpoint's signing secret (whsec_...) from the Lamba console into "
            "LAMBA_WEBHOOK_SECRET, or leave the endpoint unregistered.",
            facts={"url": url},
        )
    rotation = " (2 secrets: a rotation is under way)" if len(secrets) > 1 else ""
    return Finding(
        "webhook",
        "ok",
        f"secret set{rotation}; register {url} in the Lamba console",
        facts={"url": url, "secrets": len(secrets)},
    )


def binding_finding(confirmed: bool | None) -> Finding:
    """Describe which sessions this site signs in; ``confirmed``: Lamba knows the Project."""
    allowed = lamba_settings.ALLOWED_PROJECTS
    env = lamba_settings.ENV
    if not allowed:
        return Finding(
            "tenant binding",
            "warn",
            "no Project configured: sessions of every Lamba Project are signed in here",
            fix="Set LAMBA_CUSTOMER_WORKSPACE_ID and LAMBA_CUSTOMER_PROJECT_ID (and "
            "LAMBA_ALLOWED_PROJECTS for a site serving several Projects).",
        )
    pairs = ", ".join(f"{ws}/{prj}" for ws, prj in allowed)
    facts = {"allowed": [f"{ws}/{prj}" for ws, prj in allowed], "environment": env}
    if confirmed is False:
        return Finding(
            "tenant binding",
            "fail",
            f"Lamba does not know {lamba_settings.WORKSPACE_ID}/{lamba_settings.PROJECT_ID} "
            f"in {env!r} (the management token was refused for it)",
            fix="Copy the Workspace and Project ids from the Lamba console, and check "
            "LAMBA_CUSTOMER_ENV ('test' for the sandbox, 'prod' for production).",
            facts=facts,
        )
    how = " (Lamba confirmed the Project)" if confirmed else ""
    return Finding("tenant binding", "ok", f"signs in {pairs} in {env!r}{how}", facts=facts)
