"""The order-side checks end to end: the real python-binance client against the simulator over
HTTP, a real config file and SQLite state, the simulator set up with Binance's real per-symbol
filters (BTCUSDT futures minimum notional 100, ETHUSDT 20) and a condition switched on."""

from __future__ import annotations

import json
import time

import pytest
from support.runs import result, run_once

from healthcheck.model.result import Status


@pytest.fixture
def account(sim):
    return sim.add_account("main")


@pytest.fixture
def config_for(make_config, account):
    def make(**extra):
        acc = {
            "name": "main",
            "api_key": account.api_key,
            "api_secret": account.api_secret,
            "symbols": ["BTCUSDT", "ETHUSDT"],
            "order_size": 300,
        }
        acc.update(extra)
        return make_config([acc])

    return make


ORDER_CHECKS = {"symbols", "open_orders", "leverage"}


def test_healthy_account_with_symbols_is_ok(config_for, sim):
    sim.set_price("usdm", "BTCUSDT", 60000)
    report = run_once(config_for(), ORDER_CHECKS)
    assert {(r.check, r.status) for r in report.results} == {
        (c, Status.OK) for c in ORDER_CHECKS
    }, [r.summary for r in report.results]


@pytest.mark.parametrize(
    "market, status, code", [("usdm", "SETTLING", -4141), ("spot", "BREAK", -1013)]
)
def test_closed_symbol_is_critical_with_the_code_an_order_gets(
    config_for, sim, market, status, code
):
    sim.set_symbol_status(market, "ETHUSDT", status)
    r = result(run_once(config_for(), {"symbols"}), "symbols")
    assert r.status is Status.CRITICAL and code in r.codes
    assert "ETHUSDT" in r.summary and status in r.summary


def test_announced_futures_delisting_warns_with_date(config_for, sim):
    sim.set_delivery_date("ETHUSDT", int((time.time() + 5 * 86400) * 1000))
    r = result(run_once(config_for(), {"symbols"}), "symbols")
    assert r.status is Status.WARNING and r.risk_codes == [-4141]
    assert "delisted on" in r.summary


def test_spot_delisting_in_the_last_day_is_critical(config_for, sim):
    sim.set_spot_delist(["ETHUSDT"], int((time.time() + 3600) * 1000))
    r = result(run_once(config_for(markets=["spot"]), {"symbols"}), "symbols")
    assert r.status is Status.CRITICAL and "delisted on" in r.summary


def test_order_under_btcusdt_min_notional_is_critical_4164(config_for, sim):
    sim.set_price("usdm", "BTCUSDT", 60000)
    r = result(
        run_once(config_for(markets=["usdm"], symbols=["BTCUSDT"], order_size=90), {"symbols"}),
        "symbols",
    )
    assert r.status is Status.CRITICAL and r.codes == [-4164]
    assert "below the minimum 100" in r.summary


def test_order_that_breaks_after_a_price_move_warns_naming_the_price(config_for, sim):
    sim.set_price("usdm", "BTCUSDT", 60000)
    # 130 USDT = 0.002 BTC (120): above 65000 it rounds to 0.001 (65) < 100
    r = result(
        run_once(config_for(markets=["usdm"], symbols=["BTCUSDT"], order_size=130), {"symbols"}),
        "symbols",
    )
    assert r.status is Status.WARNING and r.risk_codes == [-4164]
    assert "rises to 65000" in r.summary


def test_spot_order_under_notional_is_critical_1013(config_for, sim):
    r = result(
        run_once(config_for(markets=["spot"], symbols=["ETHUSDT"], order_size=0.5), {"symbols"}),
        "symbols",
    )
    assert r.status is Status.CRITICAL and r.codes == [-1013]


def test_the_checks_verdict_agrees_with_the_simulators_order_validation(config_for, sim, account):
    """What the check predicts is what a real order gets: send the order the bot would."""
    from binance.client import Client
    from binance.exceptions import BinanceAPIException

    sim.set_price("usdm", "BTCUSDT", 60000)
    r = result(
        run_once(config_for(markets=["usdm"], symbols=["BTCUSDT"], order_size=90), {"symbols"}),
        "symbols",
    )
    qty = r.details["symbols"][0]["quantity"]
    client = Client(account.api_key, account.api_secret, ping=False)
    client.FUTURES_URL = sim.url + "/fapi"
    with pytest.raises(BinanceAPIException) as exc:
        client.futures_create_order(symbol="BTCUSDT", side="BUY", type="MARKET", quantity=qty)
    assert exc.value.code == r.codes[0] == -4164
    client.close_connection()


