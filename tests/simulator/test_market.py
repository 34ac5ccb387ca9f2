"""Market state and trading through the real python-binance client: prices, statuses, filters,
delist dates, open orders that rest and fill, positions and leverage caps, the order-count
reading, Binance's order validation with its codes and texts, weights, and the named faults
for each new condition (issue 8's simulator part)."""

from __future__ import annotations

import hashlib
import hmac
import json
import time
import urllib.error
import urllib.request
from typing import Any
from urllib.parse import urlencode

import pytest
import requests
from binance.client import Client
from binance.exceptions import BinanceAPIException

from healthcheck.simulator import SimAccount, Simulator

PERPETUAL = 4133404800000


def _err(call: Any, **kw: Any) -> tuple[int, int, str]:
    with pytest.raises(BinanceAPIException) as e:
        call(**kw)
    return e.value.status_code, e.value.code, e.value.message


def _signed(
    sim: Simulator, acct: SimAccount, method: str, path: str, **params: Any
) -> requests.Response:
    params = {**params, "timestamp": int(time.time() * 1000)}
    query = urlencode(params)
    assert acct.api_secret is not None
    sig = hmac.new(acct.api_secret.encode(), query.encode(), hashlib.sha256).hexdigest()
    return requests.request(
        method,
        f"{sim.url}{path}?{query}&signature={sig}",
        headers={"X-MBX-APIKEY": acct.api_key},
        timeout=5,
    )


def _weight(resp: requests.Response, before: int) -> int:
    hdr = resp.headers.get("X-MBX-USED-WEIGHT-1M") or resp.headers["X-SAPI-USED-IP-WEIGHT-1M"]
    return int(hdr) - before


# --------------------------------------------------------------------------- prices, status
def test_set_price_moves_ticker_mark_book_avg_and_klines(sim: Simulator, client: Client) -> None:
    sim.set_price("spot", "BTCUSDT", "65000.5")
    sim.set_price("usdm", "BTCUSDT", 64000)
    assert client.get_symbol_ticker(symbol="BTCUSDT")["price"] == "65000.50000000"
    assert float(client.get_avg_price(symbol="BTCUSDT")["price"]) == 65000.5
    book = client.get_orderbook_ticker(symbol="BTCUSDT")
    assert float(book["bidPrice"]) < 65000.5 < float(book["askPrice"])
    assert float(client.get_klines(symbol="BTCUSDT", interval="1m", limit=5)[-1][4]) == 65000.5
    assert client.futures_symbol_ticker(symbol="BTCUSDT")["price"] == "64000.00"
    assert float(client.futures_mark_price(symbol="BTCUSDT")["markPrice"]) == 64000
    assert len(client.futures_klines(symbol="BTCUSDT", interval="1h", limit=24)) == 24
    assert {t["symbol"] for t in client.get_all_tickers()} == {"BTCUSDT", "ETHUSDT"}


def test_price_path_moves_and_fills_a_resting_order(
    sim: Simulator, account: SimAccount, client: Client
) -> None:
    order = client.futures_create_order(
        symbol="ETHUSDT", side="BUY", type="LIMIT", timeInForce="GTC", quantity="0.01", price="2900"
    )
    assert order["status"] == "NEW"
    sim.set_price_path("usdm", "ETHUSDT", ["2950", "2890", "3100"], step_seconds=0.2)
    deadline = time.monotonic() + 10
    while client.futures_get_order(symbol="ETHUSDT", orderId=order["orderId"])["status"] == "NEW":
        assert time.monotonic() < deadline, "the price crossed 2900 but the order never filled"
        time.sleep(0.05)
    pos = client.futures_position_information(symbol="ETHUSDT")
    assert [(p["positionAmt"], p["entryPrice"]) for p in pos] == [("0.010", "2900.0")]


