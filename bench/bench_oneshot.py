"""The one-shot `check` as a user meets it: whole processes against the simulator in its own
process, with figures for the order-side checks issue.

    python bench/bench_oneshot.py [--quick]

1. Weight of a `check` run (metrics.request_weight, cross-checked against what the simulator
   counted), one spot+usdm account with a spot `min_available`:
   a. the seven original checks: cold (empty state_dir) and warm (a second process)  - target
      warm <= 35
   b. every check, with `symbols` = BTCUSDT, ETHUSDT and an `order_size`: cold and warm
2. The daemon's average weight per minute per pool at the default intervals, every check with
   two symbols, over a simulated hour (bench_check.simulate_hour) - target < 1 % of each pool
3. Round trips: a `check` process with 300 ms added to every simulator response, minus the same
   with 0 ms, divided by 300 ms: cold (empty state_dir) - target <= 2; warm (started within
   5 minutes of the previous run: offset and weight readings from state_dir) - target <= 1
4. Twenty accounts on the same host vs one, whole `check` processes at 300 ms - target <= 1.5x

Each target ends with a PASS/FAIL line; the script exits 0 whatever the verdicts (a report).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

SIM_CHILD = r"""
import json, sys
from healthcheck.simulator import Simulator
sim = Simulator(latency_ms=float(sys.argv[1])).start()
keys = {}
for i in range(int(sys.argv[2])):
    a = sim.add_account(f"x{i}")
    keys[a.name] = [a.api_key, a.api_secret]
print(json.dumps({"url": sim.url, "keys": keys}), flush=True)
mark = 0
for line in sys.stdin:
    cmd = line.strip()
    if cmd == "weights":  # what the simulator charged since the last reset
        print(json.dumps({"all": sum(r.weight for r in sim.requests[mark:])}), flush=True)
    elif cmd == "rounds":  # request arrival times since the last reset, in order
        print(json.dumps(sorted(r.ts for r in sim.requests[mark:])), flush=True)
    elif cmd == "log":
        print(json.dumps([(r.ts, r.path, r.account_name) for r in sim.requests[mark:]]),
              flush=True)
    else:
        sim.reset_weights()
        mark = len(sim.requests)
        print("ok", flush=True)
