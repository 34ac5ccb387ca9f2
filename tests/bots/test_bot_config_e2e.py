"""An account that reads its bot's config, end to end: the console script as a subprocess, a real
config file next to a real freqtrade/hummingbot file, the real python-binance client against the
simulator (BTCUSDT futures: minimum notional 100, step 0.001, price 60000)."""

from __future__ import annotations

import json
import shutil
from decimal import Decimal
from pathlib import Path

import pytest
from support.runs import result, run_once

from healthcheck.config import load_config
from healthcheck.engine.plan import build_plan
from healthcheck.model.result import Status

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "bots"


def freqtrade(tmp_path: Path, **over) -> Path:
    cfg = {
        "max_open_trades": 3,
        "stake_currency": "USDT",
        "stake_amount": 60,
        "trading_mode": "futures",
        "margin_mode": "isolated",
        "exchange": {
            "name": "binance",
            "key": "bot-key-never-read",
            "secret": "bot-secret-never-read",
            "pair_whitelist": ["BTC/USDT:USDT"],
        },
        "pairlists": [{"method": "StaticPairList"}],
    }
    cfg.update(over)
    p = tmp_path / "freqtrade.json"
    p.write_text("// freqtrade's own config\n" + json.dumps(cfg, indent=2))
    return p


@pytest.fixture
def account(sim):
    return sim.add_account("main")


@pytest.fixture
def config_for(make_config, account):
    def make(bot_config: Path, bot: str = "freqtrade", **extra):
        acc = {
            "name": "main",
            "api_key": account.api_key,
            "api_secret": account.api_secret,
            "markets": None,
            "bot": bot,
            "bot_config": str(bot_config),
        }
        acc.update(extra)
        return make_config([acc])

    return make


def check_json(cli, config: Path, *only: str) -> tuple[int, dict]:
    p = cli("check", "--config", str(config), "--json", "--only", ",".join(only))
    assert "Traceback" not in p.stderr, p.stderr
    return p.returncode, json.loads(p.stdout)


def symbols_result(doc: dict) -> dict:
    return next(r for r in doc["results"] if r["check"] == "symbols")


def test_check_with_bot_config_and_no_symbols_is_critical_4164_below_btc_futures_minimum(
    cli, config_for, tmp_path, sim
):
    """The issue's Done-when: a stake of 60 on BTCUSDT futures (minimum notional 100)."""
    sim.set_price("usdm", "BTCUSDT", 60000)
    code, doc = check_json(cli, config_for(freqtrade(tmp_path)), "symbols")
    r = symbols_result(doc)
    assert code == 2 and r["status"] == "CRITICAL", r
    assert -4164 in r["codes"] and "BTCUSDT" in r["summary"]
    assert "freqtrade ignores every trade" in r["summary"]


def test_stake_passing_binances_minimum_but_not_freqtrades_is_critical(
    cli, config_for, tmp_path, sim
):
    """110 > Binance's 100, yet 110 x 1.3 < 150 (freqtrade's reserve without a stoploss)."""
    sim.set_price("usdm", "BTCUSDT", 60000)
    _, doc = check_json(cli, config_for(freqtrade(tmp_path, stake_amount=110)), "symbols")
    r = symbols_result(doc)
    assert r["status"] == "CRITICAL" and -4164 in r["codes"]
    assert "150.00" in r["summary"] and "1.5 reserve cap is assumed" in r["summary"]
    assert "stake_amount to at least 150.00" in r["details"]["fix"]