def test_limit_rests_until_price_crosses_then_fills_and_market_fills_now(
    sim: Simulator, client: Client
) -> None:
    o = client.create_order(
        symbol="BTCUSDT",
        side="BUY",
        type="LIMIT",
        timeInForce="GTC",
        quantity="0.001",
        price="59000.00",
    )
    assert o["status"] == "NEW"
    assert [x["orderId"] for x in client.get_open_orders(symbol="BTCUSDT")] == [o["orderId"]]
    sim.set_price("spot", "BTCUSDT", "58999")
    assert client.get_order(symbol="BTCUSDT", orderId=o["orderId"])["status"] == "FILLED"
    assert client.get_open_orders() == []
    m = client.create_order(symbol="BTCUSDT", side="SELL", type="MARKET", quantity="0.001")
    assert m["status"] == "FILLED" and m["fills"][0]["price"] == "58999.00000000"
    c = client.create_order(
        symbol="ETHUSDT",
        side="BUY",
        type="LIMIT",
        timeInForce="GTC",
        quantity="0.01",
        price="2000.00",
    )
    assert client.cancel_order(symbol="ETHUSDT", orderId=c["orderId"])["status"] == "CANCELED"
    assert _err(client.cancel_order, symbol="ETHUSDT", orderId=c["orderId"])[1] == -2011


def test_symbol_status_closes_the_market_on_both_products(sim: Simulator, client: Client) -> None:
    sim.set_symbol_status("spot", "BTCUSDT", "BREAK")
    sim.set_symbol_status("usdm", "BTCUSDT", "SETTLING")
    assert client.get_symbol_info("BTCUSDT")["status"] == "BREAK"
    fut = {s["symbol"]: s for s in client.futures_exchange_info()["symbols"]}
    assert fut["BTCUSDT"]["status"] == "SETTLING"
    assert _err(
        client.create_test_order, symbol="BTCUSDT", side="BUY", type="MARKET", quantity="0.001"
    ) == (400, -1013, "Market is closed.")
    assert _err(
        client.futures_create_test_order,
        symbol="BTCUSDT",
        side="BUY",
        type="MARKET",
        quantity="0.002",
    ) == (400, -4141, "Symbol is closed")
    with pytest.raises(ValueError, match="status"):
        sim.set_symbol_status("spot", "BTCUSDT", "CLOSE")


def test_delivery_date_and_spot_delist_schedule(
    sim: Simulator, account: SimAccount, client: Client
) -> None:
    dates = {s["symbol"]: s["deliveryDate"] for s in client.futures_exchange_info()["symbols"]}
    assert dates == {"BTCUSDT": PERPETUAL, "ETHUSDT": PERPETUAL}
    sim.set_delivery_date("ETHUSDT", 1800000000000)
    dates = {s["symbol"]: s["deliveryDate"] for s in client.futures_exchange_info()["symbols"]}
    assert dates["ETHUSDT"] == 1800000000000
    assert client.get_spot_delist_schedule() == []
    sim.set_spot_delist(["ETHUSDT"], 1800000000000)
    unsigned = requests.get(sim.url + "/sapi/v1/spot/delist-schedule", timeout=5)
    signed = _signed(sim, account, "GET", "/sapi/v1/spot/delist-schedule")
    want = [{"delistTime": 1800000000000, "symbols": ["ETHUSDT"]}]
    assert unsigned.json() == signed.json() == want
    assert _weight(signed, int(unsigned.headers["X-SAPI-USED-IP-WEIGHT-1M"])) == 100


# --------------------------------------------------------------------------- filters, orders
def test_futures_min_notional_is_binances_per_symbol_figure(client: Client) -> None:
    filters = {
        s["symbol"]: {f["filterType"]: f for f in s["filters"]}
        for s in client.futures_exchange_info()["symbols"]
    }
    assert filters["BTCUSDT"]["MIN_NOTIONAL"]["notional"] == "100"
    assert filters["ETHUSDT"]["MIN_NOTIONAL"]["notional"] == "20"
    assert filters["BTCUSDT"]["MAX_NUM_ORDERS"]["limit"] == 200
    assert filters["BTCUSDT"]["MAX_NUM_ALGO_ORDERS"]["limit"] == 10


