"""``manage.py lamba_webhooks``: list, prune and replay the stored Lamba webhook events.

- ``list [--type T] [--outcome O] [--limit N] [--json]``: the most recent events first.
- ``prune --older-than 30d [--dry-run]``: delete events received longer ago than that (``30d``,
  ``12h``, ``90m``). A pruned event's id is forgotten: Lamba redelivering it after that would
  run it again, so keep more than Lamba's retry window.
- ``replay EVENT_ID``: send ``webhook_received`` again for a stored event, from its signed
  payload, and record the new outcome.
"""

from __future__ import annotations

import json
import re
from datetime import timedelta
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from django_lamba.models import LambaWebhookEvent
from django_lamba.webhooks import WebhookEvent, dispatch

_UNITS = {"d": "days", "h": "hours", "m": "minutes"}
_DURATION = re.compile(r"^\s*(\d{1,6})\s*([dhm])\s*$")


def parse_age(text: str) -> timedelta:
    """``30d``, ``12h`` or ``90m`` as a ``timedelta``; ``CommandError`` for anything else."""
    match = _DURATION.match(text or "")
    if match is None or int(match.group(1)) == 0:
        raise CommandError(
            f"--older-than {text!r} is not a duration: give a positive whole number and a "
            "unit, d (days), h (hours) or m (minutes), e.g. 30d, 12h, 90m."
        )
    return timedelta(**{_UNITS[match.group(2)]: int(match.group(1))})


def _positive(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value <= 0:
        raise CommandError(f"--limit {text!r} is not a positive whole number.")
    return value


class Command(BaseCommand):
    help = "List, prune and replay the Lamba webhook events django-lamba stored."

    def add_arguments(self, parser: CommandParser) -> None:
        actions = parser.add_subparsers(dest="action", metavar="{list,prune,replay}")
        actions.required = True
        listing = actions.add_parser("list", help="recent events, newest first")
        listing.add_argument("--type", help="only events of this type (e.g. session.revoked)")
        listing.add_argument("--outcome", help="received, processed or receiver_failed")
        listing.add_argument("--limit", default="50", help="at most this many (default 50)")
        listing.add_argument("--json", action="store_true", help="print JSON lines")
        prune = actions.add_parser("prune", help="delete events older than a duration")
        prune.add_argument("--older-than", required=True, help="30d, 12h or 90m")
        prune.add_argument("--dry-run", action="store_true", help="count, delete nothing")
        replay = actions.add_parser("replay", help="send webhook_received again for one event")
        replay.add_argument("event_id", help="the event's id (evt_...)")

    def handle(self, *args: Any, **options: Any) -> None:
        action = options["action"]
        if action == "list":
            self._list(options)
        elif action == "prune":
            self._prune(parse_age(options["older_than"]), dry_run=options["dry_run"])
        else:
            self._replay(options["event_id"])

    def _list(self, options: dict[str, Any]) -> None:
        events = LambaWebhookEvent.objects.order_by("-received_at", "-id")
        if options["type"]:
            events = events.filter(type=options["type"])
        if options["outcome"]:
            events = events.filter(outcome=options["outcome"])
        rows = list(events[: _positive(options["limit"])])
        if options["json"]:
            for row in rows:
                self.stdout.write(json.dumps(_as_json(row)))
            return
        if not rows:
            self.stdout.write("No stored Lamba webhook events match.")
            return
        self.stdout.write(f"{'EVENT ID':<32} {'TYPE':<24} {'OUTCOME':<16} RECEIVED")
        for row in rows:
            received = row.received_at.isoformat(timespec="seconds")
            self.stdout.write(f"{row.event_id:<32} {row.type:<24} {row.outcome:<16} {received}")

    def _prune(self, age: timedelta, *, dry_run: bool) -> None:
        old = LambaWebhookEvent.objects.filter(received_at__lt=timezone.now() - age)
        if dry_run:
            self.stdout.write(f"Would delete {old.count()} Lamba webhook event(s).")
            return
        deleted, _ = old.delete()
        self.stdout.write(f"Deleted {deleted} Lamba webhook event(s).")

    def _replay(self, event_id: str) -> None:
        record = LambaWebhookEvent.objects.filter(event_id=event_id).first()
        if record is None:
            raise CommandError(f"No stored Lamba webhook event has the id {event_id!r}.")
        if not isinstance(record.payload, dict) or not record.payload:
            raise CommandError(
                f"Event {event_id!r} was stored without its payload, so it cannot be replayed."
            )
        outcome = dispatch(WebhookEvent.from_record(record))
        self.stdout.write(f"Replayed {record.type} {event_id}: {outcome}.")
        if outcome != "processed":
            raise CommandError(
                f"A receiver failed on {event_id!r}; see the django_lamba.webhooks log."
            )


def _as_json(row: LambaWebhookEvent) -> dict[str, Any]:
    return {
        "id": row.event_id,
        "type": row.type,
        "outcome": row.outcome,
        "received": row.received_at.isoformat(),
        "processed": row.processed_at.isoformat() if row.processed_at else None,
        "workspace_id": row.workspace_id,
        "project_id": row.project_id,
        "environment": row.environment,
    }
