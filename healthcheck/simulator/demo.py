"""The demo exchange: two fixed, obviously fake accounts on a :class:`Simulator`, one healthy and
one broken in several ways at once, so ``demo``/``simulator`` CLI commands and end-to-end tests
show both a clean report and a report full of findings without touching Binance.
"""

from __future__ import annotations

from healthcheck.simulator.accounts import SimAccount
from healthcheck.simulator.server import Simulator

# 64 alphanumeric characters each, as Binance keys are; obviously fake so nobody mistakes them.
DEMO_HEALTHY_KEY = "SIMDEMOhealthyKEY00000000000000000000000000000000000000000000001"
DEMO_HEALTHY_SECRET = "SIMDEMOhealthySECRET00000000000000000000000000000000000000000001"
DEMO_BROKEN_KEY = "SIMDEMObrokenKEY000000000000000000000000000000000000000000000002"
DEMO_BROKEN_SECRET = "SIMDEMObrokenSECRET000000000000000000000000000000000000000000002"

# Account-scoped only: the simulator has one clock, so no clock fault here.
DEMO_BROKEN_FAULTS = (
    "hedge_mode",
    "margin_warning",
    "quant_near",
    "withdrawals_enabled",
    "spot_low_balance",
)

for _k in (DEMO_HEALTHY_KEY, DEMO_HEALTHY_SECRET, DEMO_BROKEN_KEY, DEMO_BROKEN_SECRET):
    assert len(_k) == 64 and _k.isalnum(), _k


def build_demo(sim: Simulator) -> dict[str, SimAccount]:
    """Add the "healthy" and "broken" demo accounts to ``sim`` and return them by name."""
    healthy = sim.add_account("healthy", api_key=DEMO_HEALTHY_KEY, api_secret=DEMO_HEALTHY_SECRET)
    broken = sim.add_account("broken", api_key=DEMO_BROKEN_KEY, api_secret=DEMO_BROKEN_SECRET)
    for name in DEMO_BROKEN_FAULTS:
        sim.set_fault(name, account="broken")
    return {"healthy": healthy, "broken": broken}
