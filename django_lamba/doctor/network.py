"""Doctor checks that ask Lamba: both hosts, discovery's issuer, the JWKS.

Every request goes through the client like any other call (timeouts, deadline, breaker); what
it looked like on the wire (status, duration, traceId, Lamba's ``Date``) is read back from a
recorder (``_internal/observe``), never by talking HTTP here.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from jwt import PyJWK

from .._internal import clock, observe
from ..client import LambaClient
from ..conf import lamba_settings
from ..exceptions import LambaError, LambaRateLimited, LambaUnauthorized
from .results import Finding

DISCOVERY_PATH = "/.well-known/openid-configuration"
JWKS_PATH = "/.well-known/jwks.json"
#: The key type each signing algorithm needs.
KTY_FOR = {"RS256": "RSA", "RS384": "RSA", "RS512": "RSA", "ES256": "EC", "ES384": "EC"}


@dataclass
class Probe:
    """One call's answer (or error) and what it looked like on the wire."""

    body: Any
    error: LambaError | None
    call: observe.UpstreamCall | None
    #: This server's wall time when the call was over.
    finished: float


def probe(fetch: Callable[[], Any]) -> Probe:
    """Make one call through the client, recording it."""
    with observe.recording() as recorder:
        try:
            body, error = fetch(), None
        except LambaError as exc:
            body, error = None, exc
    return Probe(body, error, recorder.calls[-1] if recorder.calls else None, clock.now())


def _facts(result: Probe) -> dict[str, Any]:
    call = result.call
    if call is None:
        return {}
    return {
        "status": call.status,
        "duration_ms": call.duration_ms,
        "trace_id": call.trace_id or (result.error.trace_id if result.error else None),
        "correlation_id": call.correlation_id,
    }


def _answered(call: observe.UpstreamCall | None) -> str:
    if call is None:
        return "was not called (its circuit is open after repeated failures)"
    if call.status is None:
        return {"timeout": "did not answer in time", "too_large": "sent a body far too large"}.get(
            call.outcome, "could not be reached"
        )
    return f"answered {call.status}"


def failed_call(name: str, setting: str, result: Probe) -> Finding:
    """Describe a call that failed: throttled (warn), or down / not Lamba (fail)."""
    error = result.error
    facts = _facts(result)
    code = f" errorCode={error.error_code}" if error and error.error_code else ""
    trace = f" traceId={facts['trace_id']}" if facts.get("trace_id") else ""
    if isinstance(error, LambaRateLimited):
        wait = f", Retry-After {error.retry_after} s" if error.retry_after is not None else ""
        return Finding(
            name,
            "warn",
            f"Lamba is throttling this server (429{wait})",
            fix="Run lamba_check again later. Many 429s in production mean this site calls "
            "Lamba too often: check LAMBA_CONTEXT_CACHE_TTL and that the cache is shared.",
            facts=facts,
        )
    return Finding(
        name,
        "fail",
        f"{_base_for(setting)} {_answered(result.call)}{code}{trace}",
        fix=f"Check {setting} (scheme, host, port; no path) and that this server can reach it "
        "(DNS, firewall, proxy). If it is Lamba that fails, quote the traceId to Lamba support.",
        facts=facts,
    )


def _base_for(setting: str) -> str:
    if setting == "LAMBA_OIDC_ISSUER":
        return lamba_settings.OIDC_ISSUER
    return lamba_settings.AUTH_BASE_URL if "AUTH" in setting else lamba_settings.API_BASE_URL


def auth_host(client: LambaClient) -> tuple[Finding, Probe]:
    """Fetch discovery from the auth host: it must answer with a JSON object."""
    result = probe(lambda: client.get_document(client.auth_base_url + DISCOVERY_PATH))
    if result.error is not None:
        return failed_call("auth host", "LAMBA_CUSTOMER_AUTH_BASE_URL", result), result
    ms = result.call.duration_ms if result.call else 0.0
    summary = f"GET {DISCOVERY_PATH} -> 200 in {ms:.0f} ms"
    return Finding("auth host", "ok", summary, facts=_facts(result)), result


