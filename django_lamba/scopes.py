"""Scoped sessions: move the signed-in customer into another Workspace / Project.

``POST`` ``workspaceId``, ``projectId`` and ``environment`` (form fields or JSON; the
environment defaults to ``LAMBA_CUSTOMER_ENV``) to ``lamba:switch_context``. Lamba answers with
a new token set for that scope: the view writes it as the cookies, drops what was cached for the
old token (context and authorization), and redirects to a safe ``next`` (JSON callers get
``{"ok": true, "next": ...}``). Roles and permissions are per Project, so the next request sees
the new ones. Automatic scoping right after sign-in lives in ``signin.scope_tokens``.

Only the Projects in ``LAMBA_ALLOWED_PROJECTS`` (default: the configured one), in
``LAMBA_CUSTOMER_ENV``, are valid targets: anything else is refused here with a 403
``project_not_allowed`` and never reaches Lamba. A session this site refused (no active
Project after a revoked scope, or another Project) may switch too: that is the explicit
"enter this Project again" path, and the only way a lost scope comes back.
"""

from __future__ import annotations

import logging
from typing import Any

from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.http import (
    HttpRequest,
    HttpResponse,
    HttpResponseBase,
)
from django.utils.decorators import method_decorator
from django.views import View
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_protect

from ._internal import binding
from ._internal.access import anonymous_response, login_url
from ._internal.responses import (
    answer_for,
    answer_response,
    request_data,
    safe_next,
    wants_json,
)
from ._internal.session import resolve_access_token
from .conf import lamba_settings
from .exceptions import (
    LambaBadRequest,
    LambaError,
    LambaForbidden,
    LambaUnauthorized,
    code_key,
)
from .signin import signed_in_response
from .state import get_lamba
from .types import TokenSet
from .user import LambaAnonymousUser, LambaUser

logger = logging.getLogger("django_lamba.scopes")

FIELDS = {"workspaceId": "workspace_id", "projectId": "project_id", "environment": "environment"}
BINDING_REQUIRED = "customer_auth_context_binding_required"
MISSING_FIELDS = (
    "Switching needs a Workspace, a Project and an environment "
    "(workspaceId, projectId, environment)."
)
MESSAGES = {
    BINDING_REQUIRED: (
        "Lamba could not bind this session to that Workspace and Project "
        "(customer_auth_context_binding_required). Check workspaceId, projectId and "
        "environment, and this site's LAMBA_CUSTOMER_WORKSPACE_ID / LAMBA_CUSTOMER_PROJECT_ID "
        "/ LAMBA_CUSTOMER_ENV settings."
    ),
    "authorization_denied": "You are not a member of that Workspace and Project.",
    code_key(binding.NOT_ALLOWED): "This site does not serve that Workspace and Project.",
    "not_a_lamba_session": "Only customers signed in with Lamba can switch Workspace or Project.",
    "too_large": "The new session could not be stored in a cookie. Please contact the site owner.",
}


def _field(data: dict[str, Any], name: str) -> str:
    value = data.get(name, data.get(FIELDS[name]))
    return value.strip() if isinstance(value, str) else ""


@method_decorator([csrf_protect, never_cache], name="dispatch")
class SwitchContextView(View):
    """POST only: exchange the session for one scoped to another Workspace / Project."""

    http_method_names = ["post", "options"]
    template_name = "django_lamba/switch_context.html"

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        user: Any = request.user
        refused = getattr(user, "lamba_refusal", None) is not None
        if not user.is_authenticated and not refused:
            return self.anonymous(user)
        lamba = get_lamba(request)
        if not (isinstance(user, LambaUser) or refused) or not lamba.access_token:
            return self.failed(LambaForbidden(error_code="not_a_lamba_session"))
        data = request_data(request)
        workspace, project = _field(data, "workspaceId"), _field(data, "projectId")
        environment = _field(data, "environment") or lamba_settings.ENV
        missing = [
            name
            for name, value in (
                ("workspaceId", workspace),
                ("projectId", project),
                ("environment", environment),
            )
            if not value
        ]
        if missing:
            errors = {name: ["This field is required."] for name in missing}
            error = LambaBadRequest(error_code=BINDING_REQUIRED, field_errors=errors)
            return self.failed(error, message=MISSING_FIELDS)
        bound = binding.policy()
        if bound is not None and not bound.allows(workspace, project, environment):
            logger.warning(
                "Refused a switch to workspace=%r project=%r environment=%r: not in "
                "LAMBA_ALLOWED_PROJECTS / LAMBA_CUSTOMER_ENV",
                workspace,
                project,
                environment,
            )
            return self.failed(LambaForbidden(error_code=binding.NOT_ALLOWED))
        try:
            tokens = lamba.switch(workspace, project, environment)
        except LambaUnauthorized:
            # The session ended upstream; the next request's middleware signs it out.
            return self.anonymous(LambaAnonymousUser())
        except LambaError as error:
            logger.info("Lamba refused a context switch: %r", error)
            return self.failed(error)
        scope = {"workspaceId": workspace, "projectId": project, "environment": environment}
        response = signed_in_response(
            request, tokens, safe_next(request), new_identity=False, extra=scope
        )
        if response.status_code == 302:
            entered = project_name(tokens, project)
            messages.success(request, f"You are now in {entered}.", fail_silently=True)
        return response

    def anonymous(self, user: Any) -> HttpResponseBase:
        if getattr(user, "lamba_error", None) is not None or wants_json(self.request):
            return anonymous_response(self.request, user)
        # Come back to the page the switch started from, not to this POST-only URL.
        return redirect_to_login(safe_next(self.request), login_url())

    def failed(self, error: LambaError, message: str = "") -> HttpResponse:
        """Answer a switch that did not happen: ProblemDetails, or a page saying why.

        The status and ``Retry-After`` are ``answer_for``'s; a 402 shows the plan-limit page
        and an outage the 503 page, anything else ``template_name`` with this view's wording.
        """
        if not message:
            message = MESSAGES.get(code_key(error.error_code), "")
        if not message and isinstance(error, LambaForbidden):
            message = MESSAGES["authorization_denied"]
        # ``message`` words a refusal the customer can act on; it never hides an outage.
        answer = answer_for(error, message=message)
        template = None if answer.status in (402, 503) else self.template_name
        context = {"next": safe_next(self.request)}
        return answer_response(self.request, answer, template=template, context=context)


def project_name(tokens: TokenSet, project_id: str) -> str:
    """Return the name of the Project ``tokens`` are scoped to, else ``project_id``.

    Resolving the new token reads ``/v1/me/context`` as the next page would, so this warms the
    cache rather than adding a call; a failure only costs the name.
    """
    user = resolve_access_token(tokens.access_token)
    project = user.context.active_project if isinstance(user, LambaUser) else None
    return (project.name if project is not None else "") or project_id


switch_context = SwitchContextView.as_view()
