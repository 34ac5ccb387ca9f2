"""The /_sim control API flips faults from another process (plain urllib, no shared objects)."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from typing import Any

import pytest
from binance.client import Client
from binance.exceptions import BinanceAPIException

from healthcheck.simulator import SimAccount, Simulator


def _call(url: str, body: dict[str, Any] | None = None) -> dict[str, Any]:
    data = None if body is None else json.dumps(body).encode()
    req = urllib.request.Request(
        url,
        data=data,
        method="GET" if body is None else "POST",
        headers={"Content-Type": "application/json"},
    )
    with urllib.request.urlopen(req, timeout=5) as resp:
        return json.loads(resp.read())


def test_state_lists_accounts_without_secrets(sim: Simulator, account: SimAccount) -> None:
    state = _call(sim.url + "/_sim/state")
    assert state["accounts"] == [{"name": "main", "api_key": account.api_key, "key_type": "HMAC"}]
    assert account.api_secret not in json.dumps(state)
    assert state["faults"] == [] and state["clock_offset_ms"] == 0
    assert set(state["weights"]) == {"api", "sapi", "fapi", "dapi", "papi"}


def test_control_api_sets_and_clears_a_fault(sim: Simulator, client: Client) -> None:
    state = _call(
        sim.url + "/_sim/faults",
        {
            "set": [
                {
                    "name": "hedge_mode",
                    "account": "main",
                    "scope": None,
                    "count": None,
                    "params": {},
                }
            ]
        },
    )
    assert [f["name"] for f in state["faults"]] == ["hedge_mode"]
    assert client.futures_get_position_mode() == {"dualSidePosition": True}
    _call(sim.url + "/_sim/faults", {"clear": ["hedge_mode"]})
    assert client.futures_get_position_mode() == {"dualSidePosition": False}


def test_control_api_transport_fault_with_params_and_clear_all(
    sim: Simulator, client: Client
) -> None:
    _call(
        sim.url + "/_sim/faults",
        {"set": [{"name": "rate_limited", "scope": "/fapi", "params": {"retry_after": 12}}]},
    )
    with pytest.raises(BinanceAPIException) as e:
        client.futures_time()
    assert e.value.response.headers["Retry-After"] == "12"
    assert "serverTime" in client.get_server_time()
    assert _call(sim.url + "/_sim/faults", {"clear": "all"})["faults"] == []


def test_control_api_moves_the_clock(sim: Simulator, client: Client) -> None:
    _call(sim.url + "/_sim/clock", {"offset_ms": -1500})
    with pytest.raises(BinanceAPIException) as e:
        client.get_account()
    assert e.value.code == -1021
    assert sim.clock_offset_ms == -1500


def test_control_api_reset_clears_everything(sim: Simulator, client: Client) -> None:
    sim.set_fault("clock_behind")
    sim.set_fault("weight_critical")
    client.get_server_time()
    state = _call(sim.url + "/_sim/reset", {})
    assert state["faults"] == [] and state["clock_offset_ms"] == 0
    assert state["weights"] == {"api": 0, "sapi": 0, "fapi": 0, "dapi": 0, "papi": 0}
    assert sim.requests == []


def test_control_requests_are_not_recorded_or_weighted(sim: Simulator) -> None:
    _call(sim.url + "/_sim/state")
    assert sim.requests == [] and sim.weight_used("api") == 0


def test_unknown_fault_via_control_api_is_400(sim: Simulator) -> None:
    with pytest.raises(urllib.error.HTTPError) as e:
        _call(sim.url + "/_sim/faults", {"set": [{"name": "bogus"}]})
    assert e.value.code == 400
    assert "hedge_mode" in json.loads(e.value.read())["error"]


def test_unknown_path_is_an_empty_404_on_spot_and_an_html_404_on_futures(sim: Simulator) -> None:
    # As Binance: clients map these to other exceptions than a JSON error body.
    for path in ("/api/v3/nothing", "/sapi/v1/nothing"):
        with pytest.raises(urllib.error.HTTPError) as e:
            _call(sim.url + path)
        assert e.value.code == 404
        assert e.value.read() == b""
    with pytest.raises(urllib.error.HTTPError) as e:
        _call(sim.url + "/fapi/v1/nothing")
    assert e.value.code == 404
    assert e.value.headers["Content-Type"].startswith("text/html")
    assert b"404" in e.value.read()
