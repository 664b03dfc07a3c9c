"""The two token cookies: attributes, names, lifetime, size limits, deletion."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta, timezone
from http.cookies import Morsel
from typing import Any

import pytest
from django.http import HttpResponse
from django.test import RequestFactory

from django_lamba.cookies import (
    delete_token_cookies,
    mark_private,
    read_tokens,
    set_token_cookies,
)
from django_lamba.types import TokenSet

ACCESS = "eyJhbGciOiJSUzI1NiJ9.YWNjZXNz.c2ln"
REFRESH = "rt_0123456789abcdefghijklmnopqrstuvwxyz"


def tokens(
    access: str = ACCESS, refresh: str = REFRESH, expires_in: float | None = 3600
) -> TokenSet:
    expires = (
        None if expires_in is None else datetime.now(timezone.utc) + timedelta(seconds=expires_in)
    )
    return TokenSet(access, refresh, refresh_token_expires_at=expires)


def written(response: HttpResponse) -> dict[str, Morsel[str]]:
    return dict(response.cookies.items())


# --- writing -----------------------------------------------------------------------------------


def test_both_cookies_are_httponly_secure_lax_and_site_wide() -> None:
    response = HttpResponse()
    assert set_token_cookies(response, tokens()) is True
    cookies = written(response)
    assert cookies["lamba_access_token"].value == ACCESS
    assert cookies["lamba_refresh_token"].value == REFRESH
    for name in ("lamba_access_token", "lamba_refresh_token"):
        morsel = cookies[name]
        assert morsel["httponly"] is True
        assert morsel["secure"] is True
        assert morsel["samesite"] == "Lax"
        assert morsel["path"] == "/"
        assert not morsel["domain"]
        header = morsel.OutputString()
        assert "HttpOnly" in header
        assert "Secure" in header
        assert "SameSite=Lax" in header
        assert "Path=/" in header


def test_cookies_keep_the_response_out_of_shared_caches() -> None:
    response = HttpResponse()
    set_token_cookies(response, tokens())
    assert "Cookie" in response["Vary"]
    cache_control = response["Cache-Control"]
    assert "private" in cache_control
    assert "no-store" in cache_control


def test_names_domain_and_flags_come_from_settings(settings: Any) -> None:
    settings.LAMBA_SESSION_COOKIE = "__Host-at"
    settings.LAMBA_REFRESH_COOKIE = "__Host-rt"
    settings.LAMBA_COOKIE_SAMESITE = "Strict"
    response = HttpResponse()
    set_token_cookies(response, tokens())
    cookies = written(response)
    assert set(cookies) == {"__Host-at", "__Host-rt"}
    assert cookies["__Host-at"].value == ACCESS
    assert cookies["__Host-at"]["samesite"] == "Strict"


def test_domain_from_settings(settings: Any) -> None:
    settings.LAMBA_COOKIE_DOMAIN = ".example.com"
    response = HttpResponse()
    set_token_cookies(response, tokens())
    assert written(response)["lamba_access_token"]["domain"] == ".example.com"


def test_secure_can_be_turned_off_for_local_http(settings: Any) -> None:
    settings.LAMBA_COOKIE_SECURE = False
    response = HttpResponse()
    set_token_cookies(response, tokens())
    morsel = written(response)["lamba_access_token"]
    assert not morsel["secure"]
    assert morsel["httponly"] is True


def test_max_age_follows_the_refresh_token_expiry() -> None:
    response = HttpResponse()
    set_token_cookies(response, tokens(expires_in=7 * 86400))
    for name in ("lamba_access_token", "lamba_refresh_token"):
        max_age = int(written(response)[name]["max-age"])
        assert 7 * 86400 - 60 <= max_age <= 7 * 86400
        assert written(response)[name]["expires"]


def test_no_expiry_means_a_browser_session_cookie() -> None:
    response = HttpResponse()
    set_token_cookies(response, tokens(expires_in=None))
    morsel = written(response)["lamba_access_token"]
    assert morsel["max-age"] == ""
    assert morsel["expires"] == ""


def test_an_expiry_in_the_past_never_gives_a_negative_max_age() -> None:
    response = HttpResponse()
    set_token_cookies(response, tokens(expires_in=-100))
    assert int(written(response)["lamba_refresh_token"]["max-age"]) == 0


def test_an_empty_refresh_token_expires_the_refresh_cookie() -> None:
    response = HttpResponse()
    assert set_token_cookies(response, tokens(refresh="")) is True
    cookies = written(response)
    assert cookies["lamba_access_token"].value == ACCESS
    assert cookies["lamba_refresh_token"].value == ""
    assert int(cookies["lamba_refresh_token"]["max-age"]) == 0


@pytest.mark.parametrize("which", ["access", "refresh"])
def test_an_oversized_token_is_refused_and_logged(
    caplog: pytest.LogCaptureFixture, which: str
) -> None:
    huge = "h" * 4000
    tokenset = tokens(access=huge) if which == "access" else tokens(refresh=huge)
    response = HttpResponse()
    with caplog.at_level(logging.ERROR, logger="django_lamba.cookies"):
        assert set_token_cookies(response, tokenset) is False
    assert any(r.levelno == logging.ERROR for r in caplog.records)
    assert huge not in caplog.text
    assert ACCESS not in caplog.text
    assert REFRESH not in caplog.text
    # Nothing usable is set: both cookies are expired, neither carries a token.
    for morsel in written(response).values():
        assert morsel.value == ""
        assert int(morsel["max-age"]) == 0


def test_a_large_but_acceptable_token_is_written() -> None:
    big = "b" * 3500
    response = HttpResponse()
    assert set_token_cookies(response, tokens(access=big)) is True
    assert written(response)["lamba_access_token"].value == big


# --- reading -----------------------------------------------------------------------------------


def request_with(**cookies: str) -> Any:
    request = RequestFactory().get("/")
    request.COOKIES.update(cookies)
    return request


def test_read_tokens() -> None:
    request = request_with(lamba_access_token=ACCESS, lamba_refresh_token=REFRESH)
    assert read_tokens(request) == (ACCESS, REFRESH)


def test_read_tokens_without_cookies() -> None:
    assert read_tokens(request_with()) == (None, None)
    assert read_tokens(request_with(lamba_access_token="", lamba_refresh_token="")) == (
        None,
        None,
    )


def test_read_tokens_uses_the_configured_names(settings: Any) -> None:
    settings.LAMBA_SESSION_COOKIE = "__Host-at"
    settings.LAMBA_REFRESH_COOKIE = "__Host-rt"
    request = request_with(
        lamba_access_token="old", lamba_refresh_token="old", **{"__Host-at": ACCESS}
    )
    assert read_tokens(request) == (ACCESS, None)


def test_an_oversized_cookie_is_ignored(settings: Any, caplog: pytest.LogCaptureFixture) -> None:
    settings.LAMBA_COOKIE_MAX_BYTES = 100
    huge = "x" * 101
    caplog.set_level(logging.DEBUG)
    request = request_with(lamba_access_token=huge, lamba_refresh_token=REFRESH)
    assert read_tokens(request) == (None, REFRESH)
    assert huge not in caplog.text


def test_a_cookie_at_the_limit_is_read(settings: Any) -> None:
    settings.LAMBA_COOKIE_MAX_BYTES = 100
    exact = "x" * 100
    assert read_tokens(request_with(lamba_access_token=exact)) == (exact, None)


def test_a_non_ascii_cookie_is_ignored() -> None:
    request = request_with(lamba_access_token="tökén", lamba_refresh_token="rt-\u202e-evil")
    assert read_tokens(request) == (None, None)


# --- deleting ----------------------------------------------------------------------------------


@pytest.mark.parametrize("domain", [None, ".example.com"])
def test_delete_expires_both_cookies_with_the_same_name_path_and_domain(
    settings: Any, domain: str | None
) -> None:
    settings.LAMBA_COOKIE_DOMAIN = domain
    settings.LAMBA_SESSION_COOKIE = "__Host-at"
    settings.LAMBA_REFRESH_COOKIE = "__Host-rt"
    set_response = HttpResponse()
    set_token_cookies(set_response, tokens())
    delete_response = HttpResponse()
    delete_token_cookies(delete_response)
    deleted = written(delete_response)
    assert set(deleted) == {"__Host-at", "__Host-rt"}
    for name, morsel in deleted.items():
        original = written(set_response)[name]
        assert morsel.value == ""
        assert int(morsel["max-age"]) == 0
        assert "1970" in morsel["expires"]
        assert morsel["path"] == original["path"] == "/"
        assert morsel["domain"] == original["domain"]
        assert morsel["secure"] is True  # a __Host- cookie is only deleted by a Secure one
        assert morsel["httponly"] is True
        assert morsel["samesite"] == "Lax"
    assert "no-store" in delete_response["Cache-Control"]


def test_mark_private() -> None:
    response = HttpResponse()
    response["Vary"] = "Accept-Encoding"
    mark_private(response)
    assert {v.strip() for v in response["Vary"].split(",")} == {"Accept-Encoding", "Cookie"}
    assert "private" in response["Cache-Control"]
    assert "no-store" in response["Cache-Control"]
    assert "public" not in response["Cache-Control"]


def test_mark_private_writes_what_the_public_header_api_would() -> None:
    fast = HttpResponse()
    mark_private(fast)
    slow = HttpResponse()
    slow.headers = type("OtherHeaders", (type(slow.headers),), {})(slow.headers)
    mark_private(slow)  # another header class: through the public API
    expected = {"Content-Type": "text/html; charset=utf-8", "Vary": "Cookie"}
    expected["Cache-Control"] = "private, no-store"
    assert dict(fast.items()) == dict(slow.items()) == expected
    assert fast.has_header("vary") and fast["cache-control"] == "private, no-store"
