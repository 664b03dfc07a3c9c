"""Settings of the example project: a Django site whose customers sign in with Lamba.

Run it with ``python example_project/manage.py rundemo``. Everything Lamba-specific is marked
"django_lamba"; the rest is a stock Django project.
"""

from __future__ import annotations

import os
from importlib.util import find_spec
from pathlib import Path
from typing import Any

BASE_DIR = Path(__file__).resolve().parent.parent

# A throwaway key for the local demo; a real site reads its own from the environment.
SECRET_KEY = os.environ.get(
    "DJANGO_SECRET_KEY", "example-project-only-insecure-key-9b1f7c2e4d6a8b0c1e3f5a7c9d2b4f6e"
)
DEBUG = os.environ.get("EXAMPLE_DEBUG", "1") == "1"
ALLOWED_HOSTS = ["127.0.0.1", "localhost", "[::1]"]

HAS_DRF = find_spec("rest_framework") is not None

INSTALLED_APPS = [
    "django.contrib.contenttypes",
    "django.contrib.auth",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",  # the DRF browsable API's styles
    "django_lamba",  # django_lamba: sign-in views, templates, system checks, {% load lamba %}
    "portal",
]
if HAS_DRF:
    INSTALLED_APPS.append("rest_framework")

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # django_lamba: after AuthenticationMiddleware, so the Lamba customer becomes request.user.
    "django_lamba.middleware.LambaMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

AUTHENTICATION_BACKENDS = [
    # django_lamba: user.has_perm("members.read") answers from Lamba's /v1/me/authorization.
    "django_lamba.backends.LambaBackend",
    "django.contrib.auth.backends.ModelBackend",
]

ROOT_URLCONF = "example.urls"
WSGI_APPLICATION = "example.wsgi.application"
LOGIN_URL = "lamba:login"
LOGIN_REDIRECT_URL = "dashboard"
LOGOUT_REDIRECT_URL = "home"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        # templates/django_lamba/base.html restyles the package's sign-in pages to match the
        # site: any django_lamba/*.html template can be overridden the same way.
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "portal.context_processors.site",
            ],
        },
    },
]

DATABASES = {
    "default": {
        "ENGINE": "django.db.backends.sqlite3",
        "NAME": os.environ.get("EXAMPLE_DATABASE", str(BASE_DIR / "db.sqlite3")),
    }
}
DEFAULT_AUTO_FIELD = "django.db.models.AutoField"

# django_lamba caches the customer's context and authorization here, keyed by a hash of the
# token. One process: local memory. Several processes or machines: a shared cache, so that
# they also share one refresh per token rotation.
CACHES: dict[str, dict[str, Any]] = {
    "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"},
}
if os.environ.get("REDIS_URL"):
    CACHES["default"] = {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": os.environ["REDIS_URL"],
    }

STATIC_URL = "static/"

USE_TZ = True
TIME_ZONE = "UTC"
LANGUAGE_CODE = "en-us"

# --- django_lamba -----------------------------------------------------------------------------
# LAMBA_CUSTOMER_AUTH_BASE_URL, LAMBA_CUSTOMER_API_BASE_URL, LAMBA_CUSTOMER_WORKSPACE_ID,
# LAMBA_CUSTOMER_PROJECT_ID, LAMBA_CUSTOMER_ENV and LAMBA_CLIENT_ID are left out on purpose:
# the package then reads the environment variables of the same names, which `rundemo` sets to
# its emulator (or which you export to use a real Lamba). See example/lamba_env.py.
#
# LAMBA_SITE_URL, this site's own origin, comes from the environment too: `rundemo` sets it to
# the address it serves (http://127.0.0.1:8000 by default, or its --host and --port), so the
# links Lamba emails and the OIDC callback come back to it. A real site sets it here, e.g.
# LAMBA_SITE_URL = "https://shop.example.com"; it is never taken from the Host header.

# The demo serves plain http on 127.0.0.1, where browsers drop Secure cookies, so the token
# cookies are sent without the Secure flag. Never do this in production: with DEBUG off the
# system check django_lamba.W002 warns about it.
LAMBA_COOKIE_SECURE = False

# Local users: with LAMBA_LOCAL_USERS = True a signed-in customer is a row of AUTH_USER_MODEL
# (created on first sign-in, linked by django_lamba.LambaIdentity), so models such as
# portal.Note can have a ForeignKey to request.user. Off here, so the demo needs no user table
# writes; `LAMBA_LOCAL_USERS=1 python example_project/manage.py rundemo` turns it on, then
# /notes/ keeps each customer's notes. See docs/local-users.md.
# LAMBA_LOCAL_USERS = True

# How many members /members/ shows per page (small, to show cursor paging with the demo users).
MEMBERS_PAGE_SIZE = 3

# django_lamba: with DEBUG on and django-debug-toolbar installed (pip install
# django-lamba[debug]), the toolbar gets a "Lamba" panel: each call to Lamba with its status,
# duration and traceId, cache hits, refreshes, and the resolved Workspace, Project and roles.
# It starts collapsed (the DJDT tab on the right); EXAMPLE_DEBUG_TOOLBAR=0 leaves it out, as the
# browser tests do.
HAS_DEBUG_TOOLBAR = (
    DEBUG
    and os.environ.get("EXAMPLE_DEBUG_TOOLBAR", "1") == "1"
    and find_spec("debug_toolbar") is not None
)
if HAS_DEBUG_TOOLBAR:
    from debug_toolbar.settings import PANELS_DEFAULTS

    INSTALLED_APPS.append("debug_toolbar")
    MIDDLEWARE.insert(0, "debug_toolbar.middleware.DebugToolbarMiddleware")
    INTERNAL_IPS = ["127.0.0.1", "::1"]
    DEBUG_TOOLBAR_PANELS = [*PANELS_DEFAULTS, "django_lamba.contrib.debug_toolbar.LambaPanel"]
    DEBUG_TOOLBAR_CONFIG = {"SHOW_COLLAPSED": True}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"short": {"format": "[%(name)s] %(levelname)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "short"}},
    # django_lamba logs each Lamba error with its errorCode and traceId, never a token.
    "loggers": {"django_lamba": {"handlers": ["console"], "level": "INFO"}},
}