def api_host(client: LambaClient) -> Finding:
    """Call ``/v1/me/context`` without a token: Lamba's API host answers a 401 problem."""
    result = probe(lambda: client.request("GET", client.api_base_url + "/v1/me/context"))
    if isinstance(result.error, LambaUnauthorized):
        ms = result.call.duration_ms if result.call else 0.0
        summary = f"GET /v1/me/context without a token -> 401 in {ms:.0f} ms, as expected"
        return Finding("api host", "ok", summary, facts=_facts(result))
    if result.error is None or (result.error.status == 404 and result.call is not None):
        return Finding(
            "api host",
            "fail",
            f"{client.api_base_url} {_answered(result.call)} to GET /v1/me/context without a "
            "token: this is not Lamba's API host",
            fix="Set LAMBA_CUSTOMER_API_BASE_URL to the API host (https://api.uselamba.com or "
            "https://test.api.uselamba.com), not the auth host.",
            facts=_facts(result),
        )
    return failed_call("api host", "LAMBA_CUSTOMER_API_BASE_URL", result)


def issuer(discovery: Any) -> Finding:
    """Compare discovery's ``issuer`` with the issuer access tokens are checked against."""
    expected = lamba_settings.JWT_ISSUER
    found = discovery.get("issuer") if isinstance(discovery, dict) else None
    if found == expected:
        return Finding("issuer", "ok", f"discovery names {found}, as configured")
    return Finding(
        "issuer",
        "fail",
        f"discovery's issuer is {found!r}, but tokens are checked against {expected!r}",
        fix="Issuers are compared exactly (scheme, host, path, trailing slash): every token "
        "would be refused. Set LAMBA_CUSTOMER_AUTH_BASE_URL to the issuer discovery names, or "
        "LAMBA_JWT_ISSUER to it for a branded auth domain.",
        facts={"discovery": found, "configured": expected},
    )


def oidc_issuer(client: LambaClient) -> Finding | None:
    """For hosted sign-in with its own issuer (a branded domain): its discovery must name it."""
    expected = lamba_settings.OIDC_ISSUER
    if not lamba_settings.CLIENT_ID or expected == client.auth_base_url:
        return None
    result = probe(lambda: client.get_document(expected + DISCOVERY_PATH))
    if result.error is not None:
        return failed_call("oidc issuer", "LAMBA_OIDC_ISSUER", result)
    found = result.body.get("issuer")
    if found == expected:
        return Finding("oidc issuer", "ok", f"{expected} names itself in its discovery")
    return Finding(
        "oidc issuer",
        "fail",
        f"the discovery at {expected} names {found!r}: hosted sign-in would be refused",
        fix="Set LAMBA_OIDC_ISSUER to exactly the issuer its discovery document names.",
        facts={"discovery": found, "configured": expected},
    )


def _key_problem(entry: Any, algorithms: list[str]) -> str | None:
    if not isinstance(entry, dict):
        return "not an object"
    kty, alg, use = entry.get("kty"), entry.get("alg"), entry.get("use", "sig")
    if use != "sig":
        return f"use={use}"
    if kty not in {KTY_FOR.get(a) for a in algorithms}:
        return f"kty={kty}"
    if alg is not None and alg not in algorithms:
        return f"alg={alg}"
    try:
        PyJWK.from_dict(entry)
    except Exception:  # any malformed key material
        return "unparseable"
    return None


def jwks(client: LambaClient) -> Finding:
    """Fetch the JWKS and count the keys that can verify this site's access tokens."""
    result = probe(lambda: client.get_document(client.auth_base_url + JWKS_PATH))
    if result.error is not None:
        return failed_call("jwks", "LAMBA_CUSTOMER_AUTH_BASE_URL", result)
    algorithms = [a for a in lamba_settings.JWT_ALGORITHMS if a in KTY_FOR]
    entries = result.body.get("keys")
    entries = entries if isinstance(entries, list) else []
    usable: list[str] = []
    ignored: list[str] = []
    for entry in entries:
        problem = _key_problem(entry, algorithms)
        kid = str(entry.get("kid") or "-") if isinstance(entry, dict) else "-"
        (ignored if problem else usable).append(f"{kid} ({problem})" if problem else kid)
    facts = {"usable": usable, "ignored": ignored, "algorithms": algorithms}
    if not usable:
        return Finding(
            "jwks",
            "fail",
            f"no usable {'/'.join(algorithms) or 'RS256'} signing key among {len(entries)}"
            + (f"; ignored: {', '.join(ignored)}" if ignored else ""),
            fix="Access tokens cannot be verified here: each one costs a call to the API host. "
            "Check LAMBA_CUSTOMER_AUTH_BASE_URL and LAMBA_JWT_ALGORITHMS (Lamba signs RS256).",
            facts=facts,
        )
    extra = f"; ignored: {', '.join(ignored)}" if ignored else ""
    summary = f"{len(usable)} usable signing key(s): {', '.join(usable)}{extra}"
    return Finding("jwks", "ok", summary, facts=facts)
