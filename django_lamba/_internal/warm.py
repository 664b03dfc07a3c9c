"""Warm sessions: the user this process just resolved for an access-token cookie, reused briefly.

A warm request carries the same access-token cookie as one this process resolved moments ago.
Its answer cannot have changed while three things hold, so it is reused without the token
regex, two SHA-256 hashes, the verified-claims lookup or the tenant binding's checks:

- the context record it was built from is still this process's current one (``store``): a
  sign-out, a refresh, a rejection or a new value read from the shared cache replaces or drops
  that record, and ``LAMBA_LOCAL_CONTEXT_TTL`` bounds how long it stands, so a sign-out in
  another worker is seen here within that window, as before, and a revocation announced by a
  Lamba webhook within ``LAMBA_REVOCATION_CHECK_INTERVAL`` (``store.heed_revocations``);
- the token has not reached its own ``exp`` (after it, the full path judges it again);
- the ``LAMBA_*`` settings it was judged under are still the ones in force (``conf``), and
  nothing called ``memos.forget_all``.

Only a locally verified, bound, non-stale user of a request's own cookie is kept. Each request
gets its own shallow copy, with its own authorization loader (a 401 there refreshes *this*
request's session), so nothing a view sets on ``request.user`` leaks into another request.
Keyed by the raw cookie value (whose hash is the key everywhere else); bounded.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from ..conf import lamba_settings
from ..types import LambaAuthorization
from . import clock, revocations, store

if TYPE_CHECKING:
    from ..user import LambaUser

_MAX = 1024


@dataclass(frozen=True, slots=True)
class _Warm:
    access_hash: str
    #: The ``store`` record the context came from; the entry holds while it is the current one.
    record: object
    fresh_until: float  # monotonic: the record's own ``LAMBA_LOCAL_CONTEXT_TTL`` deadline
    expires_at: float  # wall time: the token's ``exp``
    settings: object  # ``lamba_settings.stamp()`` when the user was judged
    #: The user as built, without an authorization loader: its class and its whole state.
    cls: type[LambaUser]
    fields: dict[str, Any]


_lock = threading.Lock()
_entries: dict[str, _Warm] = {}
_new = object.__new__


def user(access: str, loader: Callable[[], LambaAuthorization]) -> LambaUser | None:
    """Return a fresh copy of the user kept for this cookie value, or None (resolve it fully)."""
    entry = _entries.get(access)
    if entry is None:
        return None
    now = clock.monotonic()
    if now >= revocations.next_check:  # a webhook's revocation drops the record compared below
        store.heed_revocations(now)
    if (
        entry.fresh_until <= now
        or entry.expires_at <= clock.now()
        or entry.settings is not lamba_settings.stamp()
        or store.local_record(entry.access_hash) is not entry.record
    ):
        return None
    fields = entry.fields.copy()
    fields["_authorization_loader"] = loader
    found: LambaUser = _new(entry.cls)
    found.__dict__ = fields
    return found


def remember(access: str, access_hash: str, expires_at: float, found: LambaUser) -> None:
    """Keep ``found`` for the cookie value ``access`` while its context record stands."""
    record = store.local_record(access_hash)
    settings = lamba_settings.stamp()
    if record is None or settings is None or not _copyable(found):
        return
    fresh_until = record[0]
    if fresh_until <= clock.monotonic() or expires_at <= clock.now():
        return  # LAMBA_LOCAL_CONTEXT_TTL = 0, or nothing left to reuse
    fields = dict(found.__dict__, _authorization_loader=None, _authorization=None)
    entry = _Warm(access_hash, record, fresh_until, expires_at, settings, type(found), fields)
    with _lock:
        _entries[access] = entry
        while len(_entries) > _MAX:
            del _entries[next(iter(_entries))]


def clear() -> None:
    """Forget every kept user (``memos.forget_all``)."""
    with _lock:
        _entries.clear()


def _copyable(found: LambaUser) -> bool:
    """A plain user: its whole state in ``__dict__``, so a shallow copy is the same user.

    Not a local user row (``LAMBA_LOCAL_USERS``): ``localusers`` keeps rows by its own rules
    (``LAMBA_LOCAL_USER_CACHE_TTL``, a row saved or deactivated in this worker read again), which
    a copy kept here would outlive.
    """
    cls = type(found)
    if found.is_stale or "_state" in found.__dict__:
        return False
    return all("__slots__" not in vars(k) for k in cls.__mro__[:-1])
