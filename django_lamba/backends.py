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
"""

from __future__ import annotations

import inspect
import logging
import os
import threading
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol

from asgiref.sync import sync_to_async
from django.conf import settings
from django.contrib.auth import load_backend
from django.contrib.auth.backends import BaseBackend
from django.core.exceptions import ImproperlyConfigured
from django.http import HttpRequest
from django.utils.module_loading import import_string

from .client import get_client
from .exceptions import LambaError
from .types import LambaAuthorization, LambaContext, TokenSet
from .user import LambaUser

__all__ = [
    "LambaBackend",
    "UserFactory",
    "build_user",
    "clear_user_factory",
    "get_user_factory",
]

logger = logging.getLogger("django_lamba.backends")

AuthorizationLoader = Callable[[], LambaAuthorization]

#: The setting (or environment variable) naming a user factory, a dotted path.
USER_FACTORY_SETTING = "LAMBA_USER_FACTORY"


class UserFactory(Protocol):
    """What builds ``request.user``: ``LambaBackend.make_user``'s signature, without ``self``."""

    def __call__(
        self,
        context: LambaContext,
        tokens: TokenSet | None = None,
        *,
        authorization_loader: AuthorizationLoader | None = None,
        stale: bool = False,
    ) -> LambaUser: ...


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
        from ._internal.session import RequestState, resolve_user

        # Only the access token: a refresh here would rotate tokens the caller is about to store.
        found = resolve_user(
            RequestState(access_token=lamba_tokens.access_token, had_cookies=True)
        )
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
            authorization_loader = _direct_loader(tokens.access_token)
        return LambaUser(context, authorization_loader=authorization_loader, stale=stale)

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


def _direct_loader(access_token: str) -> AuthorizationLoader:
    return lambda: get_client().get_authorization(access_token)


# --- the factory behind request.user ---------------------------------------------------------


@dataclass(frozen=True)
class _Resolved:
    factory: UserFactory
    #: The ``AUTHENTICATION_BACKENDS`` entry that answers for these users (``user.backend``).
    backend_path: str


_resolved_lock = threading.Lock()
_resolved: list[_Resolved] = []


def get_user_factory() -> UserFactory:
    """Return what builds ``request.user``: ``LAMBA_USER_FACTORY``, else the backend's hook."""
    return _resolve().factory


def build_user(
    context: LambaContext,
    *,
    authorization_loader: AuthorizationLoader | None = None,
    stale: bool = False,
    tokens: TokenSet | None = None,
) -> LambaUser:
    """Build ``request.user`` for a verified, bound context with the configured factory."""
    resolved = _resolve()
    user = resolved.factory(
        context, tokens, authorization_loader=authorization_loader, stale=stale
    )
    if not isinstance(user, LambaUser):
        raise ImproperlyConfigured(
            f"The Lamba user factory returned {type(user).__name__}, not a LambaUser (subclass)."
        )
    user.backend = resolved.backend_path
    return user


def clear_user_factory() -> None:
    """Forget the resolved factory (after ``AUTHENTICATION_BACKENDS`` or the setting changed)."""
    with _resolved_lock:
        _resolved.clear()


def _resolve() -> _Resolved:
    if _resolved:
        return _resolved[0]
    path, backend = _configured_backend()
    factory = _factory_from_setting() or _adapted(backend.make_user)
    found = _Resolved(factory, path)
    with _resolved_lock:
        _resolved[:] = [found]
    return found


def _configured_backend() -> tuple[str, LambaBackend]:
    """Return the first ``LambaBackend`` (or subclass) in ``AUTHENTICATION_BACKENDS``."""
    for path in settings.AUTHENTICATION_BACKENDS:
        backend = load_backend(path)
        if isinstance(backend, LambaBackend):
            return path, backend
    # Not configured (system check django_lamba warns): the stock behaviour still works.
    return f"{LambaBackend.__module__}.{LambaBackend.__qualname__}", LambaBackend()


def _factory_from_setting() -> UserFactory | None:
    path = getattr(settings, USER_FACTORY_SETTING, None) or os.environ.get(USER_FACTORY_SETTING)
    if not path:
        return None
    if not isinstance(path, str):
        raise ImproperlyConfigured(f"{USER_FACTORY_SETTING} must be a dotted path (a string).")
    try:
        target = import_string(path)
    except ImportError as exc:
        raise ImproperlyConfigured(
            f"{USER_FACTORY_SETTING}={path!r} cannot be imported: {exc}"
        ) from exc
    if isinstance(target, type) and issubclass(target, LambaUser):
        return _user_class_factory(target)
    if not callable(target):
        raise ImproperlyConfigured(
            f"{USER_FACTORY_SETTING}={path!r} is neither a LambaUser subclass nor a callable."
        )
    return _adapted(target)


def _user_class_factory(user_class: type[LambaUser]) -> UserFactory:
    def make_user(
        context: LambaContext,
        tokens: TokenSet | None = None,
        *,
        authorization_loader: AuthorizationLoader | None = None,
        stale: bool = False,
    ) -> LambaUser:
        if authorization_loader is None and tokens is not None:
            authorization_loader = _direct_loader(tokens.access_token)
        return user_class(context, authorization_loader=authorization_loader, stale=stale)

    return make_user


def _adapted(make_user: Callable[..., LambaUser]) -> UserFactory:
    """Return ``make_user``, wrapped when it still has the old ``(context, tokens)`` signature."""
    try:
        inspect.signature(make_user).bind(None, None, authorization_loader=None, stale=False)
    except TypeError:
        pass
    except ValueError:  # no signature to inspect (a builtin): trust it
        return make_user
    else:
        return make_user
    warnings.warn(
        f"{make_user.__qualname__}(context, tokens) is the old make_user signature; accept "
        "authorization_loader= and stale= keywords too (see docs/authorization.md).",
        DeprecationWarning,
        stacklevel=2,
    )

    def legacy(
        context: LambaContext,
        tokens: TokenSet | None = None,
        *,
        authorization_loader: AuthorizationLoader | None = None,
        stale: bool = False,
    ) -> LambaUser:
        user = make_user(context, tokens or TokenSet(access_token=""))
        user.is_stale = stale
        if authorization_loader is not None:
            # The old hook built its own uncached loader; the request's one goes through the cache.
            user._authorization_loader = authorization_loader
        return user

    return legacy
