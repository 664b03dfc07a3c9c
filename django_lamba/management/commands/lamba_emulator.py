"""``manage.py lamba_emulator``: serve a Lamba emulator with demo users (for local development)."""

from __future__ import annotations

from argparse import ArgumentParser
from typing import Any

from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = "Serve an emulated Lamba auth host and API host with demo users until interrupted."

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--auth-port", type=int, default=8001)
        parser.add_argument("--api-port", type=int, default=8002)
        parser.add_argument(
            "--settings-python",
            action="store_true",
            help="print the settings as Python for settings.py instead of shell exports",
        )
        parser.add_argument("--site-url", default="http://127.0.0.1:8000")

    def handle(self, *args: Any, **options: Any) -> None:
        from django_lamba.testing.__main__ import main

        main(
            [
                "--host",
                options["host"],
                "--auth-port",
                str(options["auth_port"]),
                "--api-port",
                str(options["api_port"]),
                "--site-url",
                options["site_url"],
            ]
            + (["--settings"] if options["settings_python"] else [])
        )
