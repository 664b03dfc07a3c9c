"""Body-field checks shared by the auth-host routes: text fields and secret comparison."""

from __future__ import annotations

import secrets
from typing import Any

REQUIRED = "This field is required."


def text_field(
    data: dict[str, Any], name: str, errors: dict[str, list[str]], *, required: bool = True
) -> str | None:
    """Return ``data[name]`` as a string, recording a field error if it is missing or not text."""
    value = data.get(name)
    if value is None or value == "":
        if required:
            errors.setdefault(name, []).append(REQUIRED)
        return None
    if not isinstance(value, str):
        errors.setdefault(name, []).append("This field must be a string.")
        return None
    return value


def same(given: str, expected: str) -> bool:
    """Compare two secrets in constant time."""
    return secrets.compare_digest(given.encode("utf-8"), expected.encode("utf-8"))
