"""OpenID Connect verification: provider discovery, the provider's keys, the ID token.

Nothing here speaks HTTP itself: documents come through ``get_client().get_document``. An ID
token is checked against the provider's own key set (``jwks``) with the algorithms allowed here,
then its issuer, audience, times, ``nonce`` and ``at_hash``.
"""

from __future__ import annotations

import base64
import hashlib
import logging
import secrets
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import jwt
from cryptography.hazmat.primitives.asymmetric.ec import EllipticCurvePublicKey
from cryptography.hazmat.primitives.asymmetric.rsa import RSAPublicKey
from jwt import PyJWK

from ..client import get_client
from ..conf import lamba_settings
from ..exceptions import LambaUnavailable
from . import store
from .accesstokens import looks_like_jwt
from .jwks import key_set

logger = logging.getLogger("django_lamba.oidc")

#: ID-token algorithms accepted; ``none`` and HMAC never reach a key.
ALGORITHMS = ("RS256", "ES256")

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