def test_five_usdt_symbols_on_request_with_binances_tick_step_and_notional(
    sim: Simulator, client: Client
) -> None:
    from healthcheck.simulator.market import default_symbols

    five = {"BTCUSDT", "ETHUSDT", "BNBUSDT", "SOLUSDT", "XRPUSDT"}
    assert {s["symbol"] for s in client.get_exchange_info()["symbols"]} == five - {
        "BNBUSDT",
        "SOLUSDT",
        "XRPUSDT",
    }  # two by default
    sim.markets = default_symbols(more=True)
    fut = {
        s["symbol"]: {f["filterType"]: f for f in s["filters"]}
        for s in client.futures_exchange_info()["symbols"]
    }
    spot = {
        s["symbol"]: {f["filterType"]: f for f in s["filters"]}
        for s in client.get_exchange_info()["symbols"]
    }
    assert set(fut) == set(spot) == five
    assert fut["SOLUSDT"]["PRICE_FILTER"]["tickSize"] == "0.0100"
    assert fut["XRPUSDT"]["LOT_SIZE"]["stepSize"] == "0.1"
    assert fut["BNBUSDT"]["MIN_NOTIONAL"]["notional"] == "5"
    assert spot["XRPUSDT"]["PRICE_FILTER"]["tickSize"] == "0.00010000"
    # a valid order passes Binance's validation; one under the min notional fails as on Binance
    ok = {
        "symbol": "SOLUSDT",
        "side": "BUY",
        "type": "LIMIT",
        "timeInForce": "GTC",
        "price": "150.00",
        "quantity": "0.05",
    }
    assert client.futures_create_test_order(**ok)["status"] == "NEW"
    assert _err(client.futures_create_test_order, **{**ok, "quantity": "0.01"})[1] == -4164


def test_set_filter_changes_exchange_info_and_validation(sim: Simulator, client: Client) -> None:
    sim.set_filter("usdm", "ETHUSDT", "MIN_NOTIONAL", notional="50")
    sim.set_filter("spot", "BTCUSDT", "NOTIONAL", minNotional="100.00000000")
    assert (
        "no smaller than 50 "
        in _err(
            client.futures_create_test_order,
            symbol="ETHUSDT",
            side="BUY",
            type="MARKET",
            quantity="0.01",
        )[2]
    )
    assert _err(
        client.create_test_order, symbol="BTCUSDT", side="BUY", type="MARKET", quantity="0.001"
    ) == (400, -1013, "Filter failure: NOTIONAL")
    info = client.get_symbol_info("BTCUSDT")
    assert {f["filterType"]: f for f in info["filters"]}["NOTIONAL"]["minNotional"] == (
        "100.00000000"
    )
    with pytest.raises(ValueError, match="maxNumOrders"):
        sim.set_filter("spot", "BTCUSDT", "MAX_NUM_ORDERS", limit=3)


SPOT_LIMIT = {
    "symbol": "BTCUSDT",
    "side": "BUY",
    "type": "LIMIT",
    "timeInForce": "GTC",
    "quantity": "0.001",
    "price": "50000.00",
}
FUT_LIMIT = {
    "symbol": "BTCUSDT",
    "side": "BUY",
    "type": "LIMIT",
    "timeInForce": "GTC",
    "quantity": "0.002",
    "price": "59000",
}


@pytest.mark.parametrize(
    ("changes", "expected"),
    [
        (
            {"timeInForce": None},
            (
                -1102,
                "Mandatory parameter 'timeInForce' was not sent, was empty/null, or malformed.",
            ),
        ),
        ({"price": "50000.005"}, (-1013, "Filter failure: PRICE_FILTER")),
        ({"quantity": "0.0010001"}, (-1013, "Filter failure: LOT_SIZE")),
        ({"quantity": "0.000001"}, (-1013, "Filter failure: LOT_SIZE")),
        ({"side": "LONG"}, (-1117, "Invalid side.")),
        ({"type": "LIMITED"}, (-1116, "Invalid orderType.")),
        ({"price": "5000.00"}, (-1013, "Filter failure: PERCENT_PRICE_BY_SIDE")),
        ({"quantity": "0.00001"}, (-1013, "Filter failure: NOTIONAL")),
        (
            {"price": None},
            (-1102, "Mandatory parameter 'price' was not sent, was empty/null, or malformed."),
        ),
    ],
)
def test_spot_test_order_validates_like_binance(
    client: Client, changes: dict[str, Any], expected: tuple[int, str]
) -> None:
    params = {k: v for k, v in {**SPOT_LIMIT, **changes}.items() if v is not None}
    assert _err(client.create_test_order, **params)[1:] == expected
    assert client.create_test_order(**SPOT_LIMIT) == {}


