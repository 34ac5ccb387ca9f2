"""ccxt against the simulator's COIN-M (/dapi) and Portfolio Margin (/papi), unchanged but for
the base URL (issue 19): ``binancecoinm`` with default options, and ``binance`` with
``options.portfolioMargin = true`` on a Portfolio Margin account, whose classic /fapi calls are
refused with -2015 as users report."""

from __future__ import annotations

from typing import Any

import ccxt
import pytest

from healthcheck.simulator import SimAccount, Simulator

from .test_clients import _no_client_errors, _point


@pytest.fixture
def coinm_ccxt(sim: Simulator, account: SimAccount) -> Any:
    return _point(
        ccxt.binancecoinm(
            {"apiKey": account.api_key, "secret": account.api_secret, "timeout": 1500}
        ),
        sim,
    )


@pytest.fixture
def pm_ccxt(sim: Simulator, account: SimAccount) -> Any:
    sim.set_fault("portfolio_margin", account=account.name)
    return _point(
        ccxt.binance(
            {
                "apiKey": account.api_key,
                "secret": account.api_secret,
                "timeout": 1500,
                "options": {"portfolioMargin": True},
            }
        ),
        sim,
    )


def test_ccxt_binancecoinm_default_start_balance_orders_positions(
    sim: Simulator, coinm_ccxt: Any
) -> None:
    markets = coinm_ccxt.load_markets()
    assert {"BTC/USD:BTC", "ETH/USD:ETH", "BTC/USD:BTC-261226"} <= set(markets)
    btc = markets["BTC/USD:BTC"]
    assert btc["contractSize"] == 100 and btc["inverse"] and btc["limits"]["amount"]["min"] == 1
    assert coinm_ccxt.fetch_balance()["BTC"]["free"] == 0.45
    rest = coinm_ccxt.create_order("BTC/USD:BTC", "limit", "buy", 3, 50000)
    assert rest["status"] == "open" and rest["amount"] == 3
    assert [o["id"] for o in coinm_ccxt.fetch_open_orders("BTC/USD:BTC")] == [rest["id"]]
    assert coinm_ccxt.cancel_order(rest["id"], "BTC/USD:BTC")["status"] == "canceled"
    filled = coinm_ccxt.create_order("BTC/USD:BTC", "market", "buy", 2)
    assert filled["status"] == "closed"
    positions = {p["symbol"]: p["contracts"] for p in coinm_ccxt.fetch_positions()}
    assert positions["BTC/USD:BTC"] == 2
    assert _no_client_errors(sim) == []


def test_ccxt_binancecoinm_order_below_one_contract_is_4004(coinm_ccxt: Any) -> None:
    coinm_ccxt.load_markets()
    # ccxt refuses less than one contract itself; a bot that sends it gets -4004
    with pytest.raises(ccxt.ExchangeError, match="-4004"):
        coinm_ccxt.dapiPrivatePostOrder(
            {"symbol": "BTCUSD_PERP", "side": "BUY", "type": "MARKET", "quantity": "0"}
        )


def test_ccxt_binancecoinm_hedge_mode_is_4061(
    sim: Simulator, coinm_ccxt: Any, account: SimAccount
) -> None:
    coinm_ccxt.load_markets()
    sim.set_fault("coinm_hedge_mode", account=account.name)
    with pytest.raises(ccxt.ExchangeError, match="-4061"):
        coinm_ccxt.create_order("BTC/USD:BTC", "market", "buy", 1)


def test_ccxt_binance_portfolio_margin_through_papi(sim: Simulator, pm_ccxt: Any) -> None:
    pm_ccxt.load_markets()
    assert pm_ccxt.fetch_balance({"type": "future"})["USDT"]["free"] == 5000
    order = pm_ccxt.create_order("BTC/USDT:USDT", "limit", "buy", 0.002, 59000)
    assert order["status"] == "open"
    assert [o["id"] for o in pm_ccxt.fetch_open_orders("BTC/USDT:USDT")] == [order["id"]]
    assert pm_ccxt.cancel_order(order["id"], "BTC/USDT:USDT")["status"] == "canceled"
    assert pm_ccxt.fetch_positions(["BTC/USDT:USDT"])[0]["contracts"] > 0
    assert pm_ccxt.fetch_leverage_tiers(["BTC/USDT:USDT"])["BTC/USDT:USDT"]
    assert {r.path for r in sim.requests if r.signed and r.path.startswith("/fapi/")} == set()
    assert _no_client_errors(sim) == []


def test_a_pm_accounts_classic_futures_calls_are_refused_2015(
    sim: Simulator, account: SimAccount
) -> None:
    sim.set_fault("portfolio_margin", account=account.name)
    for cls in (ccxt.binanceusdm, ccxt.binancecoinm):
        ex = _point(
            cls({"apiKey": account.api_key, "secret": account.api_secret, "timeout": 1500}), sim
        )
        with pytest.raises(ccxt.AuthenticationError, match="-2015"):
            ex.fetch_balance()


def test_a_classic_accounts_papi_calls_are_refused_2015(
    sim: Simulator, account: SimAccount
) -> None:
    ex = _point(
        ccxt.binance(
            {
                "apiKey": account.api_key,
                "secret": account.api_secret,
                "timeout": 1500,
                "options": {"portfolioMargin": True},
            }
        ),
        sim,
    )
    with pytest.raises(ccxt.AuthenticationError, match="-2015"):
        ex.papiGetAccount()
