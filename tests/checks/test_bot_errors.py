"""bot_errors evaluation (pure): occurrences + [[watch]] settings + time + the run's other
results in, one Result out."""

from __future__ import annotations

import pytest

from healthcheck.checks.bot_errors import TRANSIENT_MIN, evaluate_bot_errors
from healthcheck.logwatch.settings import WatchConfig
from healthcheck.logwatch.store import Occurrence
from healthcheck.result import Result, Status

NOW = 1_800_000_000.0
WATCH = WatchConfig(account="main", unit="bot.service", window=300, threshold=1)


def occ(code: int, age: float, msg: str = "", product: str = "") -> Occurrence:
    return Occurrence("main", code, product, NOW - age, msg, f"sample line {code}")


def test_no_occurrences_is_ok() -> None:
    r = evaluate_bot_errors("main", [], WATCH, NOW)
    assert r.status is Status.OK and r.codes == []
    assert "no Binance errors" in r.summary


def test_clock_error_is_critical_and_quotes_the_clock_check() -> None:
    clock = Result("main", "clock", Status.WARNING, "local clock 1300 ms ahead of Binance",
                   metrics={"offset_ms": 1300.0})
    r = evaluate_bot_errors("main", [occ(-1021, 30), occ(-1021, 10)], WATCH, NOW, [clock])
    assert r.status is Status.CRITICAL and r.codes == [-1021]
    info = r.details["codes"][0]
    assert info["count"] == 2 and info["sample"] == "sample line -1021"
    assert info["first_seen"] < info["last_seen"]
    assert info["active_check"].startswith("the clock check measures +1.3 s")
    assert info["predicted_by"] == "clock"
    assert "timedatectl" in r.fix


@pytest.mark.parametrize(("code", "msg", "status"), [
    (-2015, "Invalid API-key, IP, or permissions for action.", Status.CRITICAL),
    (-2019, "Margin is insufficient.", Status.CRITICAL),
    (-4189, "Restricted account permission", Status.CRITICAL),
    (418, "", Status.CRITICAL),
    (-2010, "Account has insufficient balance for requested action.", Status.CRITICAL),
    (-2010, "Filter failure: MAX_NUM_ORDERS", Status.WARNING),
    (-4164, "Order's notional must be no smaller than 100", Status.WARNING),
    (-4059, "No need to change position side.", Status.OK),
])
def test_default_severities(code: int, msg: str, status: Status) -> None:
    r = evaluate_bot_errors("main", [occ(code, 5, msg)], WATCH, NOW)
    assert r.status is status


def test_transient_overload_warns_only_above_a_rate() -> None:
    few = [occ(-1008, i) for i in range(TRANSIENT_MIN - 1)]
    assert evaluate_bot_errors("main", few, WATCH, NOW).status is Status.OK
    many = few + [occ(-1008, 100)]
    r = evaluate_bot_errors("main", many, WATCH, NOW)
    assert r.status is Status.WARNING and r.codes == [-1008]


def test_per_code_override_and_threshold() -> None:
    w = WatchConfig(account="main", unit="u", window=300, threshold=3,
                    severity={-2013: Status.CRITICAL, -1021: Status.WARNING})
    assert evaluate_bot_errors("main", [occ(-2013, 1), occ(-2013, 2)], w, NOW).status \
        is Status.OK
    r = evaluate_bot_errors("main", [occ(-2013, 1), occ(-2013, 2), occ(-2013, 3)], w, NOW)
    assert r.status is Status.CRITICAL
    r = evaluate_bot_errors("main", [occ(-1021, i) for i in range(3)], w, NOW)
    assert r.status is Status.WARNING


def test_resolves_once_the_window_passes_without_a_new_occurrence() -> None:
    o = [occ(-2019, 0)]
    assert evaluate_bot_errors("main", o, WATCH, NOW).status is Status.CRITICAL
    assert evaluate_bot_errors("main", o, WATCH, NOW + 299).status is Status.CRITICAL
    assert evaluate_bot_errors("main", o, WATCH, NOW + 301).status is Status.OK


def test_product_decides_the_meaning() -> None:
    sapi = evaluate_bot_errors("main", [occ(-4004, 1, "You don't login or auth.", "sapi")],
                               WATCH, NOW)
    fut = evaluate_bot_errors("main", [occ(-4004, 1, "Quantity less than min quantity.")],
                              WATCH, NOW, default_product="usdm")
    assert sapi.details["codes"][0]["name"] == "CAPITAL_UA"
    assert fut.details["codes"][0]["name"] == "QTY_LESS_THAN_MIN_QTY"
    assert fut.details["codes"][0]["product"] == "usdm"


def test_only_log_code_says_so_and_worst_first() -> None:
    r = evaluate_bot_errors("main", [occ(-2021, 1, "Order would immediately trigger."),
                                     occ(-2015, 2)], WATCH, NOW, default_product="usdm")
    assert r.codes == [-2015, -2021]
    only_log = [c for c in r.details["codes"] if c["code"] == -2021][0]
    assert "only the bot's log" in only_log["active_check"]
    api = [c for c in r.details["codes"] if c["code"] == -2015][0]
    assert api["active_check"] == "the api_key check did not run for this account in this run"
