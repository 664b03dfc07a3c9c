"""``manage.py lamba_webhooks``: list, prune, replay stored events; bad arguments, no traceback."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from datetime import timedelta
from io import StringIO
from pathlib import Path
from typing import Any

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from django_lamba.models import LambaWebhookEvent
from django_lamba.signals import webhook_received
from django_lamba.webhooks import WebhookEvent

pytestmark = pytest.mark.django_db
REPO_ROOT = Path(__file__).resolve().parent.parent


def stored(event_id: str, event_type: str, *, age: timedelta, outcome: str = "processed") -> None:
    LambaWebhookEvent.objects.create(
        event_id=event_id,
        type=event_type,
        workspace_id="ws_demo",
        project_id="prj_demo",
        environment="test",
        received_at=timezone.now() - age,
        outcome=outcome,
        payload={
            "id": event_id,
            "type": event_type,
            "occurredAt": "2026-12-01T10:00:00.000Z",
            "workspaceId": "ws_demo",
            "projectId": "prj_demo",
            "environment": "test",
            "data": {"userId": "usr_1", "sessionId": f"ses_{event_id}"},
        },
    )


def run(*args: str) -> str:
    out = StringIO()
    call_command("lamba_webhooks", *args, stdout=out)
    return out.getvalue()


@pytest.fixture
def events() -> None:
    stored("evt_old", "user.created", age=timedelta(days=40))
    stored("evt_day", "session.revoked", age=timedelta(hours=20), outcome="receiver_failed")
    stored("evt_new", "session.revoked", age=timedelta(minutes=5))


@pytest.fixture
def received() -> Iterator[list[WebhookEvent]]:
    events: list[WebhookEvent] = []

    def receiver(sender: str, event: WebhookEvent, **kwargs: Any) -> None:
        events.append(event)

    webhook_received.connect(receiver, weak=False, dispatch_uid="test_lamba_webhooks_command")
    yield events
    webhook_received.disconnect(dispatch_uid="test_lamba_webhooks_command")


def test_list_shows_recent_events_newest_first(events: None) -> None:
    lines = run("list").splitlines()
    assert lines[0].split() == ["EVENT", "ID", "TYPE", "OUTCOME", "RECEIVED"]
    assert [line.split()[0] for line in lines[1:]] == ["evt_new", "evt_day", "evt_old"]
    assert lines[2].split()[1:3] == ["session.revoked", "receiver_failed"]


def test_list_filters_by_type_outcome_and_limit(events: None) -> None:
    assert [
        line.split()[0] for line in run("list", "--type", "session.revoked").splitlines()[1:]
    ] == [
        "evt_new",
        "evt_day",
    ]
    only_failed = run("list", "--outcome", "receiver_failed").splitlines()[1:]
    assert [line.split()[0] for line in only_failed] == ["evt_day"]
    assert len(run("list", "--limit", "1").splitlines()) == 2
    assert run("list", "--type", "role.updated") == "No stored Lamba webhook events match.\n"


def test_list_json_is_one_object_per_line(events: None) -> None:
    rows = [json.loads(line) for line in run("list", "--json").splitlines()]
    assert [(row["id"], row["type"], row["outcome"]) for row in rows] == [
        ("evt_new", "session.revoked", "processed"),
        ("evt_day", "session.revoked", "receiver_failed"),
        ("evt_old", "user.created", "processed"),
    ]
    assert all(row["received"] for row in rows)


def test_prune_deletes_events_older_than_the_duration_and_says_how_many(events: None) -> None:
    assert run("prune", "--older-than", "30d") == "Deleted 1 Lamba webhook event(s).\n"
    assert run("prune", "--older-than", "12h") == "Deleted 1 Lamba webhook event(s).\n"
    assert list(LambaWebhookEvent.objects.values_list("event_id", flat=True)) == ["evt_new"]
    assert run("prune", "--older-than", "90m") == "Deleted 0 Lamba webhook event(s).\n"


def test_prune_dry_run_counts_and_deletes_nothing(events: None) -> None:
    assert (
        run("prune", "--older-than", "12h", "--dry-run")
        == "Would delete 2 Lamba webhook event(s).\n"
    )
    assert LambaWebhookEvent.objects.count() == 3


@pytest.mark.parametrize("age", ["30", "d", "-3d", "0d", "1w", "1.5h", "", "30 days"])
def test_prune_refuses_a_bad_duration(events: None, age: str) -> None:
    with pytest.raises(CommandError, match="not a duration"):
        run("prune", f"--older-than={age}")
    assert LambaWebhookEvent.objects.count() == 3


def test_replay_sends_the_signal_again_from_the_stored_payload(
    events: None, received: list[WebhookEvent]
) -> None:
    assert run("replay", "evt_day") == "Replayed session.revoked evt_day: processed.\n"
    [event] = received
    assert (event.id, event.type, event.data) == (
        "evt_day",
        "session.revoked",
        {"userId": "usr_1", "sessionId": "ses_evt_day"},
    )
    assert (event.workspace_id, event.occurred_at) == ("ws_demo", "2026-12-01T10:00:00.000Z")
    row = LambaWebhookEvent.objects.get(event_id="evt_day")
    assert row.outcome == "processed"
    assert row.processed_at is not None


def test_replay_records_a_failing_receiver_and_exits_non_zero(events: None) -> None:
    def broken(sender: str, **kwargs: Any) -> None:
        raise RuntimeError("boom")

    webhook_received.connect(broken, weak=False, dispatch_uid="test_replay_broken")
    try:
        with pytest.raises(CommandError, match="receiver failed"):
            run("replay", "evt_new")
    finally:
        webhook_received.disconnect(dispatch_uid="test_replay_broken")
    assert LambaWebhookEvent.objects.get(event_id="evt_new").outcome == "receiver_failed"


def test_replay_refuses_an_unknown_event_id(events: None, received: list[WebhookEvent]) -> None:
    with pytest.raises(CommandError, match="No stored Lamba webhook event has the id 'evt_nope'"):
        run("replay", "evt_nope")
    assert received == []


def test_list_refuses_a_bad_limit(events: None) -> None:
    with pytest.raises(CommandError, match="--limit 'many'"):
        run("list", "--limit", "many")


@pytest.mark.parametrize(
    ("argv", "expected"),
    [
        ([], "required: {list,prune,replay}"),
        (["purge"], "invalid choice: 'purge'"),
        (["prune"], "the following arguments are required: --older-than"),
        (["prune", "--older-than", "soon"], "CommandError: --older-than 'soon' is not a duration"),
        (["replay"], "the following arguments are required: event_id"),
        (["list", "--limit", "0"], "CommandError: --limit '0' is not a positive whole number"),
    ],
)
def test_bad_arguments_on_the_command_line_exit_non_zero_without_a_traceback(
    argv: list[str], expected: str
) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "django", "lamba_webhooks", *argv],
        cwd=REPO_ROOT,
        env={
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "tests.settings",
            "PYTHONPATH": str(REPO_ROOT),
        },
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode != 0
    assert expected in result.stderr
    assert "Traceback" not in result.stderr + result.stdout
