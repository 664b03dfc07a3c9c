"""The customer's own account pages: overview, security, memberships (profile: ``profile``).

Each page is HTML from an overridable template under ``django_lamba/account/`` (extending
``django_lamba/base.html``, like the sign-in pages) or JSON for scripts (``Accept:
application/json``, htmx). Only a customer signed in with Lamba gets in: anyone else is sent to
sign in (JSON: 401 ProblemDetails), and a session this site refuses gets the re-entry page. A
Lamba error is answered as ``responses.answer_for`` maps it (a page or ProblemDetails, a 429 with
its ``Retry-After``, an outage a 503); a 401 from Lamba means the session ended upstream, so the
answer is the sign-in one. Pages are private, never cached and never framed.
"""

from __future__ import annotations

import logging
from typing import Any, ClassVar

from django.http import HttpRequest, HttpResponse, HttpResponseBase, JsonResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils.decorators import method_decorator
from django.views import View
from django.views.decorators.cache import never_cache
from django.views.decorators.clickjacking import xframe_options_deny

from .._internal import store
from .._internal.access import anonymous_response, denied_response
from .._internal.responses import answer_for, answer_response, problem, wants_json
from ..client import get_client
from ..conf import lamba_settings
from ..exceptions import LambaError, LambaUnauthorized
from ..selfservice import LambaLinkedIdentities, LambaSecurity
from ..state import get_lamba
from ..user import LambaAnonymousUser, LambaUser
from . import cache
from .data import (
    linked_json,
    membership_json,
    page_from_raw,
    page_to_raw,
    security_json,
    switch_reason,
    who_json,
)

logger = logging.getLogger("django_lamba.account")

#: The account pages, in the order the overview lists them: (URL name, title).
PAGES = (
    ("lamba:profile", "Profile"),
    ("lamba:security", "Sign-in and security"),
    ("lamba:memberships", "Workspaces and Projects"),
)
DEFAULT_LIMIT, MAX_LIMIT, MAX_CURSOR = 20, 100, 500


@method_decorator([never_cache, xframe_options_deny], name="dispatch")
class AccountView(View):
    """A page about the signed-in customer; subclasses implement ``get`` (and ``post``)."""

    template_name: ClassVar[str]
    http_method_names = ["get", "head", "options"]
    user: LambaUser
    access_token: str

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        try:
            user: Any = request.user
            refused = denied_response(request, user, None)
            if refused is not None:
                return refused
            token = get_lamba(request).access_token
            if not isinstance(user, LambaUser) or not token:
                # Signed in some other way (a Django staff session): not a Lamba customer.
                return anonymous_response(request, LambaAnonymousUser())
            self.user, self.access_token = user, token
            response = super().dispatch(request, *args, **kwargs)
        except LambaError as error:
            response = self.lamba_error(error)
        response["Content-Security-Policy"] = "frame-ancestors 'none'"
        return response

    def lamba_error(self, error: LambaError) -> HttpResponseBase:
        """Answer a Lamba error no page handled; a 401 means the session ended upstream."""
        if isinstance(error, LambaUnauthorized) or error.status == 401:
            logger.info("Lamba ended the session during an account page (%s)", error.error_code)
            token = get_lamba(self.request).access_token
            if token:
                store.forget_access_token(store.token_hash(token))
            return anonymous_response(self.request, LambaAnonymousUser())
        return answer_response(self.request, answer_for(error))

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = self.user.context
        return {
            "lamba_user": self.user,
            "workspace": context.active_workspace,
            "project": context.active_project,
            "environment": context.environment or lamba_settings.ENV,
            "role_keys": context.role_keys,
            "account_pages": [(reverse(name), title) for name, title in PAGES],
            **kwargs,
        }

    def render_page(self, status: int = 200, **kwargs: Any) -> HttpResponse:
        return render(
            self.request, self.template_name, self.get_context_data(**kwargs), status=status
        )


class OverviewView(AccountView):
    """``lamba:account``: who is signed in, where, with which roles; links to the rest."""

    template_name = "django_lamba/account/overview.html"

    def get(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if wants_json(request):
            pages = {name.split(":")[1]: reverse(name) for name, _ in PAGES}
            return JsonResponse({**who_json(self.user.context), "pages": pages})
        return self.render_page()


class SecurityView(AccountView):
    """``lamba:security``: verification, MFA, last sign-in and linked sign-in methods."""

    template_name = "django_lamba/account/security.html"

    def get(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        client, token = get_client(), self.access_token
        security = cache.cached(
            token,
            cache.SECURITY,
            lambda: client.get_security(token),
            lambda value: value.raw,
            LambaSecurity.from_json,
        )
        linked = cache.cached(
            token,
            cache.LINKED,
            lambda: client.get_linked_identities(token),
            lambda value: value.raw,
            LambaLinkedIdentities.from_json,
        )
        if wants_json(request):
            return JsonResponse(
                {"security": security_json(security), "signInMethods": linked_json(linked)}
            )
        return self.render_page(security=security, linked=linked)


class MembershipsView(AccountView):
    """``lamba:memberships``: Workspace/Project memberships, a page at a time."""

    template_name = "django_lamba/account/memberships.html"

    def get(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        raw_limit = request.GET.get("limit", "")
        cursor = request.GET.get("cursor", "")
        limit = int(raw_limit) if raw_limit.isdigit() else (0 if raw_limit else DEFAULT_LIMIT)
        errors: dict[str, list[str]] = {}
        if not 1 <= limit <= MAX_LIMIT:
            errors["limit"] = [f"Use a whole number from 1 to {MAX_LIMIT}."]
        if len(cursor) > MAX_CURSOR or not cursor.isprintable():
            errors["cursor"] = ["This page link is not valid."]
        if errors:
            message = "This page link is not valid. Start again from the first page."
            if wants_json(request):
                return problem(
                    400,
                    "Invalid request",
                    error_code="validation_failed",
                    detail=message,
                    errors=errors,
                )
            return self.render_page(status=400, membership_rows=[], error_message=message)
        client, token = get_client(), self.access_token
        page = cache.cached(
            token,
            cache.MEMBERSHIPS,
            lambda: client.memberships_page(token, limit=limit, cursor=cursor or None),
            page_to_raw,
            page_from_raw,
            part=f"{limit}:{cursor}",
        )
        context = self.user.context
        rows = [(item, switch_reason(item, context)) for item in page.items]
        if wants_json(request):
            items = [membership_json(item, reason) for item, reason in rows]
            return JsonResponse({"items": items, "nextCursor": page.next_cursor})
        return self.render_page(
            membership_rows=rows,
            limit=limit,
            next_cursor=page.next_cursor,
            first_page=bool(cursor),
            here=request.path,
            site_environment=lamba_settings.ENV,
        )


account = OverviewView.as_view()
security = SecurityView.as_view()
memberships = MembershipsView.as_view()
