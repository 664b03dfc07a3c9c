"""Signing keys, JWT minting and verification, and small random-value helpers."""

from __future__ import annotations

import base64
import hashlib
import secrets
import threading
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any

import jwt
from cryptography.hazmat.primitives.asymmetric import rsa
from jwt.algorithms import RSAAlgorithm

ACCESS_TOKEN_TYP = "at+jwt"
ID_TOKEN_TYP = "JWT"


@dataclass(frozen=True)
class SigningKey:
    """An RSA private key and the ``kid`` it is published under."""

    kid: str
    private_key: rsa.RSAPrivateKey = field(repr=False)

    def public_jwk(self) -> dict[str, Any]:
        """Return the public half as a JWK with ``kid``, ``use`` and ``alg``."""
        jwk: dict[str, Any] = dict(
            RSAAlgorithm.to_jwk(self.private_key.public_key(), as_dict=True)
        )
        jwk.update(kid=self.kid, use="sig", alg="RS256")
        return dict(jwk)


_first_key: SigningKey | None = None
_first_key_lock = threading.Lock()


def new_signing_key() -> SigningKey:
    """Generate a fresh 2048-bit RSA key with a new random ``kid``."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    return SigningKey(kid=f"emu-{secrets.token_hex(8)}", private_key=key)


def first_signing_key() -> SigningKey:
    """Return the process-wide first key, generating it once (key generation is slow)."""
    global _first_key
    with _first_key_lock:
        if _first_key is None:
            _first_key = new_signing_key()
        return _first_key


class TokenError(Exception):
    """A token failed verification; ``code`` is the ProblemDetails ``errorCode`` to answer."""

    def __init__(self, code: str, detail: str) -> None:
        super().__init__(detail)
        self.code = code
        self.detail = detail


def encode_jwt(claims: dict[str, Any], key: SigningKey, *, typ: str) -> str:
    """Sign ``claims`` with RS256 under ``key``'s ``kid`` and the given ``typ`` header."""
    return jwt.encode(
        claims, key.private_key, algorithm="RS256", headers={"kid": key.kid, "typ": typ}
    )


def decode_jwt(
    token: str,
    keys: dict[str, SigningKey],
    *,
    issuer: str,
    typ: str,
    now: float,
    verify_exp: bool = True,
) -> dict[str, Any]:
    """Verify ``token`` strictly (RS256, known ``kid``, ``typ``, ``iss``, ``exp`` at ``now``)."""
    try:
        header = jwt.get_unverified_header(token)
    except jwt.PyJWTError:
        raise TokenError("invalid_token", "The bearer token is malformed.") from None
    if header.get("alg") != "RS256":
        raise TokenError("invalid_token", "The bearer token is not signed with RS256.")
    if str(header.get("typ", "")).lower() != typ.lower():
        raise TokenError("invalid_token", "The bearer token has the wrong type.")
    key = keys.get(str(header.get("kid", "")))
    if key is None:
        raise TokenError("invalid_token", "The bearer token is signed with an unknown key.")
    try:
        claims: dict[str, Any] = jwt.decode(
            token,
            key.private_key.public_key(),
            algorithms=["RS256"],
            issuer=issuer,
            options={
                "verify_exp": False,
                "verify_iat": False,
                "verify_nbf": False,
                "verify_aud": False,
                "require": ["iss", "sub", "iat", "exp"],
            },
        )
    except jwt.PyJWTError:
        raise TokenError("invalid_token", "The bearer token failed verification.") from None
    exp = claims.get("exp")
    if not isinstance(exp, int | float):
        raise TokenError("invalid_token", "The bearer token has no valid expiry.")
    if verify_exp and exp <= now:
        raise TokenError("token_expired", "The access token has expired.")
    return claims


def random_token(nbytes: int = 32) -> str:
    """Return an unguessable URL-safe random string."""
    return secrets.token_urlsafe(nbytes)


def random_id(prefix: str) -> str:
    """Return an identifier such as ``usr_3f9a0c...``."""
    return f"{prefix}_{secrets.token_hex(8)}"


def trace_id() -> str:
    """Return a random trace id for a ProblemDetails body."""
    return secrets.token_hex(16)


def iso(ts: float) -> str:
    """Format a POSIX timestamp as ISO-8601 UTC with a ``Z`` suffix."""
    return datetime.fromtimestamp(ts, timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def pkce_s256(verifier: str) -> str:
    """Return the S256 code challenge of a PKCE ``verifier``."""
    digest = hashlib.sha256(verifier.encode("ascii")).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")
