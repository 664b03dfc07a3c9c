"""Signing key sets (JWKS), cached by URL, with bounded refetches: the one JWKS cache.

Access tokens use the auth host's key set, ID tokens the key set the OIDC provider's discovery
document names; both are cached by their URL, so when the provider is Lamba the same document is
fetched and cached once, and a branded issuer's keys never mix with the auth host's. Each key set
lives in the shared cache (one fetch serves every worker) with a per-process copy in front of it.

Fetches, including the first one and the refetch an unknown ``kid`` asks for, happen at most once
per ``LAMBA_JWKS_MIN_REFETCH_INTERVAL`` in each process, and across every worker
sharing a working cache. The per-process limit holds whatever the cache does (its ``add`` fails
open during an outage), so neither a flood of forged key ids nor a JWKS outage becomes a flood of
JWKS fetches. A key id still unknown after the (bounded) refetch is remembered negatively (per
process, bounded, until the next fetch or for one interval): a forged ``kid`` never becomes a
call to the API host. A key Lamba publishes later is found by the next refetch, at most one
interval on.

During an outage the cached set keeps verifying until ``LAMBA_JWKS_MAX_AGE``; after that, or when
no key set could ever be fetched, :func:`key_set` answers ``None`` (fail closed). Verifying a
token with these keys is ``accesstokens`` (access tokens) and ``oidc`` (ID tokens).
"""

from __future__ import annotations

import hashlib
import logging
import threading
from collections import OrderedDict
from dataclasses import dataclass
from typing import Any, TypeGuard

from jwt import PyJWK

from ..client import get_client
from ..conf import lamba_settings
from ..exceptions import LambaError
from . import clock, observe, store

logger = logging.getLogger("django_lamba.jwt")

#: Key types that can verify an asymmetric signature; an ``oct`` key in a JWKS is never used.
_ASYMMETRIC_KTY = {"RSA", "EC", "OKP"}
_LOCAL_KEYS_TTL = 30.0
#: Where the auth host publishes its keys (``LambaClient.get_jwks`` fetches the same URL).
AUTH_JWKS_PATH = "/.well-known/jwks.json"


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
        observe.note_cache("jwks", hit=True)
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
    fetching = (force or stale) and _may_fetch(url, "refetch" if force else "fetch", now)
    observe.note_cache("jwks", hit=not fetching and keyset is not None)
    if fetching:
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
