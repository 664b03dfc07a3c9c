"""Settings shared by every configuration the benchmark compares.

``MIDDLEWARE`` is empty here: the harness builds one ``WSGIHandler`` per configuration under
``override_settings(MIDDLEWARE=...)``. ``__main__`` fills the environment variables read below
before Django is set up.
"""

from __future__ import annotations

import os
from typing import Any

SECRET_KEY = "benchmark-only-secret-key-never-used-outside-the-django-lamba-benchmarks"
DEBUG = False  # DEBUG would record every SQL query
ALLOWED_HOSTS = ["testserver"]

INSTALLED_APPS = [
    "django.contrib.contenttypes",
    "django.contrib.auth",
    "django.contrib.sessions",
    "django_lamba",
]
MIDDLEWARE: list[str] = []
AUTHENTICATION_BACKENDS = [
    "django_lamba.backends.LambaBackend",
    "django.contrib.auth.backends.ModelBackend",
]
ROOT_URLCONF = "tests.benchmarks.urls"

# Django's session auth reads a session row and a user row per request: a SQLite file, with a
# persistent connection (Django's best case; CONN_MAX_AGE=0 would reconnect on every request).
DATABASES = {
    "default": {
        "ENGINE": "django.db.backends.sqlite3",
        "NAME": os.environ.get("LAMBA_BENCH_DB", ":memory:"),
        "CONN_MAX_AGE": None,
    }
}
DEFAULT_AUTO_FIELD = "django.db.models.AutoField"
SESSION_ENGINE = "django.contrib.sessions.backends.db"
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]  # setup speed only

CACHES: dict[str, dict[str, Any]] = {
    "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"},
}
if os.environ.get("LAMBA_BENCH_REDIS_URL"):
    CACHES["default"] = {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": os.environ["LAMBA_BENCH_REDIS_URL"],
        "KEY_PREFIX": "bench",
    }

# As a project would configure them: in settings.py, pointing at the in-process emulator.
LAMBA_CUSTOMER_AUTH_BASE_URL = os.environ.get("LAMBA_BENCH_AUTH_URL", "http://127.0.0.1:9")
LAMBA_CUSTOMER_API_BASE_URL = os.environ.get("LAMBA_BENCH_API_URL", "http://127.0.0.1:9")
LAMBA_CUSTOMER_WORKSPACE_ID = os.environ.get("LAMBA_BENCH_WORKSPACE_ID", "")
LAMBA_CUSTOMER_PROJECT_ID = os.environ.get("LAMBA_BENCH_PROJECT_ID", "")

USE_TZ = True
TIME_ZONE = "UTC"

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"null": {"class": "logging.NullHandler"}},
    "root": {"handlers": ["null"]},
    "loggers": {"django": {"handlers": ["null"], "propagate": False}},
}
