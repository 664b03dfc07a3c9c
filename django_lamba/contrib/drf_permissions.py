"""Django REST framework permission classes answered from ``/v1/me/authorization``.

Part of ``django_lamba.contrib.drf`` (import the names from there). The classes compose with
``&``, ``|`` and ``~``; ``HasLambaPermission(...)`` and ``HasLambaRole(...)`` make configured
ones.
"""

from __future__ import annotations

import functools
from typing import Any, ClassVar

from django.core.exceptions import ImproperlyConfigured
from rest_framework.permissions import BasePermission
from rest_framework.request import Request

from .._internal import perms
from ..exceptions import LambaError, LambaForbidden
from .drf_errors import api_exception

#: Where these classes are documented and imported from.
PUBLIC_MODULE = "django_lamba.contrib.drf"


class LambaPermission(BasePermission):
    """Base of the Lamba permission classes: ``check(user)`` decides, errors are mapped."""

    message = "You do not have permission to do this."
    code = "AUTHORIZATION_DENIED"

    def check(self, user: Any) -> bool:
        """Return whether ``user`` passes; may raise ``LambaError``."""
        raise NotImplementedError

    def has_permission(self, request: Request, view: Any) -> bool:
        try:
            return self.check(request.user)
        except LambaForbidden:
            return False
        except LambaError as error:
            raise api_exception(error) from None


class IsLambaAuthenticated(LambaPermission):
    """Allow signed-in Lamba customers."""

    def check(self, user: Any) -> bool:
        return perms.as_lamba_user(user) is not None


class IsLambaProjectAdmin(LambaPermission):
    """Allow administrators of the session's active Project."""

    def check(self, user: Any) -> bool:
        return perms.is_project_admin(user)


class LambaPermissionRequired(LambaPermission):
    """Allow customers holding ``permission_required`` (all, or one with ``permission_any``)."""

    permission_required: ClassVar[str | tuple[str, ...] | None] = None
    permission_any: ClassVar[bool] = False

    def check(self, user: Any) -> bool:
        if self.permission_required is None:
            raise ImproperlyConfigured(f"{type(self).__name__} is missing permission_required.")
        wanted = perms.normalize(self.permission_required, "permission")
        return perms.has_permissions(user, wanted, self.permission_any)


class LambaRoleRequired(LambaPermission):
    """Allow customers holding ``role_required`` (all, or one with ``role_any``)."""

    role_required: ClassVar[str | tuple[str, ...] | None] = None
    role_any: ClassVar[bool] = False

    def check(self, user: Any) -> bool:
        if self.role_required is None:
            raise ImproperlyConfigured(f"{type(self).__name__} is missing role_required.")
        return perms.has_roles(user, perms.normalize(self.role_required, "role"), self.role_any)


# DRF instantiates each entry of ``permission_classes`` and composes classes with ``&``, ``|``
# and ``~`` (through their metaclass), so the factories below return classes, made once per
# distinct argument list; django-stubs/drf-stubs then type-check ``permission_classes`` too.
@functools.cache
def _configured(
    base: type[LambaPermission], label: str, keys: tuple[str, ...], any: bool
) -> type[LambaPermission]:
    attribute = "permission" if base is LambaPermissionRequired else "role"
    arguments = ", ".join(map(repr, keys)) + (", any=True" if any else "")
    name = f"{label}({arguments})"
    namespace = {
        f"{attribute}_required": keys,
        f"{attribute}_any": any,
        "__module__": PUBLIC_MODULE,
        "__qualname__": name,
        "__doc__": f"Allow customers holding {attribute} {arguments}.",
    }
    return type(name, (base,), namespace)


def HasLambaPermission(*keys: str, any: bool = False) -> type[LambaPermission]:
    """Return a permission class requiring Lamba permission(s) (one of them with ``any=True``)."""
    wanted = perms.normalize(keys, "permission")
    return _configured(LambaPermissionRequired, "HasLambaPermission", wanted, any)


def HasLambaRole(*keys: str, any: bool = False) -> type[LambaPermission]:
    """Return a permission class requiring Project role(s) (one of them with ``any=True``)."""
    return _configured(LambaRoleRequired, "HasLambaRole", perms.normalize(keys, "role"), any)
