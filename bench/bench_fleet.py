"""A fleet on one IP: what the daemon's schedule does with 1 to 40 accounts at default settings.

    python bench/bench_fleet.py [--sizes 1,5,10,20,40] [--symbols 2,5] [--scale 10]

For each fleet (N healthy accounts, spot + USD-M, 2 or 5 symbols each, one host, every setting
at its default) it prints:

* the weight per minute per pool the configured intervals need, and what the schedule plans
  (healthcheck.engine.schedule, the same figures `plan` prints), and the stretch factor per pool;
* the weight per minute the daemon really sent, counted by the simulator;
* how long after a fault on the LAST account (Hedge mode) its alert arrived (apprise json://
  to a local receiver), and how many checks were deferred or went UNKNOWN meanwhile;
* at the end, the largest fleet that fits one IP at the default budget without stretching.

The daemon runs as a real `binance-healthcheck run` process against the simulator, sped up
``--scale`` times: every configured interval divided by it and the simulated IP's /api and /fapi
limits multiplied by it (weight_budget_share keeps its default 0.10), so need/budget and the
stretch are those of the real defaults; times and weights per minute are printed scaled back.
Everything runs on 127.0.0.1 (no network, no keys).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))

from support.receivers import JsonReceiver  # noqa: E402

from healthcheck.config import load_config  # noqa: E402
from healthcheck.engine.schedule import build_schedule  # noqa: E402
from healthcheck.simulator import NtpResponder, Simulator  # noqa: E402
from healthcheck.simulator.market import default_symbols  # noqa: E402

SYMBOLS = ["BTCUSDT", "ETHUSDT", "BNBUSDT", "SOLUSDT", "XRPUSDT"]
DEFAULT_INTERVALS = {
    "clock": 60, "api_key": 600, "position_mode": 60, "trading_status": 120, "balance": 60,
    "symbols": 300, "open_orders": 120, "leverage": 300, "system_status": 300,
    "rate_limit": 60, "bot_errors": 60,
}  # fmt: skip


def write(
    path: Path,
    accounts: list[dict],
    sim_url: str,
    ntp: list[str],
    state: Path,
    scale: float,
    urls: list[str],
) -> Path:
    q = json.dumps
    out = [f"[daemon]\nstate_dir = {q(str(state))}\nrequest_timeout = 10"]
    if scale != 1:
        out.append(f"interval = {60 / scale}")
    out.append(f"[ntp]\nservers = {q(ntp)}\ntimeout = 0.5")
    out.append(f"[alerts]\nurls = {q(urls)}")
    if scale != 1:
        for c, v in DEFAULT_INTERVALS.items():
            out.append(f"[checks.{c}]\ninterval = {v / scale}")
    for a in accounts:
        out.append(
            "[[accounts]]\n"
            + "\n".join(f"{k} = {q(v)}" for k, v in a.items())
            + f'\nmarkets = ["spot", "usdm"]\nspot_url = {q(sim_url)}\nfutures_url = {q(sim_url)}'
            # a Portfolio Margin probe ("auto") stays on the simulator too
            + f"\ncoinm_url = {q(sim_url)}\npapi_url = {q(sim_url)}"
        )
    path.write_text("\n\n".join(out) + "\n")
    os.chmod(path, 0o600)
    return path


def fits(n: int, symbols: int, tmp: Path) -> bool:
    accounts = [
        {"name": f"b{i}", "api_key": "k" * 64, "api_secret": "s" * 64, "symbols": SYMBOLS[:symbols]}
        for i in range(n)
    ]
    cfg = write(tmp / "fit.toml", accounts, "http://127.0.0.1:9", [], tmp / "st", 1, [])
    return not build_schedule(load_config(cfg)).stretched


def run_fleet(n: int, symbols: int, scale: float, tmp: Path) -> dict:
    sim = Simulator().start()
    sim.markets = default_symbols(more=True)  # five USDT pairs per market, not two
    ntp = [NtpResponder().start() for _ in range(3)]
    for pool in ("api", "fapi"):
        sim.limits[pool] = int(sim.limits[pool] * scale)
    work = tmp / f"n{n}s{symbols}"
    work.mkdir()
    try:
        with JsonReceiver() as rx:
            accounts = []
            for i in range(n):
                a = sim.add_account(f"bot{i}")
                accounts.append(
                    {
                        "name": f"bot{i}",
                        "api_key": a.api_key,
                        "api_secret": a.api_secret,
                        "symbols": SYMBOLS[:symbols],
                    }
                )
            cfg = write(
                work / "c.toml",
                accounts,
                sim.url,
                [r.server_string for r in ntp],
                work / "state",
                scale,
                [rx.url],
            )
            # the daemon's own schedule (scaled limits): its ratios are those of the real defaults
            limits = {(sim.url, p): sim.limits[p] for p in ("api", "fapi")}
            sched = build_schedule(load_config(cfg), limits=limits)
            # the daemon process, as `binance-healthcheck run`
            env = dict(os.environ, PYTHONPATH=str(ROOT))
            log = open(work / "log", "wb")  # noqa: SIM115
            proc = subprocess.Popen(
                [sys.executable, "-m", "healthcheck", "run", "--config", str(cfg)],
                stdout=log,
                stderr=subprocess.STDOUT,
                env=env,
            )
            t0 = time.monotonic()
            last = f"bot{n - 1}"
            pm = sched.intervals["position_mode"]  # the config's intervals are scaled already
            # warm up: every account's frequent checks have had their first turn (the accounts'
            # turns are spread across each interval)
            slowest = max(
                sched.intervals[c] for c in ("position_mode", "trading_status", "open_orders")
            )
            time.sleep(max(10.0, 1.2 * slowest))
            sent0 = {
                p: sum(r.weight for r in sim.requests if r.group == p)
                for p in ("api", "sapi", "fapi")
            }
            tw0 = time.monotonic()
            time.sleep(max(30.0, 2 * pm))  # the weight sent in a steady window
            window = time.monotonic() - tw0
            sent = {
                p: sum(r.weight for r in sim.requests if r.group == p) - sent0[p]
                for p in ("api", "sapi", "fapi")
            }
            ts0 = time.monotonic()
            sim.set_fault("hedge_mode", account=last)
            alert_s = None
            deadline = time.monotonic() + 6 * pm + 30
            pat = re.compile(rf"\b{re.escape(last)}\b")
            while time.monotonic() < deadline and alert_s is None:
                for m in list(rx.messages):
                    if pat.search(str(m.get("title"))) and "position_mode" in str(m.get("message")):
                        alert_s = (time.monotonic() - ts0) * scale
                time.sleep(0.1)
            proc.terminate()
            proc.wait(30)
            log.close()
            text = (work / "log").read_text(errors="replace")
            del t0
            return {
                "n": n,
                "symbols": symbols,
                "sched": sched,
                "sent_per_min": {p: v * 60 / window / scale for p, v in sent.items()},
                "alert_s": alert_s,
                "deferred": sum(int(x) for x in re.findall(r"(\d+) check\(s\) wait", text)),
                "unknown": len(re.findall(r"-> UNKNOWN", text)),
                "other_alerts": sum(1 for m in rx.messages if not pat.search(str(m.get("title")))),
            }
    finally:
        for r in ntp:
            r.stop()
        sim.stop()


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--sizes", default="1,5,10,20,40")
    ap.add_argument("--symbols", default="2,5")
    ap.add_argument("--scale", type=float, default=10.0)
    args = ap.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="bhc-fleet-"))
    rows = []
    try:
        for symbols in [int(x) for x in args.symbols.split(",")]:
            for n in [int(x) for x in args.sizes.split(",")]:
                r = run_fleet(n, symbols, args.scale, tmp)
                rows.append(r)
                s = r["sched"]
                sc = args.scale
                need = {ld.pool: ld.need_per_minute / sc for ld in s.loads}
                plan = {ld.pool: ld.planned_per_minute / sc for ld in s.loads}
                st = s.stretch_by_pool()
                alert = "none" if r["alert_s"] is None else f"{r['alert_s']:.0f} s"
                print(
                    f"{n:>3} acc x {symbols} sym | /fapi need {need['fapi']:6.0f} plan "
                    f"{plan['fapi']:5.0f} sent {r['sent_per_min']['fapi']:5.0f}/min (budget 240) | "
                    f"/api need {need['api']:5.0f} plan {plan['api']:5.0f} sent "
                    f"{r['sent_per_min']['api']:5.0f} (budget 600) | /sapi need "
                    f"{need['sapi']:4.0f} plan {plan['sapi']:4.0f} sent "
                    f"{r['sent_per_min']['sapi']:4.0f} (budget 1200) | stretch fapi "
                    f"{st['fapi']:.2f} api {st['api']:.2f} sapi {st['sapi']:.2f} | "
                    f"position_mode every {s.intervals['position_mode'] * sc:.0f} s | "
                    f"fault->alert (last account) {alert} | deferred {r['deferred']} "
                    f"UNKNOWN {r['unknown']} other alerts {r['other_alerts']}",
                    flush=True,
                )
        for symbols in [int(x) for x in args.symbols.split(",")]:
            biggest = max(n for n in range(1, 101) if fits(n, symbols, tmp))
            print(
                f"largest fleet on one IP at the default budget without stretching, "
                f"{symbols} symbols each: {biggest} accounts"
            )
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
