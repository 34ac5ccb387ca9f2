"""``binance-healthcheck demo``: the whole tool against the built-in simulator, in one command.

Starts the Binance simulator and three NTP responders on 127.0.0.1, configures two accounts (one
healthy, one with several faults), runs the one-shot check and prints it. Then, unless disabled,
runs a short daemon session with a local alert receiver: an account breaks, the alert appears,
it is fixed, the resolved notice appears. No keys, no network, no files outside a temp dir.
"""

from __future__ import annotations

import json
import sys
import tempfile
import threading
import time
from decimal import Decimal
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from healthcheck.config import AlertsConfig, AlertUrl, ChecksConfig, Config, DaemonConfig
from healthcheck.engine.runner import Runner
from healthcheck.exchange.account import AccountConfig
from healthcheck.exchange.ntp import NtpConfig, NtpServer
from healthcheck.render import print_json, render_text
from healthcheck.service.daemon import Daemon
from healthcheck.simulator import NtpResponder, Simulator, build_demo
from healthcheck.storage.secrets import Secret
from healthcheck.storage.state import StateDB


def demo_config(
    sim_url: str,
    accounts: dict,
    ntp_servers: list[tuple[str, int]],
    state_dir: Path,
    **alerts_kwargs,
) -> Config:
    """Given a running simulator and its demo accounts, return a Config that checks them."""
    accs = []
    for name, sim_acc in accounts.items():
        accs.append(
            AccountConfig(
                name=name,
                api_key=Secret(sim_acc.api_key, "api key"),
                api_secret=Secret(sim_acc.api_secret, "api secret"),
                markets=("spot", "usdm"),
                urls={m: sim_url for m in ("spot", "usdm", "coinm", "papi")},
                position_mode="one-way",
                min_available={"USDT": Decimal(100)},
                recv_window_ms=5000,
                test_order_symbols=("BTCUSDT",),
                # 0.002 BTC (120 USDT at the simulator's 60000): above USD-M BTCUSDT's minimum
                # notional of 100, which the minimum quantity (0.001) is not.
                test_order_quantity={"BTCUSDT": Decimal("0.002")},
                # the order-side checks: the broken bot sends 60 USDT orders, under USD-M
                # BTCUSDT's minimum notional of 100 (-4164)
                symbols={"usdm": ("BTCUSDT", "ETHUSDT")},
                order_size={"default": Decimal(60 if name == "broken" else 300)},
            )
        )
    return Config(
        accounts=tuple(accs),
        # every check every second against our own simulator: the budget that leaves Binance's
        # weight to a real bot (10 %) would stretch the demo's schedule and say so at length
        daemon=DaemonConfig(
            interval=1.0, state_dir=state_dir, request_timeout=5.0, weight_budget_share=1.0
        ),
        ntp=NtpConfig(servers=tuple(NtpServer(h, p) for h, p in ntp_servers), timeout=1.0),
        alerts=AlertsConfig(**alerts_kwargs),
        checks=ChecksConfig(),
    )


def run_demo(json_output: bool = False, daemon: bool = True, out=None) -> int:
    out = out or sys.stdout
    with tempfile.TemporaryDirectory(prefix="bhc-demo-") as tmp, Simulator() as sim:
        responders = [NtpResponder() for _ in range(3)]
        for r in responders:
            r.start()
        try:
            accounts = build_demo(sim)
            cfg = demo_config(
                sim.url, accounts, [r.address for r in responders], Path(tmp) / "state"
            )
            if not json_output:
                print(
                    f"Binance simulator on {sim.url}, NTP on "
                    f"{', '.join(r.server_string for r in responders)}",
                    file=out,
                )
                print("Account 'healthy' is fine; account 'broken' has several faults.\n", file=out)
            state = StateDB.open(cfg.state_dir())
            runner = Runner(cfg, state)
            try:
                report = runner.run()
            finally:
                runner.close()
                state.close()
            if json_output:
                print_json(report)
            else:
                render_text(report, out)
                print(
                    f"\n(`binance-healthcheck check` would exit {int(report.status)} = "
                    f"{report.status.name})",
                    file=out,
                )
            if daemon and not json_output:
                print("\n--- daemon: scheduled checks and alerts ---", file=out)
                demo_daemon(sim, accounts, responders, Path(tmp), out)
        finally:
            for r in responders:
                r.stop()
    return 0


class _AlertInbox:
    """A local HTTP receiver for apprise's json:// alerts; ``received`` in arrival order."""

    def __init__(self) -> None:
        self.received: list[dict] = []
        self.arrived = threading.Condition()
        inbox = self

        class Receiver(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 (http.server API)
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                self.send_response(200)
                self.end_headers()
                try:
                    doc = json.loads(body)
                except ValueError:
                    return
                with inbox.arrived:
                    inbox.received.append(doc)
                    inbox.arrived.notify_all()

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Receiver)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        self.url = f"json://127.0.0.1:{self.server.server_address[1]}/"

    def wait_for(self, n: int, timeout: float = 20.0) -> bool:
        """True once n alerts arrived (False after ``timeout`` seconds)."""
        deadline = time.monotonic() + timeout
        with self.arrived:
            while len(self.received) < n and time.monotonic() < deadline:
                self.arrived.wait(0.2)
        return len(self.received) >= n

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def _show(doc: dict, out: Any) -> None:
    print(f"\n>>> alert received ({doc.get('type')}): {doc.get('title')}", file=out)
    for line in str(doc.get("message", "")).splitlines():
        print(f"    {line}", file=out)


def demo_daemon(sim: Any, accounts: dict, responders: list, tmp: Path, out) -> None:
    """A short daemon session for `demo`: break an account, show the alert, fix it, show the
    resolved notice. Alerts go through apprise to a local receiver that prints them."""
    inbox = _AlertInbox()
    cfg = demo_config(
        sim.url,
        {"healthy": accounts["healthy"]},
        [r.address for r in responders],
        tmp / "daemon-state",
        urls=(AlertUrl(Secret(inbox.url, "alert url")),),
        failure_threshold=2,
    )
    daemon = Daemon(cfg)
    thread = threading.Thread(target=daemon.run, kwargs={"install_signals": False}, daemon=True)
    try:
        print("daemon: checking account 'healthy' every second; alerts after 2 bad runs", file=out)
        thread.start()
        time.sleep(1.5)
        print(
            "simulator: switching account 'healthy' to Hedge mode (the bot expects one-way)",
            file=out,
        )
        sim.set_fault("hedge_mode", account="healthy")
        if inbox.wait_for(1):
            _show(inbox.received[0], out)
        print("\nsimulator: switching it back to one-way mode", file=out)
        sim.clear_fault("hedge_mode")
        if inbox.wait_for(2):
            _show(inbox.received[1], out)
        print("\nNo other messages: one alert for the problem, one when it was resolved.", file=out)
    finally:
        daemon.request_stop()
        thread.join(10)
        inbox.close()
