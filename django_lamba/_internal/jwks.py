"""Signing keys (JWKS), cached, and local verification of Lamba access tokens with them.

This is the one JWKS cache: access tokens use the auth host's key set, ID tokens the key set the
OIDC provider's discovery document names; both are cached by their URL, so when the provider is
Lamba the same document is fetched and cached once, and a branded issuer's keys never mix with
the auth host's. Each key set lives in the shared cache (one fetch serves every worker) with a
per-process copy in front of it.

Fetches, including the first one and the refetch an unknown ``kid`` asks for, happen at most once
per ``LAMBA_JWKS_MIN_REFETCH_INTERVAL`` in each process, and across every worker
sharing a working cache. The per-process limit holds whatever the cache does (its ``add`` fails
open during an outage), so neither a flood of forged key ids nor a JWKS outage becomes a flood of
JWKS fetches. A key id still unknown after the (bounded) refetch is remembered negatively (per
process, bounded, until the next fetch or for one interval) and the token is INVALID: a forged
``kid`` never becomes a call to the API host. A key Lamba publishes later is found by the next
refetch, at most one interval on; a token this server itself just received from Lamba is vouched
for in the meantime (``session``).

During an outage the cached set keeps verifying until ``LAMBA_JWKS_MAX_AGE``; after that, or when
no key set could ever be fetched, nothing is verified with it (fail closed: for an access token
the API host is asked instead, and no token is trusted on its looks; an OIDC sign-in stops with
an outage answer).
"""

from __future__ import annotations

import base64
import enum
import hashlib
import json
import logging
import threading
from collections import OrderedDict
from dataclasses import dataclass, field
from typing import Any, TypeGuard

import jwt
from jwt import PyJWK

from ..client import get_client
from ..conf import lamba_settings
from ..exceptions import LambaError
from . import clock, store

logger = logging.getLogger("django_lamba.jwt")

#: Header parameters whose meaning we do not implement; a token that marks one critical is refused.
_SUPPORTED_CRIT: frozenset[str] = frozenset()
#: Header ``typ`` values an access token may carry (RFC 9068 ``at+jwt``, or plain ``JWT``).
_ACCESS_TYPES = {"at+jwt", "application/at+jwt", "jwt"}
#: Claims only an OpenID Connect ID token carries (OIDC Core 2, 3.3.2.11): never an access token.
_ID_TOKEN_CLAIMS = ("nonce", "at_hash", "c_hash", "s_hash")
#: Key types that can verify an asymmetric signature; an ``oct`` key in a JWKS is never used.
_ASYMMETRIC_KTY = {"RSA", "EC", "OKP"}
#: Longer tokens are refused before any decoding (a cookie cannot be this big anyway).
MAX_TOKEN_LENGTH = 16 * 1024
_LOCAL_KEYS_TTL = 30.0
#: Where the auth host publishes its keys (``LambaClient.get_jwks`` fetches the same URL).
AUTH_JWKS_PATH = "/.well-known/jwks.json"


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


@dataclass
class _KeySet:
    keys: dict[str, PyJWK]
    fetched_at: float
    loaded_at: float


_local_lock = threading.Lock()
_local: dict[str, _KeySet] = {}
#: When this process last tried each kind of fetch, per JWKS URL: ``{(url, kind): time}``.
_attempts: dict[tuple[str, str], float] = {}
#: Key ids a refetch did not find, per JWKS URL: ``{(url, kid): until}``; emptied by a fetch.
_unknown_kids: OrderedDict[tuple[str, str], float] = OrderedDict()
_UNKNOWN_KIDS_MAX = 1024


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


def _parse_keys(document: Any) -> dict[str, PyJWK]:
    keys: dict[str, PyJWK] = {}
    entries = document.get("keys") if isinstance(document, dict) else None
    for entry in entries if isinstance(entries, list) else []:
        if not isinstance(entry, dict) or entry.get("use", "sig") != "sig":
            continue
        kty, alg = entry.get("kty"), entry.get("alg")
        if not isinstance(kty, str) or kty not in _ASYMMETRIC_KTY:
            continue
        # Which algorithm a token may use is decided at verification (the key's own ``alg`` must
        # match it); here only keys that could never verify a signature are dropped.
        if alg is not None and (not isinstance(alg, str) or alg.upper()[:2] in ("HS", "NO")):
            continue
        try:
            key = PyJWK.from_dict(entry)
        except Exception:  # one bad key must not take the good ones down with it
            logger.warning("Ignoring an unusable key in the JWKS (kid=%r)", entry.get("kid"))
            continue
        keys[str(entry.get("kid") or "")] = key
    return keys


def auth_jwks_url() -> str:
    """Return the URL of the auth host's key set (the one access tokens are signed with)."""
    return get_client().auth_base_url + AUTH_JWKS_PATH


