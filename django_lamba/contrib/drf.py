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
view: a plan limit 402, a rate limit 429 and an outage 503, both with ``Retry-After``. The
exceptions are defined in ``drf_errors`` and the permission classes in ``drf_permissions``;
import everything from here.
"""

from __future__ import annotations

from typing import Any, cast

from django.http import HttpRequest, HttpResponse
from rest_framework import exceptions
from rest_framework.authentication import BaseAuthentication, CSRFCheck
from rest_framework.request import Request

from .._internal import binding
from .._internal.responses import session_answer
from .._internal.session import resolve_access_token
from ..conf import lamba_settings
from ..exceptions import LambaError
from ..types import TokenSet
from ..user import LambaUser
from .drf_errors import LambaAPIError as LambaAPIError
from .drf_errors import LambaPlanLimitReached as LambaPlanLimitReached
from .drf_errors import LambaServiceUnavailable as LambaServiceUnavailable
from .drf_errors import api_exception as api_exception
from .drf_errors import exception_for
from .drf_permissions import HasLambaPermission as HasLambaPermission
from .drf_permissions import HasLambaRole as HasLambaRole
from .drf_permissions import IsLambaAuthenticated as IsLambaAuthenticated
from .drf_permissions import IsLambaProjectAdmin as IsLambaProjectAdmin
from .drf_permissions import LambaPermission as LambaPermission
from .drf_permissions import LambaPermissionRequired as LambaPermissionRequired
from .drf_permissions import LambaRoleRequired as LambaRoleRequired

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
            raise exception_for(session_answer(error))
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
            raise exception_for(session_answer(outage)) from None
        if is_lamba_user:
            self.enforce_csrf(request)
            return cast(LambaUser, user), None
        error = getattr(user, "lamba_error", None)
        if isinstance(error, LambaError):
            raise exception_for(session_answer(error))
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
