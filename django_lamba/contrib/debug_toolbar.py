"""A django-debug-toolbar panel: what this request asked of Lamba, and what it found.

Add it to the toolbar's panels (``pip install django-lamba[debug]``)::

    DEBUG_TOOLBAR_PANELS = [
        *debug_toolbar.settings.PANELS_DEFAULTS,
        "django_lamba.contrib.debug_toolbar.LambaPanel",
    ]

Per request it shows each call to Lamba (method, host, path, status, duration, ``errorCode``,
``traceId``, correlation id), the cache hits and misses for contexts, authorizations and the
JWKS, whether the session was refreshed, and the signed-in customer's Workspace, Project,
environment and role keys. It reads the customer only if the request already did (showing the
panel never calls Lamba), and never shows a token or a secret. Recording happens only while the
toolbar wraps a request (``django_lamba._internal.observe.recording``). Like most panels it is
off for async (ASGI) requests.
"""

from __future__ import annotations

from typing import Any

from debug_toolbar.panels import Panel
from django.http import HttpRequest, HttpResponseBase
from django.utils.functional import SimpleLazyObject, empty

from .._internal import observe
from ..state import LambaRequest
from ..user import LambaUser

__all__ = ["LambaPanel"]

CACHE_KINDS = ("context", "authorization", "jwks")


def _resolved_user(request: HttpRequest) -> Any:
    """Return ``request.user`` if this request already resolved it, else ``None``."""
    user = request.__dict__.get("user")
    if isinstance(user, SimpleLazyObject):
        # Read the lazy object's slot without evaluating it: evaluating may call Lamba.
        wrapped = user.__dict__.get("_wrapped", empty)
        return None if wrapped is empty else wrapped
    return user


def session_facts(request: HttpRequest) -> dict[str, Any]:
    """The customer this request resolved: ids, scope and role keys (never a token)."""
    lamba = getattr(request, "lamba", None)
    facts: dict[str, Any] = {
        "has_cookies": isinstance(lamba, LambaRequest) and lamba.has_cookies,
        "resolved": False,
        "signed_in": False,
    }
    outage = lamba.outage if isinstance(lamba, LambaRequest) else None
    if outage is not None:
        facts["outage"] = f"{type(outage).__name__} {outage.status} {outage.error_code or ''}"
    user = _resolved_user(request)
    if user is None:
        return facts
    facts["resolved"] = True
    if not isinstance(user, LambaUser):
        facts["refusal"] = getattr(user, "lamba_refusal", None) or ""
        return facts
    context = user.context
    workspace, project = context.active_workspace, context.active_project
    facts.update(
        signed_in=True,
        user_id=context.user.id,
        email=context.user.email,
        workspace=workspace.id if workspace else "",
        project=project.id if project else "",
        environment=context.environment,
        role_keys=list(context.role_keys),
        stale=user.is_stale,
    )
    return facts


class LambaPanel(Panel):
    """Calls to Lamba, cache hits and the resolved customer, per request."""

    title = "Lamba"
    template = "django_lamba/debug_toolbar/panel.html"
    is_async = False

    _recorder: observe.Recorder | None = None

    @property
    def nav_subtitle(self) -> str:
        stats = self.get_stats()  # type: ignore[no-untyped-call]
        calls = stats.get("calls", [])
        total = sum(call["duration_ms"] for call in calls)
        refreshed = ", refreshed" if stats.get("refreshes") else ""
        return f"{len(calls)} call(s) in {total:.0f} ms{refreshed}"

    def process_request(self, request: HttpRequest) -> HttpResponseBase:
        with observe.recording() as recorder:
            self._recorder = recorder
            response: HttpResponseBase = super().process_request(request)  # type: ignore[no-untyped-call]
        return response

    def generate_stats(self, request: HttpRequest, response: HttpResponseBase) -> None:
        recorder = self._recorder or observe.Recorder()
        calls = [
            {
                key: value
                for key, value in call.as_extra().items()
                if key != "server_date"  # not worth a column
            }
            for call in recorder.calls
        ]
        cache = [
            {
                "kind": kind,
                "hits": recorder.cache[f"{kind}:hit"],
                "misses": recorder.cache[f"{kind}:miss"],
            }
            for kind in CACHE_KINDS
        ]
        self.record_stats(  # type: ignore[no-untyped-call]
            {
                "calls": calls,
                "total_ms": round(sum(call["duration_ms"] for call in calls), 1),
                "cache": cache,
                "refreshes": list(recorder.refreshes),
                "session": session_facts(request),
            }
        )