@pytest.mark.parametrize(
    ("changes", "expected"),
    [
        ({"timeInForce": None}, -1102),
        ({"quantity": "0.0021"}, -1111),
        ({"price": "59000.123"}, -1111),
        ({"price": "59000.05"}, -4014),
        ({"price": "100"}, -4013),
        ({"price": "5000000"}, -4002),
        ({"quantity": "0.0005"}, -1111),
        ({"quantity": "2000"}, -4005),
        ({"price": "70000"}, -4016),
        ({"side": "HOLD"}, -1117),
        ({"type": "STOP_MARKET"}, -4120),
    ],
)
def test_futures_test_order_validates_like_binance(
    client: Client, changes: dict[str, Any], expected: int
) -> None:
    params = {k: v for k, v in {**FUT_LIMIT, **changes}.items() if v is not None}
    assert _err(client.futures_create_test_order, **params)[1] == expected
    assert client.futures_create_test_order(**FUT_LIMIT)["status"] == "NEW"


def test_futures_step_size_and_min_qty_errors(sim: Simulator, client: Client) -> None:
    sim.set_filter("usdm", "BTCUSDT", "LOT_SIZE", minQty="0.002", stepSize="0.002")
    assert _err(client.futures_create_test_order, **{**FUT_LIMIT, "quantity": "0.003"})[1:] == (
        -4023,
        "Qty not increased by step size.",
    )
    assert _err(client.futures_create_test_order, **{**FUT_LIMIT, "quantity": "0.001"})[1] == (
        -4004
    )


def test_open_orders_count_toward_max_num_orders(
    sim: Simulator, account: SimAccount, client: Client
) -> None:
    sim.set_filter("usdm", "BTCUSDT", "MAX_NUM_ORDERS", limit=3)
    sim.set_filter("spot", "BTCUSDT", "MAX_NUM_ORDERS", maxNumOrders=2)
    for _ in range(3):
        account.add_open_order("usdm", "BTCUSDT")
    account.add_open_order("spot", "BTCUSDT", quantity="0.001")
    account.add_open_order("spot", "BTCUSDT", side="SELL", quantity="0.001")
    assert len(client.futures_get_open_orders(symbol="BTCUSDT")) == 3
    assert len(client.get_open_orders(symbol="BTCUSDT")) == 2
    assert _err(client.futures_create_order, **FUT_LIMIT)[1:] == (
        -2025,
        "Reach max open order limit.",
    )
    assert _err(client.create_test_order, **SPOT_LIMIT) == (
        400,
        -2010,
        "Filter failure: MAX_NUM_ORDERS",
    )


