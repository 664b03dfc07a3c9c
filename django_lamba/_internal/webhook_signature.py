"""Lamba's webhook signature: ``X-Lamba-Signature`` over ``X-Lamba-Timestamp`` and the raw body.

Lamba's own format (not Standard Webhooks): ``v1=`` + lowercase hex HMAC-SHA256 of
``"{timestamp}.{raw body}"``, keyed with the endpoint secret string exactly as given (the whole
``whsec_...``, UTF-8, never base64-decoded). An older page documents uppercase hex over
``"{timestamp}:{raw body}"`` with no prefix; it is accepted only when the site opts in.

Everything here works on bytes and never parses the body: the view calls ``verify`` first.
"""

from __future__ import annotations

import hashlib
import hmac
import re
from collections.abc import Sequence

V1_PREFIX = "v1="
_HEX64 = re.compile(r"[0-9a-fA-F]{64}")
_TIMESTAMP = re.compile(r"[0-9]{1,12}")


class SignatureRejected(Exception):
    """The delivery is not provably Lamba's, or is too old/new; ``reason`` is safe to log."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def _mac(secret: str, message: bytes) -> str:
    return hmac.new(secret.encode("utf-8"), message, hashlib.sha256).hexdigest()


def sign_v1(secret: str, timestamp: str, body: bytes) -> str:
    """Return the current ``X-Lamba-Signature`` value for ``body`` sent at ``timestamp``."""
    return V1_PREFIX + _mac(secret, timestamp.encode("ascii") + b"." + body)


def sign_legacy(secret: str, timestamp: str, body: bytes) -> str:
    """Return the legacy signature (uppercase hex over ``{ts}:{body}``, no prefix)."""
    return _mac(secret, timestamp.encode("ascii") + b":" + body).upper()


def verify(
    *,
    body: bytes,
    timestamp: str | None,
    signature: str | None,
    secrets: Sequence[str],
    tolerance: float,
    now: float,
    accept_legacy: bool = False,
) -> None:
    """Raise ``SignatureRejected`` unless one of ``secrets`` signed ``body`` within the window.

    Each candidate is compared with ``hmac.compare_digest``; every secret is tried, so the time
    taken does not tell which one (or whether any) came close.
    """
    if not timestamp or not _TIMESTAMP.fullmatch(timestamp.strip()):
        raise SignatureRejected("missing or malformed X-Lamba-Timestamp")
    timestamp = timestamp.strip()
    if not signature or not signature.strip():
        raise SignatureRejected("missing X-Lamba-Signature")
    candidates = [part for part in re.split(r"[\s,]+", signature.strip()) if part]
    current = [c[len(V1_PREFIX) :] for c in candidates if c.startswith(V1_PREFIX)]
    current = [c for c in current if _HEX64.fullmatch(c)]
    legacy = [c for c in candidates if accept_legacy and _HEX64.fullmatch(c)]
    if not current and not legacy:
        raise SignatureRejected("malformed X-Lamba-Signature")
    matched = False
    for secret in secrets:
        if current:
            expected = _mac(secret, timestamp.encode("ascii") + b"." + body)
            for candidate in current:
                matched |= hmac.compare_digest(candidate.encode("ascii"), expected.encode("ascii"))
        if legacy:
            expected = sign_legacy(secret, timestamp, body)
            for candidate in legacy:
                matched |= hmac.compare_digest(candidate.encode("ascii"), expected.encode("ascii"))
    if not matched:
        raise SignatureRejected("signature does not match")
    if abs(now - int(timestamp)) > tolerance:
        raise SignatureRejected("timestamp outside the tolerance window")
