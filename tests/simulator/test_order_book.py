"""The per-account trading state (healthcheck.simulator.order_book): a resting LIMIT order fills
when the price crosses it, and orders are counted for X-MBX-ORDER-COUNT-*."""

from __future__ import annotations

from binance.client import Client

from healthcheck.simulator import SimAccount, Simulator


def test_a_resting_limit_fills_when_the_price_crosses(
    sim: Simulator, account: SimAccount, client: Client
) -> None:
    price = sim.symbol("spot", "BTCUSDT").price
    oid = sim.add_open_order(account, "spot", "BTCUSDT", price=price - 1000, quantity="0.001")
    assert client.get_order(symbol="BTCUSDT", orderId=oid)["status"] == "NEW"
    sim.set_price("spot", "BTCUSDT", price - 500)  # not crossed yet
    assert client.get_order(symbol="BTCUSDT", orderId=oid)["status"] == "NEW"
    sim.set_price("spot", "BTCUSDT", price - 1001)
    assert client.get_order(symbol="BTCUSDT", orderId=oid)["status"] == "FILLED"
    assert client.get_open_orders(symbol="BTCUSDT") == []


def test_placed_orders_are_counted(sim: Simulator, account: SimAccount, client: Client) -> None:
    assert sim.order_counts("main", "api", sim.now_ms()) == (0, 0)
    price = sim.symbol("spot", "BTCUSDT").price
    client.order_limit_buy(symbol="BTCUSDT", quantity="0.001", price=str(price - 1000))
    client.order_limit_buy(symbol="BTCUSDT", quantity="0.001", price=str(price - 1000))
    assert sim.order_counts("main", "api", sim.now_ms()) == (2, 2)
    assert len(client.get_open_orders(symbol="BTCUSDT")) == 2
