"""What builds ``request.user`` for a verified context: the configured user factory.

``LAMBA_USER_FACTORY`` (a dotted path to a ``LambaUser`` subclass or a function) when set, else
``make_user`` of the first ``LambaBackend`` (or subclass) in ``AUTHENTICATION_BACKENDS``. The
choice is resolved once per process and forgotten when those settings change.

With ``LAMBA_LOCAL_USERS``, what the factory built becomes the customer's ``AUTH_USER_MODEL``
row (``localusers``), mapped by ``LAMBA_USER_MAPPER`` or the backend's ``map_user``.
"""

from __future__ import annotations

import inspect
import threading
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

from django.conf import settings
from django.contrib.auth import load_backend
from django.core.exceptions import ImproperlyConfigured
from django.utils.module_loading import import_string

from ..client import get_client
from ..conf import lamba_settings
from ..types import LambaAuthorization, LambaContext, TokenSet
from ..user import LambaUser
from . import localusers, mapping
from .localusers import UserMapper

AuthorizationLoader = Callable[[], LambaAuthorization]

#: The setting (or environment variable) naming a user factory, a dotted path.
USER_FACTORY_SETTING = "LAMBA_USER_FACTORY"
#: The setting (or environment variable) naming a local user mapper, a dotted path.
USER_MAPPER_SETTING = "LAMBA_USER_MAPPER"
STOCK_BACKEND = "django_lamba.backends.LambaBackend"


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


def direct_loader(access_token: str) -> AuthorizationLoader:
    return lambda: get_client().get_authorization(access_token)


# --- the factory behind request.user ---------------------------------------------------------


@dataclass(frozen=True)
class _Resolved:
    factory: UserFactory
    #: The ``AUTHENTICATION_BACKENDS`` entry that answers for these users (``user.backend``).
    backend_path: str
    #: What copies a Lamba user onto their local row (``LAMBA_LOCAL_USERS``).
    mapper: UserMapper


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
    if lamba_settings.LOCAL_USERS:
        return localusers.local_user(user, resolved.mapper)
    return user


def get_user_mapper() -> UserMapper:
    """Return what maps a Lamba user onto their local row: ``LAMBA_USER_MAPPER``, else the
    backend's ``map_user``, else the default mapping."""
    return _resolve().mapper


def clear_user_factory() -> None:
    """Forget the resolved factory (after ``AUTHENTICATION_BACKENDS`` or the setting changed)."""
    with _resolved_lock:
        _resolved.clear()


def _resolve() -> _Resolved:
    if _resolved:
        return _resolved[0]
    path, backend_factory, backend_mapper = _configured_backend()
    factory = _factory_from_setting() or backend_factory
    mapper = _mapper_from_setting() or backend_mapper
    found = _Resolved(factory, path, mapper)
    with _resolved_lock:
        _resolved[:] = [found]
    return found


def _configured_backend() -> tuple[str, UserFactory, UserMapper]:
    """Return the first ``LambaBackend`` (or subclass) in ``AUTHENTICATION_BACKENDS``.

    Recognised by its ``make_user`` and ``lamba_permission`` hooks, so this module needs no
    import of ``backends`` (which imports the session code, which imports this).
    """
    for path in settings.AUTHENTICATION_BACKENDS:
        backend = load_backend(path)
        make_user = getattr(backend, "make_user", None)
        if callable(make_user) and hasattr(backend, "lamba_permission"):
            map_user = getattr(backend, "map_user", None)
            mapper = map_user if callable(map_user) else mapping.default_map_user
            return path, _adapted(make_user), mapper
    # Not configured (system check django_lamba.E005 says so): the stock behaviour still works.
    return STOCK_BACKEND, _user_class_factory(LambaUser), mapping.default_map_user


def _mapper_from_setting() -> UserMapper | None:
    path = lamba_settings.USER_MAPPER
    if not path:
        return None
    try:
        target = import_string(path)
    except ImportError as exc:
        raise ImproperlyConfigured(
            f"{USER_MAPPER_SETTING}={path!r} cannot be imported: {exc}"
        ) from exc
    if not callable(target):
        raise ImproperlyConfigured(f"{USER_MAPPER_SETTING}={path!r} is not a callable.")
    mapper: UserMapper = target
    return mapper


def _factory_from_setting() -> UserFactory | None:
    path = lamba_settings.USER_FACTORY
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
            authorization_loader = direct_loader(tokens.access_token)
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
