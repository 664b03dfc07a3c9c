"""Local verification of Lamba access tokens against the auth host's JWKS.

The key set lives in the shared cache (one fetch serves every worker) with a per-process copy in
front of it. An unknown ``kid`` triggers at most one refetch per interval across all workers, so a
flood of forged key ids cannot become a flood of JWKS fetches. During a JWKS outage the cached set
keeps verifying until ``LAMBA_JWKS_MAX_AGE``; after that nothing is verified locally (fail closed).
"""

from __future__ import annotations

import base64
import enum
import hashlib
import json
import logging
import threading
import time
from dataclasses import dataclass, field
from typing import Any

import jwt
from jwt import PyJWK

from ..client import get_client
from ..conf import lamba_settings
from ..exceptions import LambaError
from . import store

logger = logging.getLogger("django_lamba.jwt")

#: Header parameters whose meaning we do not implement; a token that marks one critical is refused.
_SUPPORTED_CRIT: frozenset[str] = frozenset()
#: Header ``typ`` values an access token may carry (RFC 9068 ``at+jwt``, or plain ``JWT``).
_ACCESS_TYPES = {"at+jwt", "application/at+jwt", "jwt"}
_LOCAL_KEYS_TTL = 30.0


class Verdict(enum.Enum):
    VALID = "valid"
    EXPIRED = "expired"  # signature good, ``exp`` passed: refresh before calling the API host
    INVALID = "invalid"  # forged, malformed or not an access token: never trusted
    UNKNOWN = "unknown"  # opaque token, or no usable keys: ask the API host


@dataclass(frozen=True)
class Verification:
    verdict: Verdict
    claims: dict[str, Any] = field(default_factory=dict)
    reason: str = ""


@dataclass
class _KeySet:
    keys: dict[str, PyJWK]
    fetched_at: float
    loaded_at: float


_local_lock = threading.Lock()
_local: dict[str, _KeySet] = {}


def _b64json(segment: str) -> Any:
    padded = segment + "=" * (-len(segment) % 4)
    return json.loads(base64.urlsafe_b64decode(padded.encode("ascii")))


def looks_like_jwt(token: str) -> bool:
    """Return whether ``token`` has the three-segment shape of a JWS compact serialization."""
    parts = token.split(".")
    return len(parts) == 3 and all(parts[:2]) and parts[0].startswith("eyJ")


def _parse_keys(document: Any) -> dict[str, PyJWK]:
    keys: dict[str, PyJWK] = {}
    entries = document.get("keys") if isinstance(document, dict) else None
    for entry in entries if isinstance(entries, list) else []:
        if not isinstance(entry, dict) or entry.get("use", "sig") != "sig":
            continue
        try:
            key = PyJWK.from_dict(entry)
        except (jwt.PyJWTError, ValueError, TypeError, KeyError):
            # One bad key must not take the good ones down with it.
            logger.warning("Ignoring an unusable key in the JWKS (kid=%r)", entry.get("kid"))
            continue
        keys[str(entry.get("kid") or "")] = key
    return keys


def _cache_key(suffix: str) -> str:
    issuer = hashlib.sha256(lamba_settings.AUTH_BASE_URL.encode()).hexdigest()[:16]
    return f"lamba:jwks:{issuer}:{suffix}"


def _fetch(now: float) -> _KeySet | None:
    try:
        document = get_client().get_jwks()
    except LambaError as exc:
        logger.warning("Could not fetch the JWKS: %s", exc)
        return None
    store.cache().set(
        _cache_key("doc"),
        {"doc": document, "fetched_at": now},
        timeout=lamba_settings.JWKS_MAX_AGE,
    )
    return _KeySet(_parse_keys(document), now, now)


