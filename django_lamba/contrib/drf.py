"""Django REST framework integration (``pip install django-lamba[drf]``).

``LambaAuthentication`` accepts the Lamba cookies (as resolved by ``LambaMiddleware``, with
CSRF enforced like DRF's ``SessionAuthentication``) or an ``Authorization: Bearer <access
token>`` header (verified the same way). The permission classes answer from
``/v1/me/authorization`` and compose with ``&``, ``|`` and ``~``::

    class MemberList(APIView):
        authentication_classes = [LambaAuthentication]
        permission_classes = [HasLambaPermission("members.read") | IsLambaProjectAdmin]

Anonymous callers get 401 (``WWW-Authenticate: Bearer realm="lamba"``), signed-in callers
without the permission 403; any other Lamba error is answered as ``answer_for`` maps it for every
view: a plan limit 402, a rate limit 429 and an outage 503, both with ``Retry-After``.
"""

from __future__ import annotations

import functools
from typing import Any, ClassVar, cast

from django.core.exceptions import ImproperlyConfigured
from django.http import HttpRequest, HttpResponse
from rest_framework import exceptions
from rest_framework.authentication import BaseAuthentication, CSRFCheck
from rest_framework.permissions import BasePermission
from rest_framework.request import Request

from .._internal import binding, perms
from .._internal.responses import (
    PLAN_LIMIT_MESSAGE,
    UNAVAILABLE_CODE,
    UNAVAILABLE_MESSAGE,
    ErrorAnswer,
    answer_for,
    session_answer,
)
from .._internal.session import resolve_access_token
from ..conf import lamba_settings
from ..exceptions import (
    PLAN_LIMIT_EXCEEDED,
    LambaError,
    LambaForbidden,
    LambaPaymentRequired,
    LambaUnavailable,
)
from ..types import TokenSet
from ..user import LambaUser

__all__ = [
    "HasLambaPermission",
    "HasLambaRole",
    "IsLambaAuthenticated",
    "IsLambaProjectAdmin",
    "LambaAPIError",
    "LambaAuthentication",
    "LambaPermission",
    "LambaPermissionRequired",
    "LambaPlanLimitReached",
    "LambaRoleRequired",
    "LambaServiceUnavailable",
    "api_exception",
]


class LambaAPIError(exceptions.APIException):
    """A Lamba error as ``answer_for`` maps it: its status, ``Retry-After`` and ``errorCode``.

    The body is DRF's ``{"detail": ...}`` plus ``errorCode`` and, when Lamba sent one,
    ``traceId``; DRF's exception handler turns ``wait`` into the ``Retry-After`` header.
    """

    status_code = 503
    default_detail = UNAVAILABLE_MESSAGE
    default_code = UNAVAILABLE_CODE

    def __init__(self, answer: ErrorAnswer) -> None:
        body = {"detail": answer.message, "errorCode": answer.code}
        if answer.trace_id:
            body["traceId"] = answer.trace_id
        super().__init__(body, answer.code)
        self.status_code = answer.status
        self.answer = answer
        self.wait = answer.retry_after


class LambaServiceUnavailable(LambaAPIError):
    """503: Lamba could not answer; ``Retry-After`` says when to try again."""

    def __init__(
        self, retry_after: float | None = None, answer: ErrorAnswer | None = None
    ) -> None:
        super().__init__(answer or answer_for(LambaUnavailable(retry_after=retry_after)))


class LambaPlanLimitReached(LambaAPIError):
    """402: a Lamba plan or usage limit; a business state, not something to retry."""

    status_code = 402
    default_detail = PLAN_LIMIT_MESSAGE
    default_code = PLAN_LIMIT_EXCEEDED

    def __init__(self, answer: ErrorAnswer | None = None) -> None:
        super().__init__(answer or answer_for(LambaPaymentRequired()))


def api_exception(error: LambaError) -> exceptions.APIException:
    """Return the DRF exception for a ``LambaError`` met while authenticating or checking."""
    return _exception_for(answer_for(error))


def _exception_for(answer: ErrorAnswer) -> exceptions.APIException:
    """Return the DRF exception that gives ``answer`` (401 stays DRF's, for its header)."""
    if answer.status == 401:
        return exceptions.NotAuthenticated()
    if answer.status == 402:
        return LambaPlanLimitReached(answer)
    if answer.status == 503:
        return LambaServiceUnavailable(answer=answer)
    return LambaAPIError(answer)


class LambaAuthentication(BaseAuthentication):
    """Authenticate with the Lamba cookies or an ``Authorization: Bearer`` access token."""

    keyword = "Bearer"
    www_authenticate_realm = "lamba"

    def authenticate(self, request: Request) -> tuple[LambaUser, TokenSet | None] | None:
        header = request.META.get("HTTP_AUTHORIZATION", "")
        if isinstance(header, str) and header.split(" ", 1)[0].lower() == "bearer":
            return self.authenticate_bearer(header)
        return self.authenticate_cookie(request)

    def authenticate_bearer(self, header: str) -> tuple[LambaUser, TokenSet]:
        """Resolve an access token sent as ``Authorization: Bearer <token>``."""
        parts = header.split()
        if len(parts) != 2:
            raise exceptions.AuthenticationFailed(
                "Invalid Authorization header: send 'Bearer <access token>'.",
                code="invalid_token",
            )
        token = parts[1]
        if len(token) > lamba_settings.COOKIE_MAX_BYTES or not token.isascii():
            raise exceptions.AuthenticationFailed("Invalid access token.", code="invalid_token")
        # The same path as a cookie, minus the refresh token: an expired token is refused.
        user = resolve_access_token(token)
        if isinstance(user, LambaUser):
            return user, TokenSet(access_token=token)
        error = getattr(user, "lamba_error", None)
        if isinstance(error, LambaError):
            raise _exception_for(session_answer(error))
        refused(user)
        raise exceptions.AuthenticationFailed(
            "Invalid or expired access token.", code="invalid_token"
        )

    def authenticate_cookie(self, request: Request) -> tuple[LambaUser, None] | None:
        """Return the customer ``LambaMiddleware`` resolved from the cookies, if any."""
        user = getattr(request._request, "user", None)
        try:
            is_lamba_user = isinstance(user, LambaUser)  # evaluates the lazy user
        except LambaError as outage:  # LambaMiddleware's user raises an outage
            raise _exception_for(session_answer(outage)) from None
        if is_lamba_user:
            self.enforce_csrf(request)
            return cast(LambaUser, user), None
        error = getattr(user, "lamba_error", None)
        if isinstance(error, LambaError):
            raise _exception_for(session_answer(error))
        refused(user)
        return None

    def enforce_csrf(self, request: Request) -> None:
        """Refuse unsafe cookie-authenticated requests without a CSRF token, as DRF does."""

        def get_response(request: HttpRequest) -> HttpResponse:  # pragma: no cover
            return HttpResponse()

        check = CSRFCheck(get_response)
        check.process_request(request)
        reason = check.process_view(request, None, (), {})  # type: ignore[arg-type]
        if reason:
            raise exceptions.PermissionDenied(f"CSRF Failed: {reason}")

    def authenticate_header(self, request: Request) -> str:
        return f'{self.keyword} realm="{self.www_authenticate_realm}"'


def refused(user: Any) -> None:
    """Raise 401 for a Lamba session this site does not accept (another or no Project)."""
    refusal = getattr(user, "lamba_refusal", None)
    if refusal is not None:
        raise exceptions.AuthenticationFailed(
            binding.REASONS.get(refusal, binding.REASONS[binding.REENTRY_REQUIRED]), code=refusal
        )


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
        "__module__": __name__,
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
