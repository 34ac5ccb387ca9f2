"""The markets store (healthcheck.simulator.market_book): reset restores every market, COIN-M
included; unknown markets and symbols are clear errors."""

from __future__ import annotations

from decimal import Decimal

import pytest
from binance.client import Client

from healthcheck.simulator import Simulator


def test_reset_restores_spot_usdm_and_coinm(sim: Simulator, client: Client) -> None:
    client.FUTURES_COIN_URL = sim.url + "/dapi"
    before = {
        "spot": client.get_symbol_ticker(symbol="BTCUSDT")["price"],
        "usdm": client.futures_symbol_ticker(symbol="BTCUSDT")["price"],
        "coinm": client.futures_coin_symbol_ticker(symbol="BTCUSD_PERP")[0]["price"],
    }
    sim.set_price("spot", "BTCUSDT", "1234")
    sim.set_symbol_status("usdm", "BTCUSDT", "SETTLING")
    sim.markets["coinm"]["BTCUSD_PERP"].price = Decimal("1234")
    assert client.futures_coin_symbol_ticker(symbol="BTCUSD_PERP")[0]["price"] != before["coinm"]
    sim.reset()
    assert client.get_symbol_ticker(symbol="BTCUSDT")["price"] == before["spot"]
    assert client.futures_symbol_ticker(symbol="BTCUSDT")["price"] == before["usdm"]
    assert client.futures_coin_symbol_ticker(symbol="BTCUSD_PERP")[0]["price"] == before["coinm"]
    assert sim.symbol("usdm", "BTCUSDT").status == "TRADING"


def test_unknown_market_symbol_or_price_is_a_clear_error(sim: Simulator) -> None:
    with pytest.raises(ValueError, match="market: must be one of spot, usdm"):
        sim.set_price("options", "BTCUSDT", "1")
    with pytest.raises(ValueError, match="unknown spot symbol 'NOPE'"):
        sim.set_price("spot", "NOPE", "1")
    with pytest.raises(ValueError, match="price: must be > 0"):
        sim.set_price("spot", "BTCUSDT", "0")