sim.stop()
"""

ORIGINAL = "clock,api_key,position_mode,trading_status,balance,rate_limit,system_status"
verdicts: list[tuple[str, bool, str]] = []


def verdict(name: str, ok: bool, detail: str) -> None:
    verdicts.append((name, ok, detail))
    print(f"  {'PASS' if ok else 'FAIL'}  {name}: {detail}")


class SimChild:
    """The simulator in its own process (as Binance is not in ours)."""

    def __init__(self, latency_ms: float, accounts: int) -> None:
        self.p = subprocess.Popen(
            [sys.executable, "-c", SIM_CHILD, str(latency_ms), str(accounts)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
            cwd=ROOT,
            env={**os.environ, "PYTHONPATH": str(ROOT)},
        )
        info = json.loads(self.p.stdout.readline())  # type: ignore[union-attr]
        self.url: str = info["url"]
        self.keys: dict[str, list[str]] = info["keys"]

    def _ask(self, cmd: str) -> str:
        assert self.p.stdin and self.p.stdout
        self.p.stdin.write(cmd + "\n")
        self.p.stdin.flush()
        return self.p.stdout.readline()

    def reset(self) -> None:
        self._ask("reset")

    def weights(self) -> dict[str, int]:
        return json.loads(self._ask("weights"))

    def rounds(self, gap: float) -> int:
        """How many waves of requests arrived since the last reset: a new wave starts after a
        silence of ``gap`` seconds (a request that had to wait for an answer)."""
        ts = json.loads(self._ask("rounds"))
        return sum(1 for i, t in enumerate(ts) if i == 0 or t - ts[i - 1] >= gap)

    def close(self) -> None:
        if self.p.stdin:
            self.p.stdin.close()
        try:
            self.p.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.p.kill()


def write_config(path: Path, sim: SimChild, n: int, state_dir: Path, *, symbols: bool) -> Path:
    lines = [
        "[daemon]",
        f'state_dir = "{state_dir}"',
        "request_timeout = 10",
        "",
        "[ntp]",
        "servers = []",
        "",
    ]
    for i in range(n):
        key, secret = sim.keys[f"x{i}"]
        lines += [
            "[[accounts]]",
            f'name = "x{i}"',
            f'api_key = "{key}"',
            f'api_secret = "{secret}"',
            'markets = ["spot", "usdm"]',
            f'spot_url = "{sim.url}"',
            f'futures_url = "{sim.url}"',
            "min_available = { USDT = 100 }",
        ]
        if symbols:
            lines += ['symbols = ["BTCUSDT", "ETHUSDT"]', "order_size = 300"]
        lines.append("")
    path.write_text("\n".join(lines))
    path.chmod(0o600)
    return path


def check(config: Path, only: str | None = None) -> tuple[float, dict[str, Any]]:
    """Run one `check --json` process; return its wall time (s) and its JSON document."""
    cmd = [sys.executable, "-m", "healthcheck", "check", "--config", str(config), "--json"]
    if only:
        cmd += ["--only", only]
    t0 = time.perf_counter()
    p = subprocess.run(
        cmd,
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=300,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    wall = time.perf_counter() - t0
    try:
        doc = json.loads(p.stdout)
    except ValueError:
        raise SystemExit(f"check failed ({p.returncode}): {p.stderr[-2000:]}") from None
    return wall, doc


def header(title: str) -> None:
    print(f"\n== {title}")


def target_weight(tmp: Path) -> None:
    header("1. Weight of a `check` process (1 account, spot+usdm, min_available USDT 100)")
    sim = SimChild(0, 1)
    try:
        for label, only, symbols in (
            ("seven original checks", ORIGINAL, False),
            ("every check, 2 symbols, order_size", None, True),
        ):
            st = tmp / f"w-{symbols}"
            cfg = write_config(tmp / f"w-{symbols}.toml", sim, 1, st, symbols=symbols)
            figures = []
            for run in ("cold", "warm"):
                sim.reset()
                _, doc = check(cfg, only)
                counted = sum(sim.weights().values())
                w = doc["metrics"]["request_weight"]
                bad = [
                    r["check"] + " " + r["status"] for r in doc["results"] if r["status"] != "OK"
                ]
                figures.append(w)
                print(
                    f"  {label}, {run}: weight {w} (simulator counted {counted}); "
                    f"{doc['metrics']['requests']} requests; not OK: {bad or 'none'}"
                )
            if not symbols:
                verdict(
                    "warm run of the seven checks <= 35",
                    figures[1] <= 35,
                    f"warm {figures[1]}, cold {figures[0]}",
                )
    finally:
        sim.close()


def target_daemon() -> None:
    header("2. Daemon at the default intervals, every check, 2 symbols (simulated hour)")
    import bench_check as bc

    from healthcheck.config import ChecksConfig

    env = bc.Env()
    try:
        per_pool, runs, ticks, problems = bc.simulate_hour(
            env,
            ChecksConfig(),
            60.0,
            True,
            10.0,
            slack=5.0,
            account_extra={
                "symbols": {"spot": ("BTCUSDT", "ETHUSDT"), "usdm": ("BTCUSDT", "ETHUSDT")},
                "order_size": {"default": bc.Decimal(300)},
            },
        )
    finally:
        env.close()
    worst = 0.0
    for pool, limit in bc.POOL_LIMITS.items():
        per_min = per_pool.get(pool, 0) / 60
        share = per_min / limit
        worst = max(worst, share)
        print(
            f"  {bc.POOL_NAMES[pool]:<10} {per_min:7.2f} weight/min = {share * 100:.2f} % of "
            f"{limit}"
        )
    print(f"  runs per check: {dict(runs)}; {ticks} ticks; anomalies: {problems[:3] or 'none'}")
    verdict("daemon average < 1 % of every pool", worst < 0.01, f"worst {worst * 100:.2f} %")


def target_round_trips(tmp: Path, reps: int) -> None:
    header(f"3. Round trips of a `check` process: 300 ms added vs 0 ms (median of {reps})")
    times: dict[tuple[str, int], list[float]] = {}
    waves: dict[str, list[int]] = {}
    for latency in (0, 300):
        sim = SimChild(latency, 1)
        try:
            for run in range(reps):
                st = tmp / f"rt-{latency}-{run}"
                cfg = write_config(tmp / f"rt-{latency}-{run}.toml", sim, 1, st, symbols=False)
                sim.reset()
                cold, _ = check(cfg)
                if latency:
                    waves.setdefault("cold", []).append(sim.rounds(0.2))
                sim.reset()
                warm, _ = check(cfg)  # within 5 minutes: offsets and weights from state_dir
                if latency:
                    waves.setdefault("warm", []).append(sim.rounds(0.2))
                times.setdefault(("cold", latency), []).append(cold)
                times.setdefault(("warm", latency), []).append(warm)
        finally:
            sim.close()
    for kind, limit in (("cold", 2), ("warm", 1)):
        m0 = statistics.median(times[(kind, 0)])
        m300 = statistics.median(times[(kind, 300)])
        rts = (m300 - m0) / 0.3
        print(
            f"  {kind}: {m0 * 1000:.0f} ms at 0 ms, {m300 * 1000:.0f} ms at 300 ms: "
            f"{rts:.2f} round trips of wall time; the simulator saw the requests arrive in "
            f"{waves[kind]} wave(s) (one wave = everything sent without waiting for an answer)"
        )
        # the waves are the exact count (wall time also holds process start-up noise)
        verdict(
            f"{kind} check needs <= {limit} round trip(s)",
            max(waves[kind]) <= limit,
            f"{max(waves[kind])} wave(s); {rts:.2f} by wall time",
        )


def target_scaling(tmp: Path, reps: int) -> None:
    header(f"4. Twenty accounts vs one, whole `check` processes at 300 ms (median of {reps})")
    print(
        "  each run starts from the same warm state_dir (a run a minute ago: exchangeInfo, "
        "clock offsets, weight readings), so runs do not see each other's weight"
    )
    sim = SimChild(300, 20)
    try:
        med = {}
        for n in (1, 20):
            st = tmp / f"s{n}"
            cfg = write_config(tmp / f"s{n}.toml", sim, n, st, symbols=False)
            sim.reset()
            check(cfg)  # warm the state_dir (exchangeInfo, offsets)
            template = tmp / f"s{n}-warm"
            shutil.copytree(st, template)
            walls = []
            for _ in range(reps):
                sim.reset()
                shutil.rmtree(st)
                shutil.copytree(template, st)
                wall, doc = check(cfg)
                bad = [r["check"] for r in doc["results"] if r["status"] != "OK"]
                if bad:
                    print(f"  (a run with {n} account(s) was not all OK: {bad[:4]})")
                walls.append(wall)
            med[n] = statistics.median(walls)
            print(
                f"  {n:>2} account(s): {med[n] * 1000:.0f} ms "
                f"({', '.join(f'{w * 1000:.0f}' for w in walls)}); "
                f"{sim.rounds(0.2)} wave(s) of requests in the last run"
            )
        ratio = med[20] / med[1]
        verdict("20 accounts <= 1.5 x one account", ratio <= 1.5, f"{ratio:.2f}x")
    finally:
        sim.close()


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--quick", action="store_true", help="fewer repetitions")
    args = ap.parse_args()
    reps = 2 if args.quick else 5
    tmp = Path(tempfile.mkdtemp(prefix="bhc-oneshot-"))
    try:
        target_weight(tmp)
        target_daemon()
        target_round_trips(tmp, reps)
        target_scaling(tmp, reps)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    header("Summary")
    for name, ok, detail in verdicts:
        print(f"  {'PASS' if ok else 'FAIL'}  {name}: {detail}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
