"""Django test clients that carry a Lamba session, the way a browser would."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, TypeVar, overload

if TYPE_CHECKING:
    from django.test import AsyncClient, Client

    AnyClient = TypeVar("AnyClient", Client, AsyncClient)


@overload
def client_with_tokens(tokens: Mapping[str, Any]) -> Client: ...


@overload
def client_with_tokens(tokens: Mapping[str, Any], client: AnyClient) -> AnyClient: ...


def client_with_tokens(tokens: Mapping[str, Any], client: Any = None) -> Any:
    """Put a token shape (``issue_session()``, a login answer) into a test client's cookies.

    Returns ``client``, or a new ``django.test.Client`` when none is given. The cookies get the
    names and attributes django_lamba itself sets (HttpOnly, Secure, SameSite, path ``/``).
    """
    from django.test import Client

    from django_lamba.conf import lamba_settings

    target: Any = client if client is not None else Client()
    for name, key in (
        (lamba_settings.SESSION_COOKIE, "access_token"),
        (lamba_settings.REFRESH_COOKIE, "refresh_token"),
    ):
        target.cookies[name] = tokens[key]
        target.cookies[name]["path"] = "/"
        target.cookies[name]["secure"] = True
        target.cookies[name]["httponly"] = True
        target.cookies[name]["samesite"] = lamba_settings.COOKIE_SAMESITE
    return target
