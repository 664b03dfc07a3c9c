"""SECURITY 49: every absolute URL sent out comes from LAMBA_SITE_URL, never the Host header."""

from __future__ import annotations

import logging
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from django.test import Client, RequestFactory

from django_lamba._internal.urls import SiteURLNotConfigured, site_url
from django_lamba.testing import EmulatedUser, LambaEmulator
from tests.flows import HOME, PROBLEM_JSON, post_json, token_cookies

MAGIC_LINK = "/auth/magic-link/"
VERIFY = "/auth/magic-link/verify/"
OIDC_LOGIN = "/auth/oidc/login/"
CALLBACK = "/auth/oidc/callback/"
REQUEST_PATH = "/v1/auth/login/magic-link/request"
DISCOVERY_PATH = "/.well-known/openid-configuration"
EMAIL = "user@example.com"
CLIENT_ID = "site-app"
NOT_AVAILABLE = "This way of signing in is not available on this site right now."


@pytest.fixture(autouse=True)
def redirects(settings: Any) -> None:
    settings.LAMBA_LOGIN_REDIRECT_URL = HOME


@pytest.fixture
def any_host(settings: Any) -> None:
    """A permissive ALLOWED_HOSTS, as on sites behind a proxy that checks hosts itself."""
    settings.ALLOWED_HOSTS = ["*"]


@pytest.fixture
def oidc(lamba: LambaEmulator, lamba_user: EmulatedUser, settings: Any) -> LambaEmulator:
    settings.LAMBA_CLIENT_ID = CLIENT_ID
    lamba.add_oidc_client(CLIENT_ID, ["http://testserver" + CALLBACK])
    return lamba


def emailed_link(lamba: LambaEmulator) -> str:
    return lamba.last_magic_link(EMAIL)


def redirect_uri(response: Any) -> str:
    assert response.status_code == 302, response.content
    query = parse_qs(urlsplit(response["Location"]).query)
    return query["redirect_uri"][0]


def site_url_errors(caplog: pytest.LogCaptureFixture) -> list[logging.LogRecord]:
    return [r for r in caplog.records if "LAMBA_SITE_URL" in r.getMessage()]


# --- the configured site URL wins over any Host header -----------------------------------------


@pytest.mark.usefixtures("any_host")
def test_sec49_a_forged_host_never_reaches_the_emailed_link(
    lamba: LambaEmulator, lamba_user: EmulatedUser
) -> None:
    response = Client().post(
        MAGIC_LINK, {"email": EMAIL, "next": "/protected/"}, HTTP_HOST="evil.example"
    )
    assert response.status_code == 200
    link = emailed_link(lamba)
    parts = urlsplit(link)
    assert (parts.scheme, parts.netloc, parts.path) == ("http", "testserver", VERIFY)
    assert parse_qs(parts.query)["next"] == ["/protected/"]
    assert "evil" not in link

    post_json(Client(), MAGIC_LINK, {"email": EMAIL}, HTTP_HOST="evil.example:8443")
    assert emailed_link(lamba).startswith("http://testserver" + VERIFY + "?token=")
    sent = [r.json["redirectUri"] for r in lamba.requests_log if r.path == REQUEST_PATH]
    assert len(sent) == 2
    assert all(uri.startswith("http://testserver/") for uri in sent)


@pytest.mark.usefixtures("any_host")
def test_sec49_a_next_on_the_forged_host_is_not_put_in_the_link(
    lamba: LambaEmulator, lamba_user: EmulatedUser
) -> None:
    # safe_next() accepts a next on the request's own host; the forged host is not ours.
    Client().post(
        MAGIC_LINK, {"email": EMAIL, "next": "http://evil.example/x"}, HTTP_HOST="evil.example"
    )
    assert "evil" not in emailed_link(lamba)


def test_sec49_the_link_uses_the_configured_origin(
    lamba: LambaEmulator, lamba_user: EmulatedUser, settings: Any
) -> None:
    settings.LAMBA_SITE_URL = "https://shop.example.com/"
    Client().post(MAGIC_LINK, {"email": EMAIL})
    assert emailed_link(lamba).startswith("https://shop.example.com/auth/magic-link/verify/?")


@pytest.mark.usefixtures("any_host")
def test_sec49_the_oidc_redirect_uri_comes_from_the_site_url(
    oidc: LambaEmulator, settings: Any
) -> None:
    response = Client().get(OIDC_LOGIN, HTTP_HOST="evil.example")
    assert redirect_uri(response) == "http://testserver" + CALLBACK
    settings.LAMBA_SITE_URL = "https://shop.example.com"
    response = Client().get(OIDC_LOGIN, HTTP_HOST="evil.example")
    assert redirect_uri(response) == "https://shop.example.com" + CALLBACK


def test_sec49_the_oidc_redirect_url_setting_wins(oidc: LambaEmulator, settings: Any) -> None:
    settings.LAMBA_SITE_URL = ""
    settings.LAMBA_OIDC_REDIRECT_URL = "https://login.example.com/cb/"
    response = Client().get(OIDC_LOGIN)
    assert redirect_uri(response) == "https://login.example.com/cb/"


# --- missing setting: refused calmly, nothing sent -----------------------------------------------


