"""When Lamba says no, or nothing: the session signed out here, or its last known context.

A definitive refusal (a 401 from the refresh endpoint, ``invalid_grant``) signs the customer out
and, for a genuine token, remembers it as ended so a replayed copy is anonymous at once. During
an outage, with ``LAMBA_STALE_CONTEXT_TTL``, a token that still verifies (or merely expired) gets
the last context seen for its session, marked stale, once it passes the tenant binding again.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from ..conf import lamba_settings
from ..types import LambaAuthorization, TokenSet
from ..user import LambaAnonymousUser, LambaUser
from . import store
from .accesstokens import Verdict
from .refusals import check_claims, check_context
from .requeststate import RequestState
from .users import build_user
from .verified import verify

logger = logging.getLogger("django_lamba.session")


def signed_out(state: RequestState) -> LambaAnonymousUser:
    """End the session on this response; remember a genuine token as ended."""
    state.clear_cookies = True
    state.new_tokens = None
    if state.access_token:
        access_hash = store.token_hash(state.access_token)
        verdict, claims = verify(state.access_token, access_hash)
        if verdict in (Verdict.VALID, Verdict.EXPIRED):
            # A genuine token of an ended session: a replayed copy is anonymous at once, even
            # while Lamba is down, instead of asking Lamba (or the stale context) again.
            store.end_access_token(access_hash, float(claims["exp"]))
            store.forget_stale_context(str(claims.get("sid") or ""))
    return LambaAnonymousUser()


def stale_user(state: RequestState, loader: Callable[[], LambaAuthorization]) -> LambaUser | None:
    """Return the last known user of this session during an outage (if enabled), else None."""
    if lamba_settings.STALE_CONTEXT_TTL <= 0:
        return None
    for access in dict.fromkeys((state.current_access_token, state.access_token)):
        if not access:
            continue
        access_hash = store.token_hash(access)
        verdict, claims = verify(access, access_hash)
        if verdict not in (Verdict.VALID, Verdict.EXPIRED) or store.lookup_context(access_hash)[1]:
            continue
        context = store.get_stale_context(str(claims.get("sid") or ""))
        if context is not None:
            check_claims(access_hash, claims)
            check_context(access, context)
            logger.warning("Lamba is unavailable; serving the last known context of a session")
            return build_user(
                context,
                authorization_loader=loader,
                stale=True,
                tokens=TokenSet(access_token=access),
            )
    return None
