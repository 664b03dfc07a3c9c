"""``manage.py lamba_members`` against the emulator: each subcommand, and its refusals."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from io import StringIO
from pathlib import Path
from typing import Any

import pytest
from django.core.management import CommandError, call_command

from django_lamba.management.commands import lamba_members
from django_lamba.management_client import LambaManagementClient
from django_lamba.testing import LambaEmulator

ROOT = Path(__file__).resolve().parent.parent


class TTYStringIO(StringIO):
    def isatty(self) -> bool:
        return True


def run(*args: str, stderr: StringIO | None = None) -> str:
    out = StringIO()
    call_command("lamba_members", *args, stdout=out, stderr=stderr or StringIO())
    return out.getvalue()


@pytest.fixture
def team(lamba: LambaEmulator) -> LambaEmulator:
    lamba.add_user("ada@example.com", "pw-123456", display_name="Ada", roles=["admin"])
    lamba.add_user("bob@example.com", "pw-123456", roles=["member"])
    return lamba


def test_list_prints_a_table(team: LambaEmulator) -> None:
    out = run("list")
    lines = out.splitlines()
    assert lines[0].split() == ["USER", "ID", "EMAIL", "NAME", "ROLES", "STATUS"]
    assert "ada@example.com" in lines[1] and "Ada" in lines[1] and "admin" in lines[1]
    assert "bob@example.com" in lines[2] and lines[-1] == "2 members."


def test_list_as_json_follows_every_page(team: LambaEmulator) -> None:
    for i in range(5):
        team.add_user(f"extra{i}@example.com", "pw-123456")
    team.reset_calls()
    members = json.loads(run("list", "--json", "--page-size", "2"))
    assert len(members) == 7 and members[0]["email"] == "ada@example.com"
    assert members[0]["roleKeys"] == ["admin"] and members[0]["userId"]
    assert team.call_count("GET", "/v1/admin/members") == 4


def test_progress_goes_to_stderr_only_when_asked_or_on_a_tty(team: LambaEmulator) -> None:
    quiet = StringIO()
    out = run("list", "--json", "--page-size", "1", stderr=quiet)
    assert quiet.getvalue() == "" and json.loads(out)
    loud = StringIO()
    run("list", "--json", "--page-size", "1", "--progress", stderr=loud)
    assert "Fetched 2 members (2 pages)" in loud.getvalue()
    tty = TTYStringIO()
    out = run("list", "--page-size", "1", stderr=tty)
    assert "Fetched 2 members" in tty.getvalue() and "Fetched" not in out


def test_invite_sends_an_invitation_with_roles(team: LambaEmulator) -> None:
    out = run("invite", "new@example.com", "--role", "member,viewer")
    assert out.startswith("Invited new@example.com as member, viewer")
    pending = LambaManagementClient().list_invitations(status="pending").items
    assert [(i.email, i.role_keys) for i in pending] == [("new@example.com", ("member", "viewer"))]


def test_remove_by_email_with_yes(team: LambaEmulator) -> None:
    assert run("remove", "bob@example.com", "--yes").strip() == "Removed bob@example.com."
    assert LambaManagementClient().find_member("bob@example.com") is None


def test_remove_asks_first_and_a_no_removes_nothing(
    team: LambaEmulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(lamba_members.Command, "interactive", lambda self: True)
    answers = iter(["n", "y"])
    monkeypatch.setattr("builtins.input", lambda prompt: next(answers))
    with pytest.raises(CommandError, match="nothing was removed"):
        run("remove", "bob@example.com")
    assert LambaManagementClient().find_member("bob@example.com") is not None
    member = LambaManagementClient().find_member("bob@example.com")
    assert member is not None
    run("remove", member.user_id)
    assert LambaManagementClient().find_member("bob@example.com") is None


def test_remove_without_a_person_to_ask_needs_yes(team: LambaEmulator) -> None:
    with pytest.raises(CommandError, match="--yes"):
        run("remove", "bob@example.com")
    assert LambaManagementClient().find_member("bob@example.com") is not None


def test_roles_shows_and_sets(team: LambaEmulator) -> None:
    assert run("roles", "bob@example.com").strip() == "bob@example.com: member"
    assert run("roles", "bob@example.com", "--set", "admin, viewer").strip() == (
        "bob@example.com: admin, viewer"
    )


def test_an_unknown_member_is_a_clear_error(team: LambaEmulator) -> None:
    with pytest.raises(CommandError, match="No member with the email"):
        run("roles", "nobody@example.com", "--set", "viewer")
    with pytest.raises(CommandError, match="does not know that member"):
        run("remove", "usr_missing", "--yes")


def test_a_full_plan_names_the_limit(team: LambaEmulator) -> None:
    team.limit_members(2, plan="free")
    with pytest.raises(CommandError, match=r"free plan's members limit is reached \(2 of 2\)"):
        run("invite", "third@example.com")


def test_a_missing_scope_is_named(team: LambaEmulator, settings: Any) -> None:
    team.add_management_client("mgmt_ro", "ro-secret", scopes=["customer.members.read"])
    settings.LAMBA_MANAGEMENT_CLIENT_ID = "mgmt_ro"
    settings.LAMBA_MANAGEMENT_CLIENT_SECRET = "ro-secret"
    assert "ada@example.com" in run("list")
    with pytest.raises(CommandError, match=r"lacks the customer\.members\.write scope"):
        run("roles", "bob@example.com", "--set", "viewer")


def test_a_field_error_is_shown(team: LambaEmulator) -> None:
    with pytest.raises(CommandError, match="roleKeys: Unknown role: wizard"):
        run("roles", "bob@example.com", "--set", "wizard")


def manage(lamba: LambaEmulator, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    environment = {
        **{
            k: v
            for k, v in os.environ.items()
            if not k.startswith("LAMBA_") and k != "DJANGO_SETTINGS_MODULE"
        },
        "PYTHONPATH": str(ROOT),
        "LAMBA_CUSTOMER_AUTH_BASE_URL": lamba.auth_url,
        "LAMBA_CUSTOMER_API_BASE_URL": lamba.api_url,
        "LAMBA_CUSTOMER_WORKSPACE_ID": lamba.workspace_id,
        "LAMBA_CUSTOMER_PROJECT_ID": lamba.project_id,
        "LAMBA_CUSTOMER_ENV": lamba.environment,
        "LAMBA_MANAGEMENT_CLIENT_ID": lamba.management_client_id,
        "LAMBA_MANAGEMENT_CLIENT_SECRET": lamba.management_client_secret,
        **env,
    }
    return subprocess.run(
        [sys.executable, str(ROOT / "example_project" / "manage.py"), "lamba_members", *args],
        capture_output=True,
        text=True,
        env=environment,
        timeout=60,
        check=False,
    )


def test_from_the_shell_refusals_exit_non_zero_without_a_traceback(team: LambaEmulator) -> None:
    missing = manage(team, "list", LAMBA_MANAGEMENT_CLIENT_SECRET="")
    assert missing.returncode != 0 and "Traceback" not in missing.stderr
    assert "Missing management credentials" in missing.stderr
    assert "LAMBA_MANAGEMENT_CLIENT_SECRET" in missing.stderr
    team.add_management_client("mgmt_ro", "ro-secret", scopes=["customer.members.read"])
    refused = manage(
        team,
        "invite",
        "x@example.com",
        LAMBA_MANAGEMENT_CLIENT_ID="mgmt_ro",
        LAMBA_MANAGEMENT_CLIENT_SECRET="ro-secret",
    )
    assert refused.returncode != 0 and "Traceback" not in refused.stderr
    assert "customer.invitations.write" in refused.stderr
    assert "ro-secret" not in refused.stderr + refused.stdout
