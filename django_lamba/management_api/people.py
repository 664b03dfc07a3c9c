"""Members and invitations: who is in the Project, and who is asked to join."""

from __future__ import annotations

from collections.abc import Iterable, Iterator

from ..types import Page
from .base import DEFAULT_PAGE_SIZE, AdminTransport, segment
from .types import Invitation, Member

MEMBERS = "/v1/admin/members"
INVITATIONS = "/v1/admin/invitations"


class PeopleCalls(AdminTransport):
    """``/v1/admin/members`` and ``/v1/admin/invitations``."""

    # --- members ------------------------------------------------------------------------

    def list_members(self, *, limit: int | None = None, cursor: str | None = None) -> Page[Member]:
        """``GET /v1/admin/members``: one page of the Project's members, with its cursor."""
        return self._typed_page(MEMBERS, Member.from_json, limit, cursor)

    def iter_members(self, *, page_size: int = DEFAULT_PAGE_SIZE) -> Iterator[Member]:
        """Yield every member of the Project, page after page."""
        return self._typed_iter(MEMBERS, Member.from_json, page_size)

    def get_member(self, user_id: str) -> Member:
        """``GET /v1/admin/members/{userId}``."""
        return self._typed(Member.from_json, self.get(f"{MEMBERS}/{segment(user_id)}"))

    def find_member(self, email: str, *, page_size: int = DEFAULT_PAGE_SIZE) -> Member | None:
        """Return the member with this email (any case), reading the whole list; else ``None``."""
        wanted = email.strip().casefold()
        return next(
            (m for m in self.iter_members(page_size=page_size) if m.email.casefold() == wanted),
            None,
        )

    def update_member_roles(self, user_id: str, role_keys: Iterable[str]) -> Member:
        """``PATCH /v1/admin/members/{userId}``: set the member's roles to exactly ``role_keys``.

        Setting the whole list is safe to repeat, so it is retried after a 429. Lamba ends the
        member's Project sessions' authorization: they re-read it on their next request.
        """
        body = {"roleKeys": list(dict.fromkeys(role_keys))}
        path = f"{MEMBERS}/{segment(user_id)}"
        return self._typed(Member.from_json, self.send("PATCH", path, body, idempotent=True))

    def remove_member(self, user_id: str) -> None:
        """``DELETE /v1/admin/members/{userId}``: end the membership (and its Project sessions)."""
        self.send("DELETE", f"{MEMBERS}/{segment(user_id)}", idempotent=True)

    # --- invitations --------------------------------------------------------------------

    def list_invitations(
        self, *, status: str | None = None, limit: int | None = None, cursor: str | None = None
    ) -> Page[Invitation]:
        """``GET /v1/admin/invitations``: one page, optionally only one ``status``."""
        return self._typed_page(
            INVITATIONS, Invitation.from_json, limit, cursor, {"status": status}
        )

    def iter_invitations(
        self, *, status: str | None = None, page_size: int = DEFAULT_PAGE_SIZE
    ) -> Iterator[Invitation]:
        """Yield every invitation (optionally only one ``status``)."""
        return self._typed_iter(INVITATIONS, Invitation.from_json, page_size, {"status": status})

    def create_invitation(self, email: str, *, role_keys: Iterable[str] = ()) -> Invitation:
        """``POST /v1/admin/invitations``: invite ``email`` (role-less invites get ``viewer``).

        Never retried. Raises ``LambaConflict`` when the address is a member or already invited,
        ``LambaPlanLimitExceeded`` when the plan has no room.
        """
        body: dict[str, object] = {"email": email}
        roles = list(dict.fromkeys(role_keys))
        if roles:
            body["roleKeys"] = roles
        return self._typed(Invitation.from_json, self.send("POST", INVITATIONS, body))

    def resend_invitation(self, invitation_id: str) -> Invitation:
        """``POST /v1/admin/invitations/{id}/resend``: send the pending invitation again."""
        path = f"{INVITATIONS}/{segment(invitation_id)}/resend"
        return self._typed(Invitation.from_json, self.send("POST", path))

    def revoke_invitation(self, invitation_id: str) -> Invitation:
        """``POST /v1/admin/invitations/{id}/revoke``: the link stops working."""
        path = f"{INVITATIONS}/{segment(invitation_id)}/revoke"
        return self._typed(Invitation.from_json, self.send("POST", path))
