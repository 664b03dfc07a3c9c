"""Typed results of admin calls on the Project's plumbing: webhook endpoints, deliveries, domains.

Same rules as ``management_api.types``; a webhook endpoint's signing secret is only on the answer
that creates it and is masked in ``repr()``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from .._internal.jsonfields import flag, obj, text
from .._internal.jsonfields import text_list as texts
from ..types import mask
from .types import when, whole


@dataclass(frozen=True, repr=False)
class WebhookEndpoint:
    """A registered webhook endpoint; ``secret`` is set only on the answer that created it."""

    id: str
    url: str = ""
    events: tuple[str, ...] = ()
    enabled: bool = True
    description: str = ""
    created_at: datetime | None = None
    secret: str = ""
    raw: dict[str, Any] = field(default_factory=dict, compare=False)

    @classmethod
    def from_json(cls, data: Any) -> WebhookEndpoint:
        body = obj(data)
        return cls(
            id=text(body, "id"),
            url=text(body, "url"),
            events=texts(body.get("events")),
            enabled=flag(body, "enabled", True),
            description=text(body, "description"),
            created_at=when(body, "createdAt"),
            secret=text(body, "secret"),
            # The secret is kept on its own field only, so printing ``raw`` shows no secret.
            raw={key: value for key, value in body.items() if key != "secret"},
        )

    def __repr__(self) -> str:
        secret = f", secret={mask(self.secret)}" if self.secret else ""
        return (
            f"WebhookEndpoint(id={self.id!r}, url={self.url!r}, events={self.events!r}, "
            f"enabled={self.enabled!r}{secret})"
        )

    __str__ = __repr__


@dataclass(frozen=True)
class WebhookDelivery:
    """One attempt to deliver an event to an endpoint, as Lamba's delivery log records it."""

    id: str
    endpoint_id: str = ""
    event_id: str = ""
    event_type: str = ""
    status: str = ""
    response_status: int | None = None
    attempt: int = 1
    created_at: datetime | None = None
    raw: dict[str, Any] = field(default_factory=dict, compare=False, repr=False)

    @classmethod
    def from_json(cls, data: Any) -> WebhookDelivery:
        body = obj(data)
        return cls(
            id=text(body, "id"),
            endpoint_id=text(body, "endpointId"),
            event_id=text(body, "eventId"),
            event_type=text(body, "eventType"),
            status=text(body, "status"),
            response_status=whole(body, "responseStatus"),
            attempt=whole(body, "attempt") or 1,
            created_at=when(body, "createdAt"),
            raw=body,
        )

    @property
    def succeeded(self) -> bool:
        return self.status.casefold() == "succeeded"


@dataclass(frozen=True)
class DomainRecord:
    """The DNS record that proves a domain: ``TXT _lamba-verification.<host>``."""

    type: str = "TXT"
    name: str = ""
    value: str = ""

    @classmethod
    def from_json(cls, data: Any) -> DomainRecord:
        body = obj(data)
        return cls(
            type=text(body, "type", "TXT"), name=text(body, "name"), value=text(body, "value")
        )


@dataclass(frozen=True)
class Domain:
    """A custom domain: ``pending`` until its TXT record is found by a verify call."""

    id: str
    host: str = ""
    status: str = ""
    purpose: str = ""
    environment: str = ""
    verification: DomainRecord = field(default_factory=DomainRecord)
    created_at: datetime | None = None
    verified_at: datetime | None = None
    raw: dict[str, Any] = field(default_factory=dict, compare=False, repr=False)

    @classmethod
    def from_json(cls, data: Any) -> Domain:
        body = obj(data)
        return cls(
            id=text(body, "id"),
            host=text(body, "host"),
            status=text(body, "status"),
            purpose=text(body, "purpose"),
            environment=text(body, "environment"),
            verification=DomainRecord.from_json(body.get("verification")),
            created_at=when(body, "createdAt"),
            verified_at=when(body, "verifiedAt"),
            raw=body,
        )

    @property
    def verified(self) -> bool:
        return self.status.casefold() == "verified"