def test_stop_orders_go_to_the_algo_book_and_count_toward_max_algo(
    sim: Simulator, account: SimAccount, client: Client
) -> None:
    sim.set_filter("usdm", "BTCUSDT", "MAX_NUM_ALGO_ORDERS", limit=2)
    account.add_open_order("usdm", "BTCUSDT", type="STOP_MARKET", side="SELL", price="55000")
    algo = client.futures_create_order(
        symbol="BTCUSDT", side="SELL", type="STOP_MARKET", quantity="0.002", stopPrice="55000"
    )
    assert algo["algoStatus"] == "NEW" and algo["orderType"] == "STOP_MARKET"
    assert client.futures_get_open_orders(symbol="BTCUSDT") == []
    opened = client.futures_get_open_orders(symbol="BTCUSDT", conditional=True)
    assert len(opened) == 2 and {o["triggerPrice"] for o in opened} == {"55000"}
    assert _err(
        client.futures_create_order,
        symbol="BTCUSDT",
        side="SELL",
        type="STOP_MARKET",
        quantity="0.002",
        stopPrice="55000",
    )[1:] == (-4045, "Reach max stop order limit.")
    sim.set_filter("spot", "BTCUSDT", "MAX_NUM_ALGO_ORDERS", maxNumAlgoOrders=1)
    account.add_open_order(
        "spot", "BTCUSDT", type="STOP_LOSS_LIMIT", side="SELL", price="50000", quantity="0.001"
    )
    assert _err(
        client.create_test_order,
        symbol="BTCUSDT",
        side="SELL",
        type="STOP_LOSS_LIMIT",
        timeInForce="GTC",
        quantity="0.001",
        price="50000.00",
        stopPrice="50000.00",
    ) == (400, -2010, "Filter failure: MAX_NUM_ALGO_ORDERS")


def test_stop_orders_fire_when_the_price_reaches_their_trigger(
    sim: Simulator, account: SimAccount, client: Client
) -> None:
    account.futures_maint_margin = "0"
    account.set_position("BTCUSDT", "0.002", entry_price="60000")
    algo = client.futures_create_order(
        symbol="BTCUSDT",
        side="SELL",
        type="STOP_MARKET",
        quantity="0.002",
        stopPrice="55000",
        reduceOnly="true",
    )
    tp = client.futures_create_order(
        symbol="BTCUSDT",
        side="SELL",
        type="TAKE_PROFIT_MARKET",
        quantity="0.002",
        stopPrice="65000",
        reduceOnly="true",
    )
    spot_stop = client.create_order(
        symbol="BTCUSDT",
        side="SELL",
        type="STOP_LOSS_LIMIT",
        timeInForce="GTC",
        quantity="0.001",
        price="54000.00",
        stopPrice="55000.00",
    )
    assert client.get_order(symbol="BTCUSDT", orderId=spot_stop["orderId"])["workingTime"] == -1
    sim.set_price("usdm", "BTCUSDT", "58000")  # above both triggers: nothing fires
    got = client.futures_get_algo_order(algoId=algo["algoId"])
    assert got["algoStatus"] == "NEW" and got["actualOrderId"] == ""
    sim.set_price("usdm", "BTCUSDT", "54900")
    sim.set_price("spot", "BTCUSDT", "54900")
    got = client.futures_get_algo_order(algoId=algo["algoId"])
    # the algo order placed its actual MARKET order, which filled: FINISHED, with its id and price
    assert got["algoStatus"] == "FINISHED" and got["actualOrderId"]
    assert float(got["actualPrice"]) == 54900 and got["triggerTime"] > 0
    actual = client.futures_get_order(symbol="BTCUSDT", orderId=int(got["actualOrderId"]))
    assert (actual["status"], actual["type"], actual["origType"]) == (
        "FILLED",
        "MARKET",
        "STOP_MARKET",
    )
    assert (
        float(client.futures_position_information(symbol="BTCUSDT", version=2)[0]["positionAmt"])
        == 0
    )
    assert client.futures_get_algo_order(algoId=tp["algoId"])["algoStatus"] == "NEW"
    # a spot stop keeps its id: it starts working and (marketable) fills
    spot = client.get_order(symbol="BTCUSDT", orderId=spot_stop["orderId"])
    assert spot["status"] == "FILLED" and spot["isWorking"] is True and spot["workingTime"] > 0


