"""``binance-healthcheck demo``: the whole tool against the built-in simulator, in one command.

Starts the Binance simulator and three NTP responders on 127.0.0.1, configures two accounts (one
healthy, one with several faults), runs the one-shot check and prints it. Then, unless disabled,
runs a short daemon session with a local alert receiver: an account breaks, the alert appears,
it is fixed, the resolved notice appears. No keys, no network, no files outside a temp dir.
"""

from __future__ import annotations

import sys
import tempfile
from decimal import Decimal
from pathlib import Path

from healthcheck.config import (
    AccountConfig,
    AlertsConfig,
    ChecksConfig,
    Config,
    DaemonConfig,
    NtpConfig,
    NtpServer,
)
from healthcheck.secrets import Secret


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
        daemon=DaemonConfig(interval=1.0, state_dir=state_dir, request_timeout=5.0),
        ntp=NtpConfig(servers=tuple(NtpServer(h, p) for h, p in ntp_servers), timeout=1.0),
        alerts=AlertsConfig(**alerts_kwargs),
        checks=ChecksConfig(),
    )


def run_demo(json_output: bool = False, daemon: bool = True, out=None) -> int:
    from healthcheck.cli import print_json, render_text
    from healthcheck.runner import Runner
    from healthcheck.simulator import NtpResponder, Simulator, build_demo
    from healthcheck.state import StateDB

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
                from healthcheck.daemon import demo_daemon

                print("\n--- daemon: scheduled checks and alerts ---", file=out)
                demo_daemon(sim, accounts, responders, Path(tmp), out)
        finally:
            for r in responders:
                r.stop()
    return 0
