"""Plain functions behind the account template tags (``{% load lamba %}``); none raises.

``memberships_menu(request)`` gives a site's own header what ``lamba:memberships`` lists (its
first page, through the account cache), each with whether this site can switch into it;
``display_name(user)`` names any user. Both answer something harmless (``[]``, ``""``) for
anonymous visitors and while Lamba is unreachable.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

from ..client import get_client
from ..exceptions import LambaError
from ..selfservice import LambaMembership
from ..user import LambaUser
from . import cache
from .data import page_from_raw, page_to_raw, switch_reason

logger = logging.getLogger("django_lamba.account")

#: How many memberships a header menu shows (the memberships page has the rest).
MENU_SIZE = 10


@dataclass(frozen=True)
class MembershipChoice:
    """A membership as a menu shows it: the Project, and why it cannot be opened here."""

    membership: LambaMembership
    reason: str = ""

    @property
    def can_switch(self) -> bool:
        return not self.reason


def memberships_menu(request: Any, limit: int = MENU_SIZE) -> list[MembershipChoice]:
    """The signed-in customer's first memberships; ``[]`` for anyone else or on an outage."""
    try:
        user = getattr(request, "user", None)
        lamba = getattr(request, "lamba", None)
        token = getattr(lamba, "access_token", None)
        if not isinstance(user, LambaUser) or not token:
            return []
        client = get_client()
        page = cache.cached(
            token,
            cache.MEMBERSHIPS,
            lambda: client.memberships_page(token, limit=limit),
            page_to_raw,
            page_from_raw,
            part=f"{limit}:",
        )
        return [MembershipChoice(m, switch_reason(m, user.context)) for m in page.items]
    except LambaError as error:
        logger.info("Lamba could not list memberships for a menu: %r", error)
        return []


def display_name(user: Any) -> str:
    """The name to show for ``user``: a Lamba display name, a Django full name, or ``""``."""
    try:
        if not getattr(user, "is_authenticated", False):
            return ""
        if isinstance(user, LambaUser):
            return user.display_name
        full = getattr(user, "get_full_name", None)
        name = full() if callable(full) else ""
        return str(name or user.get_username())
    except LambaError:
        return ""
    except (AttributeError, TypeError):
        return ""
