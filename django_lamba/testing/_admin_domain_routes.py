"""API-host admin routes: custom domains and their verification.

A domain stays ``pending`` until its TXT record ``_lamba-verification.<host>`` is published (the
emulator's ``publish_domain_record``) and a verify call finds it; an unverified host fails with
``custom_domain_not_verified``.
"""

from __future__ import annotations

import re
import secrets
from typing import Any

from ._admin_routes import admin_session, not_found
from ._admin_state import DomainRecord
from ._api_routes import page
from ._errors import Problem, validation_failed
from ._http import Handler, RequestContext, Response, json_response
from ._tokens import iso, random_id

HOST = re.compile(r"^(?=.{4,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$")


def _domain(record: DomainRecord) -> dict[str, Any]:
    return {
        "id": record.id,
        "host": record.host,
        "status": "verified" if record.verified_at else "pending",
        "purpose": record.purpose,
        "environment": record.environment,
        "verification": {
            "type": "TXT",
            "name": record.record_name,
            "value": record.record_value,
        },
        "createdAt": iso(record.created_at),
        "verifiedAt": iso(record.verified_at) if record.verified_at else None,
    }


def domains(ctx: RequestContext) -> Response:
    """GET /v1/admin/domains."""
    session = admin_session(ctx, "customer.domains.read")
    found = ctx.state.admin.domains.values()
    return page(ctx, [_domain(d) for d in found if d.project_id == session.project_id])


def domain_create(ctx: RequestContext) -> Response:
    """POST /v1/admin/domains ``{host, purpose?, environment?}``: 201, pending."""
    session = admin_session(ctx, "customer.domains.write")
    data, state = ctx.json(), ctx.state
    host = data.get("host")
    host = host.strip().lower().rstrip(".") if isinstance(host, str) else ""
    if not HOST.match(host):
        raise validation_failed({"host": ["Use a host name such as auth.example.com."]})
    purpose = data.get("purpose", "auth")
    environment = data.get("environment", session.environment)
    if purpose not in ("auth", "api"):
        raise validation_failed({"purpose": ["Use 'auth' or 'api'."]})
    if environment not in ("test", "prod"):
        raise validation_failed({"environment": ["Use 'test' or 'prod'."]})
    if any(d.host == host for d in state.admin.domains.values()):
        raise Problem(409, "domain_already_exists", "That host is already registered.")
    record = DomainRecord(
        random_id("dom"),
        session.project_id or "",
        host,
        purpose,
        environment,
        secrets.token_hex(16),
        state.now(),
    )
    state.admin.domains[record.id] = record
    return json_response(201, _domain(record))


def domain_verify(ctx: RequestContext) -> Response:
    """POST /v1/admin/domains/{id}/verify: 200 verified, or 409 while the TXT is missing."""
    session = admin_session(ctx, "customer.domains.write")
    state = ctx.state
    record = state.admin.domains.get(ctx.params.get("id", ""))
    if record is None or record.project_id != session.project_id:
        raise not_found("domain")
    if state.admin.dns_txt.get(record.record_name) != record.record_value:
        raise Problem(
            409,
            "custom_domain_not_verified",
            f"No TXT record {record.record_name} with the expected value was found.",
        )
    record.verified_at = record.verified_at or state.now()
    return json_response(200, _domain(record))


ROUTES: dict[str, dict[str, Handler]] = {
    "/v1/admin/domains": {"GET": domains, "POST": domain_create},
    "/v1/admin/domains/{id}/verify": {"POST": domain_verify},
}
