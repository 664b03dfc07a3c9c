"""OpenID Connect relying-party machinery: discovery, provider keys, flow state, ID tokens.

Nothing here speaks HTTP itself: documents come through ``get_client().get_document``. Each
sign-in attempt keeps its ``state``, ``nonce`` and PKCE verifier server-side, sealed with a key
derived from ``state`` and bound to one browser by a random id in a short-lived cookie; the
attempt is taken out of the cache exactly once, so a replayed ``state`` finds nothing.
"""

from __future__ import annotations

import base64
import hashlib
import logging
import secrets
from dataclasses import asdict, dataclass
from typing import Any
from urllib.parse import urlencode, urlsplit, urlunsplit

import jwt
from cryptography.hazmat.primitives.asymmetric.ec import EllipticCurvePublicKey
from cryptography.hazmat.primitives.asymmetric.rsa import RSAPublicKey
from jwt import PyJWK

from ..client import get_client
from ..conf import lamba_settings
from ..exceptions import LambaUnavailable
from . import clock, seal, store
from .accesstokens import looks_like_jwt
from .jwks import key_set

logger = logging.getLogger("django_lamba.oidc")

#: ID-token algorithms accepted; ``none`` and HMAC never reach a key.
ALGORITHMS = ("RS256", "ES256")
FLOW_TTL = 600
BINDING_COOKIE = "lamba_oidc"
_PURPOSE = "oidc attempt"

VERIFY_FAILED = "The sign-in could not be verified. Please start again."


class OIDCError(Exception):
    """One step of the flow failed: ``reason`` is for the log, ``message`` for the person."""

    def __init__(
        self,
        reason: str,
        message: str = VERIFY_FAILED,
        *,
        status: int = 400,
        error_code: str = "oidc_failed",
    ) -> None:
        super().__init__(reason)
        self.reason = reason
        self.message = message
        self.status = status
        self.error_code = error_code


def _digest(value: str) -> str:
    return hashlib.sha256(value.encode("utf-8", "surrogatepass")).hexdigest()


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


# --- discovery and keys ------------------------------------------------------------------------


@dataclass(frozen=True)
class Provider:
    """The endpoints a discovery document names, checked against the configured issuer."""

    issuer: str
    authorization_endpoint: str
    token_endpoint: str
    jwks_uri: str
    userinfo_endpoint: str = ""
    iss_parameter: bool = False


def _endpoint(document: dict[str, Any], name: str, issuer: str, required: bool = True) -> str:
    value = document.get(name)
    if not value and not required:
        return ""
    parts = urlsplit(value) if isinstance(value, str) else None
    allowed = {"https"} if issuer.startswith("https:") else {"https", "http"}
    if parts is None or parts.scheme not in allowed or not parts.netloc:
        raise OIDCError(
            f"discovery document has no usable {name}",
            "The sign-in provider is misconfigured. Please try again later.",
            status=502,
            error_code="oidc_discovery_invalid",
        )
    return str(value)


def provider(issuer: str) -> Provider:
    """Return the provider's metadata from its discovery document (cached)."""
    cache_key = f"lamba:oidc:discovery:{_digest(issuer)[:32]}"
    document = store.cache().get(cache_key)
    fresh = not isinstance(document, dict)
    if not isinstance(document, dict):
        document = get_client().get_document(issuer + "/.well-known/openid-configuration")
    if document.get("issuer") != issuer:
        # OIDC Discovery 4.3: the document must name exactly the issuer we asked.
        raise OIDCError(
            "discovery issuer does not match LAMBA_OIDC_ISSUER",
            "The sign-in provider is misconfigured. Please try again later.",
            status=502,
            error_code="oidc_discovery_invalid",
        )
    metadata = Provider(
        issuer=issuer,
        authorization_endpoint=_endpoint(document, "authorization_endpoint", issuer),
        token_endpoint=_endpoint(document, "token_endpoint", issuer),
        jwks_uri=_endpoint(document, "jwks_uri", issuer),
        userinfo_endpoint=_endpoint(document, "userinfo_endpoint", issuer, required=False),
        iss_parameter=document.get("authorization_response_iss_parameter_supported") is True,
    )
    if fresh:
        store.cache().set(cache_key, document, timeout=lamba_settings.JWKS_CACHE_TTL)
    return metadata


