"""One refresh per rotation, across threads and processes.

Lamba rotates refresh tokens and treats a reused one as theft, so two requests refreshing the same
session at once would sign the customer out. Here the first request to take a lock in the shared
cache calls ``/v1/auth/refresh``; the others wait for its result and reuse it. The result stays
readable (sealed) for a short grace window, so a request that still carries the old refresh token
is served the same rotated tokens instead of being treated as a reuse.
"""

from __future__ import annotations

import logging
import time

from ..client import get_client
from ..conf import lamba_settings
from ..exceptions import LambaUnauthorized, LambaUnavailable
from ..types import TokenSet, mask
from . import store

logger = logging.getLogger("django_lamba.refresh")

_POLL_INTERVAL = 0.02


def refresh_once(refresh_token: str) -> TokenSet:
    """Return the rotated tokens for ``refresh_token``, calling Lamba at most once across workers.

    Raises ``LambaUnauthorized`` when Lamba definitively refused (sign the customer out) and
    ``LambaUnavailable`` / ``LambaRateLimited`` for anything that is not a definite answer.
    """
    deadline = time.monotonic() + lamba_settings.REFRESH_WAIT
    while True:
        rotated = store.get_rotated(refresh_token)
        if rotated is not None:
            return _unless_logged_out(refresh_token, rotated)
        if store.is_marked("failed", refresh_token):
            raise LambaUnauthorized(error_code="refresh_failed")
        if store.acquire_lock(refresh_token):
            try:
                return _refresh_holding_lock(refresh_token)
            finally:
                store.release_lock(refresh_token)
        if time.monotonic() >= deadline:
            logger.warning("Gave up waiting for a concurrent refresh of %s", mask(refresh_token))
            raise LambaUnavailable("A concurrent session refresh did not finish in time.")
        time.sleep(_POLL_INTERVAL)


def _refresh_holding_lock(refresh_token: str) -> TokenSet:
    # Another worker may have finished between our look and our lock.
    rotated = store.get_rotated(refresh_token)
    if rotated is not None:
        return _unless_logged_out(refresh_token, rotated)
    try:
        tokens = get_client().refresh(refresh_token)
    except LambaUnauthorized:
        store.mark("failed", refresh_token, lamba_settings.REFRESH_GRACE)
        raise
    store.put_rotated(refresh_token, tokens)
    logger.info("Refreshed session %s -> %s", mask(refresh_token), mask(tokens.refresh_token))
    return _unless_logged_out(refresh_token, tokens)


def _unless_logged_out(refresh_token: str, tokens: TokenSet) -> TokenSet:
    # A refresh that finishes after the customer signed out must not sign them back in.
    if store.is_marked("logged_out", refresh_token) or store.is_marked(
        "logged_out", tokens.refresh_token
    ):
        raise LambaUnauthorized(error_code="session_logged_out")
    return tokens


def note_logout(*refresh_tokens: str | None) -> None:
    """Record that these refresh tokens were signed out, so late refreshes are discarded."""
    window = lamba_settings.REFRESH_GRACE + lamba_settings.REFRESH_LOCK_TIMEOUT
    for token in refresh_tokens:
        if token:
            store.mark("logged_out", token, window)
