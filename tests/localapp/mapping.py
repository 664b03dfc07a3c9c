"""A site's own mapping of Lamba users onto local rows: a backend and a mapper function."""

from __future__ import annotations

from typing import Any

from django_lamba.backends import LambaBackend
from django_lamba.user import LambaUser


class StaffFromRoleBackend(LambaBackend):
    """Owners of the Lamba Project are staff here; names come from the display name."""

    def map_user(self, user: Any, lamba_user: LambaUser, *, created: bool) -> None:
        super().map_user(user, lamba_user, created=created)
        user.is_staff = "owner" in lamba_user.role_keys
        first, _, last = lamba_user.display_name.partition(" ")
        user.first_name, user.last_name = first, last


def username_from_email(user: Any, lamba_user: LambaUser, *, created: bool) -> None:
    """``LAMBA_USER_MAPPER``: the username is the part of the email before the ``@``."""
    user.email = lamba_user.email
    if created:
        user.username = "lamba-" + lamba_user.email.partition("@")[0]
        user.set_unusable_password()
