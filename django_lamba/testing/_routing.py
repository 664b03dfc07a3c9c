"""Matching a request path to a route table whose keys may hold ``{name}`` segments."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TypeVar
from urllib.parse import unquote

M = TypeVar("M")


def match_route(table: Mapping[str, M], path: str) -> tuple[M | None, dict[str, str]]:
    """Return the methods of the route matching ``path`` and its ``{name}`` segment values."""
    exact = table.get(path)
    if exact is not None:
        return exact, {}
    parts = path.split("/")
    for pattern, methods in table.items():
        names = pattern.split("/")
        if "{" not in pattern or len(names) != len(parts):
            continue
        params: dict[str, str] = {}
        for name, part in zip(names, parts, strict=True):
            if name.startswith("{") and name.endswith("}") and part:
                params[name[1:-1]] = unquote(part)
            elif name != part:
                break
        else:
            return methods, params
    return None, {}
