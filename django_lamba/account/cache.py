"""What the account pages keep per session, and when they forget it.

A session's ``/v1/me/security``, ``/v1/me/linked-identities`` and ``/v1/me/memberships`` pages
change rarely and cost a call each, so they are kept in the shared cache (``LAMBA_CACHE_ALIAS``,
through ``_internal.store``'s outage-tolerant ``cache()``) for ``LAMBA_ACCOUNT_CACHE_TTL``
seconds, keyed by a hash of the access token (never the token) plus a generation:

- a profile update or a sign-out (``user_logged_out``) starts a new generation, so everything
  kept for that token is dropped at once, in every worker;
- a switch of Project, or a refresh, brings a new access token and so new keys: the old
  token's entries are never read again and expire with the TTL.

A profile update also drops the token's cached ``/v1/me/context`` (``store.forget_access_token``)
so the new name shows on the next page. Only JSON bodies as Lamba sent them are stored.
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Callable
from typing import Any, TypeVar

from django.http import HttpRequest

from .._internal import store
from ..conf import lamba_settings

T = TypeVar("T")

#: What is kept: one entry per kind (and, for memberships, per page asked for).
SECURITY, LINKED, MEMBERSHIPS = "security", "linked", "memberships"


def _generation_key(access_hash: str) -> str:
    return f"lamba:acct:{access_hash}:gen"


def _key(access_token: str, kind: str, part: str) -> str:
    access_hash = store.token_hash(access_token)
    generation = store.cache().get(_generation_key(access_hash)) or "0"
    suffix = hashlib.sha256(part.encode()).hexdigest()[:16] if part else ""
    return f"lamba:acct:{access_hash}:{generation}:{kind}:{suffix}"


def cached(
    access_token: str,
    kind: str,
    fetch: Callable[[], T],
    to_raw: Callable[[T], Any],
    from_raw: Callable[[Any], T],
    *,
    part: str = "",
) -> T:
    """Return the kept answer for this token, else ``fetch()`` it and keep its raw JSON.

    ``part`` tells apart answers of one kind (a memberships page's limit and cursor). Errors
    from ``fetch`` are never kept.
    """
    ttl = lamba_settings.ACCOUNT_CACHE_TTL
    if ttl <= 0:
        return fetch()
    key = _key(access_token, kind, part)
    raw = store.cache().get(key)
    if raw is not None:
        try:
            return from_raw(raw)
        except (TypeError, ValueError, LookupError):
            pass  # written by another version: fetch again
    value = fetch()
    store.cache().set(key, to_raw(value), timeout=ttl)
    return value


def forget(access_token: str | None) -> None:
    """Drop everything the account pages keep for this access token (a new generation)."""
    if access_token:
        access_hash = store.token_hash(access_token)
        ttl = max(lamba_settings.ACCOUNT_CACHE_TTL, 1) * 2
        store.cache().set(_generation_key(access_hash), secrets.token_hex(8), timeout=ttl)


def profile_changed(access_token: str | None) -> None:
    """Forget the session's kept pages and its cached context, after a profile update."""
    if access_token:
        forget(access_token)
        store.forget_access_token(store.token_hash(access_token))


def forget_on_sign_out(sender: Any, request: HttpRequest | None = None, **kwargs: Any) -> None:
    """``user_logged_out`` receiver (connected by the app): drop the signed-out session's pages."""
    lamba = getattr(request, "lamba", None)
    forget(getattr(lamba, "access_token", None))
