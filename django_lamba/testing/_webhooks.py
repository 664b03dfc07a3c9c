"""Webhook deliveries the emulator sends, signed as Lamba signs them.

Written apart from ``django_lamba._internal.webhook_signature`` on purpose: a shared bug would
make the package's own tests agree with it.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import secrets
import time
import urllib.error
import urllib.request
from datetime import datetime, timezone
from typing import Any


def signature(secret: str, timestamp: str, body: bytes, *, legacy: bool = False) -> str:
    """``X-Lamba-Signature`` for ``body``: ``v1=`` lowercase hex, or the legacy uppercase form."""
    key = secret.encode("utf-8")
    if legacy:
        return hmac.new(key, f"{timestamp}:".encode() + body, hashlib.sha256).hexdigest().upper()
    return "v1=" + hmac.new(key, f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()


def event_body(
    event_type: str,
    data: Any,
    *,
    event_id: str,
    workspace_id: str,
    project_id: str,
    environment: str,
) -> bytes:
    """The JSON body Lamba sends: ``data`` is the raw domain payload, not re-wrapped."""
    occurred = datetime.now(timezone.utc).isoformat(timespec="milliseconds")
    event = {
        "id": event_id,
        "type": event_type,
        "occurredAt": occurred.replace("+00:00", "Z"),
        "workspaceId": workspace_id,
        "projectId": project_id,
        "environment": environment,
        "data": data,
    }
    return json.dumps(event, separators=(",", ":")).encode()


def new_event_id() -> str:
    return "evt_" + secrets.token_hex(12)


def deliver(
    url: str,
    body: bytes,
    *,
    event_type: str,
    secret: str,
    workspace_id: str,
    timestamp: int | None = None,
    legacy: bool = False,
    timeout: float = 10.0,
) -> tuple[int, bytes]:
    """POST one signed delivery to ``url``; return the status and body of the answer."""
    stamp = str(int(time.time()) if timestamp is None else timestamp)
    request = urllib.request.Request(  # noqa: S310  (tests give loopback http URLs)
        url,
        data=body,
        method="POST",
        headers={
            "Content-Type": "application/json",
            "User-Agent": "Lamba-Webhooks/emulator",
            "X-Lamba-Event": event_type,
            "X-Lamba-Tenant": workspace_id,
            "X-Lamba-Timestamp": stamp,
            "X-Lamba-Signature": signature(secret, stamp, body, legacy=legacy),
        },
    )
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310
            return int(response.status), bytes(response.read())
    except urllib.error.HTTPError as error:
        return int(error.code), bytes(error.read())
