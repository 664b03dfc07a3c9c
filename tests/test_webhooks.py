"""The webhook endpoint (SECURITY 44-46): signature, window, replay, tenant, storage, signal."""

from __future__ import annotations

import json
import logging
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
from django.core.management import call_command
from django.db import connection
from django.test import Client, TestCase
from django.urls import URLPattern, reverse

from django_lamba import urls as lamba_urls
from django_lamba._internal.webhook_signature import (
    SignatureRejected,
    sign_legacy,
    sign_v1,
    verify,
)
from django_lamba.models import LambaWebhookEvent
from django_lamba.signals import webhook_received
from django_lamba.testing import LambaEmulator
from django_lamba.testing._webhooks import event_body, signature
from django_lamba.webhooks import WebhookEvent
from tests.conftest import skip_or_fail

SECRET = "whsec_test_123"
VECTOR_TS = "1710000000"
VECTOR_BODY = b'{"id":"evt_01J...","type":"session.created"}'
VECTOR_V1 = "v1=0f1391709aca53eb7ba1f1ccebf49f42d8baff5085609cacdb687bcd2df95886"
VECTOR_LEGACY = "D283BB71FBB45758D9A10B26F294A61D4ACF657D8CF5AE412B793CDACBC1C9FB"


def check(
    signature_value: str | None,
    *,
    body: bytes = VECTOR_BODY,
    secrets: tuple[str, ...] = (SECRET,),
    now: float = 1710000000,
    timestamp: str | None = VECTOR_TS,
    legacy: bool = False,
) -> None:
    verify(
        body=body,
        timestamp=timestamp,
        signature=signature_value,
        secrets=secrets,
        tolerance=300,
        now=now,
        accept_legacy=legacy,
    )


# --- the verifier, on the documented test vector -------------------------------------------


def test_sec44_documented_vector_signs_and_verifies() -> None:
    assert sign_v1(SECRET, VECTOR_TS, VECTOR_BODY) == VECTOR_V1
    assert sign_legacy(SECRET, VECTOR_TS, VECTOR_BODY) == VECTOR_LEGACY
    # The emulator signs on its own code; it must agree with the vector too.
    assert signature(SECRET, VECTOR_TS, VECTOR_BODY) == VECTOR_V1
    assert signature(SECRET, VECTOR_TS, VECTOR_BODY, legacy=True) == VECTOR_LEGACY
    check(VECTOR_V1)


@pytest.mark.parametrize(
    ("case", "kwargs"),
    [
        ("tampered body", {"body": VECTOR_BODY.replace(b"created", b"revoked")}),
        ("wrong secret", {"secrets": ("whsec_other",)}),
        ("missing signature", {"signature_value": None}),
        ("missing timestamp", {"timestamp": None}),
        ("other timestamp", {"timestamp": "1710000001", "now": 1710000001}),
        ("no v1= prefix", {"signature_value": VECTOR_V1[3:]}),
        ("v2 scheme", {"signature_value": "v2=" + VECTOR_V1[3:]}),
        ("truncated", {"signature_value": VECTOR_V1[:-2]}),
        ("not hex", {"signature_value": "v1=" + "z" * 64}),
        ("legacy when not allowed", {"signature_value": VECTOR_LEGACY}),
    ],
)
def test_sec44_bad_signatures_are_rejected(case: str, kwargs: dict[str, Any]) -> None:
    value = kwargs.pop("signature_value", VECTOR_V1)
    with pytest.raises(SignatureRejected):
        check(value, **kwargs)


def test_sec44_either_secret_verifies_during_rotation() -> None:
    check(VECTOR_V1, secrets=("whsec_new", SECRET))
    check(VECTOR_V1, secrets=(SECRET, "whsec_old"))


def test_sec44_legacy_uppercase_form_only_when_allowed() -> None:
    check(VECTOR_LEGACY, legacy=True)
    with pytest.raises(SignatureRejected):
        check(VECTOR_LEGACY.lower(), legacy=True)
    with pytest.raises(SignatureRejected):
        check(VECTOR_LEGACY)


@pytest.mark.parametrize("offset", [-301, 301, -3600, 86400])
def test_sec45_timestamp_outside_window_is_rejected(offset: int) -> None:
    with pytest.raises(SignatureRejected, match="window"):
        check(VECTOR_V1, now=1710000000 - offset)


