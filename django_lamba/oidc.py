"""OpenID Connect hosted login: Authorization Code with PKCE S256, ``state`` and ``nonce``.

``oidc_login`` sends the browser to the provider named by ``LAMBA_OIDC_ISSUER`` (Lamba's auth host
by default; any standards-compliant provider works); ``oidc_callback`` checks the answer, trades
the code for tokens, validates the ID token before anything else uses them, and then signs in,
switching into the configured Workspace and Project when both are set. Failures end on
``django_lamba/oidc_error.html`` (or a ProblemDetails body), never on a redirect back to the
provider, so nothing loops.
"""

from __future__ import annotations

import logging
from dataclasses import replace
from typing import Any

from django.http import (
    HttpRequest,
    HttpResponse,
    HttpResponseBase,
    HttpResponseRedirect,
    JsonResponse,
)
from django.shortcuts import render
from django.urls import reverse
from django.utils.decorators import method_decorator
from django.views import View
from django.views.decorators.cache import never_cache
from django.views.decorators.clickjacking import xframe_options_deny
from django.views.decorators.csrf import csrf_protect

from ._internal.flows import read_flow_cookie, set_flow_cookie
from ._internal.oidc import (
    BINDING_COOKIE,
    FLOW_TTL,
    Attempt,
    OIDCError,
    Provider,
    authorization_url,
    binding_matches,
    new_binding_id,
    provider,
    start_attempt,
    take_attempt,
    verify_id_token,
)
from ._internal.responses import ErrorAnswer, answer_for, safe_next, wants_json
from ._internal.urls import NOT_CONFIGURED as SITE_URL_MISSING
from ._internal.urls import SiteURLNotConfigured, site_url
from .client import get_client
from .conf import lamba_settings
from .cookies import mark_private
from .exceptions import LambaError, LambaUnavailable, clamp_retry_after
from .signin import scope_tokens, signed_in_response
from .types import TokenSet

logger = logging.getLogger("django_lamba.oidc")

NOT_CONFIGURED = "Signing in with OpenID Connect is not set up on this site."
STATE_INVALID = (
    "This sign-in attempt has expired, was already used, or was started in another browser."
    " Please start again."
)
DENIED = "The sign-in was cancelled at the provider."
REFUSED = "The sign-in provider did not complete the sign-in. Please try again."
EXPIRED = "This sign-in has expired. Please start again."


@method_decorator([never_cache, xframe_options_deny], name="dispatch")
class OIDCView(View):
    """Shared answers of the two OIDC views: no framing, no referrer, an error page."""

    error_template_name = "django_lamba/oidc_error.html"
    next_url = ""

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        response = super().dispatch(request, *args, **kwargs)
        response["Content-Security-Policy"] = "frame-ancestors 'none'"
        response["Referrer-Policy"] = "no-referrer"
        mark_private(response)
        return response

    def failure(
        self, message: str, *, status: int, error_code: str, retry_after: float | None = None
    ) -> HttpResponse:
        """Answer with the error page, or ProblemDetails for JSON callers.

        A status of 500 or more is answered as an outage (``answer_for``): 503 with
        ``Retry-After``, keeping ``message`` and ``error_code``.
        """
        answer = ErrorAnswer(status, error_code, message, "Sign-in did not complete")
        if status >= 500:
            outage = answer_for(LambaUnavailable(retry_after=retry_after))
            answer = replace(answer, status=outage.status, retry_after=outage.retry_after)
        elif retry_after is not None:
            answer = replace(answer, retry_after=clamp_retry_after(retry_after))
        return self.answer(answer)

    def answer(self, answer: ErrorAnswer) -> HttpResponse:
        """Render ``answer`` on the error page, or as ProblemDetails for JSON callers."""
        if wants_json(self.request):
            return answer.problem()
        context = {"message": answer.message, "next": self.next_url, "trace_id": answer.trace_id}
        response = render(self.request, self.error_template_name, context, status=answer.status)
        return answer.apply(response)

    def oidc_failure(self, error: OIDCError) -> HttpResponse:
        level = logging.INFO if error.error_code == "oidc_denied" else logging.WARNING
        logger.log(level, "OIDC sign-in stopped: %s", error.reason)
        return self.failure(error.message, status=error.status, error_code=error.error_code)

    def lamba_failure(self, error: LambaError) -> HttpResponse:
        """Answer a failed call to the provider or Lamba as ``answer_for`` maps it."""
        logger.info("OIDC sign-in stopped by the provider or Lamba: %r", error)
        answer = answer_for(error, messages={"invalid_grant": EXPIRED})
        return self.answer(replace(answer, title="Sign-in did not complete"))


