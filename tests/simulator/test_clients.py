"""Real client libraries against the simulator, unchanged but for the base URL (issue 13):
ccxt ``binance``/``binanceusdm`` with default options, python-binance, binance-connector ``Spot``
and binance-futures-connector ``UMFutures`` (each connector in its own venv, as they overwrite
each other's files). Start-up, balances, positions, brackets, fees, market data, orders that rest
and fill, open orders, test orders, and for each fault the exception class and code each client
raises."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import ccxt
import pytest
from binance.client import Client
from binance.exceptions import BinanceAPIException

from healthcheck.simulator import SimAccount, Simulator

from .conftest import make_client

SCRIPT = Path(__file__).with_name("clients") / "connector_script.py"
VENVS = Path(os.environ.get("HEALTHCHECK_CLIENT_VENVS", "/work/venvs"))


def _point(ex: Any, sim: Simulator) -> Any:
    """Only the base URL changes: every binance.com host becomes the simulator."""
    ex.urls["api"] = {
        k: re.sub(r"https://[a-z]+\.binance\.com", sim.url, v) for k, v in ex.urls["api"].items()
    }
    return ex


@pytest.fixture
def spot_ccxt(sim: Simulator, account: SimAccount) -> Any:
    return _point(
        ccxt.binance({"apiKey": account.api_key, "secret": account.api_secret, "timeout": 1500}),
        sim,
    )


@pytest.fixture
def usdm_ccxt(sim: Simulator, account: SimAccount) -> Any:
    return _point(
        ccxt.binanceusdm(
            {"apiKey": account.api_key, "secret": account.api_secret, "timeout": 1500}
        ),
        sim,
    )


def _no_client_errors(sim: Simulator) -> list[tuple[str, str, int]]:
    return [(r.method, r.path, r.status) for r in sim.requests if r.status >= 400]


def test_ccxt_binance_default_start_and_a_spot_bots_rest_life(
    sim: Simulator, spot_ccxt: Any
) -> None:
    markets = spot_ccxt.load_markets()  # spot, linear and inverse, currencies, margin pairs
    assert {"BTC/USDT", "ETH/USDT", "BTC/USDT:USDT"} <= set(markets)
    assert spot_ccxt.fetch_balance()["USDT"]["free"] == 1000
    assert spot_ccxt.fetch_ticker("BTC/USDT")["last"] == 60000
    assert spot_ccxt.fetch_order_book("BTC/USDT", 5)["bids"][0][0] < 60000
    assert len(spot_ccxt.fetch_ohlcv("BTC/USDT", "1m", limit=3)) == 3
    assert spot_ccxt.fetch_trading_fee("BTC/USDT")["taker"] == 0.001
    order = spot_ccxt.create_order("BTC/USDT", "limit", "buy", 0.001, 59000)
    assert order["status"] == "open"
    assert [o["id"] for o in spot_ccxt.fetch_open_orders("BTC/USDT")] == [order["id"]]
    sim.set_price("spot", "BTCUSDT", 58900)
    assert spot_ccxt.fetch_order(order["id"], "BTC/USDT")["status"] == "closed"
    assert spot_ccxt.create_order("BTC/USDT", "market", "sell", 0.001)["status"] == "closed"
    assert len(spot_ccxt.fetch_my_trades("BTC/USDT")) == 2
    rest = spot_ccxt.create_order("ETH/USDT", "limit", "buy", 0.01, 2000)
    assert spot_ccxt.cancel_order(rest["id"], "ETH/USDT")["status"] == "canceled"
    spot_ccxt.create_order("BTC/USDT", "market", "buy", 0.001, params={"test": True})
    assert _no_client_errors(sim) == []


def test_ccxt_binanceusdm_positions_brackets_fees_leverage_and_orders(
    sim: Simulator, usdm_ccxt: Any
) -> None:
    assert set(usdm_ccxt.load_markets()) == {"BTC/USDT:USDT", "ETH/USDT:USDT"}
    assert usdm_ccxt.fetch_balance()["USDT"]["total"] == 5000
    (pos,) = usdm_ccxt.fetch_positions(["BTC/USDT:USDT"])
    assert pos["contracts"] == 0.208 and pos["side"] == "long"
    tiers = usdm_ccxt.fetch_leverage_tiers(["BTC/USDT:USDT"])["BTC/USDT:USDT"]
    assert tiers[0]["maxLeverage"] == 125 and tiers[0]["maxNotional"] == 50000
    assert usdm_ccxt.fetch_trading_fee("BTC/USDT:USDT")["maker"] == 0.0002
    assert usdm_ccxt.fetch_mark_price("BTC/USDT:USDT")["markPrice"] == 60000
    assert usdm_ccxt.set_leverage(10, "BTC/USDT:USDT")["maxNotionalValue"] == "230000000"
    assert usdm_ccxt.fetch_leverage("BTC/USDT:USDT")["longLeverage"] == 10
    order = usdm_ccxt.create_order("ETH/USDT:USDT", "limit", "buy", 0.01, 2900)
    assert usdm_ccxt.fetch_open_orders("ETH/USDT:USDT")[0]["id"] == order["id"]
    sim.set_price("usdm", "ETHUSDT", 2890)
    assert usdm_ccxt.fetch_order(order["id"], "ETH/USDT:USDT")["status"] == "closed"
    stop = usdm_ccxt.create_order(
        "ETH/USDT:USDT", "market", "sell", 0.01, params={"stopPrice": 2500, "reduceOnly": True}
    )
    assert stop["info"]["algoStatus"] == "NEW"
    usdm_ccxt.fapiPrivatePostOrderTest(
        {"symbol": "BTCUSDT", "side": "BUY", "type": "MARKET", "quantity": "0.002"}
    )
    assert _no_client_errors(sim) == []


# fault, its parameters, ccxt class, Binance code in the message (None: no JSON body)
CCXT_FAULTS: list[tuple[str, dict[str, Any], str, int | None]] = [
    ("http_500", {}, "OperationFailed", -1000),
    ("http_502", {}, "ExchangeNotAvailable", None),
    ("http_503", {}, "ExchangeError", -1008),
    ("http_504", {}, "RequestTimeout", None),
    ("waf_403", {}, "ExchangeNotAvailable", None),
    ("timeout", {"seconds": 3}, "RequestTimeout", None),
    ("close", {}, "NetworkError", None),
    ("reset", {}, "NetworkError", None),
    ("rate_limited", {}, "DDoSProtection", -1003),
    ("banned", {}, "DDoSProtection", -1003),
    ("clock_ahead", {}, "InvalidNonce", -1021),
    ("bad_signature", {}, "AuthenticationError", -1022),
    ("unknown_key", {}, "AuthenticationError", -2015),
    ("no_futures_permission", {}, "AuthenticationError", -2015),
    ("hedge_mode", {}, "OperationRejected", -4061),
    ("reduce_only", {}, "ExchangeError", -4189),
    ("quant_locked", {}, "ExchangeError", -4400),
    ("cannot_trade", {}, "ExchangeError", -4088),
    ("symbol_closed", {}, "ExchangeError", -4141),
    ("over_leverage", {}, "ExchangeError", -2027),
]


@pytest.mark.parametrize(
    ("fault", "params", "cls", "code"), CCXT_FAULTS, ids=[f[0] for f in CCXT_FAULTS]
)
def test_ccxt_raises_its_class_with_binances_code_for_each_fault(
    sim: Simulator,
    usdm_ccxt: Any,
    fault: str,
    params: dict[str, Any],
    cls: str,
    code: int | None,
) -> None:
    usdm_ccxt.load_markets()
    sim.set_fault(fault, **params)
    with pytest.raises(getattr(ccxt, cls)) as e:
        usdm_ccxt.create_order("BTC/USDT:USDT", "market", "buy", 0.002)
    assert type(e.value).__name__ == cls
    found = re.search(r'"code":\s*(-?\d+)', str(e.value))
    assert (int(found.group(1)) if found else None) == code


def test_ccxt_spot_market_closed_and_filter_failures(sim: Simulator, spot_ccxt: Any) -> None:
    spot_ccxt.load_markets()
    with pytest.raises(ccxt.InvalidOrder, match="lot size"):
        spot_ccxt.create_order("BTC/USDT", "limit", "buy", 10000, 59000)  # over maxQty
    sim.set_fault("symbol_closed")
    with pytest.raises(ccxt.MarketClosed, match="Market is closed"):
        spot_ccxt.create_order("BTC/USDT", "market", "buy", 0.001)


# python-binance: (fault, params, HTTP status, code) for a futures order
PB_FAULTS: list[tuple[str, dict[str, Any], int, int]] = [
    ("http_500", {}, 500, -1000),
    ("http_502", {}, 502, 0),
    ("waf_403", {}, 403, 0),
    ("rate_limited", {}, 429, -1003),
    ("banned", {}, 418, -1003),
    ("clock_ahead", {}, 400, -1021),
    ("bad_signature", {}, 400, -1022),
    ("unknown_key", {}, 401, -2015),
    ("hedge_mode", {}, 400, -4061),
    ("reduce_only", {}, 400, -4189),
    ("symbol_closed", {}, 400, -4141),
    ("over_leverage", {}, 400, -2027),
]


@pytest.mark.parametrize(
    ("fault", "params", "status", "code"), PB_FAULTS, ids=[f[0] for f in PB_FAULTS]
)
def test_python_binance_raises_api_exception_with_status_and_code(
    sim: Simulator, client: Client, fault: str, params: dict[str, Any], status: int, code: int
) -> None:
    sim.set_fault(fault, **params)
    with pytest.raises(BinanceAPIException) as e:
        client.futures_create_order(symbol="BTCUSDT", side="BUY", type="MARKET", quantity="0.002")
    assert (e.value.status_code, e.value.code) == (status, code)


def test_python_binance_start_up_and_order_life(sim: Simulator, account: SimAccount) -> None:
    c = make_client(sim, account.api_key, account.api_secret)
    c.ping()
    assert c.get_symbol_info("BTCUSDT")["status"] == "TRADING"
    assert len(c.futures_exchange_info()["symbols"]) == 2
    o = c.futures_create_order(
        symbol="BTCUSDT",
        side="SELL",
        type="LIMIT",
        timeInForce="GTC",
        quantity="0.002",
        price="61000",
    )
    assert c.futures_get_open_orders(symbol="BTCUSDT")[0]["orderId"] == o["orderId"]
    assert c.futures_cancel_order(symbol="BTCUSDT", orderId=o["orderId"])["status"] == "CANCELED"
    assert c.futures_leverage_bracket(symbol="BTCUSDT")["brackets"][0]["notionalCap"] == 50000
    assert c.futures_commission_rate(symbol="BTCUSDT")["takerCommissionRate"] == "0.000500"
    assert c.get_asset_balance(asset="BTC")["free"] == "0.50000000"
    c.close_connection()
    assert _no_client_errors(sim) == []


# ------------------------------------------------------------------ official connectors (venvs)
def _client_venv(name: str, requirement: str, module: str) -> Path:
    """A venv with ``requirement`` under VENVS (reused when present), or skip with the reason."""
    py = VENVS / name / "bin" / "python"
    if (
        py.exists()
        and subprocess.run([py, "-c", f"import {module}"], capture_output=True).returncode == 0
    ):
        return py
    try:
        VENVS.mkdir(parents=True, exist_ok=True)
        subprocess.run(
            [sys.executable, "-m", "venv", str(VENVS / name)],
            check=True,
            capture_output=True,
            timeout=120,
        )
        r = subprocess.run(
            [py, "-m", "pip", "install", "-q", requirement],
            capture_output=True,
            text=True,
            timeout=300,
        )
    except (OSError, subprocess.SubprocessError) as e:
        pytest.skip(f"cannot create a venv for {requirement} in {VENVS / name}: {e}")
    if r.returncode != 0:
        last = (r.stderr.strip().splitlines() or ["pip failed"])[-1]
        pytest.skip(f"cannot install {requirement} into {VENVS / name}: {last}")
    return py


def _run(
    py: Path, sim: Simulator, acct: SimAccount, kind: str, steps: list[dict[str, Any]]
) -> list[dict[str, Any]]:
    cfg = {"kind": kind, "url": sim.url, "key": acct.api_key, "secret": acct.api_secret}
    r = subprocess.run(
        [py, str(SCRIPT), json.dumps(cfg), json.dumps(steps)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert r.returncode == 0, r.stderr[-2000:]
    return [json.loads(line) for line in r.stdout.splitlines()]


@pytest.fixture(scope="module")
def spot_connector() -> Iterator[Path]:
    yield _client_venv("spot-connector", "binance-connector>=3.12,<4", "binance.spot")


@pytest.fixture(scope="module")
def futures_connector() -> Iterator[Path]:
    yield _client_venv("futures-connector", "binance-futures-connector>=4,<5", "binance.um_futures")


def _err(kind: str, status: int | None, code: int | None) -> dict[str, Any]:
    return {"error": kind, "status": status, "code": code}


def _outcome(r: dict[str, Any]) -> Any:
    return r["result"] if r["ok"] else {k: r[k] for k in ("error", "status", "code")}


ORDER = {"symbol": "BTCUSDT", "side": "BUY", "type": "MARKET", "quantity": "0.001"}
FUT_ORDER = {"symbol": "BTCUSDT", "side": "BUY", "type": "MARKET", "quantity": "0.002"}


def test_binance_connector_spot_life_and_faults(
    sim: Simulator, account: SimAccount, spot_connector: Path
) -> None:
    limit = {
        "symbol": "BTCUSDT",
        "side": "BUY",
        "type": "LIMIT",
        "timeInForce": "GTC",
        "quantity": "0.001",
        "price": "59000",
    }
    steps: list[dict[str, Any]] = [
        {"call": "time"},
        {"call": "exchange_info"},
        {"call": "account"},
        {"call": "ticker_price", "kwargs": {"symbol": "BTCUSDT"}},
        {"call": "klines", "kwargs": {"symbol": "BTCUSDT", "interval": "1m", "limit": 2}},
        {"call": "new_order_test", "kwargs": ORDER},
        {"call": "new_order", "kwargs": limit},
        {"call": "get_open_orders", "kwargs": {"symbol": "BTCUSDT"}},
        {"call": "new_order_test", "kwargs": {**limit, "price": "59000.001"}},
        *[
            {"call": "new_order_test", "kwargs": ORDER, "fault": {"name": name}}
            for name in (
                "rate_limited",
                "banned",
                "waf_403",
                "http_500",
                "clock_ahead",
                "bad_signature",
                "unknown_key",
                "symbol_closed",
            )
        ],
    ]
    out = [_outcome(r) for r in _run(spot_connector, sim, account, "spot", steps)]
    assert "serverTime" in out[0] and len(out[1]["symbols"]) == 2
    assert out[3]["price"] == "60000.00000000" and len(out[4]) == 2
    assert out[5] == {} and out[6]["status"] == "NEW" and len(out[7]) == 1
    assert out[8] == _err("ClientError", 400, -1013)  # off the 0.01 tick: PRICE_FILTER
    assert out[9:] == [
        _err("ClientError", 429, -1003),
        _err("ClientError", 418, -1003),
        _err("ClientError", 403, None),
        _err("ServerError", 500, None),
        _err("ClientError", 400, -1021),
        _err("ClientError", 400, -1022),
        _err("ClientError", 401, -2015),
        _err("ClientError", 400, -1013),
    ]


def test_binance_futures_connector_um_life_and_faults(
    sim: Simulator, account: SimAccount, futures_connector: Path
) -> None:
    steps: list[dict[str, Any]] = [
        {"call": "time"},
        {"call": "exchange_info"},
        {"call": "account"},
        {"call": "balance"},
        {"call": "get_position_risk", "kwargs": {"symbol": "BTCUSDT"}},
        {"call": "leverage_brackets", "kwargs": {"symbol": "BTCUSDT"}},
        {"call": "commission_rate", "kwargs": {"symbol": "BTCUSDT"}},
        {"call": "mark_price", "kwargs": {"symbol": "BTCUSDT"}},
        {"call": "new_order_test", "kwargs": FUT_ORDER},
        {
            "call": "new_order",
            "kwargs": {**FUT_ORDER, "type": "LIMIT", "timeInForce": "GTC", "price": "59000"},
        },
        {"call": "get_orders", "kwargs": {"symbol": "BTCUSDT"}},
        {"call": "change_leverage", "kwargs": {"symbol": "BTCUSDT", "leverage": 10}},
        *[
            {"call": "new_order", "kwargs": FUT_ORDER, "fault": {"name": name}}
            for name in (
                "rate_limited",
                "banned",
                "waf_403",
                "http_503",
                "clock_ahead",
                "hedge_mode",
                "symbol_closed",
                "over_leverage",
            )
        ],
    ]
    out = [_outcome(r) for r in _run(futures_connector, sim, account, "usdm", steps)]
    assert "serverTime" in out[0] and len(out[1]["symbols"]) == 2
    assert out[2]["totalMaintMargin"] == "50.00000000" and out[3][0]["asset"] == "USDT"
    assert out[4][0]["positionAmt"] == "0.208"
    assert out[5]["brackets"][0]["initialLeverage"] == 125
    assert out[6]["makerCommissionRate"] == "0.000200"
    assert float(out[7]["markPrice"]) == 60000
    assert out[8]["status"] == "NEW" and out[9]["status"] == "NEW" and len(out[10]) == 1
    assert out[11]["leverage"] == 10
    assert out[12:] == [
        _err("ClientError", 429, -1003),
        _err("ClientError", 418, -1003),
        _err("ClientError", 403, None),
        _err("ServerError", 503, None),
        _err("ClientError", 400, -1021),
        _err("ClientError", 400, -4061),
        _err("ClientError", 400, -4141),
        _err("ClientError", 400, -2027),
    ]