def _load(now: float, *, force: bool = False) -> _KeySet | None:
    """Return the freshest usable key set, fetching it when stale (or when ``force``)."""
    issuer = lamba_settings.AUTH_BASE_URL
    local = _local.get(issuer)
    if local and not force and now - local.loaded_at < _LOCAL_KEYS_TTL:
        return local
    cached = store.cache().get(_cache_key("doc"))
    keyset: _KeySet | None = None
    if isinstance(cached, dict) and isinstance(cached.get("fetched_at"), (int, float)):
        fetched_at = float(cached["fetched_at"])
        if local and local.fetched_at == fetched_at:
            keyset = _KeySet(local.keys, fetched_at, now)
        else:
            keyset = _KeySet(_parse_keys(cached.get("doc")), fetched_at, now)
    stale = keyset is None or now - keyset.fetched_at >= lamba_settings.JWKS_CACHE_TTL
    if force or stale:
        # One fetch per interval across every worker sharing the cache.
        interval = lamba_settings.JWKS_MIN_REFETCH_INTERVAL
        if keyset is None or store.cache().add(_cache_key("refetch"), 1, timeout=interval):
            fresh = _fetch(now)
            if fresh is not None:
                keyset = fresh
    if keyset is not None and now - keyset.fetched_at >= lamba_settings.JWKS_MAX_AGE:
        keyset = None  # Too old to trust: fail closed.
    with _local_lock:
        if keyset is not None:
            _local[issuer] = keyset
        else:
            _local.pop(issuer, None)
    return keyset


def clear_local_keys() -> None:
    """Forget the per-process key copies (tests, or after changing the auth host)."""
    with _local_lock:
        _local.clear()


def verify_access_token(token: str, *, now: float | None = None) -> Verification:
    """Verify a Lamba access token locally and say what it is worth."""
    if not lamba_settings.VERIFY_JWT or not looks_like_jwt(token):
        return Verification(Verdict.UNKNOWN, reason="not a JWT")
    try:
        header = _b64json(token.split(".", 1)[0])
    except (ValueError, UnicodeError):
        return Verification(Verdict.INVALID, reason="undecodable header")
    if not isinstance(header, dict):
        return Verification(Verdict.INVALID, reason="header is not an object")
    alg = header.get("alg")
    # The allow-list comes before any key lookup: "none" and HMAC never reach a key.
    if alg not in lamba_settings.JWT_ALGORITHMS or alg == "none" or str(alg).startswith("HS"):
        return Verification(Verdict.INVALID, reason=f"algorithm {alg!r} not allowed")
    crit = header.get("crit")
    if crit is not None and (not isinstance(crit, list) or set(crit) - _SUPPORTED_CRIT):
        return Verification(Verdict.INVALID, reason="unsupported critical header")
    typ = header.get("typ")
    if typ is not None and str(typ).lower() not in _ACCESS_TYPES:
        return Verification(Verdict.INVALID, reason=f"typ {typ!r} is not an access token")
    kid = str(header.get("kid") or "")
    moment = time.time() if now is None else now
    keyset = _load(moment)
    if keyset is not None and kid not in keyset.keys:
        keyset = _load(moment, force=True) or keyset
    if keyset is None:
        return Verification(Verdict.UNKNOWN, reason="no usable JWKS")
    key = keyset.keys.get(kid)
    if key is None:
        return Verification(Verdict.INVALID, reason="unknown kid")
    return _decode(token, key, str(alg), moment)


def _decode(token: str, key: PyJWK, alg: str, now: float) -> Verification:
    issuer = lamba_settings.AUTH_BASE_URL
    audience = lamba_settings.JWT_AUDIENCE
    options: dict[str, Any] = {
        "require": ["exp", "iat", "iss", "sub"],
        "verify_aud": audience is not None,
    }
    kwargs: dict[str, Any] = {
        "algorithms": [alg],
        "issuer": issuer,
        "leeway": lamba_settings.JWT_LEEWAY,
        "options": options,
    }
    if audience is not None:
        kwargs["audience"] = audience
    expired = False
    try:
        claims = jwt.decode(token, key.key, **kwargs)
    except jwt.ExpiredSignatureError:
        # PyJWT checks the signature before the claims, so this token is genuine but old.
        expired = True
        claims = jwt.decode(
            token, key.key, **{**kwargs, "options": {**options, "verify_exp": False}}
        )
    except jwt.PyJWTError as exc:
        return Verification(Verdict.INVALID, reason=type(exc).__name__)
    if claims.get("iss") != issuer:
        return Verification(Verdict.INVALID, reason="issuer mismatch")
    if "nonce" in claims:
        return Verification(Verdict.INVALID, reason="an ID token is not an access token")
    if not expired and claims.get("exp", 0) + lamba_settings.JWT_LEEWAY < now:
        expired = True
    return Verification(Verdict.EXPIRED if expired else Verdict.VALID, claims)