def test_resting_spot_orders_lock_what_they_may_spend(client: Client) -> None:
    def bal(asset: str) -> tuple[float, float]:
        b = [x for x in client.get_account()["balances"] if x["asset"] == asset][0]
        return float(b["free"]), float(b["locked"])

    buy = client.create_order(
        symbol="BTCUSDT",
        side="BUY",
        type="LIMIT",
        timeInForce="GTC",
        quantity="0.01",
        price="50000.00",
    )
    assert bal("USDT") == (500.0, 500.0)  # 0.01 x 50000 held by the resting BUY
    stop = client.create_order(
        symbol="BTCUSDT",
        side="SELL",
        type="STOP_LOSS_LIMIT",
        timeInForce="GTC",
        quantity="0.5",
        price="50000.00",
        stopPrice="51000.00",
    )
    assert bal("BTC") == (0.0, 0.5)
    # the stop holds the coins: selling them too is refused until it is cancelled
    assert _err(client.create_order, symbol="BTCUSDT", side="SELL", type="MARKET",
                quantity="0.1")[1:] == (-2010, "Account has insufficient balance for requested "
                                                "action.")  # fmt: skip
    client.cancel_order(symbol="BTCUSDT", orderId=stop["orderId"])
    client.cancel_order(symbol="BTCUSDT", orderId=buy["orderId"])
    assert bal("BTC") == (0.5, 0.0) and bal("USDT") == (1000.0, 0.0)


def test_position_over_the_leverage_cap_gives_2027(
    sim: Simulator, account: SimAccount, client: Client
) -> None:
    account.set_position("ETHUSDT", "-20", entry_price="3100", leverage=100)
    (pos,) = client.futures_position_information(symbol="ETHUSDT")
    assert pos["positionAmt"] == "-20.000" and float(pos["notional"]) == -60000
    (cfg,) = client.futures_symbol_config(symbol="ETHUSDT")
    assert cfg["leverage"] == 100 and cfg["maxNotionalValue"] == "500000"
    brackets = client.futures_leverage_bracket(symbol="ETHUSDT")
    assert isinstance(brackets, dict) and brackets["brackets"][0]["initialLeverage"] == 125
    account.set_leverage("ETHUSDT", 125)  # cap 50000 < 60000
    assert _err(
        client.futures_create_test_order,
        symbol="ETHUSDT",
        side="SELL",
        type="MARKET",
        quantity="0.01",
    )[1:] == (-2027, "Exceeded the maximum allowable position at current leverage.")
    # Reducing is allowed, and leverage back to 100 lifts the cap (POST /fapi/v1/leverage).
    assert (
        client.futures_create_test_order(
            symbol="ETHUSDT", side="BUY", type="MARKET", quantity="0.01"
        )["status"]
        == "NEW"
    )
    assert client.futures_change_leverage(symbol="ETHUSDT", leverage=100)["maxNotionalValue"] == (
        "500000"
    )


def test_unfilled_order_count_shows_in_rate_limit_order(
    account: SimAccount, client: Client
) -> None:
    account.set_unfilled_order_count("SECOND", 97)
    account.set_unfilled_order_count("DAY", 150000)
    counts = {r["interval"]: r["count"] for r in client.get_current_order_count()}
    assert counts == {"SECOND": 97, "DAY": 150000}


def test_get_user_asset_lists_positive_balances_only(client: Client) -> None:
    assets = {a["asset"]: a["free"] for a in client.get_user_asset()}
    assert assets == {"BTC": "0.50000000", "USDT": "1000.00000000"}


# --------------------------------------------------------------------------- weights
@pytest.mark.usefixtures("fresh_minute")
@pytest.mark.parametrize(
    ("method", "path", "params", "weight"),
    [
        ("GET", "/api/v3/ticker/price", {"symbol": "BTCUSDT"}, 2),
        ("GET", "/api/v3/ticker/price", {}, 4),
        ("GET", "/api/v3/openOrders", {"symbol": "BTCUSDT"}, 6),
        ("GET", "/api/v3/openOrders", {}, 80),
        ("GET", "/api/v3/rateLimit/order", {}, 40),
        ("GET", "/api/v3/referencePrice", {"symbol": "BTCUSDT"}, 2),
        ("POST", "/api/v3/order/test", {**SPOT_LIMIT, "computeCommissionRates": "true"}, 20),
        ("POST", "/api/v3/order/test", SPOT_LIMIT, 1),
        ("POST", "/sapi/v3/asset/getUserAsset", {}, 5),
        ("GET", "/fapi/v1/openOrders", {}, 40),
        ("GET", "/fapi/v1/openAlgoOrders", {"symbol": "BTCUSDT"}, 1),
        ("GET", "/fapi/v3/positionRisk", {}, 5),
        ("GET", "/fapi/v1/symbolConfig", {}, 5),
        ("GET", "/fapi/v1/commissionRate", {"symbol": "BTCUSDT"}, 20),
    ],
)
def test_endpoint_weights_match_binance(
    sim: Simulator,
    account: SimAccount,
    method: str,
    path: str,
    params: dict[str, str],
    weight: int,
) -> None:
    group = path.split("/")[1]
    before = sim.weight_used(group)
    r = _signed(sim, account, method, path, **params)
    assert r.status_code == 200, r.text
    assert _weight(r, before) == weight


