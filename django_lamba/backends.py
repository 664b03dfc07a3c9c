"""``LambaBackend``: Django's authentication backend API, answered by Lamba.

``authenticate(request, lamba_tokens=...)`` turns a token set Lamba just issued into a
``LambaUser``; ``has_perm`` answers from ``/v1/me/authorization``, so
``user.has_perm("members.read")``, ``permission_required`` and DRF's ``DjangoModelPermissions``
work for Lamba customers. Anything that is not a Lamba credential or a Lamba user gets ``None`` /
``False``, so other backends (``ModelBackend`` for staff) keep working beside it.

``request.user`` is built by ``build_user()``, which calls the configured factory: the
``LAMBA_USER_FACTORY`` dotted path when set, else ``make_user`` of the first ``LambaBackend``
(or subclass) in ``AUTHENTICATION_BACKENDS``. So overriding ``make_user`` changes
``request.user`` on every request, not only in ``authenticate()``.

With ``LAMBA_LOCAL_USERS = True`` that user becomes a row of ``AUTH_USER_MODEL`` (still a
``LambaUser``), and ``map_user`` (or ``LAMBA_USER_MAPPER``) decides what is copied onto it.
"""

from __future__ import annotations

import logging
from typing import Any

from asgiref.sync import sync_to_async
from django.contrib.auth.backends import BaseBackend
from django.http import HttpRequest

from ._internal import localusers, mapping
from ._internal.session import resolve_access_token
from ._internal.users import (
    USER_FACTORY_SETTING,
    AuthorizationLoader,
    UserFactory,
    build_user,
    clear_user_factory,
    direct_loader,
    get_user_factory,
    get_user_mapper,
)
from .conf import lamba_settings
from .exceptions import LambaError
from .types import LambaContext, TokenSet
from .user import LambaUser

__all__ = [
    "LambaBackend",
    "UserFactory",
    "build_user",
    "clear_user_factory",
    "get_user_factory",
]

logger = logging.getLogger("django_lamba.backends")

__all__ += ["USER_FACTORY_SETTING"]


class LambaBackend(BaseBackend):
    """Authenticate Lamba token sets and answer permission checks for ``LambaUser``."""

    def authenticate(  # type: ignore[override]
        self, request: HttpRequest | None, lamba_tokens: TokenSet | None = None, **kwargs: Any
    ) -> LambaUser | None:
        """Return the ``LambaUser`` for a token set, or ``None`` for anyone else's credentials.

        The access token goes the way a cookie does (local verification, the shared cache, the
        tenant binding), so the next request finds the context cached. A session this site
        does not serve, or one Lamba ended, is ``None``; an outage raises ``LambaError``.
        """
        if lamba_tokens is None:
            return None
        # Only the access token: a refresh here would rotate tokens the caller is about to store.
        found = resolve_access_token(lamba_tokens.access_token)
        if not isinstance(found, LambaUser):
            if found.lamba_error is not None:
                raise found.lamba_error
            return None  # Django's contract: invalid credentials are None, not an exception
        user = self.make_user(
            found.context,
            lamba_tokens,
            authorization_loader=lambda: found.authorization,
            stale=found.is_stale,
        )
        if lamba_settings.LOCAL_USERS:
            return localusers.local_user(user, get_user_mapper())
        return user

    async def aauthenticate(  # type: ignore[override]
        self, request: HttpRequest | None, lamba_tokens: TokenSet | None = None, **kwargs: Any
    ) -> LambaUser | None:
        if lamba_tokens is None:
            return None
        authenticate = sync_to_async(self.authenticate, thread_sensitive=False)
        return await authenticate(request, lamba_tokens=lamba_tokens)

    def make_user(
        self,
        context: LambaContext,
        tokens: TokenSet | None = None,
        *,
        authorization_loader: AuthorizationLoader | None = None,
        stale: bool = False,
    ) -> LambaUser:
        """Build ``request.user`` for a verified context; override to return a subclass.

        ``authorization_loader`` fetches ``/v1/me/authorization`` (through the cache) on first
        use; pass it on. ``tokens`` carries the request's access token (never a refresh token on
        the request path). ``stale`` marks the last known context, served during an outage.
        """
        if authorization_loader is None and tokens is not None:
            authorization_loader = direct_loader(tokens.access_token)
        return LambaUser(context, authorization_loader=authorization_loader, stale=stale)

    def map_user(self, user: Any, lamba_user: LambaUser, *, created: bool) -> None:
        """Copy what this site keeps from ``lamba_user`` onto its local row (unsaved).

        Called with ``LAMBA_LOCAL_USERS`` on the first sign-in (``created=True``, a new row) and
        whenever the customer's context changed (email, names, roles, scope). The default sets
        the email and ``first_name`` (the display name) and, on creation, the username (the
        Lamba user id, unless the email is the ``USERNAME_FIELD``) and an unusable password.
        Override it (calling ``super()``) to set more, e.g. ``is_staff`` from a Lamba role
        (``"owner" in lamba_user.role_keys``). Only the fields it changes are written.
        """
        mapping.default_map_user(user, lamba_user, created=created)

    def get_user(self, user_id: Any) -> None:
        """Lamba users are never stored in Django sessions; the cookies carry them."""
        return None

    async def aget_user(self, user_id: Any) -> None:
        return None

    def has_perm(self, user_obj: Any, perm: str, obj: Any = None) -> bool:
        """Answer from Lamba's effective permissions; an outage answers ``False`` (and logs)."""
        if not isinstance(user_obj, LambaUser) or obj is not None:
            return False
        try:
            return user_obj.has_lamba_permission(self.lamba_permission(perm))
        except LambaError as exc:
            logger.warning("Could not check a Lamba permission: %s", exc)
            return False

    def lamba_permission(self, perm: str) -> str:
        """Map a Django permission name to a Lamba permission key (identity by default)."""
        return perm

    def get_all_permissions(self, user_obj: Any, obj: Any = None) -> set[str]:
        if not isinstance(user_obj, LambaUser) or obj is not None:
            return set()
        # LambaUser's own, by name: a local user's get_all_permissions() is the model's, which
        # asks every backend, this one included.
        return LambaUser.get_all_permissions(user_obj)
