"""OpenID Connect sign-in attempts: ``state``, ``nonce`` and PKCE, kept server-side, used once.

Each sign-in attempt keeps its ``state``, ``nonce`` and PKCE verifier server-side, sealed with a
key derived from ``state`` and bound to one browser by a random id in a short-lived cookie; the
attempt is taken out of the cache exactly once, so a replayed ``state`` finds nothing. Discovery,
the provider's keys and ID-token verification live in ``idtokens`` (importable from here too).
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import asdict, dataclass
from urllib.parse import urlencode, urlsplit, urlunsplit

from . import clock, seal, store
from .idtokens import ALGORITHMS as ALGORITHMS
from .idtokens import VERIFY_FAILED as VERIFY_FAILED
from .idtokens import OIDCError as OIDCError
from .idtokens import Provider as Provider
from .idtokens import _b64url, _digest
from .idtokens import provider as provider
from .idtokens import verify_id_token as verify_id_token

FLOW_TTL = 600
BINDING_COOKIE = "lamba_oidc"
_PURPOSE = "oidc attempt"


# --- per-attempt state -------------------------------------------------------------------------


@dataclass(frozen=True)
class Attempt:
    """One authorization request: what the callback needs to finish it, and whose it is."""

    state: str
    nonce: str
    verifier: str
    binding: str  # sha256 of the browser-binding cookie
    redirect_uri: str
    next_url: str
    issuer: str
    started_at: float

    @property
    def code_challenge(self) -> str:
        """Return the PKCE S256 challenge of the verifier."""
        return _b64url(hashlib.sha256(self.verifier.encode("ascii")).digest())


def new_binding_id() -> str:
    """Return a fresh random browser-binding id for the flow cookie."""
    return secrets.token_urlsafe(32)


def binding_matches(attempt: Attempt, binding_id: str) -> bool:
    """Return whether the browser's binding cookie is the one the attempt started with."""
    return bool(binding_id) and secrets.compare_digest(attempt.binding, _digest(binding_id))


def _cache_key(state: str) -> str:
    return f"lamba:oidc:attempt:{seal.slot_id(_PURPOSE, state)}"


def start_attempt(binding_id: str, redirect_uri: str, next_url: str, issuer: str) -> Attempt:
    """Create fresh ``state``, ``nonce`` and PKCE verifier and keep them server-side."""
    attempt = Attempt(
        state=secrets.token_urlsafe(32),
        nonce=secrets.token_urlsafe(32),
        verifier=secrets.token_urlsafe(64),  # 86 characters (RFC 7636: 43 to 128)
        binding=_digest(binding_id),
        redirect_uri=redirect_uri,
        next_url=next_url,
        issuer=issuer,
        started_at=clock.now(),
    )
    cache_key = _cache_key(attempt.state)
    sealed = seal.seal(attempt.state, _PURPOSE, cache_key, asdict(attempt))
    store.cache().set(cache_key, sealed, timeout=FLOW_TTL)
    return attempt


def take_attempt(state: str) -> Attempt | None:
    """Return the attempt for ``state`` and forget it; ``None`` if unknown, expired or used."""
    if not state or len(state) > 128 or not state.isascii():
        return None
    cache_key = _cache_key(state)
    sealed = store.cache().get(cache_key)
    # Only the request whose delete removed the entry may use it: a replay racing it loses.
    if not isinstance(sealed, bytes) or not store.cache().delete(cache_key):
        return None
    data = seal.unseal(state, _PURPOSE, cache_key, sealed)
    try:
        attempt = Attempt(**data)
    except TypeError:  # not a dict, or not an attempt's fields
        return None
    if clock.now() - attempt.started_at > FLOW_TTL:
        return None
    return attempt


def authorization_url(metadata: Provider, attempt: Attempt, client_id: str, scope: str) -> str:
    """Return the provider's authorization URL for this attempt (Authorization Code + S256)."""
    params = {
        "response_type": "code",
        "client_id": client_id,
        "redirect_uri": attempt.redirect_uri,
        "scope": scope,
        "state": attempt.state,
        "nonce": attempt.nonce,
        "code_challenge": attempt.code_challenge,
        "code_challenge_method": "S256",
    }
    parts = urlsplit(metadata.authorization_endpoint)
    query = "&".join(filter(None, [parts.query, urlencode(params)]))
    return urlunsplit((parts.scheme, parts.netloc, parts.path, query, ""))
