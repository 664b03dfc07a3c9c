"""The django-debug-toolbar panel, rendered for real requests against the emulator."""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from typing import Any

import pytest
from django.http import HttpRequest
from django.test import Client

from django_lamba.testing import EmulatedUser, FrozenClock, LambaEmulator, client_with_tokens

pytest.importorskip("debug_toolbar")

from django_lamba.contrib.debug_toolbar import LambaPanel

#: The panels the toolbar made, newest last (the toolbar's own store differs between versions).
made: list[LambaPanel] = []


class KeptPanel(LambaPanel):
    """The Lamba panel, kept after the request so the test can render it."""

    def generate_stats(self, request: HttpRequest, response: Any) -> None:
        super().generate_stats(request, response)
        made.append(self)


def always(request: HttpRequest) -> bool:
    return True


@pytest.fixture
def toolbar(settings: Any, lamba: LambaEmulator) -> Iterator[None]:
    """The toolbar in front of the test site (DEBUG on), with just the Lamba panel."""
    settings.DEBUG = True
    settings.INSTALLED_APPS = [*settings.INSTALLED_APPS, "debug_toolbar"]
    settings.MIDDLEWARE = ["debug_toolbar.middleware.DebugToolbarMiddleware", *settings.MIDDLEWARE]
    settings.ROOT_URLCONF = "tests.urls_debug_toolbar"
    settings.DEBUG_TOOLBAR_PANELS = ["tests.test_debug_toolbar.KeptPanel"]
    settings.DEBUG_TOOLBAR_CONFIG = {
        "SHOW_TOOLBAR_CALLBACK": "tests.test_debug_toolbar.always",
        "IS_RUNNING_TESTS": False,
    }
    from debug_toolbar.settings import get_config
    from debug_toolbar.toolbar import DebugToolbar

    def forget() -> None:
        get_config.cache_clear()
        DebugToolbar._panel_classes = None
        made.clear()

    forget()
    yield
    forget()


def rendered_panel(*, with_stats: bool = False) -> Any:
    """Render the Lamba panel of the last request: its nav subtitle and its content."""
    panel = made[-1]
    html = f"{panel.nav_subtitle}\n{panel.content}"
    return (html, panel.get_stats()) if with_stats else html


def session(lamba: LambaEmulator, user: EmulatedUser, **kwargs: Any) -> dict[str, Any]:
    return lamba.issue_session(
        user.email,
        workspace_id=lamba.workspace_id,
        project_id=lamba.project_id,
        environment=lamba.environment,
        **kwargs,
    )


@pytest.mark.usefixtures("toolbar")
def test_the_panel_shows_the_calls_the_cache_and_the_customer_but_no_token(
    lamba: LambaEmulator, lamba_user: EmulatedUser
) -> None:
    tokens = session(lamba, lamba_user)
    client = client_with_tokens(tokens, Client())
    assert client.get("/whoami/").content.decode() == lamba_user.email
    html = rendered_panel()
    assert "2 call(s) in" in html
    assert "/.well-known/jwks.json" in html and "/v1/me/context" in html
    assert lamba_user.email in html
    assert ">ws_demo<" in html and ">prj_demo<" in html and ">test<" in html
    assert ">member<" in html  # role keys
    assert "<td>context</td><td>0</td><td>1</td>" in html  # a miss, then cached
    correlation = lamba.requests_log[-1].headers.get("X-Correlation-Id")
    assert correlation and correlation in html
    for secret in (tokens["access_token"], tokens["refresh_token"], "eyJ"):
        assert secret not in html


@pytest.mark.usefixtures("toolbar")
def test_the_panel_says_when_the_session_was_refreshed(
    lamba: LambaEmulator, lamba_user: EmulatedUser, lamba_clock: FrozenClock
) -> None:
    tokens = session(lamba, lamba_user, access_token_ttl=60)
    client = client_with_tokens(tokens, Client())
    lamba_clock.advance(120)
    assert client.get("/whoami/").content.decode() == lamba_user.email
    html = rendered_panel()
    assert ", refreshed" in html and "/v1/auth/refresh" in html
    new_cookie = client.cookies["lamba_access_token"].value
    for secret in (tokens["access_token"], tokens["refresh_token"], new_cookie):
        assert secret not in html


@pytest.mark.usefixtures("toolbar")
def test_a_page_that_never_reads_the_user_calls_nothing(
    lamba: LambaEmulator, lamba_user: EmulatedUser
) -> None:
    client = client_with_tokens(session(lamba, lamba_user), Client())
    client.get("/public/")
    html = rendered_panel()
    assert "0 call(s) in 0 ms" in html
    assert "never read request.user" in html
    assert lamba.call_count("GET", "/v1/me/context") == 0


@pytest.mark.usefixtures("toolbar")
def test_an_error_answer_shows_its_error_code_and_trace_id(lamba: LambaEmulator) -> None:
    garbage = f"opaque-{secrets.token_hex(8)}"
    client = client_with_tokens({"access_token": garbage, "refresh_token": garbage}, Client())
    client.get("/whoami/")
    html, stats = rendered_panel(with_stats=True)
    (call, *_) = stats["calls"]
    assert (call["path"], call["status"]) == ("/v1/me/context", 401)
    assert call["error_code"] and f"<td>{call['error_code']}</td>" in html
    assert call["trace_id"] and f"<td>{call['trace_id']}</td>" in html
    assert garbage not in html
