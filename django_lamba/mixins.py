"""Class-based view mixins with the decorators' behaviour; put them left of ``View``.

Each attribute has a ``get_*()`` twin to override per request, as in Django's ``AccessMixin``::

    class MembersView(LambaPermissionRequiredMixin, TemplateView):
        permission_required = "members.read"
        template_name = "members.html"

Mixins combine (each checks its own requirement, left to right) and work on async views.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any

from asgiref.sync import sync_to_async
from django.core.exceptions import ImproperlyConfigured
from django.http import HttpRequest

from ._internal import perms
from ._internal.access import Requirement, aget_user, denied_response

if TYPE_CHECKING:
    from django.views import View

    _ViewBase = View
else:
    _ViewBase = object

__all__ = [
    "LambaAccessMixin",
    "LambaLoginRequiredMixin",
    "LambaPermissionRequiredMixin",
    "LambaProjectAdminRequiredMixin",
    "LambaRoleRequiredMixin",
]


class LambaAccessMixin(_ViewBase):
    """Shared settings of the Lamba mixins: where to sign in, and how to refuse."""

    #: Where anonymous HTML callers go to sign in (default ``lamba:login``).
    login_url: str | None = None
    #: Raise ``PermissionDenied`` for signed-in callers who fail, instead of the 403 page.
    raise_exception: bool = False
    #: The text of the 403 page / ProblemDetails ``detail``.
    permission_denied_message: str = ""

    def get_login_url(self) -> str | None:
        return self.login_url

    def get_raise_exception(self) -> bool:
        return self.raise_exception

    def get_permission_denied_message(self) -> str:
        return self.permission_denied_message

    def lamba_dispatch(
        self,
        parent_dispatch: Callable[..., Any],
        requirement: Requirement | None,
        request: HttpRequest,
        *args: Any,
        **kwargs: Any,
    ) -> Any:
        """Check ``requirement`` and then call ``parent_dispatch`` (awaiting it on async views)."""
        if getattr(type(self), "view_is_async", False):
            return self._alamba_dispatch(parent_dispatch, requirement, request, *args, **kwargs)
        denied = self._denied(request, request.user, requirement)
        if denied is not None:
            return denied
        return parent_dispatch(request, *args, **kwargs)

    async def _alamba_dispatch(
        self,
        parent_dispatch: Callable[..., Any],
        requirement: Requirement | None,
        request: HttpRequest,
        *args: Any,
        **kwargs: Any,
    ) -> Any:
        user = await aget_user(request)
        if requirement is None or not user.is_authenticated:
            denied = self._denied(request, user, requirement)
        else:
            denied = await sync_to_async(self._denied, thread_sensitive=False)(
                request, user, requirement
            )
        if denied is not None:
            return denied
        return await parent_dispatch(request, *args, **kwargs)

    def _denied(self, request: HttpRequest, user: Any, requirement: Requirement | None) -> Any:
        return denied_response(
            request,
            user,
            requirement,
            raise_exception=self.get_raise_exception(),
            login_url_=self.get_login_url(),
            message=self.get_permission_denied_message(),
        )


class LambaLoginRequiredMixin(LambaAccessMixin):
    """Require a signed-in user."""

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> Any:
        return self.lamba_dispatch(super().dispatch, None, request, *args, **kwargs)


class LambaPermissionRequiredMixin(LambaAccessMixin):
    """Require Lamba permission(s): ``permission_required`` and ``permission_any``."""

    #: One permission key, or several (all required unless ``permission_any``).
    permission_required: str | Iterable[str] | None = None
    permission_any: bool = False

    def get_permission_required(self) -> tuple[str, ...]:
        if self.permission_required is None:
            raise ImproperlyConfigured(
                f"{type(self).__name__} is missing permission_required. Define "
                f"{type(self).__name__}.permission_required, or override "
                f"{type(self).__name__}.get_permission_required()."
            )
        return perms.normalize(self.permission_required, "permission")

    def get_permission_any(self) -> bool:
        return self.permission_any

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> Any:
        wanted, any_ = self.get_permission_required(), self.get_permission_any()

        def requirement(user: Any) -> bool:
            return perms.has_permissions(user, wanted, any_)

        return self.lamba_dispatch(super().dispatch, requirement, request, *args, **kwargs)


class LambaRoleRequiredMixin(LambaAccessMixin):
    """Require Project role(s): ``role_required`` and ``role_any``."""

    #: One role key, or several (all required unless ``role_any``).
    role_required: str | Iterable[str] | None = None
    role_any: bool = False

    def get_role_required(self) -> tuple[str, ...]:
        if self.role_required is None:
            raise ImproperlyConfigured(
                f"{type(self).__name__} is missing role_required. Define "
                f"{type(self).__name__}.role_required, or override "
                f"{type(self).__name__}.get_role_required()."
            )
        return perms.normalize(self.role_required, "role")

    def get_role_any(self) -> bool:
        return self.role_any

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> Any:
        wanted, any_ = self.get_role_required(), self.get_role_any()

        def requirement(user: Any) -> bool:
            return perms.has_roles(user, wanted, any_)

        return self.lamba_dispatch(super().dispatch, requirement, request, *args, **kwargs)


class LambaProjectAdminRequiredMixin(LambaAccessMixin):
    """Require an administrator of the session's active Project."""

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> Any:
        return self.lamba_dispatch(
            super().dispatch, perms.is_project_admin, request, *args, **kwargs
        )
