"""clock: offset to Binance per market (-1021)."""

from __future__ import annotations

import pytest

from healthcheck.checks.base import TimeMeasurement
from healthcheck.checks.clock import ClockCheck, ClockSettings
from healthcheck.model.result import Status
from tests.checks.factbook import account, api_error, facts

CHECK = ClockCheck(ClockSettings())


@pytest.mark.parametrize(
    "offset_ms, status",
    [(20, Status.OK), (600, Status.WARNING), (1500, Status.CRITICAL), (-6000, Status.CRITICAL)],
)
def test_clock_offset_thresholds(offset_ms, status):
    acc = account(markets=("spot",))
    r = CHECK.evaluate(facts(acc, times={"spot": TimeMeasurement("spot", offset_ms, 10, 3)}))
    assert r.status is status
    if status is Status.CRITICAL:
        assert r.codes == [-1021]
    if status is Status.WARNING:
        assert r.risk_codes == [-1021]


def test_signed_request_rejected_with_1021_is_critical_even_with_a_small_offset():
    acc = account(markets=("spot",))
    r = CHECK.evaluate(
        facts(
            acc,
            {"spot.account": api_error(-1021, "outside recvWindow")},
            times={"spot": TimeMeasurement("spot", 5, 10, 3)},
        )
    )
    assert r.status is Status.CRITICAL and "spot.account" in r.summary


def test_no_measurement_at_all_is_unknown():
    r = CHECK.evaluate(facts(account(markets=("spot",))))
    assert r.status is Status.UNKNOWN
