"""Ending or refreshing what every worker has cached for a Lamba session or user.

Called by the built-in webhook handlers. Everything happens in the shared cache (and this
process's memory) before the handler returns, then ``revocations.announce()`` makes every other
worker drop its local contexts at its next check, at most ``LAMBA_REVOCATION_CHECK_INTERVAL``
later. Sessions and tokens are found through ``sessionindex``: only what was cached recently can
be served from the cache, and only that needs ending here.
"""

from __future__ import annotations

from collections.abc import Iterable

from . import revocations, sessionindex, store


def end_sessions(session_ids: Iterable[str]) -> int:
    """End these sessions here and on every worker; return how many cached tokens were ended."""
    ended = 0
    for session_id in dict.fromkeys(session_ids):
        if not session_id:
            continue
        sessionindex.mark_ended(session_id)
        for access_hash in sessionindex.tokens_of_session(session_id):
            # The expiry is unknown here: remembered for ENDED_MAX_TTL, as for opaque tokens.
            store.end_access_token(access_hash, None)
            ended += 1
        store.forget_stale_context(session_id)
    revocations.announce()
    return ended


def end_user_sessions(user_id: str) -> int:
    """End every session of this user that was cached recently; return the tokens ended."""
    return end_sessions(sessionindex.sessions_of_user(user_id))


def forget_user(user_id: str) -> int:
    """Drop the cached contexts and authorization of every session of this user.

    The sessions stay signed in: their next request asks Lamba again. Returns how many cached
    tokens were dropped.
    """
    dropped = 0
    for session_id in sessionindex.sessions_of_user(user_id):
        for access_hash in sessionindex.tokens_of_session(session_id):
            store.forget_access_token(access_hash)
            dropped += 1
    revocations.announce()
    return dropped


def forget_all_authorization() -> None:
    """Make every worker fetch every session's authorization afresh (a role changed)."""
    revocations.announce_authorization_change()
