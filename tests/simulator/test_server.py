"""The Simulator facade (healthcheck.simulator.server): it serves on 127.0.0.1 only while started,
its clock follows the simulated offset, and reset brings back a clean exchange."""

from __future__ import annotations

import pytest
import requests
from binance.client import Client

from healthcheck.simulator import Simulator


def test_serves_only_while_started() -> None:
    sim = Simulator()
    assert not sim.started
    with pytest.raises(RuntimeError):
        _ = sim.url
    with sim:
        assert sim.address[0] == "127.0.0.1"
        url = sim.url
        assert requests.get(url + "/api/v3/ping", timeout=5).json() == {}
    assert not sim.started
    with pytest.raises(requests.ConnectionError):
        requests.get(url + "/api/v3/ping", timeout=2)


def test_clock_offset_and_reset(sim: Simulator, client: Client) -> None:
    sim.clock_offset_ms = 3_600_000
    assert client.get_server_time()["serverTime"] - sim.now_ms() > -5000
    assert sim.now_ms() - client.get_server_time()["serverTime"] < 5000
    sim.set_fault("maintenance")
    assert sim.faults
    sim.reset()
    assert sim.faults == [] and sim.requests == [] and sim.clock_offset_ms == 0.0
    assert client.get_system_status()["status"] == 0
