"""``tests.settings`` with a custom user model keyed by email (no ``username`` field)."""

from __future__ import annotations

from tests.settings import *  # noqa: F403

INSTALLED_APPS = [*INSTALLED_APPS, "tests.emailusers"]  # noqa: F405
AUTH_USER_MODEL = "emailusers.EmailUser"
