"""Minimal Django settings for the test suite (``DJANGO_SETTINGS_MODULE=tests.settings``)."""

from __future__ import annotations

import os
from importlib.util import find_spec

SECRET_KEY = "tests-only-secret-key-never-used-outside-the-django-lamba-test-suite"
DEBUG = False
ALLOWED_HOSTS = ["testserver", "127.0.0.1", "localhost"]

INSTALLED_APPS = [
    "django.contrib.contenttypes",
    "django.contrib.auth",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.admin",
    "django_lamba",
    # A model with a ForeignKey to the user (local users).
    "tests.localapp",
]
if find_spec("rest_framework") is not None:
    INSTALLED_APPS.append("rest_framework")

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_lamba.middleware.LambaMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

AUTHENTICATION_BACKENDS = [
    "django_lamba.backends.LambaBackend",
    "django.contrib.auth.backends.ModelBackend",
]

ROOT_URLCONF = "tests.urls"
LOGIN_URL = "lamba:login"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

# SQLite in memory, unless LAMBA_TEST_PG_HOST names a PostgreSQL server (.ci/run starts one on
# loopback): then the model tests, the webhook concurrency test among them, run against it.
if os.environ.get("LAMBA_TEST_PG_HOST"):
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.postgresql",
            "HOST": os.environ["LAMBA_TEST_PG_HOST"],
            "PORT": os.environ.get("LAMBA_TEST_PG_PORT", "5432"),
            "NAME": os.environ.get("LAMBA_TEST_PG_NAME", "django_lamba"),
            "USER": os.environ.get("LAMBA_TEST_PG_USER", "postgres"),
            "PASSWORD": os.environ.get("LAMBA_TEST_PG_PASSWORD", ""),
        }
    }
else:
    DATABASES = {"default": {"ENGINE": "django.db.backends.sqlite3", "NAME": ":memory:"}}
DEFAULT_AUTO_FIELD = "django.db.models.AutoField"

CACHES = {
    "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"},
}

# Fast hashing for any Django users the tests create with passwords.
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]

# pytest-django's live_server serves static files under this prefix (unset, it breaks).
STATIC_URL = "/static/"

USE_TZ = True
TIME_ZONE = "UTC"

# Placeholders that refuse connections (port 9, discard); the `lamba` fixture of the
# django_lamba pytest plugin points them at a running emulator.
LAMBA_CUSTOMER_AUTH_BASE_URL = "http://127.0.0.1:9"
LAMBA_CUSTOMER_API_BASE_URL = "http://127.0.0.1:9"

# Nothing is printed; records still propagate to the root logger, so pytest's `caplog` and its
# "Captured log" report on failures see them.
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"null": {"class": "logging.NullHandler"}},
    "root": {"handlers": ["null"]},
    "loggers": {
        "django": {"handlers": ["null"], "propagate": True},
        "django.server": {"handlers": ["null"], "propagate": True},
    },
}

# Absolute URLs the package sends out (magic-link redirectUri, OIDC redirect_uri) are built from
# this, never from the request's Host header.
LAMBA_SITE_URL = "http://testserver"
