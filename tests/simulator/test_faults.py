"""Transport and HTTP faults raise exactly what python-binance/requests raise against Binance."""

from __future__ import annotations

import threading
import time

import pytest
import requests
from binance.client import Client
from binance.exceptions import BinanceAPIException, BinanceRequestException

from healthcheck.simulator import FAULTS, SimAccount, Simulator

SHORT = {"requests_params": {"timeout": 0.5}}


@pytest.fixture
def short_client(account: SimAccount, client_for) -> Client:  # type: ignore[no-untyped-def]
    """A client whose every request times out after 0.5 s (python-binance requests_params)."""
    return client_for(account, **SHORT)


def test_timeout_fault_raises_read_timeout(sim: Simulator, short_client: Client) -> None:
    sim.set_fault("timeout", seconds=5)
    t0 = time.monotonic()
    with pytest.raises(requests.exceptions.ReadTimeout):
        short_client.get_server_time()
    assert time.monotonic() - t0 < 2


def test_clearing_timeout_fault_releases_held_request(sim: Simulator, client: Client) -> None:
    sim.set_fault("timeout", seconds=30)
    result: dict[str, object] = {}
    t = threading.Thread(target=lambda: result.update(r=client.futures_time()))
    t.start()
    time.sleep(0.2)
    sim.clear_fault("timeout")
    t.join(timeout=3)
    assert "serverTime" in result["r"]  # type: ignore[operator]


def test_stop_does_not_wait_for_held_requests(account: SimAccount) -> None:
    sim = Simulator().start()
    sim.add_account("x")
    sim.set_fault("timeout", seconds=60)
    errors: list[BaseException] = []

    def call() -> None:
        try:
            requests.get(sim.url + "/api/v3/time", timeout=5)
        except requests.RequestException as e:
            errors.append(e)

    t = threading.Thread(target=call)
    t.start()
    time.sleep(0.2)
    t0 = time.monotonic()
    sim.stop()
    assert time.monotonic() - t0 < 1.5
    t.join(timeout=3)
    assert errors and isinstance(errors[0], requests.ConnectionError)


def test_slow_fault_delays_then_answers(sim: Simulator, client: Client) -> None:
    sim.set_fault("slow", seconds=0.3)
    t0 = time.monotonic()
    assert "serverTime" in client.get_server_time()
    assert time.monotonic() - t0 >= 0.3


def test_slow_fault_beyond_client_timeout_raises_read_timeout(
    sim: Simulator, short_client: Client
) -> None:
    sim.set_fault("slow", seconds=1)
    with pytest.raises(requests.exceptions.ReadTimeout):
        short_client.get_server_time()


@pytest.mark.parametrize("fault", ["reset", "close"])
def test_reset_and_close_raise_connection_error(
    sim: Simulator, short_client: Client, fault: str
) -> None:
    sim.set_fault(fault)
    with pytest.raises(requests.exceptions.ConnectionError):
        short_client.get_server_time()


def test_truncated_body_raises_chunked_encoding_or_connection_error(
    sim: Simulator, short_client: Client
) -> None:
    sim.set_fault("truncated")
    with pytest.raises(
        (requests.exceptions.ChunkedEncodingError, requests.exceptions.ConnectionError)
    ):
        short_client.get_server_time()


@pytest.mark.parametrize("fault", ["html_200", "malformed_json"])
def test_non_json_200_raises_binance_request_exception(
    sim: Simulator, client: Client, fault: str
) -> None:
    sim.set_fault(fault)
    with pytest.raises(BinanceRequestException) as e:
        client.get_server_time()
    assert e.value.message.startswith("Invalid Response: ")


@pytest.mark.parametrize("fault,status", [("http_502", 502), ("http_504", 504), ("waf_403", 403)])
def test_html_error_pages_raise_api_exception_with_code_0(
    sim: Simulator, client: Client, fault: str, status: int
) -> None:
    sim.set_fault(fault)
    with pytest.raises(BinanceAPIException) as e:
        client.futures_ping()
    assert (e.value.status_code, e.value.code) == (status, 0)
    assert e.value.message.startswith("Invalid JSON error message from Binance: <!DOCTYPE")


def test_http_500_and_503_carry_binance_json(sim: Simulator, client: Client) -> None:
    sim.set_fault("http_500", count=1)
    with pytest.raises(BinanceAPIException) as e:
        client.get_server_time()
    assert (e.value.status_code, e.value.code) == (500, -1000)
    sim.set_fault("http_503", count=1)
    with pytest.raises(BinanceAPIException) as e:
        client.futures_create_test_order(symbol="BTCUSDT", side="BUY", type="MARKET", quantity=0.01)
    assert (e.value.status_code, e.value.code) == (503, -1008)
    sim.set_fault("http_503", count=1, kind="unavailable")
    with pytest.raises(BinanceAPIException) as e:
        client.futures_ping()
    assert (e.value.status_code, e.value.code) == (503, 0)
    assert "Service Unavailable." in e.value.message


