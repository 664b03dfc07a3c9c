"""Which cached access tokens belong to a Lamba session, and which sessions to a user.

The context cache is keyed by access-token hash, while a webhook names a session id and/or a user
id. Whenever a context is cached, its token hash is added to its session's list and the session
id to its user's list, in the shared cache, for ``LAMBA_CONTEXT_CACHE_TTL`` (as long as any cached
context can live). Each list is a counter plus numbered slots: ``incr`` allocates a slot
atomically, so two workers adding at once both land, and a marker per member (holding its slot
number) keeps a member from being added twice. Slots wrap after ``MAX_MEMBERS``, overwriting the
oldest, which has expired by then in any realistic session.

A session ended by a webhook is also marked here, so a context fetched just before the webhook
is not cached after it.
"""

from __future__ import annotations

import hashlib

from ..conf import lamba_settings
from .safecache import cache

MAX_MEMBERS = 128


def _hash(value: str) -> str:
    return hashlib.sha256(value.encode("utf-8", "surrogatepass")).hexdigest()


def _base(kind: str, ident: str) -> str:
    return f"lamba:idx:{kind}:{_hash(ident)}"


def _ended_key(session_id: str) -> str:
    return f"lamba:idx:ended:{_hash(session_id)}"


def _ttl() -> int:
    return max(1, int(lamba_settings.CONTEXT_CACHE_TTL) + 1)


def note(access_hash: str, session_id: str, user_id: str) -> bool:
    """Index a context about to be cached; False if its session was ended (cache nothing)."""
    if not session_id:
        return True
    sess, user = _base("sess", session_id), _base("user", user_id) if user_id else ""
    wanted = [_ended_key(session_id), f"{sess}:m:{access_hash}"]
    if user:
        wanted.append(f"{user}:m:{_hash(session_id)}")
    found = cache().get_many(wanted)
    if found.get(wanted[0]):
        return False
    _add(sess, access_hash, access_hash, found.get(wanted[1]))
    if user:
        _add(user, session_id, _hash(session_id), found.get(wanted[2]))
    return True


def _add(base: str, member: str, member_key: str, slot: object) -> None:
    shared, ttl = cache(), _ttl()
    counter, marker = f"{base}:n", f"{base}:m:{member_key}"
    if isinstance(slot, int) and slot > 0:
        # Already listed: keep its slot, marker and counter alive as long as the new entry.
        for key in (f"{base}:{slot}", marker, counter):
            shared.touch(key, ttl)
        return
    shared.add(counter, 0, timeout=ttl)
    try:
        count = shared.incr(counter)
    except ValueError:  # expired between the two calls
        shared.set(counter, 1, timeout=ttl)
        count = 1
    if count <= 0:  # the cache is down: there is nothing to index
        return
    slot = (count - 1) % MAX_MEMBERS + 1
    shared.set(f"{base}:{slot}", member, timeout=ttl)
    shared.set(marker, slot, timeout=ttl)
    shared.touch(counter, ttl)


def _members(base: str) -> list[str]:
    count = cache().get(f"{base}:n")
    if not isinstance(count, int) or count <= 0:
        return []
    keys = [f"{base}:{slot}" for slot in range(1, min(count, MAX_MEMBERS) + 1)]
    found = cache().get_many(keys)
    return list(dict.fromkeys(value for value in found.values() if isinstance(value, str)))


def tokens_of_session(session_id: str) -> list[str]:
    """The access-token hashes whose context was cached for this session (recently)."""
    return _members(_base("sess", session_id)) if session_id else []


def sessions_of_user(user_id: str) -> list[str]:
    """The session ids of this user whose context was cached (recently)."""
    return _members(_base("user", user_id)) if user_id else []


def mark_ended(session_id: str) -> None:
    """Remember that a session ended, so a context fetched just before is not cached after."""
    if session_id:
        cache().set(_ended_key(session_id), 1, timeout=_ttl())
