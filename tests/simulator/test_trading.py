"""Order rules and fills (healthcheck.simulator.trading): a MARKET order fills at the current
price and moves the balances; an order under the symbol's NOTIONAL filter is -1013."""

from __future__ import annotations

from decimal import Decimal

import pytest
from binance.client import Client
from binance.exceptions import BinanceAPIException

from healthcheck.simulator import Simulator
from healthcheck.simulator.trading import decimals


def test_a_market_buy_fills_at_the_price_and_moves_balances(sim: Simulator, client: Client) -> None:
    sim.set_price("spot", "BTCUSDT", "50000")
    order = client.order_market_buy(symbol="BTCUSDT", quantity="0.01")
    assert order["status"] == "FILLED"
    assert Decimal(order["cummulativeQuoteQty"]) == Decimal("500")
    free = {b["asset"]: Decimal(b["free"]) for b in client.get_account()["balances"]}
    assert free["USDT"] == Decimal("500") and free["BTC"] == Decimal("0.51")


def test_an_order_under_the_notional_minimum_is_refused(client: Client) -> None:
    with pytest.raises(BinanceAPIException) as err:
        client.order_market_buy(symbol="BTCUSDT", quantity="0.00001")
    assert err.value.code == -1013 and "NOTIONAL" in err.value.message


def test_decimals_counts_significant_places() -> None:
    assert decimals("0.00100000") == 3
    assert decimals("5") == 0
