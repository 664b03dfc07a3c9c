"""The emulator's controls for the admin API's state: what an operator or Lamba itself would do.

Mixed into ``LambaEmulator``: accept an invitation as the invitee would, add a custom role, cap
the Project's seats, publish a domain's TXT record, and fire an event at the webhook endpoints
registered through ``/v1/admin/webhooks/endpoints``.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from . import _webhooks
from ._admin_ops_routes import deliver
from ._admin_state import RoleRecord, event_matches, invitation_status
from ._models import EmulatedUser, PlanLimit
from ._state import DEFAULT_PROJECT_ID, EmulatorState


class EmulatorAdminControls:
    """Steer what ``/v1/admin/*`` sees (mixed into ``LambaEmulator``)."""

    _state: EmulatorState
    environment: str

    def accept_invitation(self, email: str, password: str | None = None) -> EmulatedUser:
        """Accept the pending invitation for ``email`` as the invitee; return the member.

        The user is created if new; the invitation's roles (``viewer`` when it had none)
        become the membership's. ``LookupError`` if no invitation for ``email`` is pending.
        """
        state = self._state
        with state.lock:
            wanted = email.strip().casefold()
            found = next(
                (
                    inv
                    for inv in state.admin.invitations.values()
                    if inv.email.casefold() == wanted
                    and invitation_status(inv, state.now()) == "pending"
                ),
                None,
            )
            if found is None:
                raise LookupError(f"No pending invitation for {email!r}.")
            user = state.user_by_email(email) or state.create_user(found.email, password)
            state.grant(user, found.project_id, roles=found.role_keys or ["viewer"])
            found.status = "accepted"
            return user

    def add_role(
        self,
        key: str,
        *,
        name: str | None = None,
        description: str = "",
        permissions: Iterable[str] = (),
    ) -> None:
        """Add (or replace) a custom role in every Project's role catalog."""
        with self._state.lock:
            self._state.admin.roles[key] = RoleRecord(
                key, name or key, description, list(permissions)
            )

    def limit_members(
        self, allowed: int, *, plan: str = "free", project_id: str | None = None
    ) -> None:
        """Cap members plus pending invitations; past it, invitations answer 402."""
        with self._state.lock:
            self._state.admin.member_limits[project_id or DEFAULT_PROJECT_ID] = PlanLimit(
                "members", allowed, 0, plan
            )

    def clear_member_limit(self, project_id: str | None = None) -> None:
        """Lift the cap set with :meth:`limit_members`."""
        with self._state.lock:
            self._state.admin.member_limits.pop(project_id or DEFAULT_PROJECT_ID, None)

    def publish_domain_record(self, host: str, value: str | None = None) -> None:
        """Publish ``TXT _lamba-verification.<host>``: the expected value unless ``value`` says.

        ``LookupError`` if the host was never added (and no ``value`` is given).
        """
        host = host.strip().lower().rstrip(".")
        with self._state.lock:
            if value is None:
                domain = next(
                    (d for d in self._state.admin.domains.values() if d.host == host), None
                )
                if domain is None:
                    raise LookupError(f"No domain {host!r} was added.")
                value = domain.record_value
            self._state.admin.dns_txt[f"_lamba-verification.{host}"] = value

    def deliver_to_endpoints(
        self, event_type: str, data: Any = None, *, event_id: str | None = None
    ) -> list[str]:
        """Send an event to every enabled endpoint subscribed to it; return the delivery ids.

        Each delivery is a real signed POST, recorded with its outcome in the endpoint's
        delivery log (a refused connection or a non-2xx answer is ``failed``).
        """
        state = self._state
        event_id = event_id or _webhooks.new_event_id()
        ids = []
        with state.lock:
            targets = [
                e
                for e in state.admin.endpoints.values()
                if e.enabled and event_matches(e.events, event_type)
            ]
        for endpoint in targets:
            project = state.projects[endpoint.project_id]
            body = _webhooks.event_body(
                event_type,
                data,
                event_id=event_id,
                workspace_id=project.workspace_id,
                project_id=project.id,
                environment=self.environment,
            )
            with state.lock:
                ids.append(deliver(state, endpoint, event_id, event_type, body).id)
        return ids
