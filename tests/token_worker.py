"""A separate process asking for the management token (``test_admin_api_token``).

Started with the ``spawn`` method: forking the test process, whose emulator runs in threads,
could copy a lock some thread holds. So this module imports nothing of Django before it sets
Django up in the child, under the parent's settings for the cache and Lamba.
"""

from __future__ import annotations

import os
from multiprocessing.queues import Queue
from multiprocessing.synchronize import Event
from typing import Any


def ask_for_the_token(go: Event, results: Queue[str], overrides: dict[str, Any]) -> None:
    """Wait for ``go``, then put the token this process was given (or the error) in ``results``."""
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tests.settings")
    import django

    django.setup()
    from django.test import override_settings

    from django_lamba.management_client import LambaManagementClient

    with override_settings(**overrides):
        go.wait(10)
        try:
            results.put(LambaManagementClient().access_token())
        except Exception as exc:  # pragma: no cover - reported by the parent
            results.put(f"error: {type(exc).__name__}")
