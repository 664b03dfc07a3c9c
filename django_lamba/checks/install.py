"""Checks of how the package is installed: middleware and backend (E003-E005)."""

from __future__ import annotations

from django.conf import settings
from django.core.checks import CheckMessage, Error

MIDDLEWARE = "django_lamba.middleware.LambaMiddleware"
AUTH_MIDDLEWARE = "django.contrib.auth.middleware.AuthenticationMiddleware"
BACKEND = "django_lamba.backends.LambaBackend"


def check_middleware() -> list[CheckMessage]:
    middleware = list(getattr(settings, "MIDDLEWARE", []) or [])
    if MIDDLEWARE not in middleware:
        return [
            Error(
                f"{MIDDLEWARE} is not in MIDDLEWARE.",
                hint=f"Add it to MIDDLEWARE, after {AUTH_MIDDLEWARE}.",
                id="django_lamba.E003",
            )
        ]
    if AUTH_MIDDLEWARE in middleware and middleware.index(AUTH_MIDDLEWARE) > middleware.index(
        MIDDLEWARE
    ):
        return [
            Error(
                f"{MIDDLEWARE} comes before {AUTH_MIDDLEWARE}.",
                hint="Move LambaMiddleware after AuthenticationMiddleware, or it is overwritten.",
                id="django_lamba.E004",
            )
        ]
    return []


def check_backend() -> list[CheckMessage]:
    backends = list(getattr(settings, "AUTHENTICATION_BACKENDS", []) or [])
    if not any(b == BACKEND or b.endswith(".LambaBackend") for b in backends):
        return [
            Error(
                f"{BACKEND} is not in AUTHENTICATION_BACKENDS.",
                hint="Add it so user.has_perm() answers from Lamba's authorization.",
                id="django_lamba.E005",
            )
        ]
    return []
