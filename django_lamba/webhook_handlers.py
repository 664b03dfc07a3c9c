"""The built-in ``webhook_received`` receivers: what a Lamba event changes on this site.

- ``end_sessions``: ``session.revoked`` and ``user.logout`` sign the session out (without a
  session id, every session of the user); ``user.deleted`` signs out every session of the user.
- ``drop_authorization``: ``membership.*`` and ``role.*`` drop the user's cached context and
  authorization (a role event naming no user: every session's authorization).
- ``refresh_users``: any other ``user.*`` (not ``user.login``/``user.created``) and ``profile.*``
  drop the user's cached contexts, fetched afresh on the next request.
- ``local_users``: with ``LAMBA_LOCAL_USERS``, ``user.deleted`` deactivates the user's row and
  other ``user.*``/``profile.*`` changes update it (:func:`update_local_user`).

Each name can be listed in ``LAMBA_WEBHOOK_DISABLED_HANDLERS`` to handle those events yourself.
Every worker sees the effect within ``LAMBA_REVOCATION_CHECK_INTERVAL`` (see docs/webhooks.md).
"""

from __future__ import annotations

import logging
from typing import Any

from ._internal import invalidation
from .conf import lamba_settings
from .localusers import deactivate_local_user, sync_local_user
from .webhooks import WebhookEvent

logger = logging.getLogger("django_lamba.webhooks")

_ENDING = frozenset({"session.revoked", "user.logout", "user.deleted"})
_NOT_A_CHANGE = frozenset({"user.login", "user.created", "user.logout", "user.deleted"})


def _text(value: Any) -> str:
    return value if isinstance(value, str) else ""


def _nested_id(data: dict[str, Any], key: str) -> str:
    inner = data.get(key)
    return _text(inner.get("id")) if isinstance(inner, dict) else ""


def ids_of(event: WebhookEvent) -> tuple[str, str]:
    """Return ``(session id, user id)`` named by an event's ``data`` ("" when absent).

    Lamba does not publish each payload's shape; accepted: ``sessionId``/``userId`` (also
    snake_case), nested ``session``/``user`` objects with an ``id``, and a bare ``id`` for the
    family's own object (a ``session.*`` event's session, a ``user.*`` event's user).
    """
    data = event.data if isinstance(event.data, dict) else {}
    family = event.type.split(".", 1)[0]
    session_id = (
        _text(data.get("sessionId"))
        or _text(data.get("session_id"))
        or _nested_id(data, "session")
        or (_text(data.get("id")) if family == "session" else "")
    )
    user_id = (
        _text(data.get("userId"))
        or _text(data.get("user_id"))
        or _nested_id(data, "user")
        or (_text(data.get("id")) if family == "user" else "")
    )
    return session_id, user_id


def update_local_user(event: WebhookEvent, user_id: str) -> None:
    """Keep the user's local row (``LAMBA_LOCAL_USERS``) in step; nothing when that is off.

    ``user.deleted`` deactivates the row (``is_active = False``, never deleted); any other
    change (``user.updated``, ``profile.*``) applies the fields the event carries, through the
    project's mapper. A customer with no row yet gets none: their first sign-in creates it.
    """
    if not lamba_settings.LOCAL_USERS:
        return
    if event.type == "user.deleted":
        found = deactivate_local_user(user_id)
    elif event.type in _NOT_A_CHANGE:
        return
    else:
        data = event.data if isinstance(event.data, dict) else {}
        nested = data.get("user")
        found = sync_local_user(user_id, nested if isinstance(nested, dict) else data)
    logger.info(
        "Lamba webhook %s (%s): local user row %s",
        event.id,
        event.type,
        "updated" if found else "absent (never signed in here)",
    )


def handle_event(sender: str, event: WebhookEvent, **kwargs: Any) -> None:
    """Apply one accepted event to what this site has cached (connected in ``AppConfig.ready``)."""
    disabled = set(lamba_settings.WEBHOOK_DISABLED_HANDLERS)
    family = event.type.split(".", 1)[0]
    session_id, user_id = ids_of(event)
    if event.type in _ENDING and "end_sessions" not in disabled:
        if session_id and event.type != "user.deleted":
            ended = invalidation.end_sessions([session_id])
        elif user_id:
            ended = invalidation.end_user_sessions(user_id)
        elif session_id:
            ended = invalidation.end_sessions([session_id])
        else:
            logger.warning("Lamba webhook %s (%s): names no session or user", event.id, event.type)
            return
        logger.info("Lamba webhook %s (%s): ended %d cached token(s)", event.id, event.type, ended)
    elif family in ("membership", "role") and "drop_authorization" not in disabled:
        if user_id:
            dropped = invalidation.forget_user(user_id)
            logger.info(
                "Lamba webhook %s (%s): dropped %d cached token(s)", event.id, event.type, dropped
            )
        else:
            invalidation.forget_all_authorization()
            logger.info("Lamba webhook %s (%s): all authorization expired", event.id, event.type)
    elif (
        family in ("user", "profile")
        and event.type not in _NOT_A_CHANGE
        and "refresh_users" not in disabled
        and user_id
    ):
        invalidation.forget_user(user_id)
    if family in ("user", "profile") and user_id and "local_users" not in disabled:
        update_local_user(event, user_id)
