"""The doctor's management-credentials check: is a ``client_credentials`` token issued?

The token is fetched the way the site fetches it (``LambaManagementClient.access_token``) with a
client that keeps the answer, so its scopes and lifetime can be listed. The token itself is never
shown, logged or kept.
"""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

from ..client import LambaClient
from ..conf import lamba_settings
from ..management_client import LambaManagementClient
from ..types import ClientCredentialsToken
from .network import failed_call, probe
from .results import Finding


class _KeepingClient(LambaClient):
    """A client that remembers the last ``client_credentials`` answer (scopes, expiry)."""

    issued: ClientCredentialsToken | None = None

    def client_credentials(self, *args: Any, **kwargs: Any) -> ClientCredentialsToken:
        self.issued = super().client_credentials(*args, **kwargs)
        return self.issued


#: OAuth errors of ``/connect/token`` and what they mean for the operator.
_REFUSALS = {
    "invalid_client": (
        "Lamba refused the management credentials",
        "Check LAMBA_MANAGEMENT_CLIENT_ID and LAMBA_MANAGEMENT_CLIENT_SECRET against the "
        "console's Management Client; test and prod have separate clients.",
    ),
    "unauthorized_client": (
        "the Management Client is bound to another Workspace, Project or environment",
        "Use the Management Client of this Project, or fix LAMBA_CUSTOMER_WORKSPACE_ID, "
        "LAMBA_CUSTOMER_PROJECT_ID and LAMBA_CUSTOMER_ENV.",
    ),
    "invalid_request": (
        "Lamba refused a token for this Workspace, Project and environment",
        "Copy the Workspace and Project ids from the Lamba console and check "
        "LAMBA_CUSTOMER_ENV ('test' or 'prod').",
    ),
}


def _scope() -> str:
    return (
        f"{lamba_settings.WORKSPACE_ID or '-'}/{lamba_settings.PROJECT_ID or '-'} "
        f"in {lamba_settings.ENV!r}"
    )


def management_finding() -> tuple[Finding, bool | None]:
    """Fetch a management token; return the finding and whether Lamba knows the Project.

    The second value is True when a token was issued for the configured Project, False when
    Lamba refused the Project itself, None when nothing was learned about it.
    """
    if not (lamba_settings.MANAGEMENT_CLIENT_ID and lamba_settings.MANAGEMENT_CLIENT_SECRET):
        finding = Finding(
            "management",
            "skip",
            "LAMBA_MANAGEMENT_CLIENT_ID/_SECRET not set (only the admin API needs them)",
        )
        return finding, None
    client = _KeepingClient()
    manager = LambaManagementClient(client=client)
    result = probe(manager.fetch_token)
    error = result.error
    if error is not None:
        refusal = _REFUSALS.get(error.error_code.lower()) if error.status < 500 else None
        if refusal is None:
            return failed_call("management", "LAMBA_CUSTOMER_AUTH_BASE_URL", result), None
        trace = f" traceId={error.trace_id}" if error.trace_id else ""
        finding = Finding(
            "management",
            "fail",
            f"{refusal[0]} ({_scope()}; errorCode={error.error_code}{trace})",
            fix=refusal[1],
            facts={"error_code": error.error_code, "status": error.status},
        )
        return finding, (False if error.error_code.lower() != "invalid_client" else None)
    issued = client.issued
    scopes = issued.scope.split() if issued else []
    seconds = (
        int((issued.expires_at - datetime.now(timezone.utc)).total_seconds()) if issued else 0
    )
    finding = Finding(
        "management",
        "ok",
        f"a client_credentials token was issued for {_scope()} (scopes: "
        f"{' '.join(scopes) or 'none stated'}; expires in {seconds} s)",
        facts={"scopes": scopes, "expires_in": seconds},
    )
    return finding, True
