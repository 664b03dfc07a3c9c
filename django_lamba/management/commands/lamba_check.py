"""``manage.py lamba_check``: after a deploy, check the settings and ask Lamba if it agrees."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from django_lamba.doctor import as_json, as_text, run


class Command(BaseCommand):
    help = (
        "Check django_lamba's settings, both Lamba hosts, the issuer, the JWKS, the clock, the "
        "cache, the management credentials, the webhook endpoint and the tenant binding. "
        "Exits non-zero when a check fails."
    )
    requires_system_checks: list[str] = []  # the doctor runs and explains them itself

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--json", action="store_true", help="Print the report as JSON.")

    def handle(self, *args: Any, **options: Any) -> None:
        report = run()
        self.stdout.write(as_json(report) if options["json"] else as_text(report))
        if report.failed:
            failed = report.counts()["fail"]
            raise CommandError(f"lamba_check: {failed} check(s) failed.", returncode=1)
