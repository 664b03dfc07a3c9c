"""What django_lamba keeps in Django's cache framework, and under which keys.

Keys carry a hash of the token, never the token. The only tokens ever written to the cache are a
just-rotated token set kept for the refresh grace window (``rotation``), sealed with a key derived
from the refresh token they replace.

The shared cache can fail (an outage reads as a miss) or be process-local, so what must hold
whatever the cache does is also kept closer: back-offs (and, in ``rotation``, what a refresh token
was rotated into and its markers) in sealed host-local records (``hostlock``), shared by the
workers of one host; and signed-out, rejected and vouched-for access tokens in this process's
memory (bounded).

Contexts are also listed by Lamba session and user (``sessionindex``), so a webhook can end them,
and a revocation generation (``revocations``) tells every worker to drop its local copies: a
webhook's revocation is seen by all workers within ``LAMBA_REVOCATION_CHECK_INTERVAL``. Back-offs
live in ``holds``; ``SafeCache``, ``cache()`` and ``token_hash()`` in ``safecache``.
"""

from __future__ import annotations

import hashlib
import threading
from collections import OrderedDict
from typing import Any

from ..conf import lamba_settings
from ..types import LambaAuthorization, LambaContext
from . import clock, observe, revocations, sessionindex
from .deadlines import Deadlines
from .holds import held as held
from .holds import hold as hold
from .safecache import SafeCache as SafeCache
from .safecache import cache as cache
from .safecache import token_hash as token_hash


def _ttl(expires_at: float | None, ttl: float) -> int:
    if expires_at is not None:
        ttl = min(ttl, expires_at - clock.now())
    return int(ttl)


# --- context and authorization ---------------------------------------------------------------


_ENDED = "ended"


def get_context(access_hash: str) -> LambaContext | None:
    raw = cache().get(f"lamba:ctx:{access_hash}")
    return LambaContext.from_json(raw) if isinstance(raw, dict) else None


# Contexts this process read recently, per access-token hash. Within LAMBA_LOCAL_CONTEXT_TTL a
# warm request skips the shared cache entirely; after it the shared cache is read again and stays
# the truth (a logout elsewhere, a new value), and an unchanged value is not rebuilt.
_local_lock = threading.Lock()
_local: OrderedDict[str, tuple[float, dict[str, Any], LambaContext]] = OrderedDict()
_LOCAL_MAX = 1024


def _remember(access_hash: str, raw: dict[str, Any], context: LambaContext) -> None:
    fresh_until = clock.monotonic() + lamba_settings.LOCAL_CONTEXT_TTL
    with _local_lock:
        _local[access_hash] = (fresh_until, raw, context)
        _local.move_to_end(access_hash)
        while len(_local) > _LOCAL_MAX:
            _local.popitem(last=False)


#: This process's current record of a recent context, by access-token hash, or None (``warm``
#: holds a record by identity). The dict's own ``get``: it is read on every warm request.
local_record = _local.get


def _forget_local(access_hash: str) -> None:
    with _local_lock:
        _local.pop(access_hash, None)


def clear_local_contexts() -> None:
    """Forget this process's recent contexts and token verdicts (tests)."""
    with _local_lock:
        _local.clear()
    for memory in (_ended, _rejected, _vouched):
        memory.clear()
    revocations.clear()


#: Access tokens signed out here, so a replayed cookie is anonymous even with the cache down.
_ended = Deadlines(16384)
#: Access tokens the API host answered 401 for: not asked about again for a while.
_rejected = Deadlines(4096)
#: Access tokens Lamba issued to this server although they fail local verification.
_vouched = Deadlines(1024)
#: The longest a signed-out token whose expiry is unknown (opaque) is remembered.
ENDED_MAX_TTL = 86400.0


def heed_revocations(now: float) -> None:
    """Drop every local context if a webhook ended sessions somewhere since the last look.

    Every path that serves from this process's memory calls it first (the context lookup, the
    authorization lookup, the warm memo), so the shared cache, where the session is already
    marked ended, is read again. Between looks it costs one comparison (``revocations``).
    """
    if revocations.changed(now):
        with _local_lock:
            _local.clear()


def lookup_context(access_hash: str) -> tuple[LambaContext | None, bool]:
    """Return ``(cached context or None, whether this access token was signed out)``."""
    if access_hash in _ended:
        return None, True
    now = clock.monotonic()
    heed_revocations(now)
    local = _local.get(access_hash)
    if local is not None and local[0] > now:
        observe.note_cache("context", hit=True)
        return local[2], False
    raw = cache().get(f"lamba:ctx:{access_hash}")
    if raw == _ENDED:
        _forget_local(access_hash)
        return None, True
    observe.note_cache("context", hit=isinstance(raw, dict))
    if not isinstance(raw, dict):
        _forget_local(access_hash)
        return None, False
    context = local[2] if local is not None and local[1] == raw else LambaContext.from_json(raw)
    _remember(access_hash, raw, context)
    return context, False


