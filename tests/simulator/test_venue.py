"""The Venue protocol (healthcheck.simulator.venue) that handlers are typed against: the
Simulator provides every member of it (mypy checks the types; this checks a running one)."""

from __future__ import annotations

from healthcheck.simulator import Simulator
from healthcheck.simulator.venue import Venue


def test_the_simulator_provides_every_venue_member(sim: Simulator) -> None:
    members = [n for n in vars(Venue) if not n.startswith("_")]
    assert {"lock", "markets", "now_ms", "add_open_order", "match_all"} <= set(members)
    missing = [n for n in members if not hasattr(sim, n)]
    assert missing == []
    assert sim.symbol("spot", "BTCUSDT") is sim.markets["spot"]["BTCUSDT"]
    assert abs(sim.now_ms() - sim.now_ms()) < 1000
