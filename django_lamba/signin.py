"""The views' last sign-in step: scope the session, give it to ``request.lamba``."""

from __future__ import annotations

import logging
from typing import Any

from django.contrib.auth.signals import user_logged_in
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect, JsonResponse
from django.template.loader import render_to_string

from ._internal.responses import problem, wants_json
from ._internal.session import resolve_access_token
from .client import get_client
from .conf import lamba_settings
from .exceptions import LambaError
from .state import get_lamba
from .types import TokenSet
from .user import LambaUser, signal_sender

logger = logging.getLogger("django_lamba.signin")


def scope_tokens(tokens: TokenSet, *, revoke_on_failure: bool = True) -> TokenSet:
    """Switch a fresh session into this site's Project: the configured Workspace/Project, or
    the only entry of ``LAMBA_ALLOWED_PROJECTS``. With several allowed Projects and none
    configured, the session stays unscoped and the customer picks one on the re-entry page.

    If the switch fails the fresh, unscoped session is ended upstream (unless
    ``revoke_on_failure`` is off) before the error propagates: nothing is left half signed in.
    This runs only right after an explicit sign-in, never to restore a scope a session lost.
    """
    workspace, project = lamba_settings.WORKSPACE_ID, lamba_settings.PROJECT_ID
    if not (workspace and project):
        allowed = lamba_settings.ALLOWED_PROJECTS
        if len(allowed) != 1:
            return tokens
        workspace, project = allowed[0]
    client = get_client()
    try:
        return client.switch_context(tokens.access_token, workspace, project, lamba_settings.ENV)
    except LambaError:
        if revoke_on_failure:
            try:
                client.logout(tokens.access_token, tokens.refresh_token or None)
            except LambaError:
                logger.info("Could not end an unscoped session after a failed context switch")
        raise


def signed_in_response(
    request: HttpRequest,
    tokens: TokenSet,
    next_url: str,
    *,
    new_identity: bool = True,
    extra: dict[str, Any] | None = None,
) -> HttpResponse:
    """Answer a finished sign-in: cookies replace whatever the browser had, then redirect.

    ``new_identity`` rotates the CSRF secret (off for a switch of the same customer's scope, so
    their other tabs keep working); ``extra`` adds fields to the JSON answer.
    """
    lamba = get_lamba(request)
    if not lamba.sign_in(tokens, new_identity=new_identity):
        # Lamba issued something this site cannot store: a bad upstream answer, not our crash.
        lamba.sign_out(revoke=False)
        message = "The session could not be stored in a cookie. Please contact the site owner."
        if wants_json(request):
            title = "Session too large"
            return problem(502, title, error_code="session_too_large", detail=message)
        html = render_to_string(
            "django_lamba/sign_in_error.html", {"message": message}, request=request
        )
        return HttpResponse(html, status=502)
    if new_identity:
        announce_sign_in(request, tokens)
    if wants_json(request):
        return JsonResponse({"ok": True, "next": next_url, **(extra or {})})
    return HttpResponseRedirect(next_url)


def announce_sign_in(request: HttpRequest, tokens: TokenSet) -> None:
    """Send Django's ``user_logged_in`` for a customer who just signed in (audit apps, axes).

    The user is resolved as the next request will resolve it (local verification, the cache,
    the tenant binding), so this also warms the cache; a session this site does not accept, or
    an outage, announces nobody.
    """
    user = resolve_access_token(tokens.access_token)
    if isinstance(user, LambaUser):
        user_logged_in.send(sender=signal_sender(user), request=request, user=user)
