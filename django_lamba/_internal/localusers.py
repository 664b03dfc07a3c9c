"""Local users: the ``AUTH_USER_MODEL`` row that stands for a Lamba user (``LAMBA_LOCAL_USERS``).

``local_user()`` turns the ``LambaUser`` the factory built into that row, still a ``LambaUser``
(``rowclass``), after creating or syncing it with the mapper (``mapping.default_map_user``
unless the site has its own).

The warm path reads nothing: each worker keeps the rows it read for ``LAMBA_LOCAL_USER_CACHE_TTL``
seconds, keyed by the Lamba user id and the fingerprint of the synced fields, and hands each
request a copy. A cold path is one indexed read (``LambaIdentity`` joined to its user). The first
sign-in creates both rows in a savepoint; losing a race to another worker is an
``IntegrityError`` on the unique columns, after which the winner's rows are read. A changed
context (email, names, roles, scope) runs the mapper again and writes only the fields it changed.
"""

from __future__ import annotations

import hashlib
import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.apps import apps
from django.contrib.auth import get_user_model
from django.db import IntegrityError, models, router, transaction
from django.utils import timezone

from ..conf import lamba_settings
from ..exceptions import LambaUnauthorized
from ..types import LambaContext
from ..user import LambaUser
from . import clock, rowclass

logger = logging.getLogger("django_lamba.localusers")

#: ``map_user(user, lamba_user, *, created)``: copy what the site wants onto the local row.
UserMapper = Callable[..., None]

#: Rows kept per worker at most; the oldest is dropped first.
MAX_CACHED_ROWS = 10_000

#: The ``LambaIdentity`` columns that record what was last synced.
SYNCED_COLUMNS = (
    "workspace_id",
    "project_id",
    "environment",
    "email",
    "username",
    "display_name",
    "role_keys",
    "fingerprint",
    "synced_at",
)


@dataclass(frozen=True)
class _Cached:
    fingerprint: str
    row: models.Model
    expires_at: float


_lock = threading.Lock()
_rows: dict[str, _Cached] = {}
#: User primary key -> Lamba user id, so a save of the row forgets it without a query.
_lamba_ids: dict[Any, str] = {}
#: ``id(context)`` -> (the context, kept so the id stays its own; its fingerprint).
_prints: dict[int, tuple[LambaContext, str]] = {}


def identity_model() -> type[models.Model]:
    """Return ``django_lamba.LambaIdentity`` (through the app registry: models sit above us)."""
    return apps.get_model("django_lamba", "LambaIdentity")


def fingerprint(context: LambaContext) -> str:
    """Digest the context fields a mapper may read: a different one means "sync again"."""
    # Warm requests share the context object the store keeps: digest each one once.
    known = _prints.get(id(context))
    if known is not None and known[0] is context:
        return known[1]
    digest = _digest(context)
    if len(_prints) >= MAX_CACHED_ROWS:
        _prints.clear()
    _prints[id(context)] = (context, digest)
    return digest


def _digest(context: LambaContext) -> str:
    profile = context.user
    workspace = context.active_workspace.id if context.active_workspace else ""
    project = context.active_project.id if context.active_project else ""
    parts = [profile.id, profile.email, profile.username, profile.display_name, workspace]
    parts += [project, context.environment, ",".join(sorted(context.role_keys))]
    return hashlib.sha256("\x1f".join(parts).encode()).hexdigest()[:40]


def local_user(lamba_user: LambaUser, mapper: UserMapper) -> LambaUser:
    """Return the local row for ``lamba_user``, carrying its Lamba state; create or sync it.

    An inactive row (deactivated here) is signed out, as Django's own backends refuse it.
    """
    context = lamba_user.context
    lamba_id = context.user.id
    digest = fingerprint(context)
    cached = _rows.get(lamba_id)
    if cached is not None and cached.fingerprint == digest and cached.expires_at > clock.now():
        row = cached.row
    else:
        row = _load(lamba_user, digest, mapper)
        remember(lamba_id, digest, row)
    if not getattr(row, "is_active", True):
        raise LambaUnauthorized(error_code="local_user_inactive")
    return rowclass.combined(row, lamba_user)


