"""Verified access-token claims, memoised per token; vouching for tokens Lamba just issued.

A JWT's signature does not change, so the RSA check is done once per token per process (bounded,
never past the token's own ``exp`` + leeway). A token this server itself just received from
Lamba that local checks reject (a configuration mismatch) is vouched for: it is then left to
the API host instead of being refused. Vouching is only ever set from Lamba's own answers.
"""

from __future__ import annotations

import logging
import threading
from collections import OrderedDict
from typing import Any

from ..conf import lamba_settings
from ..types import TokenSet
from . import clock, store
from .accesstokens import Verdict, unverified_expiry, verify_access_token

logger = logging.getLogger("django_lamba.session")

# Verified claims per access-token hash: a JWT's signature does not change, so the RSA check is
# done once per token per process. Bounded, and never past the token's own ``exp`` + leeway.
_verified_lock = threading.Lock()
_verified: OrderedDict[str, tuple[float, dict[str, Any]]] = OrderedDict()
_VERIFIED_MAX = 4096


def verify(token: str, token_hash: str) -> tuple[Verdict, dict[str, Any]]:
    now = clock.now()
    hit = _verified.get(token_hash)
    if hit is not None and hit[0] > now:
        return Verdict.VALID, hit[1]
    result = verify_access_token(token)
    if result.verdict is Verdict.VALID:
        expires = float(result.claims["exp"]) + lamba_settings.JWT_LEEWAY
        with _verified_lock:
            _verified[token_hash] = (expires, result.claims)
            while len(_verified) > _VERIFIED_MAX:
                _verified.popitem(last=False)
    elif result.verdict is Verdict.INVALID:
        if store.is_vouched(token_hash):
            # Lamba issued it; our local checks disagree (a configuration mismatch, logged when
            # it was issued). Let the API host decide rather than refreshing on every request.
            return Verdict.UNKNOWN, {}
        logger.info("Ignoring a Lamba access cookie that failed verification: %s", result.reason)
    return result.verdict, result.claims


def clear_verified_cache() -> None:
    """Forget per-process verification results (tests)."""
    with _verified_lock:
        _verified.clear()


def note_issued(tokens: TokenSet) -> None:
    """Check a token set Lamba just issued (a sign-in) as the next request will."""
    expiry_of(tokens.access_token, tokens)


def expiry_of(access: str, tokens: TokenSet | None) -> float | None:
    """Return when a token Lamba just issued expires; vouch for it if local checks disagree."""
    verdict, claims = verify(access, store.token_hash(access))
    if verdict is Verdict.VALID:
        return float(claims["exp"])
    expires_at = (
        tokens.access_token_expires_at.timestamp()
        if tokens and tokens.access_token_expires_at
        else None
    )
    if verdict is Verdict.INVALID:
        logger.error(
            "An access token Lamba just issued fails local verification; check "
            "LAMBA_JWT_ISSUER, LAMBA_JWT_AUDIENCE and LAMBA_JWT_ALGORITHMS."
        )
        store.vouch(store.token_hash(access), expires_at or unverified_expiry(access))
    return expires_at
