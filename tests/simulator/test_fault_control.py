"""The active faults (healthcheck.simulator.fault_control): a preset fault changes an account
and clearing it restores the old value; a transport fault with a count wears off; bad settings
are refused."""

from __future__ import annotations

import pytest
from binance.client import Client
from binance.exceptions import BinanceAPIException

from healthcheck.simulator import SimAccount, Simulator


def test_a_preset_fault_is_restored_when_cleared(
    sim: Simulator, account: SimAccount, client: Client
) -> None:
    sim.set_fault("hedge_mode", account=account.name)
    assert client.futures_get_position_mode()["dualSidePosition"] is True
    sim.clear_fault("hedge_mode")
    assert client.futures_get_position_mode()["dualSidePosition"] is False
    assert sim.faults == []


def test_a_counted_transport_fault_wears_off(sim: Simulator, client: Client) -> None:
    sim.set_fault("rate_limited", count=1)
    with pytest.raises(BinanceAPIException) as err:
        client.get_account()
    assert err.value.status_code == 429
    assert client.get_account()["canTrade"] is True


def test_bad_fault_settings_are_refused(sim: Simulator) -> None:
    with pytest.raises(ValueError):
        sim.set_fault("no_such_fault")
    with pytest.raises(ValueError):
        sim.set_fault("rate_limited", count=-1)
    assert sim.faults == []