def _cache_key(url: str, suffix: str) -> str:
    digest = hashlib.sha256(url.encode()).hexdigest()[:16]
    return f"lamba:jwks:{digest}:{suffix}"


def _fetch(url: str, now: float) -> _KeySet | None:
    try:
        document = get_client().get_document(url)
    except LambaError as exc:
        logger.warning("Could not fetch the JWKS at %s: %s", url, exc)
        return None
    store.cache().set(
        _cache_key(url, "doc"),
        {"doc": document, "fetched_at": now},
        timeout=max(1, int(lamba_settings.JWKS_MAX_AGE)),
    )
    return _KeySet(_parse_keys(document), now, now)


def _may_fetch(url: str, kind: str, now: float) -> bool:
    """Whether this process may fetch (``kind``: scheduled or unknown-kid) now; notes the try."""
    interval = lamba_settings.JWKS_MIN_REFETCH_INTERVAL
    key = (url, kind)
    with _local_lock:
        last = _attempts.get(key)
        if last is not None and 0 <= now - last < interval:
            return False
        _attempts[key] = now
    # Across the workers sharing the cache too (this ``add`` answers True when the cache fails).
    marker = _cache_key(url, kind)
    return store.cache().add(marker, 1, timeout=max(1, int(interval)))


def _load(url: str, now: float, *, force: bool = False) -> _KeySet | None:
    """Return the freshest usable key set, fetching it when stale (or when ``force``)."""
    local = _local.get(url)
    fresh_here = local is not None and 0 <= now - local.loaded_at < _LOCAL_KEYS_TTL
    if local and fresh_here and not force and now - local.fetched_at < lamba_settings.JWKS_MAX_AGE:
        return local
    cached = store.cache().get(_cache_key(url, "doc"))
    keyset: _KeySet | None = None
    if isinstance(cached, dict) and _is_number(cached.get("fetched_at")):
        fetched_at = float(cached["fetched_at"])
        if local and local.fetched_at == fetched_at:
            keyset = _KeySet(local.keys, fetched_at, now)
        else:
            keyset = _KeySet(_parse_keys(cached.get("doc")), fetched_at, now)
    if local and (keyset is None or keyset.fetched_at < local.fetched_at):
        # The shared cache lost it, is down or holds an older set: our own copy still counts.
        keyset = _KeySet(local.keys, local.fetched_at, now)
    stale = keyset is None or now - keyset.fetched_at >= lamba_settings.JWKS_CACHE_TTL
    if (force or stale) and _may_fetch(url, "refetch" if force else "fetch", now):
        fresh = _fetch(url, now)
        if fresh is not None:
            keyset = fresh
    if keyset is not None and now - keyset.fetched_at >= lamba_settings.JWKS_MAX_AGE:
        keyset = None  # Too old to trust: fail closed.
    with _local_lock:
        if keyset is not None:
            if local is None or keyset.fetched_at != local.fetched_at:
                _unknown_kids.clear()  # a new set: any kid may be in it
            _local[url] = keyset
        else:
            _local.pop(url, None)
    return keyset


def _is_known_unknown(url: str, kid: str, now: float) -> bool:
    until = _unknown_kids.get((url, kid))
    return until is not None and now < until


def _remember_unknown(url: str, kid: str, now: float) -> None:
    with _local_lock:
        key = (url, kid)
        _unknown_kids[key] = now + max(1.0, lamba_settings.JWKS_MIN_REFETCH_INTERVAL)
        _unknown_kids.move_to_end(key)
        while len(_unknown_kids) > _UNKNOWN_KIDS_MAX:
            _unknown_kids.popitem(last=False)


def key_set(
    url: str, *, unknown_kid: str | None = None, now: float | None = None
) -> dict[str, PyJWK] | None:
    """Return the usable keys published at ``url`` by ``kid``; ``None`` when none can be trusted.

    ``unknown_kid`` says the caller's ``kid`` is not in the set it was given: the set is then
    refetched, at most once per interval (and not again for a ``kid`` that refetch missed).
    """
    moment = clock.now() if now is None else now
    keyset = _load(url, moment)
    known_unknown = unknown_kid is None or _is_known_unknown(url, unknown_kid, moment)
    if keyset is not None and unknown_kid is not None and not known_unknown:
        keyset = _load(url, moment, force=True) or keyset
        if unknown_kid not in keyset.keys:
            _remember_unknown(url, unknown_kid, moment)
    return None if keyset is None else keyset.keys


def clear_local_keys() -> None:
    """Forget the per-process key copies and fetch limits (tests, or after changing the host)."""
    with _local_lock:
        _local.clear()
        _attempts.clear()
        _unknown_kids.clear()


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