def test_rate_limited_fault_reports_used_weight_over_the_limit(
    sim: Simulator, client: Client
) -> None:
    sim.set_fault("rate_limited", scope="/fapi")
    with pytest.raises(BinanceAPIException) as e:
        client.futures_time()
    assert e.value.status_code == 429
    assert int(e.value.response.headers["X-MBX-USED-WEIGHT-1M"]) > 2400
    assert "IP(127.0.0.1)" in e.value.message


def test_reference_price_missing_gives_2043(sim: Simulator) -> None:
    sim.set_symbol_status("spot", "ETHUSDT", "HALT")
    r = requests.get(sim.url + "/api/v3/referencePrice", params={"symbol": "ETHUSDT"}, timeout=5)
    assert (r.status_code, r.json()["code"]) == (400, -2043)


# --------------------------------------------------------------------------- faults, control
@pytest.mark.parametrize(
    ("fault", "probe"),
    [
        (
            "symbol_closed",
            lambda c: (
                c.get_symbol_info("BTCUSDT")["status"] == "BREAK"
                and c.futures_exchange_info()["symbols"][0]["status"] == "CLOSE"
            ),
        ),
        (
            "delist_announced",
            lambda c: (
                c.futures_exchange_info()["symbols"][0]["deliveryDate"] != PERPETUAL
                and c.get_spot_delist_schedule()[0]["symbols"] == ["BTCUSDT"]
            ),
        ),
        (
            "open_orders_near_limit",
            lambda c: (
                len(c.futures_get_open_orders()) == 195
                and len(c.get_open_orders(symbol="BTCUSDT")) == 195
            ),
        ),
        ("algo_orders_near_limit", lambda c: len(c.futures_get_open_orders(conditional=True)) == 9),
        (
            "over_leverage",
            lambda c: (
                float(c.futures_symbol_config(symbol="BTCUSDT")[0]["maxNotionalValue"])
                < abs(float(c.futures_position_information(symbol="BTCUSDT")[0]["notional"]))
            ),
        ),
        (
            "unfilled_orders_high",
            lambda c: (
                {r["interval"]: r["count"] for r in c.get_current_order_count()}["SECOND"] == 95
            ),
        ),
    ],
)
def test_new_faults_show_in_the_readings_and_clear(
    sim: Simulator, client: Client, fault: str, probe: Any
) -> None:
    assert not probe(client)
    sim.set_fault(fault)
    assert probe(client)
    sim.clear_fault(fault)
    assert not probe(client)


def _control(sim: Simulator, path: str, body: dict[str, Any]) -> dict[str, Any]:
    req = urllib.request.Request(sim.url + path, data=json.dumps(body).encode(), method="POST")
    with urllib.request.urlopen(req, timeout=5) as r:
        return json.loads(r.read())


