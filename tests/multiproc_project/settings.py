"""Settings for gunicorn workers that share state only through Redis.

The test passes everything through the environment: ``LAMBA_TEST_REDIS_URL`` for the cache (or
``LAMBA_TEST_CACHE=broken`` for one whose every call raises), ``LAMBA_TEST_DB`` for a database and
the ``LAMBA_*`` variables (which ``django_lamba.conf`` reads when a setting is absent) for the
emulator's hosts and scope.
"""

from __future__ import annotations

import os

from django.core.exceptions import ImproperlyConfigured

SECRET_KEY = "multiproc-tests-only-secret-key-never-used-outside-the-django-lamba-test-suite"
DEBUG = False
ALLOWED_HOSTS = ["127.0.0.1", "localhost"]

INSTALLED_APPS = [
    "django.contrib.contenttypes",
    "django.contrib.auth",
    "django.contrib.sessions",
    "django_lamba",
]

# The documented install: Lamba after Django's own session and authentication middleware.
MIDDLEWARE = [
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_lamba.middleware.LambaMiddleware",
]
AUTHENTICATION_BACKENDS = [
    "django_lamba.backends.LambaBackend",
    "django.contrib.auth.backends.ModelBackend",
]
# No database tables exist in the workers: keep Django sessions in signed cookies.
SESSION_ENGINE = "django.contrib.sessions.backends.signed_cookies"

ROOT_URLCONF = "tests.multiproc_project.urls"
WSGI_APPLICATION = "tests.multiproc_project.wsgi.application"

# The webhook test migrates a SQLite file first and names it in LAMBA_TEST_DB (events are stored).
DATABASES = {
    "default": {
        "ENGINE": "django.db.backends.sqlite3",
        "NAME": os.environ.get("LAMBA_TEST_DB") or ":memory:",
    }
}
DEFAULT_AUTO_FIELD = "django.db.models.AutoField"

_REDIS_URL = os.environ.get("LAMBA_TEST_REDIS_URL", "")
if os.environ.get("LAMBA_TEST_CACHE") == "broken":
    # Every cache call raises, as with Redis down or its client library missing.
    CACHES = {"default": {"BACKEND": "tests.broken_cache.BrokenCache"}}
elif _REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": _REDIS_URL,
            "KEY_PREFIX": "multiproc",
        },
    }
else:
    raise ImproperlyConfigured(
        "Set LAMBA_TEST_REDIS_URL to the Redis server the workers share "
        "(or LAMBA_TEST_CACHE=broken to run them with a cache that always fails)."
    )

USE_TZ = True
TIME_ZONE = "UTC"

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    # Warnings and errors land in gunicorn's captured stderr, which the test prints on failure.
    "root": {"handlers": ["console"], "level": "WARNING"},
    # With the broken cache every request would log its failed cache calls.
    "loggers": {
        "django_lamba.cache": {
            "level": "ERROR" if os.environ.get("LAMBA_TEST_CACHE") == "broken" else "WARNING"
        }
    },
}
