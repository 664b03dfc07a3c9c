"""Test helpers for projects using django_lamba: a Lamba emulator, a pytest plugin, ``reset()``."""

from __future__ import annotations

from ._models import EmulatedUser
from ._request_records import Fault, RecordedRequest
from ._session_records import OutboxMessage
from ._webhook_controls import WebhookDelivery, WebhookEndpoint
from .clients import client_with_tokens
from .clock import FrozenClock, frozen
from .emulator import LambaEmulator
from .reset import reset

__all__ = [
    "EmulatedUser",
    "Fault",
    "FrozenClock",
    "LambaEmulator",
    "OutboxMessage",
    "RecordedRequest",
    "WebhookDelivery",
    "WebhookEndpoint",
    "client_with_tokens",
    "frozen",
    "reset",
]