def test_sec49_without_a_site_url_no_link_is_sent(
    lamba: LambaEmulator, lamba_user: EmulatedUser, settings: Any, caplog: pytest.LogCaptureFixture
) -> None:
    settings.LAMBA_SITE_URL = ""
    response = Client().post(MAGIC_LINK, {"email": EMAIL})
    assert response.status_code == 503
    assert "django_lamba/magic_link_request.html" in [t.name for t in response.templates]
    assert NOT_AVAILABLE in response.content.decode()
    assert "LAMBA_SITE_URL" not in response.content.decode()  # for the log, not the visitor
    assert lamba.call_count("POST", REQUEST_PATH) == 0
    errors = site_url_errors(caplog)
    assert len(errors) == 1
    assert errors[0].levelno == logging.ERROR
    assert EMAIL not in caplog.text

    as_json = post_json(Client(), MAGIC_LINK, {"email": EMAIL})
    assert as_json.status_code == 503
    assert as_json["Content-Type"] == PROBLEM_JSON
    assert as_json.json()["errorCode"] == "site_url_not_configured"
    assert as_json.json()["detail"].startswith(NOT_AVAILABLE)
    assert lamba.call_count("POST", REQUEST_PATH) == 0
    assert lamba.outbox == []


def test_sec49_without_a_site_url_oidc_does_not_start(
    oidc: LambaEmulator, settings: Any, caplog: pytest.LogCaptureFixture
) -> None:
    settings.LAMBA_SITE_URL = ""
    response = Client().get(OIDC_LOGIN)
    assert response.status_code == 503
    assert "Location" not in response
    assert "django_lamba/oidc_error.html" in [t.name for t in response.templates]
    assert NOT_AVAILABLE in response.content.decode()
    assert token_cookies(response) == {}
    assert oidc.call_count("GET", DISCOVERY_PATH) == 0
    assert len(site_url_errors(caplog)) == 1

    as_json = Client().get(OIDC_LOGIN, HTTP_ACCEPT="application/json")
    assert as_json.status_code == 503
    assert as_json.json()["errorCode"] == "site_url_not_configured"
    assert oidc.call_count("GET", DISCOVERY_PATH) == 0


@pytest.mark.parametrize("value", ["shop.example.com", "ftp://shop.example.com", "https://"])
def test_sec49_a_site_url_that_is_not_an_absolute_url_is_refused(
    lamba: LambaEmulator, lamba_user: EmulatedUser, settings: Any, value: str
) -> None:
    settings.LAMBA_SITE_URL = value
    response = post_json(Client(), MAGIC_LINK, {"email": EMAIL})
    assert response.status_code == 503
    assert response.json()["errorCode"] == "site_url_not_configured"
    assert lamba.call_count("POST", REQUEST_PATH) == 0


@pytest.mark.parametrize(
    ("host", "origin"),
    [
        ("localhost:8000", "http://localhost:8000"),
        ("127.0.0.1:8000", "http://127.0.0.1:8000"),
        ("[::1]:8000", "http://[::1]:8000"),
        ("localhost", "http://localhost"),
    ],
)
def test_sec49_in_development_a_loopback_host_stands_in(
    lamba: LambaEmulator, lamba_user: EmulatedUser, settings: Any, host: str, origin: str
) -> None:
    settings.LAMBA_SITE_URL = ""
    settings.DEBUG = True
    settings.ALLOWED_HOSTS = ["*"]
    response = Client().post(MAGIC_LINK, {"email": EMAIL}, HTTP_HOST=host)
    assert response.status_code == 200
    assert emailed_link(lamba).startswith(origin + VERIFY + "?token=")


@pytest.mark.parametrize("host", ["evil.example", "localhost.evil.example", "10.0.0.5:8000"])
def test_sec49_in_development_any_other_host_is_still_refused(
    lamba: LambaEmulator, lamba_user: EmulatedUser, settings: Any, host: str
) -> None:
    settings.LAMBA_SITE_URL = ""
    settings.DEBUG = True
    settings.ALLOWED_HOSTS = ["*"]
    response = post_json(Client(), MAGIC_LINK, {"email": EMAIL}, HTTP_HOST=host)
    assert response.status_code == 503
    assert response.json()["errorCode"] == "site_url_not_configured"
    assert lamba.call_count("POST", REQUEST_PATH) == 0


def test_sec49_with_debug_off_even_a_loopback_host_is_refused(settings: Any) -> None:
    settings.LAMBA_SITE_URL = ""
    settings.DEBUG = False
    request = RequestFactory().get("/", HTTP_HOST="localhost:8000")
    with pytest.raises(SiteURLNotConfigured):
        site_url(request, "/auth/magic-link/verify/")


def test_site_url_takes_only_a_path_on_this_site() -> None:
    request = RequestFactory().get("/")
    assert site_url(request, "/a/?b=1") == "http://testserver/a/?b=1"
    for bad in ("https://evil.example/", "//evil.example/", "a/"):
        with pytest.raises(ValueError):
            site_url(request, bad)


@pytest.mark.parametrize("candidate", ["http://evil.example/welcome/", "//evil.example/welcome/"])
def test_sec49_a_next_on_a_forged_host_is_not_followed_after_sign_in(
    any_host: None, settings: Any, candidate: str
) -> None:
    from django_lamba._internal.responses import safe_next

    settings.LAMBA_SITE_URL = "https://shop.example.com"
    request = RequestFactory().get("/", {"next": candidate}, HTTP_HOST="evil.example")
    assert safe_next(request, "/home/") == "/home/"
    request = RequestFactory().get(
        "/", {"next": "https://shop.example.com/welcome/"}, HTTP_HOST="evil.example"
    )
    assert safe_next(request, "/home/") == "https://shop.example.com/welcome/"