def _fits(key: PyJWK, alg: str) -> bool:
    if key.algorithm_name != alg:
        return False
    if alg == "RS256":
        return isinstance(key.key, RSAPublicKey)
    return isinstance(key.key, EllipticCurvePublicKey) and key.key.curve.name == "secp256r1"


def _pick(keys: dict[str, PyJWK], kid: str, alg: str) -> PyJWK | None:
    candidates = [keys[kid]] if kid in keys else ([] if kid else list(keys.values()))
    fitting = [key for key in candidates if _fits(key, alg)]
    return fitting[0] if len(fitting) == 1 else None


def _provider_key(jwks_uri: str, kid: str, alg: str) -> PyJWK:
    """Return the one provider key for ``kid`` and ``alg`` (the shared JWKS cache's rules)."""
    keys = key_set(jwks_uri)
    key = None if keys is None else _pick(keys, kid, alg)
    if key is None and keys is not None:
        keys = key_set(jwks_uri, unknown_kid=kid)
        key = None if keys is None else _pick(keys, kid, alg)
    if keys is None:
        # Nothing fetched, or too old to trust: fail closed, as an outage of the provider.
        raise LambaUnavailable("The sign-in provider's keys could not be fetched.")
    if key is None:
        raise OIDCError("no provider key matches the id_token")
    return key


# --- ID token ----------------------------------------------------------------------------------


def _at_hash(access_token: str) -> str:
    return _b64url(hashlib.sha256(access_token.encode("ascii", "replace")).digest()[:16])


def verify_id_token(
    id_token: Any,
    *,
    metadata: Provider,
    client_id: str,
    nonce: str,
    access_token: str = "",
) -> dict[str, Any]:
    """Check an ID token's signature, ``iss``, ``aud``/``azp``, ``exp``/``iat`` and ``nonce``."""
    if not isinstance(id_token, str) or not looks_like_jwt(id_token):
        raise OIDCError("the token response has no id_token")
    try:
        header = jwt.get_unverified_header(id_token)
    except jwt.PyJWTError:
        raise OIDCError("id_token header is malformed") from None
    alg = header.get("alg")
    if alg not in ALGORITHMS:
        raise OIDCError(f"id_token algorithm {str(alg)[:20]!r} is not allowed")
    if "crit" in header:
        raise OIDCError("id_token has critical header parameters")
    typ = header.get("typ")
    if typ is not None and str(typ).lower() not in {"jwt", "application/jwt"}:
        raise OIDCError(f"id_token typ {str(typ)[:20]!r} is not an ID token")
    key = _provider_key(metadata.jwks_uri, str(header.get("kid") or ""), str(alg))
    try:
        claims: dict[str, Any] = jwt.decode(
            id_token,
            key.key,
            algorithms=[str(alg)],
            audience=client_id,
            issuer=metadata.issuer,
            leeway=lamba_settings.JWT_LEEWAY,
            options={"require": ["iss", "sub", "aud", "exp", "iat"]},
        )
    except jwt.PyJWTError as exc:
        raise OIDCError(f"id_token rejected ({type(exc).__name__})") from None
    if claims.get("iss") != metadata.issuer:
        raise OIDCError("id_token issuer mismatch")
    audiences = claims["aud"] if isinstance(claims["aud"], list) else [claims["aud"]]
    if client_id not in audiences:
        raise OIDCError("id_token audience mismatch")
    if (len(audiences) > 1 or "azp" in claims) and claims.get("azp") != client_id:
        raise OIDCError("id_token azp is not this client")
    got = claims.get("nonce")
    if not isinstance(got, str) or not secrets.compare_digest(got.encode(), nonce.encode()):
        raise OIDCError("id_token nonce mismatch")
    if not isinstance(claims.get("sub"), str) or not claims["sub"]:
        raise OIDCError("id_token has no sub")
    at_hash = str(claims.get("at_hash") or "").encode()
    expected = _at_hash(access_token).encode() if access_token else b""
    if at_hash and expected and not secrets.compare_digest(at_hash, expected):
        raise OIDCError("id_token at_hash does not match the access token")
    return claims


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
