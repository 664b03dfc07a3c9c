"""The admin API's webhook endpoints, delivery log and retries, and custom domains."""

from __future__ import annotations

import hashlib
import hmac
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from django_lamba.exceptions import LambaBadRequest, LambaConflict, LambaNotFound
from django_lamba.management_client import LambaManagementClient
from django_lamba.testing import LambaEmulator


class Receiver(ThreadingHTTPServer):
    """A webhook receiver on loopback that answers ``status`` and keeps what it got."""

    status = 204
    received: list[tuple[dict[str, str], bytes]]


class _Handler(BaseHTTPRequestHandler):
    server: Receiver

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
        self.server.received.append((dict(self.headers.items()), body))
        self.send_response(self.server.status)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    server = Receiver(("127.0.0.1", 0), _Handler)
    server.received = []
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05})
    thread.start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)


@pytest.fixture
def admin_api(lamba: LambaEmulator) -> LambaManagementClient:
    return LambaManagementClient()


def url_of(server: Receiver) -> str:
    return f"http://127.0.0.1:{server.server_address[1]}/hooks/lamba"


def test_an_endpoint_secret_is_given_once_and_signs_deliveries(
    lamba: LambaEmulator, admin_api: LambaManagementClient, receiver: Receiver
) -> None:
    created = admin_api.create_webhook_endpoint(url_of(receiver), ["user.*"], description="CRM")
    assert created.secret.startswith("whsec_") and created.secret not in repr(created)
    listed = admin_api.list_webhook_endpoints().items
    assert [e.id for e in listed] == [created.id] and listed[0].secret == ""
    assert lamba.deliver_to_endpoints("user.created", {"id": "usr_1"})
    assert lamba.deliver_to_endpoints("session.created", {}) == []  # not subscribed
    headers, body = receiver.received[0]
    timestamp = headers["X-Lamba-Timestamp"]
    expected = hmac.new(
        created.secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256
    ).hexdigest()
    assert headers["X-Lamba-Signature"] == f"v1={expected}"


def test_a_failed_delivery_is_logged_and_a_retry_sends_the_same_event(
    lamba: LambaEmulator, admin_api: LambaManagementClient, receiver: Receiver
) -> None:
    endpoint = admin_api.create_webhook_endpoint(url_of(receiver), ["*"])
    receiver.status = 500
    lamba.deliver_to_endpoints("membership.created", {"userId": "usr_1"})
    failed = admin_api.list_webhook_deliveries(endpoint.id).items[0]
    assert (failed.status, failed.response_status, failed.attempt) == ("failed", 500, 1)
    receiver.status = 204
    retried = admin_api.retry_webhook_delivery(failed.id)
    assert retried.succeeded and retried.attempt == 2 and retried.event_id == failed.event_id
    log = list(admin_api.iter_webhook_deliveries(endpoint.id, page_size=1))
    assert [d.attempt for d in log] == [2, 1]  # newest first
    assert receiver.received[0][1] == receiver.received[1][1]  # the same event, byte for byte
    assert lamba.call_count("POST", f"/v1/admin/webhooks/deliveries/{failed.id}/retry") == 1


def test_an_unreachable_endpoint_is_a_failed_delivery(
    lamba: LambaEmulator, admin_api: LambaManagementClient, free_port: int
) -> None:
    endpoint = admin_api.create_webhook_endpoint(f"http://127.0.0.1:{free_port}/x", ["*"])
    lamba.deliver_to_endpoints("user.login")
    delivery = admin_api.list_webhook_deliveries(endpoint.id).items[0]
    assert delivery.status == "failed" and delivery.response_status is None


def test_endpoints_can_be_updated_disabled_and_deleted(
    lamba: LambaEmulator, admin_api: LambaManagementClient, receiver: Receiver
) -> None:
    endpoint = admin_api.create_webhook_endpoint(url_of(receiver), ["user.created"])
    updated = admin_api.update_webhook_endpoint(endpoint.id, events=["user.*"], enabled=False)
    assert updated.events == ("user.*",) and not updated.enabled
    assert lamba.deliver_to_endpoints("user.created") == []
    admin_api.delete_webhook_endpoint(endpoint.id)
    assert admin_api.list_webhook_endpoints().items == []
    with pytest.raises(LambaNotFound):
        admin_api.list_webhook_deliveries(endpoint.id)


@pytest.mark.parametrize("url", ["http://example.com/hook", "ftp://x", "not a url"])
def test_an_endpoint_must_be_https(admin_api: LambaManagementClient, url: str) -> None:
    with pytest.raises(LambaBadRequest) as caught:
        admin_api.create_webhook_endpoint(url, ["user.created"])
    assert "url" in caught.value.field_errors


def test_a_domain_verifies_only_once_its_record_is_published(
    lamba: LambaEmulator, admin_api: LambaManagementClient
) -> None:
    domain = admin_api.create_domain("Auth.Example.com")
    assert domain.host == "auth.example.com" and domain.status == "pending"
    assert domain.verification.name == "_lamba-verification.auth.example.com"
    with pytest.raises(LambaConflict) as caught:
        admin_api.verify_domain(domain.id)
    assert caught.value.has_code("custom_domain_not_verified")
    lamba.publish_domain_record("auth.example.com", value="something-else")
    with pytest.raises(LambaConflict):
        admin_api.verify_domain(domain.id)
    lamba.publish_domain_record("auth.example.com")
    verified = admin_api.verify_domain(domain.id)
    assert verified.verified and verified.verified_at is not None
    assert [d.verified for d in admin_api.iter_domains()] == [True]


def test_a_host_is_registered_once_and_must_be_a_host(admin_api: LambaManagementClient) -> None:
    admin_api.create_domain("api.example.com", purpose="api")
    with pytest.raises(LambaConflict):
        admin_api.create_domain("api.example.com")
    for bad in ("https://x.example.com", "localhost", "a b.com"):
        with pytest.raises(LambaBadRequest):
            admin_api.create_domain(bad)
