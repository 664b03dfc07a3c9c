"""``manage.py lamba_members``: list, invite, remove and re-role the Project's members.

Uses the admin API with the management client (``LAMBA_MANAGEMENT_CLIENT_ID`` / ``_SECRET``).
Every refusal is one clear line on stderr and a non-zero exit, never a traceback: missing
credentials, a scope the management client lacks (403), a full plan (402), a conflict, an
outage.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from typing import Any

from django.core.exceptions import ImproperlyConfigured
from django.core.management.base import BaseCommand, CommandError, CommandParser

from django_lamba.exceptions import (
    LambaConflict,
    LambaError,
    LambaForbidden,
    LambaNotFound,
    LambaPaymentRequired,
    LambaRateLimited,
    LambaUnauthorized,
    LambaUnavailable,
)
from django_lamba.management_client import LambaManagementClient, Member

PAGE_SIZE = 100


def _roles(value: str) -> list[str]:
    return [role.strip() for role in value.split(",") if role.strip()]


def _explain(error: LambaError) -> str:
    """Return one line an operator can act on (never Lamba's raw ``detail``)."""
    where = " ".join(
        part
        for part in (
            f"errorCode={error.error_code}" if error.error_code else "",
            f"traceId={error.trace_id}" if error.trace_id else "",
        )
        if part
    )
    suffix = f" ({where})" if where else ""
    if isinstance(error, LambaPaymentRequired):
        used = f"{error.current} of {error.allowed}" if error.allowed is not None else "the limit"
        return (
            f"Lamba refused: the {error.plan or 'current'} plan's {error.limit or 'usage'} limit "
            f"is reached ({used}). Upgrade the plan or remove some first{suffix}."
        )
    if isinstance(error, LambaForbidden):
        scope = error.missing_scope
        need = f"the {scope} scope" if scope else "the permission for this"
        return f"Lamba refused: the management client lacks {need}{suffix}."
    if isinstance(error, LambaUnauthorized):
        return f"Lamba refused the management client's credentials{suffix}."
    if isinstance(error, LambaRateLimited):
        wait = f" Try again in {error.retry_after} s." if error.retry_after is not None else ""
        return f"Lamba is rate-limiting this client.{wait}{suffix}"
    if isinstance(error, LambaNotFound):
        return f"Lamba does not know that member{suffix}."
    if isinstance(error, LambaConflict):
        return f"Lamba refused: that conflicts with the current state{suffix}."
    if error.field_errors:
        fields = "; ".join(f"{k}: {' '.join(v)}" for k, v in error.field_errors.items())
        return f"Lamba refused the request: {fields}{suffix}."
    if isinstance(error, LambaUnavailable):
        return f"Lamba could not be reached or answered badly; try again{suffix}."
    return f"Lamba refused the request{suffix}."


class Command(BaseCommand):
    help = "Manage the Project's members through Lamba's admin API."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        listing = sub.add_parser("list", help="List every member.")
        listing.add_argument("--json", action="store_true", help="Print JSON, not a table.")
        listing.add_argument(
            "--progress", action="store_true", help="Show paging progress on stderr."
        )
        listing.add_argument("--page-size", type=int, default=PAGE_SIZE)
        invite = sub.add_parser("invite", help="Invite someone to the Project.")
        invite.add_argument("email")
        invite.add_argument(
            "--role", action="append", default=[], help="A role key (repeat, or a,b)."
        )
        remove = sub.add_parser("remove", help="Remove a member (and end their sessions).")
        remove.add_argument("member", help="The member's user id or email.")
        remove.add_argument("--yes", action="store_true", help="Do not ask for confirmation.")
        roles = sub.add_parser("roles", help="Show or set a member's roles.")
        roles.add_argument("member", help="The member's user id or email.")
        roles.add_argument("--set", dest="roles", type=_roles, help="Comma-separated role keys.")

    def handle(self, *args: Any, **options: Any) -> None:
        api = LambaManagementClient()
        try:
            api.credentials()
            getattr(self, f"do_{options['action']}")(api, options)
        except ImproperlyConfigured as exc:
            raise CommandError(f"Missing management credentials. {exc}") from None
        except LambaError as exc:
            raise CommandError(_explain(exc)) from None

    # --- subcommands --------------------------------------------------------------------

    def do_list(self, api: LambaManagementClient, options: dict[str, Any]) -> None:
        show = options["progress"] or self.stderr.isatty()
        members = list(self._paged(api, max(1, min(options["page_size"], 100)), show))
        if options["json"]:
            self.stdout.write(json.dumps([_as_json(m) for m in members], indent=2))
            return
        rows = [("USER ID", "EMAIL", "NAME", "ROLES", "STATUS")]
        for m in members:
            roles = ",".join(m.role_keys) + (" (admin)" if m.is_project_admin else "")
            rows.append((m.user_id, m.email, m.display_name or "-", roles or "-", m.status or "-"))
        widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
        for row in rows:
            self.stdout.write(
                "  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)).rstrip()
            )
        self.stdout.write(f"{len(members)} member{'s' if len(members) != 1 else ''}.")

    def _paged(self, api: LambaManagementClient, size: int, show: bool) -> Iterator[Member]:
        cursor: str | None = None
        seen = pages = 0
        while True:
            page = api.list_members(limit=size, cursor=cursor)
            pages += 1
            seen += len(page.items)
            if show:
                self.stderr.write(f"\rFetched {seen} members ({pages} pages)...", ending="")
                self.stderr.flush()
            yield from page.items
            if not page.next_cursor:
                break
            cursor = page.next_cursor
        if show:
            self.stderr.write("")

    def do_invite(self, api: LambaManagementClient, options: dict[str, Any]) -> None:
        roles = [role for value in options["role"] for role in _roles(value)]
        invitation = api.create_invitation(options["email"], role_keys=roles)
        given = ", ".join(invitation.role_keys) or "viewer"
        self.stdout.write(f"Invited {invitation.email} as {given} (invitation {invitation.id}).")

    def do_remove(self, api: LambaManagementClient, options: dict[str, Any]) -> None:
        member = self._member(api, options["member"])
        if not options["yes"]:
            if not self.interactive():
                raise CommandError("Not removing without confirmation: pass --yes.")
            answer = input(f"Remove {member.email or member.user_id} from the Project? [y/N] ")
            if answer.strip().lower() not in ("y", "yes"):
                raise CommandError("Aborted: nothing was removed.")
        api.remove_member(member.user_id)
        self.stdout.write(f"Removed {member.email or member.user_id}.")

    def do_roles(self, api: LambaManagementClient, options: dict[str, Any]) -> None:
        member = self._member(api, options["member"])
        if options["roles"] is not None:
            if not options["roles"]:
                raise CommandError("Give at least one role with --set a,b.")
            member = api.update_member_roles(member.user_id, options["roles"])
        self.stdout.write(
            f"{member.email or member.user_id}: {', '.join(member.role_keys) or '-'}"
        )

    # --- helpers ------------------------------------------------------------------------

    def interactive(self) -> bool:
        """Whether a person can answer a question on stdin."""
        return sys.stdin.isatty()

    def _member(self, api: LambaManagementClient, wanted: str) -> Member:
        member = api.find_member(wanted) if "@" in wanted else api.get_member(wanted)
        if member is None:
            raise CommandError(f"No member with the email {wanted!r} in this Project.")
        return member


def _as_json(member: Member) -> dict[str, Any]:
    return {
        "userId": member.user_id,
        "email": member.email,
        "displayName": member.display_name,
        "roleKeys": list(member.role_keys),
        "isProjectAdmin": member.is_project_admin,
        "status": member.status,
        "joinedAt": member.joined_at.isoformat() if member.joined_at else None,
    }
