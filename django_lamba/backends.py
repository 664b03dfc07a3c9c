"""``LambaBackend``: Django's authentication backend API, answered by Lamba.

``authenticate(request, lamba_tokens=...)`` turns a fresh token set into a ``LambaUser``;
``has_perm`` answers from ``/v1/me/authorization`` so ``user.has_perm("members.read")``,
``permission_required`` and DRF's ``DjangoModelPermissions`` work for Lamba customers. Anything
that is not a Lamba credential or a Lamba user gets ``None`` / ``False``, so other backends
(``ModelBackend`` for staff) keep working beside it.
"""

from __future__ import annotations

import logging
from typing import Any

from django.contrib.auth.backends import BaseBackend
from django.http import HttpRequest

from .client import get_client
from .exceptions import LambaError, LambaUnauthorized
from .types import TokenSet
from .user import LambaUser

logger = logging.getLogger("django_lamba.backends")


class LambaBackend(BaseBackend):
    """Authenticate Lamba token sets and answer permission checks for ``LambaUser``."""

    def authenticate(  # type: ignore[override]
        self, request: HttpRequest | None, lamba_tokens: TokenSet | None = None, **kwargs: Any
    ) -> LambaUser | None:
        """Return the ``LambaUser`` for a token set, or ``None`` for anyone else's credentials."""
        if lamba_tokens is None:
            return None
        try:
            context = get_client().get_context(lamba_tokens.access_token)
        except LambaUnauthorized:
            return None  # Django's contract: invalid credentials are None, not an exception
        return self.make_user(context, lamba_tokens)

    async def aauthenticate(  # type: ignore[override]
        self, request: HttpRequest | None, lamba_tokens: TokenSet | None = None, **kwargs: Any
    ) -> LambaUser | None:
        if lamba_tokens is None:
            return None
        try:
            context = await get_client().aget_context(lamba_tokens.access_token)
        except LambaUnauthorized:
            return None
        return self.make_user(context, lamba_tokens)

    def make_user(self, context: Any, tokens: TokenSet) -> LambaUser:
        """Build the user object; override to return a subclass."""
        return LambaUser(
            context,
            authorization_loader=lambda: get_client().get_authorization(tokens.access_token),
        )

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
        return user_obj.get_all_permissions()