def test_strategy_stoploss_read_from_its_source_makes_110_a_raised_stake_not_ignored(
    cli, config_for, tmp_path, sim
):
    """The strategy named in the config holds stoploss = -0.10: freqtrade's minimum is
    100 x 1.05 / 0.9 = 116.67, and 110 x 1.3 passes it: freqtrade raises the stake to 116.67 and
    trades (measured with freqtrade 2026.9). No CRITICAL "ignored"; the source is named. At
    50000 the raised stake buys 0.002 BTC = 100 notional (at 60000 it would round down to 0.001
    = 60 and fail with -4164, as a real freqtrade's order would)."""
    sim.set_price("usdm", "BTCUSDT", 50000)
    strategies = tmp_path / "strategies"
    strategies.mkdir()
    (strategies / "my_strategy.py").write_text(
        "from freqtrade.strategy import IStrategy\n\n"
        "class Other(IStrategy):\n    stoploss = -0.99\n\n"
        "class MyStrategy(IStrategy):\n    timeframe = '5m'\n    stoploss = -0.10\n"
        "    def populate_indicators(self, df, md):\n        raise SystemExit('never run')\n"
    )
    config = config_for(freqtrade(tmp_path, stake_amount=110, strategy="MyStrategy"))
    _, doc = check_json(cli, config, "symbols")
    r = symbols_result(doc)
    assert "freqtrade ignores" not in r["summary"], r
    # not CRITICAL; the raised stake sits near the minimum, so a 10 % fall is the warning
    assert r["status"] == "WARNING" and "116.66666667" in r["summary"], r
    assert "price falls to 45000" in r["summary"], r
    p = cli("config", "show", "--config", str(config))
    assert "my_strategy.py: MyStrategy.stoploss" in p.stdout, p.stdout


def test_strategy_stoploss_not_a_literal_falls_back_to_the_cap(cli, config_for, tmp_path, sim):
    sim.set_price("usdm", "BTCUSDT", 60000)
    (tmp_path / "strategies").mkdir()
    (tmp_path / "strategies" / "s.py").write_text("class MyStrategy:\n    stoploss = compute()\n")
    config = config_for(freqtrade(tmp_path, stake_amount=110, strategy="MyStrategy"))
    _, doc = check_json(cli, config, "symbols")
    r = symbols_result(doc)
    assert r["status"] == "CRITICAL" and "1.5 reserve cap is assumed" in r["summary"], r


def test_stake_freqtrade_raises_to_its_minimum_is_judged_at_that_minimum(config_for, tmp_path, sim):
    """stoploss -0.01: minimum 106.06; 100 x 1.3 passes, freqtrade sends 106.06 -> 0.001 BTC at
    60000 = 60 notional: Binance refuses with -4164 (rounded down), not freqtrade."""
    sim.set_price("usdm", "BTCUSDT", 60000)
    r = result(
        run_once(config_for(freqtrade(tmp_path, stake_amount=100, stoploss=-0.01)), {"symbols"}),
        "symbols",
    )
    assert r.status is Status.CRITICAL and r.codes == [-4164]
    assert "freqtrade ignores" not in r.summary and "106.06" in str(r.details)


def test_stake_above_freqtrades_minimum_is_ok(config_for, tmp_path, sim):
    sim.set_price("usdm", "BTCUSDT", 60000)
    r = result(run_once(config_for(freqtrade(tmp_path, stake_amount=400)), {"symbols"}), "symbols")
    assert r.status is Status.OK, r.summary


@pytest.mark.parametrize("available, status", [("5000", Status.OK), ("300", Status.CRITICAL)])
def test_unlimited_stake_is_computed_from_the_balance_read_this_run(
    config_for, tmp_path, sim, account, available, status
):
    """5000 x 0.99 / 3 = 1650: fine; 300 x 0.99 / 3 = 99: freqtrade ignores its trades."""
    sim.set_price("usdm", "BTCUSDT", 60000)
    account.futures_assets["USDT"]["availableBalance"] = available
    config = config_for(freqtrade(tmp_path, stake_amount="unlimited"))
    report = run_once(config, {"symbols", "balance"})
    r = result(report, "symbols")
    assert r.status is status, r.summary
    row = r.details["symbols"][0]
    assert row["stake_unlimited"] == f"free USDT {available} x 0.99 / 3"
    # the balance check's answer: no second /fapi/v3/account (weight 5) for the stake
    plan = build_plan(load_config(config), {"symbols", "balance"})
    account_reads = [p for p in plan.requests if p.request.endpoint == "fapi.account"]
    assert len(account_reads) == 1 and account_reads[0].checks == {"balance", "symbols"}


