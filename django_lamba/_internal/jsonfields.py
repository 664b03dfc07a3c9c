"""Tolerant readers of the fields of Lamba's JSON bodies: a wrong type reads as the default.

Every ``from_json`` in ``types`` reads through these, so a Lamba that adds, omits or mistypes a
field degrades to a default instead of raising.
"""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any


def parse_datetime(value: Any) -> datetime | None:
    """Parse an ISO-8601 timestamp (``Z`` or offset) into an aware datetime, or ``None``."""
    if not isinstance(value, str) or not value:
        return None
    text = value.strip()
    if text.endswith(("Z", "z")):
        text = text[:-1] + "+00:00"
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        return None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=timezone.utc)
    return parsed


def text(data: dict[str, Any], key: str, default: str = "") -> str:
    value = data.get(key)
    return value if isinstance(value, str) else default


def flag(data: dict[str, Any], key: str, default: bool = False) -> bool:
    value = data.get(key)
    return value if isinstance(value, bool) else default


def text_list(value: Any) -> tuple[str, ...]:
    if not isinstance(value, list):
        return ()
    return tuple(item for item in value if isinstance(item, str))


def obj(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}