def remember(lamba_id: str, digest: str, row: models.Model) -> None:
    """Keep ``row`` for this worker's next requests of the same Lamba user."""
    ttl = lamba_settings.LOCAL_USER_CACHE_TTL
    if ttl <= 0:
        return
    with _lock:
        while len(_rows) >= MAX_CACHED_ROWS:
            evicted = _rows.pop(next(iter(_rows)))
            _lamba_ids.pop(evicted.row.pk, None)
        _rows[lamba_id] = _Cached(digest, row, clock.now() + ttl)
        _lamba_ids[row.pk] = lamba_id


def forget(lamba_id: str | None = None) -> None:
    """Forget one Lamba user's row in this worker (all rows without ``lamba_id``)."""
    with _lock:
        if lamba_id is None:
            _rows.clear()
            _lamba_ids.clear()
            _prints.clear()
        else:
            _rows.pop(lamba_id, None)


def forget_saved_row(sender: Any, instance: models.Model, **kwargs: Any) -> None:
    """``post_save``/``post_delete`` receiver: a changed user or identity row is read again."""
    lamba_id = getattr(instance, "lamba_user_id", None) or _lamba_ids.get(instance.pk)
    if isinstance(lamba_id, str):
        forget(lamba_id)


def _load(lamba_user: LambaUser, digest: str, mapper: UserMapper) -> models.Model:
    """One indexed read; create the rows if there are none, sync them if the context changed."""
    identity_class = identity_model()
    lamba_id = lamba_user.context.user.id
    found = identity_class._default_manager.select_related("user")
    identity: Any = found.filter(lamba_user_id=lamba_id).first()
    if identity is None:
        identity = _create(lamba_user, digest, mapper)
    elif identity.fingerprint != digest:
        sync(identity, lamba_user, digest, mapper)
    row: models.Model = identity.user
    return row


def _create(lamba_user: LambaUser, digest: str, mapper: UserMapper) -> Any:
    identity_class = identity_model()
    lamba_id = lamba_user.context.user.id
    user = get_user_model()()
    mapper(user, lamba_user, created=True)
    try:
        with transaction.atomic(using=router.db_for_write(identity_class)):
            user.save()
            identity = identity_class(user=user, lamba_user_id=lamba_id)
            _set_synced(identity, lamba_user.context, digest)
            identity.save()
        return identity
    except IntegrityError:
        # Another request created them first (the unique Lamba id, or the username the
        # mapper derives from it): read the winner's rows.
        found = identity_class._default_manager.select_related("user")
        identity = found.filter(lamba_user_id=lamba_id).first()
        if identity is None:
            # A unique field the mapper set (an email, a username) belongs to someone else.
            logger.error(
                "Could not create a local user for Lamba user %s: a unique field the user "
                "mapper set is taken by another user; the customer is not signed in",
                lamba_id,
            )
            raise LambaUnauthorized(error_code="local_user_conflict") from None
        return identity


def sync(identity: Any, lamba_user: LambaUser, digest: str, mapper: UserMapper) -> None:
    """Run the mapper on ``identity.user`` again; write only the fields that changed."""
    user = identity.user
    before = _values(user)
    mapper(user, lamba_user, created=False)
    changed = [name for name, value in _values(user).items() if before[name] != value]
    _set_synced(identity, lamba_user.context, digest)
    try:
        with transaction.atomic(using=router.db_for_write(type(identity))):
            if changed:
                user.save(update_fields=changed)
            identity.save(update_fields=list(SYNCED_COLUMNS))
    except IntegrityError:
        logger.error(
            "Could not sync the local user of Lamba user %s: a unique field the user mapper "
            "set is taken by another user; keeping the stored values",
            identity.lamba_user_id,
        )
        user.refresh_from_db()


def _set_synced(identity: Any, context: LambaContext, digest: str) -> None:
    profile = context.user
    identity.workspace_id = context.active_workspace.id if context.active_workspace else ""
    identity.project_id = context.active_project.id if context.active_project else ""
    identity.environment = context.environment
    identity.email = profile.email
    identity.username = profile.username
    identity.display_name = profile.display_name
    identity.role_keys = list(context.role_keys)
    identity.fingerprint = digest
    identity.synced_at = timezone.now()


def _values(user: models.Model) -> dict[str, Any]:
    return {field.attname: getattr(user, field.attname) for field in user._meta.concrete_fields}