@pytest.mark.parametrize("offset", [-300, 0, 300])
def test_sec45_timestamp_inside_window_verifies(offset: int) -> None:
    check(VECTOR_V1, now=1710000000 - offset)


# --- the view, through Django's test client ------------------------------------------------


@pytest.fixture
def secret(settings: Any) -> str:
    settings.LAMBA_WEBHOOK_SECRET = SECRET
    return SECRET


@pytest.fixture
def received() -> Iterator[list[WebhookEvent]]:
    """Every ``webhook_received`` event, in order."""
    events: list[WebhookEvent] = []
    lock = threading.Lock()

    def receiver(sender: str, event: WebhookEvent, **kwargs: Any) -> None:
        assert sender == event.type
        with lock:
            events.append(event)

    webhook_received.connect(receiver, weak=False, dispatch_uid="test_webhooks")
    yield events
    webhook_received.disconnect(dispatch_uid="test_webhooks")


def body_for(event_id: str = "evt_1", event_type: str = "user.created", **scope: str) -> bytes:
    return event_body(
        event_type,
        {"userId": "usr_1"},
        event_id=event_id,
        workspace_id=scope.get("workspace_id", "ws_demo"),
        project_id=scope.get("project_id", "prj_demo"),
        environment=scope.get("environment", "test"),
    )


def post(
    body: bytes,
    *,
    key: str = SECRET,
    timestamp: int | None = None,
    legacy: bool = False,
    sig: str | None = None,
    client: Client | None = None,
) -> Any:
    stamp = str(int(time.time()) if timestamp is None else timestamp)
    headers = {"X-Lamba-Timestamp": stamp}
    value = signature(key, stamp, body, legacy=legacy) if sig is None else sig
    if value:
        headers["X-Lamba-Signature"] = value
    # The test's wrapping transaction never commits: run the view's on_commit callbacks when
    # its own atomic block ends, as a real commit would.
    with TestCase.captureOnCommitCallbacks(execute=True):
        return (client or Client()).post(
            reverse("lamba:webhook"), body, content_type="application/json", headers=headers
        )


@pytest.mark.django_db
def test_sec45_first_delivery_is_stored_then_signalled_with_204(
    secret: str, received: list[WebhookEvent]
) -> None:
    response = post(body_for("evt_first", "session.revoked"))
    assert response.status_code == 204
    row = LambaWebhookEvent.objects.get()
    assert (row.event_id, row.type, row.workspace_id, row.project_id, row.environment) == (
        "evt_first",
        "session.revoked",
        "ws_demo",
        "prj_demo",
        "test",
    )
    assert row.outcome == "processed"
    assert row.processed_at is not None
    assert row.payload["id"] == "evt_first"
    assert row.payload["data"] == {"userId": "usr_1"}
    assert [(e.id, e.type, e.data) for e in received] == [
        ("evt_first", "session.revoked", {"userId": "usr_1"})
    ]
    assert received[0].record.pk == row.pk


@pytest.mark.django_db
def test_sec45_redelivered_event_is_200_without_reprocessing(
    secret: str, received: list[WebhookEvent]
) -> None:
    assert post(body_for("evt_again")).status_code == 204
    assert post(body_for("evt_again")).status_code == 200
    assert LambaWebhookEvent.objects.count() == 1
    assert len(received) == 1


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("case", "kwargs"),
    [
        ("wrong secret", {"key": "whsec_wrong"}),
        ("missing signature", {"sig": ""}),
        ("malformed signature", {"sig": "v1=nothex"}),
        ("stale timestamp", {"timestamp": int(time.time()) - 400}),
        ("future timestamp", {"timestamp": int(time.time()) + 400}),
        ("legacy not allowed", {"legacy": True}),
    ],
)
def test_sec44_unverified_delivery_is_401_and_stores_nothing(
    secret: str, received: list[WebhookEvent], case: str, kwargs: Any
) -> None:
    response = post(body_for(), **kwargs)
    assert response.status_code == 401
    assert response["Content-Type"] == "application/problem+json"
    assert response.json()["errorCode"] == "invalid_signature"
    assert not LambaWebhookEvent.objects.exists()
    assert received == []


