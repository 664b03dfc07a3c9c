"""The doctor: is this deployment of django_lamba configured right, and does Lamba agree?

``python manage.py lamba_check`` runs :func:`run` and prints its :class:`Report`. The checks:
the system checks (``settings ...``), both hosts, discovery's issuer, the JWKS, the clock skew
against Lamba's ``Date``, the shared cache, the management credentials, the webhook endpoint and
the tenant binding. Checks that need a host the settings cannot name are skipped. Nothing in a
report is ever a token or a secret.
"""

from __future__ import annotations

from django.core.exceptions import ImproperlyConfigured

from ..client import LambaClient
from .clock import clock_skew
from .configuration import binding_finding, settings_findings, webhook_finding
from .credentials import management_finding
from .network import api_host, auth_host, issuer, jwks, oidc_issuer
from .render import as_json, as_text
from .results import STATUSES, Finding, Report, Status
from .sharedcache import cache_finding

__all__ = ["STATUSES", "Finding", "Report", "Status", "as_json", "as_text", "run"]

_NETWORK = ("auth host", "api host", "issuer", "jwks", "clock")


def run() -> Report:
    """Run every check, in order, and return the report."""
    report = Report()
    for finding in settings_findings():
        report.add(finding)
    client = LambaClient()
    try:
        client.auth_base_url, client.api_base_url  # noqa: B018  (raises when unset)
        configured = True
    except ImproperlyConfigured:
        configured = False
        for name in _NETWORK:
            report.add(Finding(name, "skip", "the base URLs are not configured (see above)"))
    if configured:
        found, discovery = auth_host(client)
        report.add(found)
        report.add(api_host(client))
        if discovery.error is None:
            report.add(issuer(discovery.body))
            branded = oidc_issuer(client)
            if branded is not None:
                report.add(branded)
            report.add(jwks(client))
            report.add(clock_skew(discovery))
        else:
            for name in ("issuer", "jwks", "clock"):
                report.add(Finding(name, "skip", "the auth host did not answer (see above)"))
    report.add(cache_finding())
    confirmed: bool | None = None
    if configured:
        management, confirmed = management_finding()
        report.add(management)
    else:
        report.add(Finding("management", "skip", "the base URLs are not configured (see above)"))
    report.add(webhook_finding())
    report.add(binding_finding(confirmed))
    return report
