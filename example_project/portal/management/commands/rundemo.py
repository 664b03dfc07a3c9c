"""``python example_project/manage.py rundemo``: the example site on an embedded Lamba emulator.

Starts ``LambaEmulator`` in this process, seeds demo users, points the ``LAMBA_*`` environment
variables at it, migrates SQLite if needed and runs Django's development server without the
autoreloader (a reloader would start a second process, and with it a second emulator).
With ``LAMBA_CUSTOMER_AUTH_BASE_URL`` already exported it uses that Lamba instead.
"""

from __future__ import annotations

import io
import os
import socket
import sys
from typing import Any

from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import DEFAULT_DB_ALIAS, connections
from django.db.migrations.executor import MigrationExecutor
from django.urls import reverse
from example.lamba_env import (
    DEMO_CLIENT_ID,
    DEMO_WEBHOOK_SECRET,
    EMULATOR_API_PORT,
    EMULATOR_AUTH_PORT,
    SITE_PORT,
    emulator_environment,
    use_site_url,
)

from django_lamba.testing import LambaEmulator, OutboxMessage
from portal import webhook_demo
from portal.demo import DEMO_ACCOUNTS, DEMO_MFA_CODE, seed_demo


def _url_host(host: str) -> str:
    return f"[{host}]" if ":" in host else host


class Command(BaseCommand):
    help = (
        "Run the example site against an embedded Lamba emulator with demo users, or against "
        "the Lamba named by LAMBA_CUSTOMER_AUTH_BASE_URL when it is set."
    )
    # The LAMBA_* variables are set in handle(); runserver runs the system checks after that.
    requires_system_checks: list[str] = []

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--host", default="127.0.0.1", help="address to serve on")
        parser.add_argument("--port", type=int, default=SITE_PORT, help="the site's port")
        parser.add_argument(
            "--auth-port", type=int, default=EMULATOR_AUTH_PORT, help="emulated auth host port"
        )
        parser.add_argument(
            "--api-port", type=int, default=EMULATOR_API_PORT, help="emulated API host port"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        # Under tox (or any pipe) stdout is block-buffered: the banner and the codes must show now.
        if isinstance(sys.stdout, io.TextIOWrapper):
            sys.stdout.reconfigure(line_buffering=True)
        host, port = options["host"], options["port"]
        self._check_port_free(host, port)
        site_url = f"http://{_url_host(host)}:{port}/"
        use_site_url(host, port)  # links Lamba emails and the OIDC callback point back here
        emulator: LambaEmulator | None = None
        if not os.environ.get("LAMBA_CUSTOMER_AUTH_BASE_URL"):
            emulator = self._start_emulator(host, port, options["auth_port"], options["api_port"])
        try:
            self._migrate()
            self._print_banner(site_url, emulator)
            call_command(
                "runserver", f"{_url_host(host)}:{port}", use_reloader=False, skip_checks=False
            )
        finally:
            if emulator is not None:
                emulator.stop()

    # --- steps -------------------------------------------------------------------------------

    def _check_port_free(self, host: str, port: int) -> None:
        family = socket.AF_INET6 if ":" in host else socket.AF_INET
        with socket.socket(family, socket.SOCK_STREAM) as probe:
            try:
                probe.bind((host, port))
            except OSError as exc:
                raise CommandError(
                    f"Cannot serve the site on {host}:{port} ({exc.strerror}). "
                    "Pass another port, e.g. --port 8010."
                ) from None

    def _start_emulator(
        self, host: str, site_port: int, auth_port: int, api_port: int
    ) -> LambaEmulator:
        emulator = LambaEmulator(
            host=host, auth_port=auth_port, api_port=api_port, on_outbox=self._print_outbox
        )
        try:
            emulator.start()
        except OSError as exc:
            raise CommandError(
                f"Cannot start the Lamba emulator on {host}:{auth_port} and {host}:{api_port} "
                f"({exc.strerror}). Pass other ports, e.g. --auth-port 8011 --api-port 8012."
            ) from None
        seed_demo(emulator)
        callback = reverse("lamba:oidc_callback")
        hosts = dict.fromkeys([_url_host(host), "127.0.0.1", "localhost"])
        emulator.add_oidc_client(
            DEMO_CLIENT_ID, [f"http://{name}:{site_port}{callback}" for name in hosts]
        )
        # Lamba's console would register this; the emulator then sends session.revoked here.
        webhook = f"http://{_url_host(host)}:{site_port}{reverse('lamba:webhook')}"
        emulator.configure_webhooks(webhook, DEMO_WEBHOOK_SECRET)
        webhook_demo.use_emulator(emulator)
        # django_lamba reads these on every access, so setting them now is enough.
        os.environ.update(emulator_environment(emulator.auth_url, emulator.api_url))
        return emulator

    def _migrate(self) -> None:
        connection = connections[DEFAULT_DB_ALIAS]
        executor = MigrationExecutor(connection)
        if executor.migration_plan(executor.loader.graph.leaf_nodes()):
            self.stdout.write("Creating the SQLite database...")
            call_command("migrate", interactive=False, verbosity=0)

    # --- output ------------------------------------------------------------------------------

    def _print_banner(self, site_url: str, emulator: LambaEmulator | None) -> None:
        write, bold = self.stdout.write, self.style.MIGRATE_HEADING
        write("")
        write(bold(f"django-lamba demo: open {site_url}"))
        if emulator is None:
            write(f"  Lamba: {os.environ['LAMBA_CUSTOMER_AUTH_BASE_URL']} (from the environment)")
            write("")
            return
        write(f"  Lamba emulator: auth host {emulator.auth_url}, API host {emulator.api_url}")
        write(
            f"  Sign-ins are switched into Workspace {emulator.workspace_id}, "
            f"Project {emulator.project_id}, environment {emulator.environment}."
        )
        write(f"  Hosted sign-in (OIDC) App Client: {DEMO_CLIENT_ID}")
        webhook_url = site_url.rstrip("/") + reverse("lamba:webhook")
        write(f"  Webhooks: the emulator delivers session.revoked to {webhook_url}")
        write(f"  (try {site_url}sessions/ signed in from two browsers)")
        write("")
        write(bold("Demo accounts:"))
        for account in DEMO_ACCOUNTS:
            columns = f"{account.email:<20} {account.password:<14} {account.phone:<13}"
            write(f"  {columns} {account.description}")
        write(f"  The MFA account asks for the code {DEMO_MFA_CODE} after its password.")
        write("")
        write("Emailed sign-in links and texted codes are printed here as they are sent.")
        write("Ctrl-C stops the site and the emulator.")
        write("")

    def _print_outbox(self, message: OutboxMessage) -> None:
        if message.kind == "magic_link":
            text = f"[outbox] sign-in link for {message.to}: {message.url}"
        else:
            text = f"[outbox] text message to {message.to}: your code is {message.token_or_code}"
        self.stdout.write(self.style.SUCCESS(text))
        self.stdout.flush()
