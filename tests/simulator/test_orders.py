"""Account presets show up in Binance's read endpoints and make orders fail with the right code."""

from __future__ import annotations

import time
from typing import Any

import pytest
from binance.client import Client
from binance.exceptions import BinanceAPIException

from healthcheck.simulator import SimAccount, Simulator

# 0.002 BTC at 60000 = 120 USDT: above BTCUSDT futures MIN_NOTIONAL 100.
FUT = {"symbol": "BTCUSDT", "side": "BUY", "type": "MARKET", "quantity": 0.002}
SPOT = {"symbol": "BTCUSDT", "side": "BUY", "type": "MARKET", "quantity": 0.001}


def _code(call: Any, **kw: Any) -> tuple[int, int, str]:
    with pytest.raises(BinanceAPIException) as e:
        call(**kw)
    return e.value.status_code, e.value.code, e.value.message


def test_healthy_account_passes_futures_and_spot_test_orders(client: Client) -> None:
    assert client.futures_create_test_order(**FUT)["positionSide"] == "BOTH"
    assert client.create_test_order(**SPOT) == {}


def test_hedge_mode_rejects_one_way_order_with_4061(sim: Simulator, client: Client) -> None:
    sim.set_fault("hedge_mode")
    assert client.futures_account_config()["dualSidePosition"] is True
    assert _code(client.futures_create_test_order, **FUT) == (
        400,
        -4061,
        "Order's position side does not match user's setting.",
    )
    assert client.futures_create_test_order(**FUT, positionSide="LONG")["positionSide"] == "LONG"


def test_one_way_mode_rejects_long_position_side(client: Client) -> None:
    assert _code(client.futures_create_order, **FUT, positionSide="LONG")[1] == -4061


def test_changing_position_mode_and_4059_when_unchanged(client: Client) -> None:
    assert client.futures_change_position_mode(dualSidePosition="true") == {
        "code": 200,
        "msg": "success",
    }
    assert client.futures_get_position_mode() == {"dualSidePosition": True}
    assert _code(client.futures_change_position_mode, dualSidePosition="true") == (
        400,
        -4059,
        "No need to change position side.",
    )


def test_reduce_only_account_allows_only_reduce_only_orders(sim: Simulator, client: Client) -> None:
    sim.set_fault("reduce_only")
    assert _code(client.futures_create_test_order, **FUT)[1] == -4189
    assert client.futures_create_test_order(**FUT, reduceOnly="true")["reduceOnly"] is True


def test_quant_locked_shows_in_trading_status_and_gives_4400(
    sim: Simulator, client: Client
) -> None:
    sim.set_fault("quant_locked")
    status = client.futures_api_trading_status(symbol="BTCUSDT")
    (ind,) = status["indicators"]["BTCUSDT"]
    assert ind["isLocked"] is True and ind["indicator"] == "UFR"
    assert ind["plannedRecoverTime"] > time.time() * 1000 + 3_600_000
    assert _code(client.futures_create_test_order, **FUT)[1] == -4400
    assert (
        client.futures_create_test_order(**{**FUT, "symbol": "ETHUSDT", "quantity": 0.01})["status"]
        == "NEW"
    )


def test_quant_near_is_visible_but_not_locked(sim: Simulator, client: Client) -> None:
    sim.set_fault("quant_near")
    (ind,) = client.futures_api_trading_status()["indicators"]["BTCUSDT"]
    assert ind["isLocked"] is False
    assert ind["value"] == pytest.approx(0.9 * ind["triggerValue"])
    assert client.futures_create_test_order(**FUT)["status"] == "NEW"


def test_cannot_trade_gives_4088_on_futures_and_2010_on_spot(
    sim: Simulator, client: Client
) -> None:
    sim.set_fault("cannot_trade")
    assert client.futures_account_config()["canTrade"] is False
    assert client.get_account()["canTrade"] is False
    assert _code(client.futures_create_test_order, **FUT)[1] == -4088
    assert _code(client.create_test_order, **SPOT) == (
        400,
        -2010,
        "This action is disabled on this account.",
    )


def test_low_futures_balance_gives_2019(sim: Simulator, client: Client) -> None:
    sim.set_fault("low_balance")
    assert client.futures_account(version=3)["availableBalance"] == "10.00000000"
    # 0.01 BTC at 60000 with leverage 20 needs 30 USDT of margin.
    assert _code(client.futures_create_test_order, **{**FUT, "quantity": 0.01}) == (
        400,
        -2019,
        "Margin is insufficient.",
    )


