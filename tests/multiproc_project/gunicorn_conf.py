"""Gunicorn hooks for the multi-process test (``-c python:tests.multiproc_project.gunicorn_conf``).

Each worker drops a file named after its pid into ``LAMBA_TEST_READY_DIR`` once it has loaded the
application, so the test can wait for every worker instead of guessing.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any


def post_worker_init(worker: Any) -> None:
    """Announce that this worker has loaded Django and is about to accept connections."""
    ready_dir = os.environ.get("LAMBA_TEST_READY_DIR")
    if ready_dir:
        (Path(ready_dir) / str(os.getpid())).touch()