def test_open_orders_near_the_futures_limit_warn_and_at_it_are_critical(config_for, sim, account):
    sim.set_filter("usdm", "BTCUSDT", "MAX_NUM_ORDERS", limit=10)
    sim.set_price("usdm", "BTCUSDT", 60000)
    for i in range(8):
        account.add_open_order(
            "usdm", "BTCUSDT", side="BUY", type="LIMIT", price=str(50000 + i), quantity="0.002"
        )
    cfg = config_for(markets=["usdm"], symbols=["BTCUSDT"])
    r = result(run_once(cfg, {"open_orders"}), "open_orders")
    assert r.status is Status.WARNING and r.risk_codes == [-2025]
    for i in range(2):
        account.add_open_order(
            "usdm", "BTCUSDT", side="BUY", type="LIMIT", price=str(40000 + i), quantity="0.002"
        )
    r = result(run_once(cfg, {"open_orders"}), "open_orders")
    assert r.status is Status.CRITICAL and r.codes == [-2025]


def test_stop_orders_at_the_algo_limit_are_critical_4045(config_for, sim, account):
    sim.set_filter("usdm", "BTCUSDT", "MAX_NUM_ALGO_ORDERS", limit=3)
    sim.set_price("usdm", "BTCUSDT", 60000)
    for i in range(3):
        account.add_open_order(
            "usdm",
            "BTCUSDT",
            side="SELL",
            type="STOP_MARKET",
            price=str(50000 - i),
            quantity="0.002",
        )
    r = result(
        run_once(config_for(markets=["usdm"], symbols=["BTCUSDT"]), {"open_orders"}), "open_orders"
    )
    assert r.status is Status.CRITICAL and -4045 in r.codes


def test_spot_unfilled_order_count_at_the_limit_is_critical_1015(config_for, sim, account):
    account.set_unfilled_order_count("DAY", 200000)
    r = result(
        run_once(config_for(markets=["spot"], symbols=["ETHUSDT"]), {"open_orders"}), "open_orders"
    )
    assert r.status is Status.CRITICAL and r.codes == [-1015]


def test_position_over_the_leverage_cap_is_critical_2027(config_for, sim, account):
    sim.set_price("usdm", "BTCUSDT", 60000)
    account.set_leverage("BTCUSDT", 125)
    cap = float(_max_notional(sim, account, "BTCUSDT"))
    account.set_position("BTCUSDT", round(cap * 0.95 / 60000, 3), entry_price=60000)
    r = result(
        run_once(
            config_for(markets=["usdm"], symbols=["BTCUSDT"], order_size=cap * 0.2), {"leverage"}
        ),
        "leverage",
    )
    assert r.status is Status.CRITICAL and r.codes == [-2027]
    assert "125x" in r.summary


def test_position_near_the_leverage_cap_warns(config_for, sim, account):
    sim.set_price("usdm", "BTCUSDT", 60000)
    account.set_leverage("BTCUSDT", 125)
    cap = float(_max_notional(sim, account, "BTCUSDT"))
    account.set_position("BTCUSDT", round(cap * 0.85 / 60000, 3), entry_price=60000)
    r = result(
        run_once(config_for(markets=["usdm"], symbols=["BTCUSDT"], order_size=1), {"leverage"}),
        "leverage",
    )
    assert r.status is Status.WARNING and r.risk_codes == [-2027]


def _max_notional(sim, account, symbol):
    from binance.client import Client

    client = Client(account.api_key, account.api_secret, ping=False)
    client.FUTURES_URL = sim.url + "/fapi"
    try:
        rows = client.futures_symbol_config(symbol=symbol)
    finally:
        client.close_connection()
    row = rows[0] if isinstance(rows, list) else rows
    return row["maxNotionalValue"]


def test_multi_assets_margin_mismatch_is_critical(config_for, account):
    account.multi_assets_margin = True
    r = result(
        run_once(config_for(markets=["usdm"], multi_assets_margin=False), {"position_mode"}),
        "position_mode",
    )
    assert r.status is Status.CRITICAL and "multi-assets margin is on" in r.summary


def test_check_text_and_json_show_the_new_codes(config_for, sim, cli):
    sim.set_symbol_status("usdm", "ETHUSDT", "CLOSE")
    cfg = config_for(markets=["usdm"])
    p = cli("check", "--config", str(cfg), "--only", "symbols")
    assert p.returncode == 2 and "-4141" in p.stdout and "symbols" in p.stdout
    p = cli("check", "--config", str(cfg), "--only", "symbols", "--json")
    doc = json.loads(p.stdout)
    (r,) = doc["results"]
    assert r["codes"] == [-4141] and r["risk_codes"] == [] and r["status"] == "CRITICAL"


def test_plan_command_prices_the_config_without_secrets(config_for, cli):
    cfg = config_for()
    p = cli("plan", "--config", str(cfg), "--json")
    assert p.returncode == 0, p.stderr
    doc = json.loads(p.stdout)
    paths = {r["request"].split()[1] for r in doc["requests"]}
    assert {"/fapi/v1/openOrders", "/fapi/v3/positionRisk", "/api/v3/ticker/price"} <= paths
    assert set(doc["weight_per_minute"]) == {"api", "sapi", "fapi"}
    text = cli("plan", "--config", str(cfg)).stdout
    assert "weight/min" in text and "% of the 2400 limit" in text
