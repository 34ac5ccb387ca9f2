"""When the daemon's tick fires: every interval, at once on demand, once sooner to confirm a
problem (healthcheck/service/ticker.py)."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator

import pytest

from healthcheck.service.ticker import Ticker


class Ticks:
    def __init__(self) -> None:
        self.count = 0
        self.event = threading.Event()

    def __call__(self) -> None:
        self.count += 1
        self.event.set()


@pytest.fixture
def ticks() -> Iterator[tuple[Ticker, Ticks]]:
    t = Ticks()
    ticker = Ticker(t)
    yield ticker, t
    ticker.shutdown()


def test_the_first_tick_waits_an_interval_and_now_fires_at_once(ticks) -> None:
    ticker, t = ticks
    ticker.start(3600)
    assert ticker.started
    assert not t.event.wait(0.2)  # an hour away
    ticker.now()
    assert t.event.wait(10)


def test_once_at_fires_one_extra_tick(ticks) -> None:
    ticker, t = ticks
    ticker.once_at(time.monotonic())  # not started: nothing
    assert not ticker.started
    ticker.start(3600)
    ticker.once_at(time.monotonic())
    assert t.event.wait(10)
    assert t.count == 1


def test_a_short_interval_ticks_repeatedly(ticks) -> None:
    ticker, t = ticks
    ticker.start(1)
    deadline = time.monotonic() + 15
    while t.count < 2 and time.monotonic() < deadline:
        t.event.wait(1)
        t.event.clear()
    assert t.count >= 2
