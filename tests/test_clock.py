"""django_lamba.testing.clock: tests move the library's time instead of sleeping."""

from __future__ import annotations

import time

import pytest

from django_lamba._internal import clock
from django_lamba.testing.clock import frozen


def test_a_frozen_clock_stands_still_until_advanced() -> None:
    with frozen(1_000_000.0) as controlled:
        assert clock.now() == 1_000_000.0
        before = clock.monotonic()
        controlled.advance(90)
        assert clock.now() == 1_000_090.0
        assert clock.monotonic() >= before + 90


def test_the_real_clock_is_back_after_the_block() -> None:
    with frozen(0.0):
        pass
    assert abs(clock.now() - time.time()) < 60


def test_the_real_clock_is_back_after_an_error() -> None:
    with pytest.raises(RuntimeError), frozen(0.0):
        raise RuntimeError
    assert clock.now() > 0


def test_a_clock_does_not_go_back() -> None:
    with frozen() as controlled, pytest.raises(ValueError):
        controlled.advance(-1)