def test_empty_body_returns_empty_dict(sim: Simulator, client: Client) -> None:
    sim.set_fault("empty_body")
    assert client.futures_account_config() == {}


def test_bad_schema_returns_wrong_types(sim: Simulator, client: Client) -> None:
    sim.set_fault("bad_schema")
    assert client.get_server_time() == {"serverTime": "soon"}
    acct = client.get_account()
    assert acct["balances"] is None
    assert acct["makerCommission"] == "soon"
    assert isinstance(client.futures_account_balance(), dict)


def test_rate_limited_fault_with_and_without_retry_after(sim: Simulator, client: Client) -> None:
    sim.set_fault("rate_limited", count=1, retry_after=7)
    with pytest.raises(BinanceAPIException) as e:
        client.get_server_time()
    assert (e.value.status_code, e.value.code) == (429, -1003)
    assert e.value.response.headers["Retry-After"] == "7"
    sim.set_fault("rate_limited", count=1, retry_after=None)
    with pytest.raises(BinanceAPIException) as e:
        client.get_server_time()
    assert "Retry-After" not in e.value.response.headers
    assert "serverTime" in client.get_server_time()


def test_banned_fault_sets_ban_and_clear_lifts_it(sim: Simulator, client: Client) -> None:
    sim.set_fault("banned", retry_after=90)
    with pytest.raises(BinanceAPIException) as e:
        client.get_server_time()
    assert e.value.status_code == 418
    assert f"IP banned until {sim.banned_until_ms}" in e.value.message
    assert e.value.response.headers["Retry-After"] in ("89", "90")
    sim.clear_fault("banned")
    assert sim.banned_until_ms == 0
    assert "serverTime" in client.get_server_time()


def test_count_auto_clears_after_n_hits(sim: Simulator, client: Client) -> None:
    sim.set_fault("http_500", count=2)
    for _ in range(2):
        with pytest.raises(BinanceAPIException):
            client.get_server_time()
    assert "serverTime" in client.get_server_time()
    assert sim.faults == []


def test_scope_limits_fault_to_path_prefix(sim: Simulator, client: Client) -> None:
    sim.set_fault("http_502", scope="/fapi")
    assert "serverTime" in client.get_server_time()
    with pytest.raises(BinanceAPIException):
        client.futures_time()


def test_account_scoped_transport_fault_hits_only_that_account(
    sim: Simulator, client: Client, client_for
) -> None:  # type: ignore[no-untyped-def]
    other = client_for(sim.add_account("other"))
    sim.set_fault("http_500", account="other")
    assert client.get_account()["canTrade"] is True
    with pytest.raises(BinanceAPIException):
        other.get_account()


def test_preset_on_one_account_leaves_others_alone(
    sim: Simulator, client: Client, client_for
) -> None:  # type: ignore[no-untyped-def]
    other = client_for(sim.add_account("other"))
    sim.set_fault("hedge_mode", account="other")
    assert client.futures_get_position_mode() == {"dualSidePosition": False}
    assert other.futures_get_position_mode() == {"dualSidePosition": True}


def test_replacing_and_clearing_margin_presets_restores_original(
    sim: Simulator, account: SimAccount
) -> None:
    sim.set_fault("margin_warning")
    assert account.futures_maint_margin == "3000"
    sim.set_fault("margin_critical")
    assert account.futures_maint_margin == "4250"
    assert [f["name"] for f in sim.faults] == ["margin_critical"]
    sim.clear_fault("margin_critical")
    assert account.futures_maint_margin == "50"


def test_every_preset_sets_and_clears_back_to_defaults(sim: Simulator, account: SimAccount) -> None:
    from healthcheck.simulator import PRESET_FAULTS

    before = repr(account)
    sim_before = (sim.clock_offset_ms, dict(sim.preload_weight), sim.maintenance)
    for name in PRESET_FAULTS:
        sim.set_fault(name)
        sim.clear_fault(name)
        assert repr(account) == before, name
        assert (sim.clock_offset_ms, dict(sim.preload_weight), sim.maintenance) == sim_before, name


def test_unknown_fault_name_is_rejected_with_valid_names(sim: Simulator) -> None:
    with pytest.raises(ValueError, match="hedge_mode"):
        sim.set_fault("no_such_fault")


def test_fault_table_has_one_line_descriptions() -> None:
    assert len(FAULTS) >= 40
    assert all(desc and "\n" not in desc for desc in FAULTS.values())


def test_latency_delays_every_response(sim: Simulator, client: Client) -> None:
    sim.latency_ms = 150
    t0 = time.monotonic()
    client.get_server_time()
    assert time.monotonic() - t0 >= 0.15


def test_maintenance_preset_reports_status_1(sim: Simulator, client: Client) -> None:
    sim.set_fault("maintenance")
    assert client.get_system_status() == {"status": 1, "msg": "system maintenance"}