@pytest.mark.django_db
def test_sec44_tampered_body_is_401(secret: str, received: list[WebhookEvent]) -> None:
    stamp = int(time.time())
    good = signature(SECRET, str(stamp), body_for("evt_x", "user.created"))
    response = post(body_for("evt_x", "user.deleted"), timestamp=stamp, sig=good)
    assert response.status_code == 401
    assert not LambaWebhookEvent.objects.exists()


@pytest.mark.django_db
def test_sec44_rotation_accepts_old_and_new_secret(
    settings: Any, received: list[WebhookEvent]
) -> None:
    settings.LAMBA_WEBHOOK_SECRET = ["whsec_new", "whsec_old"]
    assert post(body_for("evt_old"), key="whsec_old").status_code == 204
    assert post(body_for("evt_new"), key="whsec_new").status_code == 204
    assert post(body_for("evt_bad"), key="whsec_older").status_code == 401
    assert sorted(e.id for e in received) == ["evt_new", "evt_old"]


@pytest.mark.django_db
def test_sec44_rotation_secrets_from_comma_separated_env(
    monkeypatch: pytest.MonkeyPatch, received: list[WebhookEvent]
) -> None:
    from django_lamba.conf import lamba_settings

    monkeypatch.setenv("LAMBA_WEBHOOK_SECRET", "whsec_new, whsec_old")
    lamba_settings.reload()
    try:
        assert post(body_for("evt_env"), key="whsec_old").status_code == 204
    finally:
        monkeypatch.delenv("LAMBA_WEBHOOK_SECRET")
        lamba_settings.reload()


@pytest.mark.django_db
def test_sec44_legacy_signature_accepted_when_setting_allows(
    secret: str, settings: Any, received: list[WebhookEvent]
) -> None:
    settings.LAMBA_WEBHOOK_ACCEPT_LEGACY_SIGNATURES = True
    assert post(body_for("evt_legacy"), legacy=True).status_code == 204
    assert [e.id for e in received] == ["evt_legacy"]


@pytest.mark.django_db
def test_sec46_event_for_another_project_is_403_and_stores_nothing(
    secret: str, settings: Any, received: list[WebhookEvent]
) -> None:
    settings.LAMBA_CUSTOMER_WORKSPACE_ID = "ws_demo"
    settings.LAMBA_CUSTOMER_PROJECT_ID = "prj_demo"
    settings.LAMBA_CUSTOMER_ENV = "test"
    for scope in (
        {"project_id": "prj_other"},
        {"workspace_id": "ws_other"},
        {"environment": "live"},
        {"project_id": ""},
    ):
        response = post(body_for("evt_foreign", **scope))
        assert response.status_code == 403, scope
        assert response.json()["errorCode"] == "event_not_for_this_site"
    assert not LambaWebhookEvent.objects.exists()
    assert received == []
    assert post(body_for("evt_ours")).status_code == 204


@pytest.mark.django_db
@pytest.mark.parametrize(
    "body", [b"not json", b"[1, 2]", b'{"type": "user.created"}', b'{"id": "evt_1", "type": 5}']
)
def test_sec46_signed_but_malformed_event_is_400(
    secret: str, received: list[WebhookEvent], body: bytes
) -> None:
    assert post(body).status_code == 400
    assert not LambaWebhookEvent.objects.exists()


@pytest.mark.django_db
def test_oversized_event_id_is_400_not_a_500(secret: str) -> None:
    assert post(body_for("evt_" + "x" * 300)).status_code == 400


def test_oversized_body_is_413_before_any_signature_work(secret: str) -> None:
    response = post(b"{" + b" " * (256 * 1024) + b"}", sig="v1=" + "0" * 64)
    assert response.status_code == 413


def test_webhook_answers_only_post(secret: str) -> None:
    assert Client().get(reverse("lamba:webhook")).status_code == 405


def test_no_secret_configured_is_503_with_a_logged_error(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.ERROR, logger="django_lamba.webhooks"):
        response = post(body_for())
    assert response.status_code == 503
    assert "LAMBA_WEBHOOK_SECRET is not set" in caplog.text


@pytest.mark.django_db
def test_sec46_webhook_needs_no_csrf_token(secret: str) -> None:
    assert post(body_for("evt_csrf"), client=Client(enforce_csrf_checks=True)).status_code == 204