@method_decorator(csrf_protect, name="dispatch")
class OIDCLoginView(OIDCView):
    """Start a hosted sign-in: fresh state, nonce and PKCE verifier, then off to the provider."""

    http_method_names = ["get", "post"]

    def get_redirect_uri(self) -> str:
        """Return the callback URL registered with the provider.

        ``LAMBA_OIDC_REDIRECT_URL``, else ``LAMBA_SITE_URL`` + the callback route; never the
        request's ``Host`` header. Raises ``SiteURLNotConfigured`` when neither is set.
        """
        configured = lamba_settings.OIDC_REDIRECT_URL
        return configured or site_url(self.request, reverse("lamba:oidc_callback"))

    def get(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        self.next_url = safe_next(request)
        client_id = lamba_settings.CLIENT_ID
        if not client_id:
            return self.failure(NOT_CONFIGURED, status=404, error_code="oidc_not_configured")
        try:
            redirect_uri = self.get_redirect_uri()
        except SiteURLNotConfigured:
            return self.failure(SITE_URL_MISSING, status=503, error_code="site_url_not_configured")
        issuer = lamba_settings.OIDC_ISSUER
        try:
            metadata = provider(issuer)
        except OIDCError as error:
            return self.oidc_failure(error)
        except LambaError as error:
            return self.lamba_failure(error)
        # Parallel tabs share one binding id; each has its own state.
        binding = read_flow_cookie(request, BINDING_COOKIE) or new_binding_id()
        attempt = start_attempt(binding, redirect_uri, self.next_url, issuer)
        url = authorization_url(metadata, attempt, client_id, lamba_settings.OIDC_SCOPES)
        if wants_json(request):
            response: HttpResponse = JsonResponse({"ok": True, "redirect": url})
        else:
            response = HttpResponseRedirect(url)
        set_flow_cookie(response, BINDING_COOKIE, binding, FLOW_TTL)
        return response

    post = get


class OIDCCallbackView(OIDCView):
    """Finish a hosted sign-in: check ``state``, exchange the code, verify, sign in."""

    http_method_names = ["get"]

    def get(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        try:
            return self.complete()
        except OIDCError as error:
            return self.oidc_failure(error)
        except LambaError as error:
            return self.lamba_failure(error)

    def complete(self) -> HttpResponse:
        params = self.request.GET
        attempt = take_attempt(params.get("state", ""))
        bound = attempt is not None and binding_matches(
            attempt, read_flow_cookie(self.request, BINDING_COOKIE)
        )
        if attempt is not None and bound:
            self.next_url = attempt.next_url
        if "error" in params:
            error = params["error"][:40]
            message = DENIED if error == "access_denied" else REFUSED
            reason = f"provider answered error={error!r}"
            raise OIDCError(reason, message, error_code="oidc_denied")
        if attempt is None or not bound:
            reason = "unknown or reused state" if attempt is None else "state of another browser"
            raise OIDCError(reason, STATE_INVALID, error_code="oidc_state_invalid")
        metadata = provider(attempt.issuer)
        iss = params.get("iss")
        if iss != metadata.issuer and (iss is not None or metadata.iss_parameter):
            raise OIDCError("authorization response iss does not match the issuer")
        code = params.get("code", "")
        if not code or len(code) > 2048:
            raise OIDCError("authorization response has no code")
        body = self.exchange_code(metadata, attempt, code)
        access = body.get("access_token")
        claims = verify_id_token(
            body.get("id_token"),
            metadata=metadata,
            client_id=lamba_settings.CLIENT_ID,
            nonce=attempt.nonce,
            access_token=access if isinstance(access, str) else "",
        )
        tokens = TokenSet.from_json(body)
        if lamba_settings.OIDC_USERINFO and metadata.userinfo_endpoint:
            info = get_client().get_document(metadata.userinfo_endpoint, token=tokens.access_token)
            if info.get("sub") != claims["sub"]:
                raise OIDCError("userinfo sub differs from the id_token sub")
        return self.sign_in(tokens, claims, metadata)

    def exchange_code(self, metadata: Provider, attempt: Attempt, code: str) -> dict[str, Any]:
        """Trade the authorization code and PKCE verifier at the token endpoint."""
        form = {
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": attempt.redirect_uri,
            "code_verifier": attempt.verifier,
            "client_id": lamba_settings.CLIENT_ID,
        }
        if lamba_settings.CLIENT_SECRET:
            form["client_secret"] = lamba_settings.CLIENT_SECRET
        return get_client().token_endpoint(metadata.token_endpoint, form)

    def sign_in(
        self, tokens: TokenSet, claims: dict[str, Any], metadata: Provider
    ) -> HttpResponse:
        """Scope the session when configured, set the cookies and go to ``next``."""
        # Only a Lamba issuer can end the provider session through Lamba's logout.
        lamba_issuer = metadata.issuer == lamba_settings.AUTH_BASE_URL
        scoped = scope_tokens(tokens, revoke_on_failure=lamba_issuer)
        return signed_in_response(self.request, scoped, self.next_url)


oidc_login = OIDCLoginView.as_view()
oidc_callback = OIDCCallbackView.as_view()
