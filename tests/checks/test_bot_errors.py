"""bot_errors evaluation (pure): occurrences + [[watch]] settings + time + the run's other
results in, one Result out."""

from __future__ import annotations

import pytest

from healthcheck.checks.bot_errors import TRANSIENT_MIN, evaluate_bot_errors
from healthcheck.logwatch.settings import WatchConfig
from healthcheck.logwatch.store import Occurrence
from healthcheck.model.result import Result, Status

NOW = 1_800_000_000.0
WATCH = WatchConfig(account="main", unit="bot.service", window=300, threshold=1)


def occ(code: int, age: float, msg: str = "", product: str = "") -> Occurrence:
    return Occurrence("main", code, product, NOW - age, msg, f"sample line {code}")


def test_no_occurrences_is_ok() -> None:
    r = evaluate_bot_errors("main", [], WATCH, NOW)
    assert r.status is Status.OK and r.codes == []
    assert "no Binance errors" in r.summary


def test_clock_error_is_critical_and_quotes_the_clock_check() -> None:
    clock = Result(
        "main",
        "clock",
        Status.WARNING,
        "local clock 1300 ms ahead of Binance",
        metrics={"offset_ms": 1300.0},
    )
    r = evaluate_bot_errors("main", [occ(-1021, 30), occ(-1021, 10)], WATCH, NOW, [clock])
    assert r.status is Status.CRITICAL and r.codes == [-1021]
    info = r.details["codes"][0]
    assert info["count"] == 2 and info["sample"] == "sample line -1021"
    assert info["first_seen"] < info["last_seen"]
    assert info["active_check"].startswith("the clock check measures +1.3 s")
    assert info["predicted_by"] == "clock"
    assert "timedatectl" in r.fix


@pytest.mark.parametrize(
    ("code", "msg", "status"),
    [
        (-2015, "Invalid API-key, IP, or permissions for action.", Status.CRITICAL),
        (-2019, "Margin is insufficient.", Status.CRITICAL),
        (-4189, "Restricted account permission", Status.CRITICAL),
        (418, "", Status.CRITICAL),
        (-2010, "Account has insufficient balance for requested action.", Status.CRITICAL),
        (-2010, "Filter failure: MAX_NUM_ORDERS", Status.WARNING),
        (-4164, "Order's notional must be no smaller than 100", Status.WARNING),
        (-4059, "No need to change position side.", Status.OK),
    ],
)
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
    w = WatchConfig(
        account="main",
        unit="u",
        window=300,
        threshold=3,
        severity={-2013: Status.CRITICAL, -1021: Status.WARNING},
    )
    assert evaluate_bot_errors("main", [occ(-2013, 1), occ(-2013, 2)], w, NOW).status is Status.OK
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
    sapi = evaluate_bot_errors(
        "main", [occ(-4004, 1, "You don't login or auth.", "sapi")], WATCH, NOW
    )
    fut = evaluate_bot_errors(
        "main",
        [occ(-4004, 1, "Quantity less than min quantity.")],
        WATCH,
        NOW,
        default_product="usdm",
    )
    assert sapi.details["codes"][0]["name"] == "CAPITAL_UA"
    assert fut.details["codes"][0]["name"] == "QTY_LESS_THAN_MIN_QTY"
    assert fut.details["codes"][0]["product"] == "usdm"


def test_only_log_code_says_so_and_worst_first() -> None:
    r = evaluate_bot_errors(
        "main",
        [occ(-2021, 1, "Order would immediately trigger."), occ(-2015, 2)],
        WATCH,
        NOW,
        default_product="usdm",
    )
    assert r.codes == [-2015, -2021]
    only_log = [c for c in r.details["codes"] if c["code"] == -2021][0]
    assert "only the bot's log" in only_log["active_check"]
    api = [c for c in r.details["codes"] if c["code"] == -2015][0]
    assert api["active_check"] == "the api_key check did not run for this account in this run"


# ---- the bots' own words (healthcheck.logwatch.bots): lines captured from a real freqtrade run


def _bot_occurrences(fixture: str, default: str | None = None) -> list[Occurrence]:
    from pathlib import Path

    from healthcheck.service.watcher import occurrences_in

    path = Path(__file__).resolve().parents[1] / "fixtures" / "freqtrade" / fixture
    return occurrences_in(
        path.read_text().splitlines(),
        "main",
        now=NOW - 5,
        backlog=False,
        mtime=None,
        since=None,
        default=default,
    )


def test_freqtrade_hedge_mode_refusal_is_critical_4061_quoting_line_meaning_and_check() -> None:
    occ = _bot_occurrences("watch-futures-hedge-mode.log")
    pm = Result(
        "main",
        "position_mode",
        Status.CRITICAL,
        "futures account is in Hedge mode but the bot expects one-way: orders fail "
        "with -4061 (position side does not match)",
    )
    r = evaluate_bot_errors("main", occ, WATCH, NOW, [pm])
    assert r.status is Status.CRITICAL and r.codes == [-4061]
    assert "-4061 POSITION_SIDE_NOT_MATCH x1 (freqtrade's own refusal)" in r.summary
    assert "freqtrade refused to start" in r.summary  # what it means
    assert "The bot's line: \"Hedge Mode is not supported by freqtrade." in r.summary
    assert r.summary.endswith("The position_mode check says CRITICAL: " + pm.summary)
    assert "Position Mode to One-way" in r.fix
    info = r.details["codes"][0]
    assert info["bot"] == "freqtrade" and info["predicted_by"] == "position_mode"


def test_freqtrade_ignoring_every_trade_is_critical_4164_and_quotes_the_symbols_check() -> None:
    occ = _bot_occurrences("watch-futures-stake-too-small.log")
    symbols = Result("main", "symbols", Status.OK, "BTCUSDT trading; filters read")
    r = evaluate_bot_errors("main", occ, WATCH, NOW, [symbols])
    assert r.status is Status.CRITICAL and r.codes == [-4164]
    assert "ignored the trade on BTC/USDT:USDT itself" in r.summary
    assert "116.66666666666667" in r.summary
    assert "The symbols check says OK: BTCUSDT trading; filters read" in r.summary
    assert "raise stake_amount" in r.fix


def test_a_binance_code_without_bot_words_keeps_its_own_meaning_and_quotes_the_line() -> None:
    r = evaluate_bot_errors("main", [occ(-2019, 5, "Margin is insufficient.")], WATCH, NOW)
    assert r.status is Status.CRITICAL
    assert "available margin is below" in r.summary
    assert 'The bot\'s line: "sample line -2019"' in r.summary
    assert r.details["codes"][0]["bot"] is None