def test_every_market_call_is_in_the_control_api(
    sim: Simulator, account: SimAccount, client: Client
) -> None:
    _control(sim, "/_sim/price", {"market": "usdm", "symbol": "ETHUSDT", "price": "3500"})
    _control(sim, "/_sim/symbol_status", {"market": "spot", "symbol": "ETHUSDT", "status": "HALT"})
    _control(sim, "/_sim/delivery_date", {"symbol": "ETHUSDT", "ms": 1800000000000})
    _control(sim, "/_sim/spot_delist", {"symbols": ["ETHUSDT"], "delist_time_ms": 1800000000000})
    _control(
        sim,
        "/_sim/filter",
        {
            "market": "usdm",
            "symbol": "ETHUSDT",
            "filter_type": "MIN_NOTIONAL",
            "fields": {"notional": "25"},
        },
    )
    oid = _control(
        sim,
        "/_sim/open_order",
        {"account": "main", "market": "usdm", "symbol": "ETHUSDT", "price": "3000"},
    )["result"]
    _control(sim, "/_sim/position", {"account": "main", "symbol": "ETHUSDT", "amount": "1.5"})
    _control(sim, "/_sim/leverage", {"account": "main", "symbol": "ETHUSDT", "leverage": 10})
    _control(
        sim,
        "/_sim/margin_type",
        {"account": "main", "symbol": "ETHUSDT", "margin_type": "ISOLATED"},
    )
    _control(sim, "/_sim/unfilled_order_count", {"account": "main", "interval": "DAY", "count": 7})
    assert client.futures_mark_price(symbol="ETHUSDT")["markPrice"].startswith("3500")
    assert client.get_symbol_info("ETHUSDT")["status"] == "HALT"
    eth = [s for s in client.futures_exchange_info()["symbols"] if s["symbol"] == "ETHUSDT"][0]
    assert eth["deliveryDate"] == 1800000000000
    assert {f["filterType"]: f for f in eth["filters"]}["MIN_NOTIONAL"]["notional"] == "25"
    assert client.get_spot_delist_schedule()[0]["symbols"] == ["ETHUSDT"]
    assert [o["orderId"] for o in client.futures_get_open_orders(symbol="ETHUSDT")] == [oid]
    assert client.futures_position_information(symbol="ETHUSDT")[0]["positionAmt"] == "1.500"
    assert client.futures_symbol_config(symbol="ETHUSDT")[0]["leverage"] == 10
    assert client.futures_symbol_config(symbol="ETHUSDT")[0]["marginType"] == "ISOLATED"
    assert {r["interval"]: r["count"] for r in client.get_current_order_count()}["DAY"] == 7
    state = json.loads(urllib.request.urlopen(sim.url + "/_sim/state", timeout=5).read())
    assert state["markets"]["usdm"]["ETHUSDT"] == {
        "price": "3500",
        "status": "TRADING",
        "deliveryDate": 1800000000000,
    }
    assert state["markets"]["spot"]["ETHUSDT"]["status"] == "HALT"


@pytest.mark.parametrize(
    ("path", "body", "word"),
    [
        ("/_sim/price", {"market": "usdm", "symbol": "BTCUSDT", "price": "nan"}, "price"),
        ("/_sim/price", {"market": "coinm", "symbol": "BTCUSDT", "price": "1"}, "market"),
        (
            "/_sim/filter",
            {
                "market": "spot",
                "symbol": "BTCUSDT",
                "filter_type": "LOT_SIZE",
                "fields": {"stepSize": "x"},
            },
            "stepSize",
        ),
        ("/_sim/leverage", {"account": "main", "symbol": "BTCUSDT", "leverage": 500}, "leverage"),
        (
            "/_sim/margin_type",
            {"account": "main", "symbol": "BTCUSDT", "margin_type": "cross"},
            "margin_type",
        ),
        ("/_sim/position", {"account": "nobody", "symbol": "BTCUSDT", "amount": 1}, "account"),
        (
            "/_sim/open_order",
            {"account": "main", "market": "usdm", "symbol": "BTCUSDT", "colour": "red"},
            "colour",
        ),
    ],
)
def test_control_calls_reject_bad_input_with_400(
    sim: Simulator, account: SimAccount, path: str, body: dict[str, Any], word: str
) -> None:
    req = urllib.request.Request(sim.url + path, data=json.dumps(body).encode(), method="POST")
    with pytest.raises(urllib.error.HTTPError) as e:
        urllib.request.urlopen(req, timeout=5)
    assert e.value.code == 400 and word in json.loads(e.value.read())["error"]