def test_our_keys_win_over_the_bots(cli, config_for, tmp_path, sim):
    sim.set_price("usdm", "BTCUSDT", 60000)
    sim.set_price("usdm", "ETHUSDT", 3000)
    config = config_for(freqtrade(tmp_path, stake_amount=60), symbols=["ETHUSDT"], order_size=500)
    p = cli("config", "show", "--config", str(config))
    bot = json.loads(p.stdout)["accounts"][0]["bot"]
    assert sorted(bot["ours_win"]) == ["order_size", "symbols"]
    assert set(bot["derived"]) == {"markets", "position_mode", "multi_assets_margin"}
    _, doc = check_json(cli, config, "symbols")
    r = symbols_result(doc)
    assert [row["symbol"] for row in r["details"]["symbols"]] == ["ETHUSDT"]
    # 500 on ETHUSDT (minimum 20): ours, not the bot's 60, and above freqtrade's minimum
    assert r["status"] == "OK", r["summary"]


def test_config_show_says_what_was_derived_from_which_file_and_key(cli, config_for, tmp_path):
    bot_file = freqtrade(tmp_path)
    p = cli("config", "show", "--config", str(config_for(bot_file)))
    assert p.returncode == 0, p.stderr
    acc = json.loads(p.stdout)["accounts"][0]
    bot = acc["bot"]
    assert acc["markets"] == ["usdm"] and acc["symbols"] == {"usdm": ["BTCUSDT"]}
    assert bot["derived"]["symbols"] == {
        "value": {"usdm": ["BTCUSDT"]},
        "from": f"{bot_file}: exchange.pair_whitelist",
    }
    assert bot["derived"]["order_size"]["from"] == f"{bot_file}: stake_amount (USDT)"
    assert bot["derived"]["markets"]["from"] == f"{bot_file}: trading_mode"
    assert "never read" in bot["credentials"]
    assert "never-read" not in p.stdout  # the bot's exchange key and secret


def test_dynamic_pairlist_is_one_warning_saying_how_to_set_symbols(cli, config_for, tmp_path):
    bot_file = freqtrade(tmp_path, pairlists=[{"method": "VolumePairList"}])
    code, doc = check_json(cli, config_for(bot_file), "symbols")
    r = symbols_result(doc)
    assert code == 1 and r["status"] == "WARNING", r
    assert "VolumePairList" in r["summary"] and 'symbols = ["BTCUSDT"]' in r["summary"]


@pytest.mark.parametrize(
    "make, words",
    [
        (lambda p: None, "does not exist"),
        (lambda p: p.mkdir(), "is a directory"),
        (lambda p: p.write_text("{ not json"), "invalid JSON at line 1"),
        (lambda p: p.write_bytes(b"\xff\xfe" * 100), "not UTF-8"),
    ],
)
def test_unreadable_bot_config_at_start_is_one_line_exit_3(cli, config_for, tmp_path, make, words):
    bad = tmp_path / "bad.json"
    make(bad)
    p = cli("check", "--config", str(config_for(bad)))
    assert p.returncode == 3
    lines = [x for x in p.stderr.splitlines() if x.strip()]
    assert len(lines) == 1 and "accounts[0].bot_config" in lines[0] and words in lines[0], p.stderr
    assert "Traceback" not in p.stderr


def test_bot_without_bot_config_is_a_config_error(cli, config_for, tmp_path):
    config = config_for(freqtrade(tmp_path))
    config.write_text(config.read_text().replace("bot_config = ", "# bot_config = "))
    p = cli("config", "validate", "--config", str(config))
    assert p.returncode == 3 and "accounts[0].bot_config: missing" in p.stderr


@pytest.mark.parametrize(
    "fixture, market, symbol",
    [
        ("hummingbot_pure_market_making.yml", "spot", "BTCUSDT"),
        ("hummingbot_v2_pmm_simple.yml", "usdm", "BTCUSDT"),
    ],
)
def test_hummingbot_files_from_its_templates_drive_the_checks(
    config_for, tmp_path, sim, fixture, market, symbol
):
    sim.set_price(market, symbol, 60000)
    path = tmp_path / fixture
    shutil.copy(FIXTURES / fixture, path)
    r = result(run_once(config_for(path, bot="hummingbot"), {"symbols"}), "symbols")
    row = r.details["symbols"][0]
    assert (row["market"], row["symbol"]) == (market, symbol)
    # V1: 0.002 BTC x 60000 = 120 (spot minimum 5): OK; V2: 300 / 4 levels = 75 < 100: -4164
    if market == "spot":
        assert r.status is Status.OK and row["order_amount_base"] == "0.002", r.summary
        assert Decimal(row["order_size"]) == 120
    else:
        assert r.status is Status.CRITICAL and r.codes == [-4164], r.summary