def end_access_token(access_hash: str, expires_at: float | None) -> None:
    """Remember until it expires that an access token was signed out, here and in the cache.

    Whatever Lamba answered: a replayed cookie is then anonymous at once, in this process even
    when the shared cache is down. The expiry is the one the token claims (only ever used to keep
    this marker long enough); a token without one is remembered for ``ENDED_MAX_TTL``.
    """
    remaining = ENDED_MAX_TTL if expires_at is None else expires_at - clock.now()
    seconds = max(1, int(min(remaining, ENDED_MAX_TTL) + lamba_settings.JWT_LEEWAY + 0.999))
    _ended.add(access_hash, seconds)
    _forget_local(access_hash)
    cache().delete(_authz_key(access_hash))
    cache().set(f"lamba:ctx:{access_hash}", _ENDED, timeout=seconds)


def note_rejected(access_hash: str) -> None:
    """Remember that the API host answered 401 for this access token (here and in the cache)."""
    seconds = max(1, int(lamba_settings.CONTEXT_CACHE_TTL))
    _rejected.add(access_hash, seconds)
    cache().set(f"lamba:rejected:{access_hash}", 1, timeout=seconds)


def is_rejected(access_hash: str) -> bool:
    """Whether the API host recently answered 401 for this access token."""
    if access_hash in _rejected:
        return True
    if cache().get(f"lamba:rejected:{access_hash}"):
        _rejected.add(access_hash, lamba_settings.CONTEXT_CACHE_TTL)
        return True
    return False


def set_context(access_hash: str, context: LambaContext, expires_at: float | None) -> None:
    """Cache a context for this token, never beyond the token's own expiry."""
    timeout = _ttl(expires_at, lamba_settings.CONTEXT_CACHE_TTL)
    if not sessionindex.note(access_hash, context.session.id, context.user.id):
        return  # a webhook ended this session while its context was being fetched
    if timeout > 0:
        cache().set(f"lamba:ctx:{access_hash}", context.raw, timeout=timeout)
        _remember(access_hash, context.raw, context)
    stale_ttl = lamba_settings.STALE_CONTEXT_TTL
    if stale_ttl > 0 and context.session.id:
        cache().set(
            _stale_key(context.session.id),
            {"ctx": context.raw, "at": clock.now()},
            timeout=int(stale_ttl),
        )


def _stale_key(session_id: str) -> str:
    return f"lamba:stale:{hashlib.sha256(session_id.encode()).hexdigest()}"


def forget_stale_context(session_id: str) -> None:
    """Drop the last known context of a session that ended."""
    if session_id:
        cache().delete(_stale_key(session_id))


def get_stale_context(session_id: str) -> LambaContext | None:
    """Return the last known context of a session while Lamba is down (if enabled)."""
    if lamba_settings.STALE_CONTEXT_TTL <= 0 or not session_id:
        return None
    raw = cache().get(_stale_key(session_id))
    if not isinstance(raw, dict) or not isinstance(raw.get("ctx"), dict):
        return None
    return LambaContext.from_json(raw["ctx"])


def _authz_key(access_hash: str) -> str:
    # The epoch moves when a role changed for users nobody can list (``revocations``).
    epoch = revocations.authz_epoch()
    return f"lamba:authz:{access_hash}:{epoch}" if epoch else f"lamba:authz:{access_hash}"


def get_authorization(access_hash: str) -> LambaAuthorization | None:
    heed_revocations(clock.monotonic())
    raw = cache().get(_authz_key(access_hash))
    observe.note_cache("authorization", hit=isinstance(raw, dict))
    return LambaAuthorization.from_json(raw) if isinstance(raw, dict) else None


def set_authorization(
    access_hash: str, authz: LambaAuthorization, expires_at: float | None
) -> None:
    timeout = _ttl(expires_at, lamba_settings.CONTEXT_CACHE_TTL)
    if timeout > 0:
        cache().set(_authz_key(access_hash), authz.raw, timeout=timeout)


def forget_access_token(access_hash: str) -> None:
    """Drop what is cached for an access token (logout, refresh, switch-context)."""
    _forget_local(access_hash)
    cache().delete_many([f"lamba:ctx:{access_hash}", _authz_key(access_hash)])


# --- tokens Lamba issued ---------------------------------------------------------------------


def vouch(access_hash: str, expires_at: float | None) -> None:
    """Remember that Lamba itself issued this token although it fails local verification.

    Only ever called with a token this server just received from Lamba (a sign-in's or a
    refresh's answer), never with one a client presented.
    """
    timeout = _ttl(expires_at, lamba_settings.CONTEXT_CACHE_TTL)
    if timeout > 0:
        _vouched.add(access_hash, timeout)
        cache().set(f"lamba:vouched:{access_hash}", 1, timeout=timeout)


def is_vouched(access_hash: str) -> bool:
    return access_hash in _vouched or bool(cache().get(f"lamba:vouched:{access_hash}"))
