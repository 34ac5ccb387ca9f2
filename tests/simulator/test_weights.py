"""Per-IP request weight, weight headers, 429 with Retry-After and the 418 ban."""

from __future__ import annotations

import pytest
from binance.client import Client
from binance.exceptions import BinanceAPIException

from healthcheck.simulator import Simulator

pytestmark = pytest.mark.usefixtures("fresh_minute")


def test_weight_headers_grow_by_documented_weight_per_group(sim: Simulator, client: Client) -> None:
    client.get_account()
    assert client.response.headers["X-MBX-USED-WEIGHT-1M"] == "20"
    assert client.response.headers["X-MBX-USED-WEIGHT"] == "20"
    client.get_server_time()
    assert client.response.headers["X-MBX-USED-WEIGHT-1M"] == "21"
    client.futures_account_config()
    assert client.response.headers["X-MBX-USED-WEIGHT-1M"] == "5"
    client.futures_get_position_mode()
    assert client.response.headers["X-MBX-USED-WEIGHT-1M"] == "35"
    client.get_account_api_permissions()
    assert client.response.headers["X-SAPI-USED-IP-WEIGHT-1M"] == "1"
    assert "X-MBX-USED-WEIGHT-1M" not in client.response.headers
    assert (sim.weight_used("api"), sim.weight_used("fapi"), sim.weight_used("sapi")) == (21, 35, 1)


def test_futures_api_trading_status_weighs_1_with_symbol_and_10_without(
    sim: Simulator, client: Client
) -> None:
    client.futures_api_trading_status(symbol="BTCUSDT")
    client.futures_api_trading_status()
    assert sim.weight_used("fapi") == 11


def test_preload_counts_in_headers_and_reset_weights_clears_own_use(
    sim: Simulator, client: Client
) -> None:
    sim.preload_weight["api"] = 1000
    client.get_server_time()
    assert client.response.headers["X-MBX-USED-WEIGHT-1M"] == "1001"
    sim.reset_weights()
    assert sim.weight_used("api") == 1000


def test_weight_high_preset_preloads_75_percent_and_clears(sim: Simulator, client: Client) -> None:
    sim.set_fault("weight_high")
    client.futures_time()
    assert client.response.headers["X-MBX-USED-WEIGHT-1M"] == str(1800 + 1)
    sim.clear_fault("weight_high")
    assert sim.preload_weight == {"api": 0, "sapi": 0, "fapi": 0, "dapi": 0, "papi": 0}


def test_exchange_info_reports_configured_weight_limits(sim: Simulator, client: Client) -> None:
    sim.limits["api"] = 1200
    spot = {
        (r["rateLimitType"], r["interval"]): r["limit"]
        for r in client.get_exchange_info()["rateLimits"]
    }
    assert spot[("REQUEST_WEIGHT", "MINUTE")] == 1200
    fut = client.futures_exchange_info()["rateLimits"]
    assert {
        "rateLimitType": "REQUEST_WEIGHT",
        "interval": "MINUTE",
        "intervalNum": 1,
        "limit": 2400,
    } in fut


def test_request_over_limit_gets_429_with_retry_after_then_418_ban(
    sim: Simulator, client: Client
) -> None:
    sim.preload_weight["api"] = 5990
    client.get_server_time()  # 5991: still fine
    statuses = []
    for _ in range(4):
        with pytest.raises(BinanceAPIException) as e:
            client.get_account()  # 20 would exceed 6000
        statuses.append(e.value.status_code)
        if e.value.status_code == 429:
            assert e.value.code == -1003
            assert e.value.message == (
                "Too much request weight used; current limit is 6000 request weight per 1 MINUTE. "
                "Please use WebSocket Streams for live updates to avoid polling the API."
            )
            assert 1 <= int(e.value.response.headers["Retry-After"]) <= 60
    assert statuses == [429, 429, 429, 418]
    assert "IP banned until" in e.value.message
    assert 110 <= int(e.value.response.headers["Retry-After"]) <= 120
    assert sim.bans["api"] > 0
    # During the ban every request to that host is refused, cheap public ones too...
    with pytest.raises(BinanceAPIException) as e:
        client.get_server_time()
    assert e.value.status_code == 418
    # ...but a spot ban is not a futures or wallet ban (Binance bans per host).
    assert "serverTime" in client.futures_time()
    assert client.get_system_status()["status"] == 0


def test_small_requests_still_pass_when_only_big_ones_exceed(
    sim: Simulator, client: Client
) -> None:
    sim.preload_weight["api"] = 5985
    with pytest.raises(BinanceAPIException):
        client.get_account()
    assert "serverTime" in client.get_server_time()


def test_futures_429_uses_futures_message(sim: Simulator, client: Client) -> None:
    sim.preload_weight["fapi"] = 2399
    with pytest.raises(BinanceAPIException) as e:
        client.futures_account_config()
    assert e.value.status_code == 429
    assert e.value.message == (
        "Too many requests; current limit of IP(127.0.0.1) is 2400 requests per minute. "
        "Please use the websocket for live updates to avoid polling the API."
    )


def test_successful_futures_order_costs_no_weight_but_failed_one_does(
    sim: Simulator, client: Client
) -> None:
    client.futures_create_order(symbol="BTCUSDT", side="BUY", type="MARKET", quantity=0.002)
    assert client.response.headers["X-MBX-USED-WEIGHT-1M"] == "0"
    assert "X-MBX-ORDER-COUNT-1M" in client.response.headers
    with pytest.raises(BinanceAPIException):
        client.futures_create_order(symbol="BTCUSDT", side="BUY", type="MARKET", quantity=0.00001)
    assert sim.weight_used("fapi") == 1


def test_settable_ban_refuses_everything_until_it_ends(sim: Simulator, client: Client) -> None:
    sim.banned_until_ms = sim.now_ms() + 5000
    with pytest.raises(BinanceAPIException) as e:
        client.get_system_status()
    assert e.value.status_code == 418
    assert int(e.value.response.headers["Retry-After"]) in (4, 5)
    sim.banned_until_ms = 0
    assert client.get_system_status()["status"] == 0


def test_concurrent_clients_are_all_served_and_counted(sim: Simulator, client_for) -> None:  # type: ignore[no-untyped-def]
    import threading

    accounts = [sim.add_account(f"a{i}") for i in range(6)]
    errors: list[BaseException] = []

    def work(acct) -> None:  # type: ignore[no-untyped-def]
        c = client_for(acct)
        try:
            for _ in range(20):
                c.futures_account_config()
        except BaseException as e:  # noqa: BLE001 - collected for the assertion
            errors.append(e)

    threads = [threading.Thread(target=work, args=(a,)) for a in accounts]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=10)
    assert errors == []
    assert sim.weight_used("fapi") == 6 * 20 * 5
    assert len(sim.requests) == 120
