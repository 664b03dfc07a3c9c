"""The signed-in Lamba customer as ``request.user``.

``LambaUser`` quacks like ``django.contrib.auth.models.User`` where Django code looks
(``is_authenticated``, ``pk``, ``get_username()``, ``has_perm()``), so ``@login_required``,
``permission_required`` and ``{{ user.email }}`` work unchanged. It is not a database row.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from django.contrib.auth import get_backends
from django.contrib.auth.backends import ModelBackend
from django.contrib.auth.models import AnonymousUser, Group, Permission
from django.core.exceptions import PermissionDenied
from django.db.models.manager import EmptyManager

from .exceptions import LambaError
from .types import LambaAuthorization, LambaContext


class LambaUser:
    """A customer signed in with Lamba, carrying their ``/v1/me/context``."""

    is_authenticated = True
    is_anonymous = False
    is_active = True
    is_staff = False
    is_superuser = False
    backend = "django_lamba.backends.LambaBackend"
    _groups = EmptyManager(Group)
    _user_permissions = EmptyManager(Permission)

    def __init__(
        self,
        context: LambaContext,
        *,
        authorization_loader: Callable[[], LambaAuthorization] | None = None,
        stale: bool = False,
    ) -> None:
        self.context = context
        self._authorization_loader = authorization_loader
        self._authorization: LambaAuthorization | None = None
        #: True when Lamba is down and this is the last known context, served for a bounded time.
        self.is_stale = stale

    # --- identity --------------------------------------------------------------------------

    @property
    def id(self) -> str:
        return self.context.user.id

    pk = id

    @property
    def lamba(self) -> LambaUser:
        """The Lamba side of this user (``context``, ``authorization``): itself.

        Also there on a local user (``LAMBA_LOCAL_USERS``), whose ``id``, ``email`` and
        ``username`` are its database row's: ``user.lamba.lamba_id`` reads the same either way.
        """
        return self

    @property
    def lamba_id(self) -> str:
        """The Lamba user id, in both modes (``id`` is the row's primary key for local users)."""
        return self.context.user.id

    @property
    def email(self) -> str:
        return self.context.user.email

    @property
    def username(self) -> str:
        return self.context.user.username or self.context.user.email

    @property
    def display_name(self) -> str:
        user = self.context.user
        return user.display_name or user.username or user.email

    @property
    def role_keys(self) -> tuple[str, ...]:
        return self.context.role_keys

    @property
    def groups(self) -> EmptyManager[Group]:
        return self._groups  # type: ignore[no-any-return]

    @property
    def user_permissions(self) -> EmptyManager[Permission]:
        return self._user_permissions  # type: ignore[no-any-return]

    def get_username(self) -> str:
        return self.username

    def get_full_name(self) -> str:
        return self.display_name

    def get_short_name(self) -> str:
        return self.display_name

    def __str__(self) -> str:
        return self.display_name

    def __repr__(self) -> str:
        return f"<LambaUser {self.id}>"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, LambaUser) and other.id == self.id

    def __hash__(self) -> int:
        return hash(("lamba", self.id))

    def save(self, *args: Any, **kwargs: Any) -> None:
        """Lamba users live in Lamba; there is nothing to save (``update_last_login`` calls it)."""

    # --- authorization ---------------------------------------------------------------------

    @property
    def authorization(self) -> LambaAuthorization:
        """Return ``/v1/me/authorization``, fetched on first use; ``LambaError`` on outage."""
        if self._authorization is None:
            if self._authorization_loader is None:
                self._authorization = LambaAuthorization()
            else:
                self._authorization = self._authorization_loader()
        return self._authorization

    def has_lamba_permission(self, perm: str) -> bool:
        """Return whether Lamba grants ``perm`` in the active Project."""
        return self.authorization.has_permission(perm)

    def has_lamba_permissions(self, perms: str | Iterable[str], any: bool = False) -> bool:
        """Return whether Lamba grants all of ``perms`` (or at least one, with ``any=True``).

        Requiring all of no permissions passes, one of none fails (``types.matches``).
        """
        return self.authorization.has_permissions(perms, any)

    def has_lamba_roles(self, roles: str | Iterable[str], any: bool = False) -> bool:
        """Return whether the session holds all of ``roles`` (at least one, with ``any=True``)."""
        return self.authorization.has_roles(roles, any)

    def has_role(self, role: str) -> bool:
        """Return whether the session holds the Project role ``role``."""
        return self.authorization.has_role(role)

    @property
    def is_project_admin(self) -> bool:
        return self.authorization.is_project_admin

    # --- Django's permission API, answered by the auth backends ------------------------------

    def has_perm(self, perm: str, obj: Any = None) -> bool:
        """Ask each auth backend as ``User.has_perm`` does; ``LambaBackend`` answers from Lamba."""
        for backend in get_backends():
            # ModelBackend answers from database rows a Lamba user does not have (and on
            # Django 4.2 queries them with this object as a foreign key).
            if not hasattr(backend, "has_perm") or isinstance(backend, ModelBackend):
                continue
            try:
                if backend.has_perm(self, perm, obj):  # type: ignore[arg-type]
                    return True
            except PermissionDenied:
                return False
        return False

    def has_perms(self, perm_list: Iterable[str], obj: Any = None) -> bool:
        return all(self.has_perm(perm, obj) for perm in perm_list)

    def has_module_perms(self, app_label: str) -> bool:
        return False

    def get_all_permissions(self, obj: Any = None) -> set[str]:
        try:
            return set(self.authorization.effective_permissions)
        except LambaError:
            return set()


class LambaAnonymousUser(AnonymousUser):
    """Nobody signed in here.

    ``lamba_error`` says when that is only because Lamba was unreachable. ``lamba_refusal`` says
    when the cookies hold a live Lamba session this site does not accept (tenant binding):
    ``"project_reentry_required"`` (no active Project: the customer may enter this site's
    Project again, explicitly) or ``"project_not_allowed"`` (active in another Workspace,
    Project or environment).
    """

    def __init__(
        self, lamba_error: LambaError | None = None, lamba_refusal: str | None = None
    ) -> None:
        super().__init__()
        self.lamba_error = lamba_error
        self.lamba_refusal = lamba_refusal

    @property
    def lamba_unavailable(self) -> bool:
        return self.lamba_error is not None


def signal_sender(user: object) -> type[Any]:
    """The ``sender`` of Django's auth signals for ``user``, as ``django.contrib.auth`` sends it.

    A local user row (``LAMBA_LOCAL_USERS``) is an instance of a class made at run time that
    shares the user model's ``_meta``: name the user model itself, so a receiver connected with
    ``sender=get_user_model()`` hears our sign-ins too.
    """
    meta = getattr(user, "_meta", None)
    return meta.model if meta is not None else type(user)
