"""The route table and handlers (healthcheck.simulator.endpoints): request weights follow
Binance's tables by parameter, and answers have Binance's shapes."""

from __future__ import annotations

from binance.client import Client

from healthcheck.simulator import Simulator
from healthcheck.simulator.endpoints import ROUTES


def test_depth_and_ticker_weights_follow_binances_tables() -> None:
    spot_depth = ROUTES[("GET", "/api/v3/depth")]
    assert [spot_depth.weight_for({"limit": str(n)}) for n in (100, 500, 1000, 5000)] == [
        5,
        25,
        50,
        250,
    ]
    fapi_depth = ROUTES[("GET", "/fapi/v1/depth")]
    assert [fapi_depth.weight_for({"limit": str(n)}) for n in (50, 100, 500, 1000)] == [
        2,
        5,
        10,
        20,
    ]
    fapi_ticker = ROUTES[("GET", "/fapi/v1/ticker/price")]
    assert (fapi_ticker.weight_for({"symbol": "BTCUSDT"}), fapi_ticker.weight_for({})) == (1, 2)


def test_exchange_info_lists_symbols_with_their_filters(sim: Simulator, client: Client) -> None:
    info = client.get_symbol_info("BTCUSDT")
    assert info is not None and info["status"] == "TRADING"
    kinds = {f["filterType"] for f in info["filters"]}
    assert {"PRICE_FILTER", "LOT_SIZE", "NOTIONAL"} <= kinds
    sim.set_symbol_status("spot", "BTCUSDT", "HALT")
    assert client.get_symbol_info("BTCUSDT")["status"] == "HALT"
