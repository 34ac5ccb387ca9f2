"""Foreground serving for the ``simulator`` CLI command: start the Binance simulator and the NTP
responder, add the demo accounts, apply requested faults, print how to connect (URLs, demo keys,
a python-binance snippet, control-API curl lines), then block until SIGINT/SIGTERM and stop cleanly.
"""

from __future__ import annotations

import signal
import sys
import threading
from collections.abc import Iterable
from types import FrameType
from typing import TextIO

from healthcheck.simulator.demo import build_demo
from healthcheck.simulator.faults import FAULTS
from healthcheck.simulator.ntp import NtpResponder
from healthcheck.simulator.server import Simulator

EXIT_USAGE = 3  # the CLI's usage/config error code (README "Exit codes")


def _usage(
    sim: Simulator, ntp: NtpResponder, accounts: dict[str, object], faults: list[str], out: TextIO
) -> None:
    url = sim.url
    p = lambda line="": print(line, file=out)  # noqa: E731 - local shorthand
    p(f"Binance simulator listening on {url}")
    p(f"NTP responder on udp {ntp.server_string}")
    p(f"Faults: {', '.join(faults) if faults else 'none'}")
    p()
    p("Demo accounts (simulator-only keys, not real Binance credentials):")
    for name, acct in accounts.items():
        p(f"  {name:8} api_key={acct.api_key}")  # type: ignore[attr-defined]
        p(f"  {'':8} api_secret={acct.api_secret}")  # type: ignore[attr-defined]
    healthy = accounts["healthy"]
    p()
    p("python-binance:")
    p("  from binance.client import Client")
    p(f"  client = Client({healthy.api_key!r}, {healthy.api_secret!r}, ping=False)")  # type: ignore[attr-defined]
    p(f'  client.API_URL = "{url}/api"')
    p(f'  client.MARGIN_API_URL = "{url}/sapi"')
    p(f'  client.FUTURES_URL = "{url}/fapi"')
    p("  client.futures_account_config()")
    p()
    p("Control API:")
    p(f"  curl -s {url}/_sim/state")
    p(
        f"  curl -s -X POST {url}/_sim/faults -d "
        """'{"set": [{"name": "hedge_mode", "account": "healthy"}]}'"""
    )
    p(f"""  curl -s -X POST {url}/_sim/faults -d '{{"clear": "all"}}'""")
    p(f"""  curl -s -X POST {url}/_sim/clock -d '{{"offset_ms": -1500}}'""")
    p(f"  curl -s -X POST {url}/_sim/reset")
    p(f"Fault names: {', '.join(FAULTS)}")
    p()
    p("Press Ctrl-C to stop.")
    out.flush()


def serve(
    port: int = 0,
    faults: Iterable[str] = (),
    ntp_port: int | None = None,
    out: TextIO = sys.stdout,
    *,
    stop_event: threading.Event | None = None,
    err: TextIO | None = None,
) -> int:
    """Run the simulator in the foreground; returns the process exit code (0, or 3 on a usage
    error such as an unknown fault or a port that cannot be used, with a one-line message).

    ``stop_event`` lets tests (or an embedding program) stop it without a signal.
    """
    err = err or (out if out is not sys.stdout else sys.stderr)
    faults = list(faults)
    sim, ntp = Simulator(port=port), NtpResponder(port=ntp_port or 0)  # nothing bound yet
    problem = _usage_error(port, faults, ntp_port) or _start(sim, ntp, port, ntp_port)
    if problem is not None:
        print(f"error: {problem}", file=err)
        return EXIT_USAGE
    stop = stop_event or threading.Event()
    previous = _stop_on_signals(stop)
    try:
        accounts = build_demo(sim)
        for name in faults:
            sim.set_fault(name)
        _usage(sim, ntp, dict(accounts), faults, out)
        while not stop.wait(0.5):
            pass
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)  # type: ignore[arg-type]
        ntp.stop()
        sim.stop()
    print("simulator stopped", file=out)
    return 0


def _usage_error(port: int, faults: list[str], ntp_port: int | None) -> str | None:
    """Given the command's arguments, return the one-line error for a bad one, or None."""
    unknown = [f for f in faults if f not in FAULTS]
    if unknown:
        return f"unknown fault {', '.join(unknown)}; valid faults: {', '.join(FAULTS)}"
    for name, value in (("--port", port), ("--ntp-port", ntp_port)):
        if value is not None and not 0 <= value <= 65535:
            return f"{name} {value}: must be 0..65535"
    return None


def _start(sim: Simulator, ntp: NtpResponder, port: int, ntp_port: int | None) -> str | None:
    """Start the simulator, then the NTP responder; return the one-line error for a port that
    cannot be used (nothing left running), or None."""
    try:
        sim.start()
    except OSError as e:
        return f"--port {port}: cannot listen on 127.0.0.1:{port}: {e.strerror or e}"
    try:
        ntp.start()
    except OSError as e:
        sim.stop()
        return (
            f"--ntp-port {ntp_port}: cannot listen on udp 127.0.0.1:{ntp_port}: {e.strerror or e}"
        )
    return None


def _stop_on_signals(stop: threading.Event) -> dict[int, object]:
    """Set ``stop`` on SIGINT and SIGTERM; return the handlers replaced (none off the main
    thread: signal handlers can only be installed there)."""
    previous: dict[int, object] = {}

    def on_signal(signum: int, frame: FrameType | None) -> None:
        stop.set()

    if threading.current_thread() is threading.main_thread():
        for sig in (signal.SIGINT, signal.SIGTERM):
            previous[sig] = signal.signal(sig, on_signal)
    return previous