def test_sec46_webhook_is_the_only_csrf_exempt_view() -> None:
    exempt = [
        p.name
        for p in lamba_urls.urlpatterns
        if isinstance(p, URLPattern) and getattr(p.callback, "csrf_exempt", False)
    ]
    assert exempt == ["webhook"]


@pytest.mark.django_db
def test_logs_name_the_event_but_never_the_secret_or_signature(
    secret: str, caplog: pytest.LogCaptureFixture
) -> None:
    stamp = int(time.time())
    body = body_for("evt_logged", "session.created")
    sig = signature(SECRET, str(stamp), body)
    with caplog.at_level(logging.DEBUG):
        post(body, timestamp=stamp)
        post(body, timestamp=stamp, key="whsec_wrong")
    assert "evt_logged" in caplog.text
    assert "session.created" in caplog.text
    assert SECRET not in caplog.text
    assert sig[3:] not in caplog.text


@pytest.mark.django_db
def test_failing_receiver_still_acknowledges_and_records_the_outcome(
    secret: str, caplog: pytest.LogCaptureFixture
) -> None:
    def broken(sender: str, event: WebhookEvent, **kwargs: Any) -> None:
        raise RuntimeError("receiver bug")

    webhook_received.connect(broken, weak=False, dispatch_uid="test_broken")
    try:
        assert post(body_for("evt_broken")).status_code == 204
    finally:
        webhook_received.disconnect(dispatch_uid="test_broken")
    assert LambaWebhookEvent.objects.get().outcome == "receiver_failed"
    assert "RuntimeError" in caplog.text


@pytest.mark.django_db
def test_migrations_match_the_models() -> None:
    call_command("makemigrations", "django_lamba", "--check", "--dry-run", verbosity=0)


# --- over real HTTP: the emulator delivers to a live server ----------------------------------


def test_emulator_delivery_over_http_is_stored_once_and_signalled_once(
    lamba: LambaEmulator, live_server: Any, secret: str, received: list[WebhookEvent]
) -> None:
    url = live_server.url + reverse("lamba:webhook")
    status, _ = lamba.deliver_webhook(
        url, "user.login", {"userId": "u1"}, secret=SECRET, event_id="evt_live"
    )
    assert status == 204
    status, _ = lamba.deliver_webhook(
        url, "user.login", {"userId": "u1"}, secret=SECRET, event_id="evt_live"
    )
    assert status == 200
    status, body = lamba.deliver_webhook(url, "user.login", secret="whsec_wrong")
    assert status == 401
    assert json.loads(body)["errorCode"] == "invalid_signature"
    status, _ = lamba.deliver_webhook(url, "user.login", secret=SECRET, project_id="prj_other")
    assert status == 403
    status, _ = lamba.deliver_webhook(
        url, "user.login", secret=SECRET, timestamp=int(time.time()) - 400
    )
    assert status == 401
    assert list(LambaWebhookEvent.objects.values_list("event_id", flat=True)) == ["evt_live"]
    assert [(e.id, e.data) for e in received] == [("evt_live", {"userId": "u1"})]


def test_sec45_concurrent_duplicate_deliveries_store_and_signal_once(
    lamba: LambaEmulator, live_server: Any, secret: str, received: list[WebhookEvent]
) -> None:
    if connection.vendor != "postgresql":
        skip_or_fail(
            "concurrent deliveries need a database server (set LAMBA_TEST_PG_HOST; "
            "SQLite in memory serializes everything)"
        )
    url = live_server.url + reverse("lamba:webhook")
    threads = 12
    barrier = threading.Barrier(threads)

    def deliver(_: int) -> int:
        barrier.wait()
        status, _body = lamba.deliver_webhook(
            url, "user.created", secret=SECRET, event_id="evt_race"
        )
        return status

    with ThreadPoolExecutor(threads) as pool:
        statuses = list(pool.map(deliver, range(threads)))
    assert all(200 <= status < 300 for status in statuses), statuses
    assert statuses.count(204) == 1
    assert LambaWebhookEvent.objects.filter(event_id="evt_race").count() == 1
    assert [e.id for e in received] == ["evt_race"]
