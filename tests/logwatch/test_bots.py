"""The bots' own words: freqtrade's refusals captured from a real freqtrade 2026.9 run against the
simulator (tests/fixtures/freqtrade/watch-*.log, see its README) and hummingbot's from its source
count as the Binance code they stand for, with the check that predicts it; one freqtrade retry
chain counts once; `explain --log` names the codes."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import run_cli

from healthcheck.logwatch.explain import log_rows
from healthcheck.logwatch.parse import parse_line
from healthcheck.logwatch.scan import scan_file
from healthcheck.service.watcher import occurrences_in

FIX = Path(__file__).resolve().parents[1] / "fixtures"
FT = FIX / "freqtrade"
HB = FIX / "hummingbot" / "watch-from-source.log"


def line_of(path: Path, needle: str) -> str:
    for line in path.read_text().splitlines():
        if needle in line:
            return line
    raise AssertionError(f"{needle!r} not in {path.name}: re-run watch_capture.py")


@pytest.mark.parametrize(
    ("fixture", "needle", "code", "product"),
    [
        ("watch-spot-stake-too-small.log", "ignoring trade.", -1013, "spot"),
        ("watch-futures-stake-too-small.log", "ignoring trade.", -4164, "usdm"),
        ("watch-futures-hedge-mode.log", "Hedge Mode is not supported", -4061, "usdm"),
        ("watch-futures-multi-assets.log", "Multi-Asset Mode is not supported", -4168, "usdm"),
        ("watch-spot-stake-over-balance.log", "is lower than stake amount", -2010, "spot"),
        ("watch-spot-clock-behind.log", "Your system time deviates", -1021, "spot"),
    ],
)
def test_captured_freqtrade_refusal_is_the_code_it_stands_for(
    fixture: str, needle: str, code: int, product: str
) -> None:
    hits = parse_line(line_of(FT / fixture, needle))
    assert [(h.code, h.product) for h in hits] == [(code, product)]


def test_stake_adjusted_up_is_not_an_error_only_the_ignored_trade_is() -> None:
    # freqtrade raises a stake that is at most 30 % short and trades: nothing is wrong
    adjusted = line_of(FT / "watch-futures-stake-too-small.log", "is too small")
    assert "adjusting to" in adjusted and parse_line(adjusted) == []


@pytest.mark.parametrize(("default", "code"), [("usdm", -2019), ("spot", -2010), (None, -2010)])
def test_minimum_stake_over_balance_takes_the_accounts_product(
    default: str | None, code: int
) -> None:
    # the line names no pair: the account's market decides; freqtrade's default mode is spot
    line = line_of(FT / "watch-spot-min-stake-over-balance.log", "Minimum stake amount >")
    assert [h.code for h in parse_line(line, default)] == [code]


@pytest.mark.parametrize(
    ("needle", "code", "product"),
    [
        ("Order notional 4.5", -1013, "spot"),  # x-MG43PCSN: the binance (spot) connector
        ("Order amount 0.0001", -4004, "usdm"),  # x-nbQe1H39: binance_perpetual
        ("Failed to set position mode", -4068, "usdm"),  # the code inside Binance's body
    ],
)
def test_hummingbot_refusals_from_its_source(needle: str, code: int, product: str) -> None:
    hits = parse_line(line_of(HB, needle))
    assert [(h.code, h.product) for h in hits] == [(code, product)]


def test_one_retry_chain_counts_once_in_explain_and_in_the_watcher() -> None:
    # captured from a real freqtrade (capture.py, -4048): two entries, each 5 retry warnings then
    # "Unable to create trade ...: <the same message>"
    counts, _ = scan_file(str(FT / "margin_type_4048.log"))
    by_code = {c.code: c.count for c in counts}
    assert by_code[-4048] == 2
    lines = (FT / "margin_type_4048.log").read_text().splitlines()
    occ = occurrences_in(
        lines, "main", now=2e9, backlog=False, mtime=None, since=None, default="usdm"
    )
    assert [o.code for o in occ] == [-4048, -4048]


def test_a_chain_split_across_polls_still_counts_once() -> None:
    from healthcheck.logwatch.bots import RetryChain

    # the first entry: its signal line, 5 retry warnings and the "Unable to create trade" line
    lines = (FT / "margin_type_4048.log").read_text().splitlines()[:14]
    assert "Unable to create trade" in lines[-1]
    chain = RetryChain()
    first = occurrences_in(
        lines[:10], "main", now=2e9, backlog=False, mtime=None, since=None, chain=chain
    )
    rest = occurrences_in(
        lines[10:], "main", now=2e9, backlog=False, mtime=None, since=None, chain=chain
    )
    assert len(first) + len(rest) == 1


def test_explain_rows_say_what_the_bot_did_and_which_check_predicts_it() -> None:
    counts, _ = scan_file(str(FT / "watch-futures-stake-too-small.log"))
    (row,) = log_rows(counts)
    assert row["code"] == -4164 and row["bot"] == "freqtrade"
    assert row["predicted_by"] == "symbols"
    assert "ignored the trade on BTC/USDT:USDT" in row["bot_says"]
    assert "116.66666666666667" in row["bot_says"]  # freqtrade's own minimum, from its line


def test_explain_log_names_4061_and_4164_in_a_real_freqtrade_log(tmp_path: Path) -> None:
    # freqtrade's --logfile appends: the run that ignored every trade, then the restart that
    # found the account in Hedge Mode (both captured from real runs)
    log = tmp_path / "freqtrade.log"
    log.write_text(
        (FT / "watch-futures-stake-too-small.log").read_text()
        + (FT / "watch-futures-hedge-mode.log").read_text()
    )
    p = run_cli("explain", "--log", str(log))
    assert p.returncode == 0, p.stderr
    out = p.stdout
    assert "-4164   usdm" in out and "MIN_NOTIONAL (freqtrade's own refusal" in out
    assert "-4061   usdm" in out and "POSITION_SIDE_NOT_MATCH (freqtrade's own refusal" in out
    assert "the `position_mode` check" in out and "the `symbols` check" in out
    assert "freqtrade refused to start" in out
    assert "Traceback" not in p.stderr
