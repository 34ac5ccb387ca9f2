"""The demo exchange (healthcheck.simulator.demo): a healthy account and a broken one whose
faults a real client sees."""

from __future__ import annotations

from collections.abc import Callable

from binance.client import Client

from healthcheck.simulator import Simulator, build_demo
from healthcheck.simulator.demo import DEMO_BROKEN_FAULTS


def test_the_broken_demo_account_shows_its_faults_and_the_healthy_one_none(
    sim: Simulator, client_for: Callable[..., Client]
) -> None:
    accounts = build_demo(sim)
    healthy, broken = client_for(accounts["healthy"]), client_for(accounts["broken"])
    assert healthy.futures_get_position_mode()["dualSidePosition"] is False
    assert broken.futures_get_position_mode()["dualSidePosition"] is True
    assert healthy.get_account_api_permissions()["enableWithdrawals"] is False
    assert broken.get_account_api_permissions()["enableWithdrawals"] is True
    scoped = {f["name"]: f.get("account") for f in sim.faults}
    assert set(scoped) == set(DEMO_BROKEN_FAULTS)
    assert set(scoped.values()) == {"broken"}
