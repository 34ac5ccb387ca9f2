"""Server time: the offset from the fastest sample, when one sample is enough, and the offsets
a later process signs with (healthcheck/engine/timing.py)."""

from __future__ import annotations

import time
from pathlib import Path

from healthcheck.checks.base import TimeMeasurement
from healthcheck.engine.cache import AnswerCache
from healthcheck.engine.timing import OFFSET_REUSE_SECONDS, ClockOffsets, measure
from healthcheck.exchange.fetch import FetchError, FetchErrorKind, Outcome
from healthcheck.storage.state import StateDB

HOST = ("https://fapi.binance.com", "usdm")


def sample(started: float, rtt_ms: float, server_ms: float) -> Outcome:
    """A server-time answer sent at ``started`` (s) that took ``rtt_ms``."""
    return Outcome(
        "fapi.time",
        data={"serverTime": server_ms},
        elapsed_ms=rtt_ms,
        started_at=started,
        finished_at=started + rtt_ms / 1000,
    )


def test_offset_comes_from_the_sample_with_the_shortest_round_trip() -> None:
    slow = sample(1000.0, 400.0, 1000.2 * 1000 + 900)  # would say 900 ms behind
    fast = sample(1001.0, 20.0, 1001.01 * 1000 - 250)  # Binance 250 ms behind us
    m = measure("usdm", [slow, fast])
    assert m.samples == 2 and m.error is None
    assert abs(m.offset_ms - 250.0) < 1e-6 and m.rtt_ms == 20.0


def test_an_answer_without_a_numeric_server_time_is_malformed_not_an_offset() -> None:
    for bad in (
        {"serverTime": "soon"},
        {"serverTime": float("inf")},
        {},
        [1],
        {"serverTime": True},
    ):
        m = measure("usdm", [Outcome("fapi.time", data=bad)])
        assert m.offset_ms is None and m.samples == 0
        assert m.error is not None and m.error.kind is FetchErrorKind.MALFORMED
    down = FetchError(FetchErrorKind.NETWORK, "connection refused")
    good = sample(1000.0, 30.0, 1000.015 * 1000)
    assert measure("usdm", [Outcome("fapi.time", error=down), good]).error is None


def test_a_host_whose_round_trips_agree_samples_once_and_a_jittery_one_does_not() -> None:
    offsets = ClockOffsets(AnswerCache(None, time.time))
    m = TimeMeasurement("usdm", 5.0, 40.0, 2)
    assert not offsets.stable(HOST)  # nothing known: sample several times
    offsets.record(HOST, m, [sample(1.0, 40.0, 0), sample(2.0, 55.0, 0)], for_clock=True)
    assert offsets.stable(HOST)
    other = ("https://api.binance.com", "spot")
    offsets.record(other, m, [sample(1.0, 40.0, 0), sample(2.0, 300.0, 0)], for_clock=True)
    assert not offsets.stable(other)


def test_a_recorded_offset_is_signed_with_by_the_next_process(tmp_path: Path) -> None:
    db = StateDB.open(tmp_path)
    first = ClockOffsets(AnswerCache(db, time.time))
    first.record(HOST, TimeMeasurement("usdm", -1234.5, 42.0, 3), [], for_clock=False)
    assert first.recent(HOST) and HOST not in first.sampled_at  # signing only, not the check
    db.close()

    db = StateDB.open(tmp_path)
    second = ClockOffsets(AnswerCache(db, time.time))
    second.load([HOST])
    known = second.any_known()
    assert known is not None and known.offset_ms == -1234.5
    stale = ClockOffsets(AnswerCache(db, lambda: time.time() + OFFSET_REUSE_SECONDS + 1))
    stale.load([HOST])
    assert stale.any_known() is None
    db.close()
