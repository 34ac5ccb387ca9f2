"""COIN-M futures (healthcheck.simulator.coinm) through python-binance: quantities are in
contracts of contractSize USD, and a quantity off the step is refused."""

from __future__ import annotations

from decimal import Decimal

import pytest
from binance.client import Client
from binance.exceptions import BinanceAPIException

from healthcheck.simulator import Simulator


@pytest.fixture
def coin(sim: Simulator, client: Client) -> Client:
    client.FUTURES_COIN_URL = sim.url + "/dapi"
    return client


def test_order_quantity_is_in_contracts_of_contract_size(coin: Client) -> None:
    info = {s["symbol"]: s for s in coin.futures_coin_exchange_info()["symbols"]}
    assert info["BTCUSD_PERP"]["contractSize"] == 100
    coin.futures_coin_create_order(symbol="BTCUSD_PERP", side="BUY", type="MARKET", quantity=3)
    (pos,) = [
        p
        for p in coin.futures_coin_position_information(pair="BTCUSD")
        if p["symbol"] == "BTCUSD_PERP"
    ]
    assert pos["positionAmt"] == "3"
    # 3 contracts of 100 USD at the mark price, in BTC
    assert Decimal(pos["notionalValue"]) == (Decimal(300) / Decimal(pos["markPrice"])).quantize(
        Decimal("0.00000001")
    )


def test_fractional_contracts_are_refused(coin: Client) -> None:
    with pytest.raises(BinanceAPIException) as err:
        coin.futures_coin_create_order(
            symbol="BTCUSD_PERP", side="BUY", type="MARKET", quantity="1.5"
        )
    assert err.value.code == -1111
