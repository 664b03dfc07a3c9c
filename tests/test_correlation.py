"""The correlation id sent to Lamba: one per request, kept for all of it, never another's."""

from __future__ import annotations

import asyncio
import contextvars
import threading
from collections.abc import Callable
from typing import Any

from asgiref.sync import async_to_sync, sync_to_async
from django.http import HttpRequest, HttpResponse
from django.test import RequestFactory

from django_lamba._internal import correlation
from django_lamba.middleware import LambaMiddleware


def _request(incoming: str | None = None) -> HttpRequest:
    headers = {} if incoming is None else {"HTTP_X_CORRELATION_ID": incoming}
    return RequestFactory().get("/", **headers)


def _recording(seen: list[str], then: Callable[[], Any] = lambda: None) -> LambaMiddleware:
    def view(request: HttpRequest) -> HttpResponse:
        seen.append(correlation.current())
        then()
        seen.append(correlation.current())
        return HttpResponse()

    return LambaMiddleware(view)


def test_each_request_has_one_id_of_its_own_that_ends_with_it() -> None:
    seen: list[str] = []
    middleware = _recording(seen)
    middleware(_request())
    middleware(_request())
    middleware(_request("incoming-id-42"))
    assert seen[0] == seen[1] and seen[2] == seen[3] and seen[0] != seen[2]
    assert seen[4:] == ["incoming-id-42", "incoming-id-42"]
    outside = {correlation.current() for _ in range(3)}
    assert len(outside) == 3 and not outside & set(seen)


def test_a_request_made_inside_a_request_leaves_the_outer_id_alone() -> None:
    inner: list[str] = []
    inner_middleware = _recording(inner)
    outer: list[str] = []
    _recording(outer, lambda: inner_middleware(_request("inner-id-1234")))(
        _request("outer-id-1234")
    )
    assert outer == ["outer-id-1234", "outer-id-1234"]
    assert inner == ["inner-id-1234", "inner-id-1234"]


def test_a_thread_running_a_copy_of_this_context_gets_ids_of_its_own() -> None:
    _recording([])(_request())  # this thread has served a request before
    copied = contextvars.copy_context()
    in_thread: list[str] = []
    started, resume = threading.Event(), threading.Event()

    def wait() -> None:
        started.set()
        assert resume.wait(10)

    thread = threading.Thread(
        target=copied.run, args=(_recording(in_thread, wait), _request("thread-id-1234"))
    )
    thread.start()
    assert started.wait(10)
    here: list[str] = []
    _recording(here)(_request("main-id-12345"))  # while the other request is under way
    resume.set()
    thread.join(10)
    assert in_thread == ["thread-id-1234", "thread-id-1234"]
    assert here == ["main-id-12345", "main-id-12345"]


def test_code_the_view_runs_in_other_threads_shares_the_requests_id() -> None:
    seen: list[str] = []

    def elsewhere() -> None:
        seen.append(async_to_sync(sync_to_async(correlation.current, thread_sensitive=False))())

    _recording(seen, elsewhere)(_request())
    assert seen[0] == seen[1] == seen[2]


def test_concurrent_async_requests_keep_their_own_ids() -> None:
    seen: dict[str, list[str]] = {}

    async def view(request: HttpRequest) -> HttpResponse:
        mine = seen.setdefault(request.META["HTTP_X_CORRELATION_ID"], [])
        for _ in range(3):
            mine.append(correlation.current())
            await asyncio.sleep(0)  # let the other request run
        return HttpResponse()

    middleware = LambaMiddleware(view)

    async def both() -> None:
        await asyncio.gather(
            middleware(_request("async-id-aaaa")), middleware(_request("async-id-bbbb"))
        )

    asyncio.run(both())
    assert seen == {"async-id-aaaa": ["async-id-aaaa"] * 3, "async-id-bbbb": ["async-id-bbbb"] * 3}