def test_notional_below_the_symbols_minimum_gives_4164_with_its_figure(client: Client) -> None:
    assert _code(client.futures_create_test_order, **{**FUT, "quantity": 0.001}) == (
        400,
        -4164,
        "Order's notional must be no smaller than 100 (unless you choose reduce only).",
    )
    eth = {**FUT, "symbol": "ETHUSDT", "quantity": 0.006}  # 18 USDT < 20
    assert "smaller than 20 " in _code(client.futures_create_test_order, **eth)[2]


def test_spot_order_beyond_free_balance_gives_2010(sim: Simulator, client: Client) -> None:
    sim.set_fault("spot_low_balance")
    balances = {b["asset"]: b["free"] for b in client.get_account()["balances"]}
    assert balances["USDT"] == "5.00000000"
    assert _code(client.create_order, **SPOT) == (
        400,
        -2010,
        "Account has insufficient balance for requested action.",
    )


def test_unknown_symbol_gives_1121(client: Client) -> None:
    assert _code(client.create_test_order, **{**SPOT, "symbol": "NOPEUSDT"}) == (
        400,
        -1121,
        "Invalid symbol.",
    )
    assert _code(client.futures_create_test_order, **{**FUT, "symbol": "NOPEUSDT"})[1] == -1121


def test_spot_order_counts_show_in_rate_limit_order(client: Client) -> None:
    client.create_order(**SPOT)
    client.create_order(**SPOT)
    counts = {r["interval"]: r["count"] for r in client.get_current_order_count()}
    assert counts == {"SECOND": 2, "DAY": 2}


def test_margin_presets_change_margin_ratio(sim: Simulator, client: Client) -> None:
    def ratio() -> float:
        a = client.futures_account(version=3)
        return float(a["totalMaintMargin"]) / float(a["totalMarginBalance"])

    assert ratio() == pytest.approx(0.01)
    sim.set_fault("margin_warning")
    assert ratio() == pytest.approx(0.6)
    sim.set_fault("margin_critical")
    assert ratio() == pytest.approx(0.85)


def test_futures_account_shapes_v2_and_v3(client: Client) -> None:
    v3 = client.futures_account(version=3)
    v2 = client.futures_account()
    for key in (
        "totalInitialMargin",
        "totalMaintMargin",
        "totalWalletBalance",
        "totalUnrealizedProfit",
        "totalMarginBalance",
        "totalPositionInitialMargin",
        "totalOpenOrderInitialMargin",
        "totalCrossWalletBalance",
        "totalCrossUnPnl",
        "availableBalance",
        "maxWithdrawAmount",
    ):
        assert isinstance(v3[key], str) and isinstance(v2[key], str)
    assert "canTrade" not in v3 and v2["canTrade"] is True
    assert v3["positions"][0]["symbol"] == "BTCUSDT"
    assert client.futures_account_balance()[0]["asset"] == "USDT"


def test_api_restrictions_and_account_status_presets(sim: Simulator, client: Client) -> None:
    sim.set_fault("withdrawals_enabled")
    sim.set_fault("no_ip_restriction")
    sim.set_fault("trading_authority_expiring")
    sim.set_fault("account_restricted")
    sim.set_fault("spot_locked")
    perms = client.get_account_api_permissions()
    assert perms["enableWithdrawals"] is True and perms["ipRestrict"] is False
    days = (perms["tradingAuthorityExpirationTime"] - time.time() * 1000) / 86_400_000
    assert 2.9 < days < 3.1
    assert client.get_account_status()["data"] != "Normal"
    assert client.get_account_api_trading_status()["data"]["isLocked"] is True


def test_multi_assets_preset(sim: Simulator, client: Client) -> None:
    sim.set_fault("multi_assets")
    assert client.futures_get_multi_assets_mode() == {"multiAssetsMargin": True}


def test_omit_zero_balances_drops_empty_assets(client: Client) -> None:
    assets = {b["asset"] for b in client.get_account(omitZeroBalances="true")["balances"]}
    assert assets == {"BTC", "USDT"}


def test_exchange_info_honours_symbol_and_symbols(client: Client) -> None:
    assert [s["symbol"] for s in client.get_exchange_info()["symbols"]] == ["BTCUSDT", "ETHUSDT"]
    info = client.get_symbol_info("ETHUSDT")
    assert {f["filterType"] for f in info["filters"]} >= {"PRICE_FILTER", "LOT_SIZE", "NOTIONAL"}
    fut = client.futures_exchange_info()["symbols"][0]
    filters = {f["filterType"]: f for f in fut["filters"]}
    assert filters["MIN_NOTIONAL"]["notional"] == "100"
    assert {"LOT_SIZE", "MARKET_LOT_SIZE", "PRICE_FILTER"} <= set(filters)


def test_knobs_are_live(account: SimAccount, client: Client) -> None:
    account.futures_assets["USDT"]["availableBalance"] = "1"
    assert client.futures_account_balance()[0]["availableBalance"] == "1.00000000"
