"""The local users' configuration: ``LambaMiddleware`` with ``LAMBA_LOCAL_USERS`` on.

The other configurations run with it off, in the same process and interleaved, so the switch is
made per request on the kept setting value (one dict write each way) rather than through
``override_settings``, which would make every other setting resolve again on each request.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from django.core.handlers.wsgi import WSGIHandler
from django.test.utils import override_settings

from django_lamba.conf import lamba_settings

SETTING = "LOCAL_USERS"


class LocalUsersHandler(WSGIHandler):
    """A ``WSGIHandler`` that serves each request as if ``LAMBA_LOCAL_USERS = True``."""

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Any:
        values = lamba_settings._values
        values[SETTING] = True
        try:
            return super().__call__(environ, start_response)
        finally:
            values[SETTING] = False


def build_handler(middleware: Sequence[str]) -> WSGIHandler:
    """Return a local users' handler with its own middleware chain (as ``harness`` does)."""
    with override_settings(MIDDLEWARE=list(middleware)):
        return LocalUsersHandler()
