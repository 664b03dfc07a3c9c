"""Test helpers for projects using django_lamba: a Lamba emulator and a pytest plugin."""

from __future__ import annotations

from ._models import EmulatedUser, Fault, OutboxMessage, RecordedRequest
from .clients import client_with_tokens
from .emulator import LambaEmulator

__all__ = [
    "EmulatedUser",
    "Fault",
    "LambaEmulator",
    "OutboxMessage",
    "RecordedRequest",
    "client_with_tokens",
]
