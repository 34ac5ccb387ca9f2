"""Tests for healthcheck.exchange.endpoints: each endpoint's path, pool and documented weight."""

from __future__ import annotations

import binance.client

from healthcheck.exchange.endpoints import ENDPOINTS


def test_a_few_endpoints_carry_binances_documented_weight_and_pool() -> None:
    # weights from binance-spot-api-docs (rest-api.md): account 20, exchangeInfo 20, time 1
    assert (ENDPOINTS["spot.account"].pool, ENDPOINTS["spot.account"].weight) == ("api", 20)
    assert ENDPOINTS["spot.account"].signed and ENDPOINTS["spot.account"].path == "/api/v3/account"
    assert ENDPOINTS["spot.exchangeInfo"].weight == 20
    assert ENDPOINTS["spot.time"].weight == 1 and not ENDPOINTS["spot.time"].signed
    assert ENDPOINTS["sapi.systemStatus"].pool == "sapi"


def test_weight_depends_on_whether_a_symbol_is_sent() -> None:
    open_orders = ENDPOINTS["spot.openOrders"]
    assert open_orders.weight_for({"symbol": "BTCUSDT"}) == 6
    assert open_orders.weight_for({}) == 80
    assert open_orders.weight_for((("symbol", "BTCUSDT"),)) == 6
    price = ENDPOINTS["spot.tickerPrice"]
    assert (price.weight_for(None), price.weight_for({"symbol": "ETHUSDT"})) == (4, 2)


def test_every_endpoint_is_served_by_its_pool_and_called_through_a_real_client_method() -> None:
    for name, e in ENDPOINTS.items():
        assert e.name == name
        assert e.path.startswith(f"/{e.pool}/"), name
        assert e.method in ("GET", "POST"), name
        assert callable(getattr(binance.client.Client, e.client_method, None)), name
