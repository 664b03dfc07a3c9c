"""One refresh per rotation, across threads and processes.

Lamba rotates refresh tokens and treats a reused one as theft, so two requests refreshing the same
session at once would sign the customer out. Here the first request to take two locks calls
``/v1/auth/refresh``; the others wait for its result and reuse it. The result stays readable
(sealed) for a short grace window, so a request that still carries the old refresh token is served
the same rotated tokens instead of being treated as a reuse.

The first lock is host-local (``hostlock``: a lock file per refresh token) and is always taken:
the shared cache's lock fails open when the cache is down, and a per-process cache never fails
yet coordinates nothing, so the cache alone cannot be trusted to make a refresh single-flight.
The second is the shared cache's, for the workers of other hosts. The result, the markers and
the back-offs are written both to the shared cache and to sealed host-local records before the
locks are released, so a request waiting in another worker of this host finds them either way.

Only a definitive answer (401, or ``invalid_grant``) ends a session. A timeout, 5xx or 429 keeps
it, and the refresh token is left alone for a short back-off (``Retry-After`` when given), so an
outage does not turn every request into another refresh attempt.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterable

from ..client import get_client
from ..conf import lamba_settings
from ..exceptions import LambaError, LambaRateLimited, LambaUnauthorized, LambaUnavailable
from ..types import TokenSet, mask
from . import clock, hostlock, observe, rotation, store
from .accesstokens import unverified_expiry

logger = logging.getLogger("django_lamba.refresh")

_POLL_INTERVAL = 0.02
#: Seconds to leave a refresh token alone after a timeout, 5xx or other non-definitive answer.
OUTAGE_BACKOFF = 2.0
#: The longest a ``Retry-After`` from the refresh endpoint holds a refresh token back.
MAX_BACKOFF = 300.0


def refresh_once(refresh_token: str) -> TokenSet:
    """Return the rotated tokens for ``refresh_token``, calling Lamba at most once across workers.

    Raises ``LambaUnauthorized`` when Lamba definitively refused (sign the customer out) and
    ``LambaUnavailable`` / ``LambaRateLimited`` for anything that is not a definite answer.
    """
    deadline = clock.monotonic() + lamba_settings.REFRESH_WAIT
    while True:
        rotated = rotation.get_rotated(refresh_token)
        if rotated is not None:
            observe.note_refresh("reused")
            return _unless_logged_out(refresh_token, rotated)
        if rotation.is_marked("logged_out", refresh_token):
            raise LambaUnauthorized(error_code="session_logged_out")
        if rotation.is_marked("failed", refresh_token):
            raise LambaUnauthorized(error_code="refresh_failed")
        _raise_if_backing_off(refresh_token)
        with hostlock.try_lock(store.token_hash(refresh_token)) as held_here:
            if held_here and rotation.acquire_lock(refresh_token):
                try:
                    return _refresh_holding_lock(refresh_token)
                finally:
                    rotation.release_lock(refresh_token)
        if clock.monotonic() >= deadline:
            logger.warning("Gave up waiting for a concurrent refresh of %s", mask(refresh_token))
            raise LambaUnavailable("A concurrent session refresh did not finish in time.")
        time.sleep(_POLL_INTERVAL)


def _raise_if_backing_off(refresh_token: str) -> None:
    wait = store.held("refresh_rate_limited", refresh_token)
    if wait > 0:
        raise LambaRateLimited(retry_after=wait)
    wait = store.held("refresh_unavailable", refresh_token)
    if wait > 0:
        raise LambaUnavailable("The session refresh is backing off.", retry_after=wait)


def _refresh_holding_lock(refresh_token: str) -> TokenSet:
    # Another worker may have finished (or failed, or backed off) between our look and our lock.
    rotated = rotation.get_rotated(refresh_token)
    if rotated is not None:
        observe.note_refresh("reused")
        return _unless_logged_out(refresh_token, rotated)
    if rotation.is_marked("failed", refresh_token):
        raise LambaUnauthorized(error_code="refresh_failed")
    _raise_if_backing_off(refresh_token)
    try:
        tokens = get_client().refresh(refresh_token)
    except LambaUnauthorized:
        rotation.mark("failed", refresh_token, lamba_settings.REFRESH_GRACE)
        raise
    except LambaError as exc:
        if exc.has_code("invalid_grant"):
            # OAuth's way of saying "this refresh token is dead", whatever the status.
            rotation.mark("failed", refresh_token, lamba_settings.REFRESH_GRACE)
            raise LambaUnauthorized(error_code="invalid_grant", status=exc.status) from None
        if isinstance(exc, LambaRateLimited):
            wait = min(max(exc.retry_after or 0.0, OUTAGE_BACKOFF), MAX_BACKOFF)
            store.hold("refresh_rate_limited", refresh_token, wait)
        else:
            store.hold("refresh_unavailable", refresh_token, OUTAGE_BACKOFF)
        logger.warning("Could not refresh session %s (%s); keeping it", mask(refresh_token), exc)
        raise
    rotation.put_rotated(refresh_token, tokens)
    observe.note_refresh("refreshed")
    logger.info("Refreshed session %s -> %s", mask(refresh_token), mask(tokens.refresh_token))
    return _unless_logged_out(refresh_token, tokens)


def _unless_logged_out(refresh_token: str, tokens: TokenSet) -> TokenSet:
    # A refresh that finishes after the customer signed out must not sign them back in.
    if rotation.is_marked("logged_out", refresh_token) or rotation.is_marked(
        "logged_out", tokens.refresh_token
    ):
        raise LambaUnauthorized(error_code="session_logged_out")
    return tokens


def note_logout(*refresh_tokens: str | None, access_tokens: Iterable[str | None] = ()) -> None:
    """Record that these tokens were signed out, whatever Lamba answers to the logout.

    The access tokens are remembered as signed out until they expire (in the shared cache and in
    this process), so a replayed cookie is anonymous at once even if Lamba's revoke failed. The
    refresh tokens are marked, so late refreshes are discarded. A refresh that already finished
    (its response may still be on its way to the browser, and land after the logout's) is ended
    too: its refresh token is marked and its access token ended, so those cookies sign nobody
    back in.
    """
    for access in access_tokens:
        if access:
            store.end_access_token(store.token_hash(access), unverified_expiry(access))
    window = lamba_settings.REFRESH_GRACE + lamba_settings.REFRESH_LOCK_TIMEOUT
    for token in refresh_tokens:
        if not token:
            continue
        rotation.mark("logged_out", token, window)
        successor = rotation.get_rotated(token)
        if successor is not None:
            if successor.refresh_token:
                rotation.mark("logged_out", successor.refresh_token, window)
            access = successor.access_token
            expires_at = unverified_expiry(access)
            if expires_at is None and successor.access_token_expires_at is not None:
                expires_at = successor.access_token_expires_at.timestamp()
            store.end_access_token(store.token_hash(access), expires_at)
