"""Local stand-ins for Binance and an NTP server: :class:`Simulator` is a faithful Binance REST
server (spot /api, wallet /sapi, USD-M futures /fapi) on 127.0.0.1 that real clients use unchanged
apart from the base URL, with named faults (``FAULTS``) and a ``/_sim`` control API;
:class:`NtpResponder` is a UDP NTP server with misbehaving modes; ``build_demo`` adds the fixed
demo accounts used by the ``demo`` and ``simulator`` CLI commands.
"""

from healthcheck.simulator.accounts import SimAccount
from healthcheck.simulator.demo import build_demo
from healthcheck.simulator.faults import FAULTS, PRESET_FAULTS, TRANSPORT_FAULTS
from healthcheck.simulator.ntp import NtpResponder
from healthcheck.simulator.server import RequestRecord, Simulator

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
