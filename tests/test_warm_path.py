"""The warm path: a cookie resolved moments ago is reused, and only while nothing changed.

Each test proves a security behaviour still holds on the shortcut (expiry, sign-out, settings,
refresh on 401, one user per request) or that a shortcut answers exactly what Django would
(the ``Cookie`` header, ``SimpleLazyObject``).
"""

from __future__ import annotations

import copy
import gc
import random
import weakref
from typing import Any

import pytest
from django.contrib.auth.models import AnonymousUser
from django.http import HttpRequest, HttpResponse
from django.http.cookie import parse_cookie
from django.test import Client, RequestFactory
from django.urls import path
from django.utils.functional import SimpleLazyObject

from django_lamba._internal import session, store, verified
from django_lamba._internal.lazy import LazyUser
from django_lamba._internal.refresh import note_logout
from django_lamba._internal.session import resolve_access_token
from django_lamba.conf import lamba_settings
from django_lamba.cookies import read_access_token, read_refresh_token
from django_lamba.middleware import LambaMiddleware
from django_lamba.testing import EmulatedUser, LambaEmulator, client_with_tokens
from django_lamba.testing.clock import frozen
from django_lamba.testing.pytest_plugin import LAMBA_USER_EMAIL
from django_lamba.user import LambaUser
from tests.urls import urlpatterns as base_urlpatterns

pytestmark = pytest.mark.urls(__name__)


def can_read(request: HttpRequest) -> HttpResponse:
    return HttpResponse("yes" if request.user.has_perm("members.read") else "no")


urlpatterns = [*base_urlpatterns, path("can-read/", can_read)]


def _count(monkeypatch: pytest.MonkeyPatch, owner: Any, name: str) -> dict[str, int]:
    calls = {"n": 0}
    original = getattr(owner, name)

    def counted(*args: Any, **kwargs: Any) -> Any:
        calls["n"] += 1
        return original(*args, **kwargs)

    monkeypatch.setattr(owner, name, counted)
    return calls


def _access(client: Client) -> str:
    return client.cookies[lamba_settings.SESSION_COOKIE].value


