"""Local verification of Lamba access tokens against the auth host's key set.

A token is judged without calling Lamba: its shape and size, the header (an allow-listed
asymmetric algorithm, no unsupported ``crit``, an access-token ``typ``), a ``kid`` in the auth
host's key set (``jwks``), the signature, then issuer, audience and times against the library's
clock. The :class:`Verdict` says what the token is worth: ``UNKNOWN`` sends the caller to the API
host, ``INVALID`` is never trusted (a forged ``kid`` included), ``EXPIRED`` asks for a refresh.
A token this server itself just received from Lamba is vouched for by ``verified``.
"""

from __future__ import annotations

import base64
import enum
import json
from dataclasses import dataclass, field
from typing import Any, TypeGuard

import jwt
from jwt import PyJWK

from ..conf import lamba_settings
from . import clock
from .jwks import auth_jwks_url, key_set

#: Header parameters whose meaning we do not implement; a token that marks one critical is refused.
_SUPPORTED_CRIT: frozenset[str] = frozenset()
#: Header ``typ`` values an access token may carry (RFC 9068 ``at+jwt``, or plain ``JWT``).
_ACCESS_TYPES = {"at+jwt", "application/at+jwt", "jwt"}
#: Claims only an OpenID Connect ID token carries (OIDC Core 2, 3.3.2.11): never an access token.
_ID_TOKEN_CLAIMS = ("nonce", "at_hash", "c_hash", "s_hash")
#: Longer tokens are refused before any decoding (a cookie cannot be this big anyway).
MAX_TOKEN_LENGTH = 16 * 1024


class Verdict(enum.Enum):
    VALID = "valid"
    EXPIRED = "expired"  # signature good, ``exp`` beyond the leeway: refresh first
    INVALID = "invalid"  # forged, malformed or not an access token: never trusted
    UNKNOWN = "unknown"  # opaque token, unknown key or no usable keys: ask the API host


@dataclass(frozen=True)
class Verification:
    verdict: Verdict
    claims: dict[str, Any] = field(default_factory=dict)
    reason: str = ""


def _b64json(segment: str) -> Any:
    padded = segment + "=" * (-len(segment) % 4)
    return json.loads(base64.urlsafe_b64decode(padded.encode("ascii")))


def looks_like_jwt(token: str) -> bool:
    """Return whether ``token`` has the three-segment shape of a JWS compact serialization."""
    parts = token.split(".")
    return len(parts) == 3 and all(parts[:2]) and parts[0].startswith("eyJ")


def unverified_expiry(token: str) -> float | None:
    """Return the ``exp`` a JWT claims, unverified (only ever used to shorten a cache TTL)."""
    if len(token) > MAX_TOKEN_LENGTH or not looks_like_jwt(token):
        return None
    try:
        claims = _b64json(token.split(".")[1])
    except (ValueError, UnicodeError, RecursionError):
        return None
    exp = claims.get("exp") if isinstance(claims, dict) else None
    return float(exp) if _is_number(exp) else None


def _is_number(value: Any) -> TypeGuard[float]:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def verify_access_token(token: str, *, now: float | None = None) -> Verification:
    """Verify a Lamba access token locally and say what it is worth."""
    if not lamba_settings.VERIFY_JWT:
        return Verification(Verdict.UNKNOWN, reason="local verification is off")
    if len(token) > MAX_TOKEN_LENGTH:
        return Verification(Verdict.INVALID, reason="token too long")
    if not looks_like_jwt(token):
        return Verification(Verdict.UNKNOWN, reason="not a JWT")
    try:
        header = _b64json(token.split(".", 1)[0])
    except (ValueError, UnicodeError, RecursionError):
        return Verification(Verdict.INVALID, reason="undecodable header")
    if not isinstance(header, dict):
        return Verification(Verdict.INVALID, reason="header is not an object")
    alg = header.get("alg")
    # The allow-list comes before any key lookup: "none" and HMAC never reach a key, and the
    # header's own ``jwk``, ``jku``, ``x5u`` or ``x5c`` are never read at all.
    if (
        not isinstance(alg, str)
        or alg not in lamba_settings.JWT_ALGORITHMS
        or alg.lower() == "none"
        or alg.upper().startswith("HS")
    ):
        return Verification(Verdict.INVALID, reason=f"algorithm {alg!r} not allowed")
    crit = header.get("crit")
    if crit is not None and (not isinstance(crit, list) or set(map(str, crit)) - _SUPPORTED_CRIT):
        return Verification(Verdict.INVALID, reason="unsupported critical header")
    typ = header.get("typ")
    if typ is not None and str(typ).lower() not in _ACCESS_TYPES:
        return Verification(Verdict.INVALID, reason=f"typ {typ!r} is not an access token")
    kid = header.get("kid", "")
    if not isinstance(kid, str):
        return Verification(Verdict.INVALID, reason="kid is not a string")
    moment = clock.now() if now is None else now
    url = auth_jwks_url()
    keys = key_set(url, now=moment)
    if keys is not None and kid not in keys:
        keys = key_set(url, unknown_kid=kid, now=moment)
    if not keys:
        return Verification(Verdict.UNKNOWN, reason="no usable JWKS")
    key = keys.get(kid)
    if key is None:
        # Not in a key set fetched at most one interval ago: forged, or published since (then
        # the next refetch finds it). Never worth a call to the API host.
        return Verification(Verdict.INVALID, reason="unknown kid")
    return _decode(token, key, alg, moment)


def _decode(token: str, key: PyJWK, alg: str, now: float) -> Verification:
    issuer = lamba_settings.JWT_ISSUER
    audience = lamba_settings.JWT_AUDIENCE
    if key.algorithm_name != alg:
        return Verification(Verdict.INVALID, reason="algorithm does not match the key")
    kwargs: dict[str, Any] = {
        "algorithms": [alg],
        # Times are checked below against ``now`` (so a frozen clock can test them).
        "options": {
            "require": ["exp", "iat", "iss", "sub"],
            "verify_exp": False,
            "verify_nbf": False,
            "verify_iat": False,
            "verify_aud": audience is not None,
        },
    }
    if audience is not None:
        kwargs["audience"] = audience
    try:
        claims = jwt.decode(token, key, **kwargs)
    except jwt.PyJWTError as exc:
        return Verification(Verdict.INVALID, reason=type(exc).__name__)
    except (ValueError, TypeError, RecursionError):
        return Verification(Verdict.INVALID, reason="malformed token")
    if claims.get("iss") != issuer:  # exact: no prefix, substring or superstring
        return Verification(Verdict.INVALID, reason="issuer mismatch")
    if audience is not None and claims.get("aud") is None:
        return Verification(Verdict.INVALID, reason="audience missing")
    if any(name in claims for name in _ID_TOKEN_CLAIMS):
        return Verification(Verdict.INVALID, reason="an ID token is not an access token")
    leeway = lamba_settings.JWT_LEEWAY
    exp, iat, nbf = claims.get("exp"), claims.get("iat"), claims.get("nbf", 0)
    if not _is_number(exp) or not _is_number(iat) or not _is_number(nbf):
        return Verification(Verdict.INVALID, reason="malformed time claims")
    if nbf > now + leeway:
        return Verification(Verdict.INVALID, reason="not valid yet (nbf)")
    if iat > now + leeway:
        return Verification(Verdict.INVALID, reason="issued in the future (iat)")
    if exp <= now - leeway:
        return Verification(Verdict.EXPIRED, claims, reason="expired")
    return Verification(Verdict.VALID, claims)
