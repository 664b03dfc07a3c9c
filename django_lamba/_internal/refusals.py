"""Refusing a live session that is not in a Project this site serves, and logging why once."""

from __future__ import annotations

from typing import Any

from ..types import LambaContext
from . import binding, store


class Refused(Exception):
    """The session is live but not in a Project this site serves."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def check_claims(access_hash: str, claims: dict[str, Any]) -> None:
    reason = binding.refuse_claims(claims)
    if reason is not None:
        binding.log_refusal(access_hash, reason, binding.scope_of_claims(claims))
        raise Refused(reason)


def check_context(access: str, context: LambaContext) -> None:
    reason = binding.refuse_context(context)
    if reason is not None:
        binding.log_refusal(store.token_hash(access), reason, binding.scope_of_context(context))
        raise Refused(reason)
