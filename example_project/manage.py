#!/usr/bin/env python
"""Django's command line for the example project; `rundemo` serves the demo."""

from __future__ import annotations

import os
import sys
from pathlib import Path


def main() -> None:
    """Run a management command with the example project's settings."""
    try:
        import django_lamba  # noqa: F401
    except ImportError:
        # A clone without `pip install -e .`: use the package from the repository itself.
        sys.path.append(str(Path(__file__).resolve().parent.parent))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "example.settings")
    if sys.argv[1:2] != ["rundemo"]:
        # `check`, `runserver`, `shell`...: unless the environment names a Lamba, talk to an
        # emulator on its default ports (`rundemo` or `python -m django_lamba.testing`).
        from example.lamba_env import use_emulator_defaults

        use_emulator_defaults()
    from django.core.management import execute_from_command_line

    execute_from_command_line(sys.argv)


if __name__ == "__main__":
    main()
