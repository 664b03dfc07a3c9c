"""View decorators: sign-in, Lamba permissions, roles and Project admins required.

Anonymous HTML callers are redirected to ``lamba:login?next=...``; JSON, ``Accept:
application/json`` and htmx callers get a 401 ProblemDetails. Signed-in callers who fail the
check get a 403 (``django_lamba/forbidden.html`` or ProblemDetails), or Django's
``PermissionDenied`` with ``raise_exception=True``. A 402 from Lamba shows the plan-limit page.
When Lamba is unreachable the answer is a 503 with ``Retry-After``, never a sign-in page, so an
outage does not look like a logout. Every decorator works on sync and async views.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Iterable
from functools import wraps
from typing import Any, TypeVar, overload

from asgiref.sync import iscoroutinefunction, sync_to_async
from django.http import HttpRequest

from ._internal import access, perms
from ._internal.access import Requirement, denied_response
from ._internal.access import aget_user as _auser

__all__ = [
    "lamba_login_required",
    "lamba_permission_required",
    "lamba_project_admin_required",
    "lamba_role_required",
]

#: Internals this module used to export; still importable, with a ``DeprecationWarning``.
_DEPRECATED = frozenset({"anonymous_response", "login_url"})


def __getattr__(name: str) -> Any:
    if name in _DEPRECATED:
        warnings.warn(
            f"django_lamba.decorators.{name} is internal and will be removed; use the "
            "decorators (or django_lamba.mixins), which answer anonymous callers for you.",
            DeprecationWarning,
            stacklevel=2,
        )
        return getattr(access, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


View = TypeVar("View", bound=Callable[..., Any])


def _guard(
    requirement: Requirement | None,
    *,
    raise_exception: bool = False,
    login_url: str | None = None,
) -> Callable[[View], View]:
    """Build a decorator that lets a request through only when ``requirement`` holds."""

    def decorator(view_func: View) -> View:
        if iscoroutinefunction(view_func):

            @wraps(view_func)
            async def async_wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> Any:
                user = await _auser(request)
                arguments: dict[str, Any] = {
                    "raise_exception": raise_exception,
                    "login_url_": login_url,
                }
                if requirement is None or not user.is_authenticated:
                    denied = denied_response(request, user, requirement, **arguments)
                else:
                    # Reading the authorization may call Lamba: keep it off the event loop.
                    denied = await sync_to_async(denied_response, thread_sensitive=False)(
                        request, user, requirement, **arguments
                    )
                if denied is not None:
                    return denied
                return await view_func(request, *args, **kwargs)

            return async_wrapper  # type: ignore[return-value]

        @wraps(view_func)
        def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> Any:
            denied = denied_response(
                request,
                request.user,
                requirement,
                raise_exception=raise_exception,
                login_url_=login_url,
            )
            if denied is not None:
                return denied
            return view_func(request, *args, **kwargs)

        return wrapper  # type: ignore[return-value]

    return decorator


@overload
def lamba_login_required(view: View) -> View: ...


@overload
def lamba_login_required(*, login_url: str | None = None) -> Callable[[View], View]: ...


def lamba_login_required(
    view: View | None = None, *, login_url: str | None = None
) -> View | Callable[[View], View]:
    """Require a signed-in user; usable bare or with ``login_url=``, on sync and async views."""
    decorator: Callable[[View], View] = _guard(None, login_url=login_url)
    if view is not None:
        return decorator(view)
    return decorator


def lamba_permission_required(
    perm: str | Iterable[str],
    *,
    any: bool = False,
    raise_exception: bool = False,
    login_url: str | None = None,
) -> Callable[[View], View]:
    """Require Lamba permission ``perm`` (or all of several; at least one with ``any=True``)."""
    wanted = perms.normalize(perm, "permission")

    def requirement(user: Any) -> bool:
        return perms.has_permissions(user, wanted, any)

    return _guard(requirement, raise_exception=raise_exception, login_url=login_url)


def lamba_role_required(
    role: str | Iterable[str],
    *,
    any: bool = False,
    raise_exception: bool = False,
    login_url: str | None = None,
) -> Callable[[View], View]:
    """Require the Project role ``role`` (or all of several; at least one with ``any=True``)."""
    wanted = perms.normalize(role, "role")

    def requirement(user: Any) -> bool:
        return perms.has_roles(user, wanted, any)

    return _guard(requirement, raise_exception=raise_exception, login_url=login_url)


@overload
def lamba_project_admin_required(view: View) -> View: ...


@overload
def lamba_project_admin_required(
    *, raise_exception: bool = False, login_url: str | None = None
) -> Callable[[View], View]: ...


def lamba_project_admin_required(
    view: View | None = None, *, raise_exception: bool = False, login_url: str | None = None
) -> View | Callable[[View], View]:
    """Require an administrator of the active Project; usable bare or with arguments."""
    decorator: Callable[[View], View] = _guard(
        perms.is_project_admin, raise_exception=raise_exception, login_url=login_url
    )
    if view is not None:
        return decorator(view)
    return decorator