def test_a_warm_request_skips_hashing_and_verification(
    lamba_client: Client, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert lamba_client.get("/whoami/").content == LAMBA_USER_EMAIL.encode()
    hashes = _count(monkeypatch, store, "token_hash")
    checks = _count(monkeypatch, session, "_verify")
    for _ in range(3):
        assert lamba_client.get("/whoami/").content == LAMBA_USER_EMAIL.encode()
    assert hashes["n"] == 0
    assert checks["n"] == 0


def test_each_request_gets_its_own_user(lamba_client: Client) -> None:
    lamba_client.get("/whoami/")
    first = resolve_access_token(_access(lamba_client))
    second = resolve_access_token(_access(lamba_client))
    assert isinstance(first, LambaUser) and isinstance(second, LambaUser)
    assert first is not second and first == second
    first.note = "set by one view"  # type: ignore[attr-defined]
    assert not hasattr(second, "note")
    assert not hasattr(resolve_access_token(_access(lamba_client)), "note")


def test_a_warm_user_ends_with_its_token(
    lamba: LambaEmulator, lamba_user: EmulatedUser, settings: Any
) -> None:
    settings.LAMBA_LOCAL_CONTEXT_TTL = 3600  # the local window would outlive the token
    with frozen() as clock:
        lamba.clock = clock.now
        client = client_with_tokens(
            lamba.issue_session(
                lamba_user.email,
                workspace_id=lamba.workspace_id,
                project_id=lamba.project_id,
                access_token_ttl=60,
            )
        )
        old = _access(client)
        assert client.get("/whoami/").content == LAMBA_USER_EMAIL.encode()
        lamba.reset_calls()
        clock.advance(61 + lamba_settings.JWT_LEEWAY)
        assert client.get("/whoami/").content == LAMBA_USER_EMAIL.encode()
        assert lamba.call_count("POST", "/v1/auth/refresh") == 1
        assert _access(client) != old


def test_a_sign_out_in_this_worker_ends_the_warm_user_at_once(lamba_client: Client) -> None:
    assert lamba_client.get("/whoami/").content == LAMBA_USER_EMAIL.encode()
    note_logout(access_tokens=(_access(lamba_client),))
    assert lamba_client.get("/whoami/").content == b"anonymous"


def test_a_settings_change_drops_warm_users(lamba_client: Client, settings: Any) -> None:
    assert lamba_client.get("/whoami/").content == LAMBA_USER_EMAIL.encode()
    settings.LAMBA_ALLOWED_PROJECTS = ["ws_elsewhere/prj_elsewhere"]
    assert lamba_client.get("/whoami/").content == b"anonymous"


def test_a_reset_drops_warm_users(lamba_client: Client, monkeypatch: pytest.MonkeyPatch) -> None:
    from django_lamba.testing import reset

    lamba_client.get("/whoami/")
    reset()
    checks = _count(monkeypatch, verified, "verify_access_token")
    assert lamba_client.get("/whoami/").content == LAMBA_USER_EMAIL.encode()
    assert checks["n"] == 1  # judged again from scratch


def test_a_401_behind_a_warm_user_ends_this_requests_session(
    lamba: LambaEmulator, lamba_client: Client
) -> None:
    assert lamba_client.get("/whoami/").content == LAMBA_USER_EMAIL.encode()
    lamba.revoke_session(lamba.session_id_for(_access(lamba_client)) or "")
    response = lamba_client.get("/can-read/")
    assert response.content == b"no"
    assert response.cookies[lamba_settings.SESSION_COOKIE].value == ""  # cleared on *this* one
    assert lamba_client.get("/whoami/").content == b"anonymous"


def _cookie_header(client: Client) -> str:
    return "; ".join(f"{name}={morsel.value}" for name, morsel in client.cookies.items())


def _answer_with_permission(request: HttpRequest) -> HttpResponse:
    return HttpResponse(str(request.user.has_lamba_permission("members.read")))  # type: ignore[union-attr]


def test_a_signed_in_request_is_freed_when_it_ends(lamba_client: Client) -> None:
    """No reference cycle: the request, its user and its state go with the last reference to
    the request, without waiting for the cyclic garbage collector."""
    header = _cookie_header(lamba_client)
    middleware = LambaMiddleware(_answer_with_permission)
    assert middleware(RequestFactory().get("/", HTTP_COOKIE=header)).content == b"True"
    gc.collect()
    gc.disable()
    try:
        request = RequestFactory().get("/", HTTP_COOKIE=header)
        response = middleware(request)
        assert response.content == b"True"  # warm, and the authorization loader was used
        kept = [weakref.ref(thing) for thing in (request, request.lamba, request.lamba.user)]
        del request, response
        assert [ref() for ref in kept] == [None, None, None]
    finally:
        gc.enable()


def test_a_user_kept_past_its_request_still_reads_its_authorization(
    lamba_client: Client,
) -> None:
    header = _cookie_header(lamba_client)
    request = RequestFactory().get("/", HTTP_COOKIE=header)
    LambaMiddleware(lambda request: HttpResponse())(request)
    user = request.lamba.user  # type: ignore[attr-defined]
    del request
    gc.collect()
    assert isinstance(user, LambaUser) and user.has_lamba_permission("members.read")


# --- the Cookie header, read as Django reads it ------------------------------------------------

TOKEN = "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ1In0.c2ln"


@pytest.mark.parametrize(
    "header",
    [
        f"lamba_access_token={TOKEN}",
        f"lamba_access_token={TOKEN}; lamba_refresh_token=rt",
        f"csrftoken=abc; lamba_access_token={TOKEN}; theme=dark",
        f"x_lamba_access_token=evil; lamba_access_token={TOKEN}",
        f"x_lamba_access_token={TOKEN}",
        f"lamba_access_token=first; lamba_access_token={TOKEN}",
        f"lamba_access_token={TOKEN}; lamba_access_token=second",
        f'lamba_access_token="{TOKEN}"',
        'lamba_access_token="a\\"b"; other=1',
        f"lamba_access_token = {TOKEN}",
        f"  lamba_access_token={TOKEN}  ;x=1",
        f"other=lamba_access_token={TOKEN}",
        f"other=a;lamba_access_token={TOKEN}",
        f"other=a;\tlamba_access_token={TOKEN}",
        "lamba_access_token=",
        "lamba_access_token",
        "",
        f"theme=lamba_access_token; lamba_access_token={TOKEN}",
    ],
)
def test_the_access_cookie_is_read_from_the_header_as_django_parses_it(header: str) -> None:
    expected = parse_cookie(header).get("lamba_access_token") or None
    assert read_access_token(RequestFactory().get("/", HTTP_COOKIE=header)) == expected


def test_random_cookie_headers_read_as_django_parses_them() -> None:
    pieces = ["lamba_access_token", "lamba_refresh_token", "=", ";", "; ", " ", '"', "\\"]
    pieces += ["\t", "x", "x_lamba_access_token", TOKEN]
    rng = random.Random(20260601)
    for _ in range(3000):
        header = "".join(rng.choice(pieces) for _ in range(rng.randint(0, 10)))
        request = RequestFactory().get("/", HTTP_COOKIE=header)
        cookies = parse_cookie(header)
        for name, read in (
            ("lamba_access_token", read_access_token),
            ("lamba_refresh_token", read_refresh_token),
        ):
            value = cookies.get(name) or None
            if value is not None and not value.isascii():
                value = None
            assert read(request) == value, header


def test_a_cookie_header_read_before_is_read_again_under_new_settings(settings: Any) -> None:
    header = f"lamba_access_token={TOKEN}; other_access=other-{TOKEN}"

    def read() -> str | None:
        return read_access_token(RequestFactory().get("/", HTTP_COOKIE=header))

    assert read() == TOKEN and read() == TOKEN  # the second from the per-header memory
    settings.LAMBA_SESSION_COOKIE = "other_access"
    assert read() == f"other-{TOKEN}" and read() == f"other-{TOKEN}"
    settings.LAMBA_COOKIE_MAX_BYTES = 10
    assert read() is None and read() is None
    del settings.LAMBA_COOKIE_MAX_BYTES  # no setting_changed: seen all the same
    assert read() == f"other-{TOKEN}"


def test_cookies_set_by_hand_are_read_as_given() -> None:
    request = RequestFactory().get("/", HTTP_COOKIE=f"lamba_access_token={TOKEN}")
    request.COOKIES = {"lamba_access_token": "set-by-a-test"}
    assert read_access_token(request) == "set-by-a-test"
    plain = HttpRequest()
    plain.COOKIES["lamba_refresh_token"] = "rt"
    assert (read_access_token(plain), read_refresh_token(plain)) == (None, "rt")


# --- request.user, lazily -----------------------------------------------------------------------


def test_the_lazy_user_behaves_like_djangos_lazy_object() -> None:
    built = []
    user = AnonymousUser()

    def build() -> AnonymousUser:
        built.append(1)
        return user

    lazy: Any = LazyUser(build)
    assert built == []
    assert isinstance(lazy, SimpleLazyObject) and isinstance(lazy, AnonymousUser)
    assert lazy.is_authenticated is False and built == [1]
    assert lazy == user and hash(lazy) == hash(user) and str(lazy) == str(user)
    lazy.marker = 1
    assert user.marker == 1  # type: ignore[attr-defined]
    assert copy.copy(lazy) is not user and isinstance(copy.copy(lazy), AnonymousUser)
    assert "LazyUser" in repr(lazy) and built == [1]
    with pytest.raises(AttributeError):
        lazy.no_such_attribute  # noqa: B018
