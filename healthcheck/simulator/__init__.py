"""Local stand-ins for Binance and an NTP server: :class:`Simulator` is a faithful Binance REST
server (spot /api, wallet /sapi, USD-M futures /fapi, COIN-M start-up calls on /dapi) on
127.0.0.1 that real clients use unchanged apart from the base URL, with market state (prices,
statuses, filters, delist dates), orders that rest and fill, named faults (``FAULTS``) and a
``/_sim`` control API; :class:`NtpResponder` is a UDP NTP server with misbehaving modes;
``build_demo`` adds the fixed demo accounts used by the ``demo`` and ``simulator`` CLI commands.

Names are imported lazily, so ``healthcheck.simulator.faults`` (the fault names the CLI's help
lists) loads without the HTTP server and its crypto dependencies.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from healthcheck.simulator.accounts import SimAccount
    from healthcheck.simulator.demo import build_demo
    from healthcheck.simulator.faults import FAULTS, PRESET_FAULTS, TRANSPORT_FAULTS
    from healthcheck.simulator.ntp import NtpResponder
    from healthcheck.simulator.server import RequestRecord, Simulator

_WHERE = {
    "SimAccount": "accounts",
    "build_demo": "demo",
    "FAULTS": "faults",
    "PRESET_FAULTS": "faults",
    "TRANSPORT_FAULTS": "faults",
    "NtpResponder": "ntp",
    "RequestRecord": "server",
    "Simulator": "server",
}

__all__ = [
    "FAULTS",
    "PRESET_FAULTS",
    "TRANSPORT_FAULTS",
    "NtpResponder",
    "RequestRecord",
    "SimAccount",
    "Simulator",
    "build_demo",
]


def __getattr__(name: str) -> Any:
    module = _WHERE.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f"{__name__}.{module}"), name)
    globals()[name] = value
    return value
