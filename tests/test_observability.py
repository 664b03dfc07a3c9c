"""Every call to Lamba is told: the ``upstream_call`` signal, a log record, the recorder."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from typing import Any

import pytest
from django.test import Client

from django_lamba._internal import observe
from django_lamba.client import get_client
from django_lamba.exceptions import LambaUnauthorized, LambaUnavailable
from django_lamba.signals import UpstreamCall, upstream_call
from django_lamba.testing import EmulatedUser, FrozenClock, LambaEmulator, client_with_tokens


@pytest.fixture
def heard() -> Iterator[list[UpstreamCall]]:
    """The calls the ``upstream_call`` signal announces while the test runs."""
    calls: list[UpstreamCall] = []

    def receiver(sender: Any, call: UpstreamCall, **kwargs: Any) -> None:
        assert sender is UpstreamCall
        calls.append(call)

    upstream_call.connect(receiver)
    try:
        yield calls
    finally:
        upstream_call.disconnect(receiver)


def scoped_session(lamba: LambaEmulator, user: EmulatedUser, **kwargs: Any) -> dict[str, Any]:
    return lamba.issue_session(
        user.email,
        workspace_id=lamba.workspace_id,
        project_id=lamba.project_id,
        environment=lamba.environment,
        **kwargs,
    )


def test_a_successful_call_is_announced_with_its_facts(
    lamba: LambaEmulator, lamba_user: EmulatedUser, heard: list[UpstreamCall]
) -> None:
    tokens = scoped_session(lamba, lamba_user)
    get_client().get_context(tokens["access_token"])
    (call,) = heard
    assert (call.method, call.host, call.path) == ("GET", lamba.api_url, "/v1/me/context")
    assert (call.status, call.outcome, call.attempt) == (200, "ok", 1)
    assert call.duration_ms >= 0 and call.server_date is not None
    sent = lamba.requests_log[-1].headers.get("X-Correlation-Id")
    assert call.correlation_id == sent


def test_an_error_answer_carries_its_error_code_and_trace_id(
    lamba: LambaEmulator, heard: list[UpstreamCall]
) -> None:
    with pytest.raises(LambaUnauthorized) as raised:
        get_client().get_context("not-a-session")
    (call,) = heard
    assert (call.status, call.outcome) == (401, "error")
    assert call.error_code == raised.value.error_code and call.error_code
    assert call.trace_id == raised.value.trace_id and call.trace_id


def test_each_retry_is_its_own_call_and_a_timeout_has_no_status(
    lamba: LambaEmulator, heard: list[UpstreamCall], settings: Any, monkeypatch: Any
) -> None:
    monkeypatch.setattr("django_lamba._internal.wire.retry_sleep", lambda seconds: None)
    settings.LAMBA_MAX_RETRIES = 1
    settings.LAMBA_READ_TIMEOUT = 0.2
    lamba.inject_fault("/.well-known/jwks.json", status=503)
    lamba.inject_fault("/.well-known/jwks.json", latency=1.0)
    with pytest.raises(LambaUnavailable):
        get_client().get_jwks()
    assert [(c.attempt, c.status, c.outcome) for c in heard] == [
        (1, 503, "error"),
        (2, None, "timeout"),
    ]


def test_the_signal_never_carries_a_token(
    lamba: LambaEmulator, lamba_user: EmulatedUser, heard: list[UpstreamCall]
) -> None:
    tokens = scoped_session(lamba, lamba_user)
    get_client().refresh(tokens["refresh_token"])
    (call,) = heard
    assert call.path == "/v1/auth/refresh"
    assert tokens["refresh_token"] not in repr(call.as_extra())


def test_a_failing_receiver_does_not_fail_the_call(
    lamba: LambaEmulator, lamba_user: EmulatedUser
) -> None:
    def broken(**kwargs: Any) -> None:
        raise RuntimeError("metrics backend down")

    upstream_call.connect(broken)
    try:
        tokens = scoped_session(lamba, lamba_user)
        assert get_client().get_context(tokens["access_token"]).user.email == lamba_user.email
    finally:
        upstream_call.disconnect(broken)


def test_a_debug_log_record_has_the_facts_as_extra(
    lamba: LambaEmulator, lamba_user: EmulatedUser, caplog: pytest.LogCaptureFixture
) -> None:
    tokens = scoped_session(lamba, lamba_user)
    with caplog.at_level(logging.DEBUG, logger="django_lamba.upstream"):
        get_client().get_context(tokens["access_token"])
    (record,) = [r for r in caplog.records if r.name == "django_lamba.upstream"]
    assert record.levelno == logging.DEBUG
    facts = record.__dict__
    assert (facts["method"], facts["path"], facts["status"]) == ("GET", "/v1/me/context", 200)
    assert facts["correlation_id"] and "duration_ms" in facts and "trace_id" in facts
    assert tokens["access_token"] not in record.getMessage()


def test_nothing_is_built_when_nobody_listens(
    lamba: LambaEmulator, lamba_user: EmulatedUser, monkeypatch: pytest.MonkeyPatch
) -> None:
    def must_not_run(*args: Any, **kwargs: Any) -> None:
        raise AssertionError("a call was reported with nobody listening")

    monkeypatch.setattr(observe, "report", must_not_run)
    logger = logging.getLogger("django_lamba.upstream")
    logger.setLevel(logging.INFO)
    try:
        assert not upstream_call.receivers and not observe.watching()
        tokens = scoped_session(lamba, lamba_user)
        get_client().get_context(tokens["access_token"])
    finally:
        logger.setLevel(logging.NOTSET)


# --- the recorder ------------------------------------------------------------------------------


def test_the_recorder_counts_cache_hits_and_misses_of_a_request(
    lamba: LambaEmulator, lamba_user: EmulatedUser, settings: Any
) -> None:
    settings.LAMBA_LOCAL_CONTEXT_TTL = 0  # every request reads the shared cache
    client = client_with_tokens(scoped_session(lamba, lamba_user), Client())
    with observe.recording() as first:
        assert client.get("/whoami/").content.decode() == lamba_user.email
    assert first.cache["context:miss"] == 1 and first.cache["jwks:miss"] == 1
    assert [c.path for c in first.calls] == ["/.well-known/jwks.json", "/v1/me/context"]
    with observe.recording() as second:
        client.get("/whoami/")
    # The token's signature was checked once in this process: not even the JWKS is looked at.
    assert dict(second.cache) == {"context:hit": 1}
    assert second.calls == [] and second.refreshes == []
    other = client_with_tokens(scoped_session(lamba, lamba_user), Client())
    with observe.recording() as third:
        other.get("/whoami/")
    assert third.cache["jwks:hit"] == 1 and third.cache["context:miss"] == 1
    assert [c.path for c in third.calls] == ["/v1/me/context"]


def test_the_recorder_notes_a_refresh(
    lamba: LambaEmulator, lamba_user: EmulatedUser, lamba_clock: FrozenClock
) -> None:
    client = client_with_tokens(scoped_session(lamba, lamba_user, access_token_ttl=60), Client())
    lamba_clock.advance(120)
    with observe.recording() as recorder:
        assert client.get("/whoami/").content.decode() == lamba_user.email
    assert recorder.refreshes == ["refreshed"]
    assert "/v1/auth/refresh" in [c.path for c in recorder.calls]


def test_nothing_is_recorded_outside_a_recording(
    lamba: LambaEmulator, lamba_user: EmulatedUser
) -> None:
    observe.note_cache("context", hit=True)  # no recorder: ignored, no error
    observe.note_refresh("refreshed")
    with observe.recording() as recorder:
        pass
    tokens = scoped_session(lamba, lamba_user)
    get_client().get_context(tokens["access_token"])
    assert recorder.calls == [] and not recorder.cache


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        ("Wed, 02 Dec 2026 12:00:00 GMT", 1796212800.0),
        ("", None),
        ("yesterday", None),
        (None, None),
    ],
)
def test_server_date_parses_the_date_header(header: str | None, expected: float | None) -> None:
    assert observe.server_date(header) == expected
