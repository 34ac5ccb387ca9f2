"""What reading the bot's config costs, as a user meets it: whole `check` and `plan` processes
against the simulator in its own process (bench_oneshot's child).

    python bench/bench_bots.py [--reps N]

1. A USD-M account written out by hand (markets, symbols, order_size) vs the same account
   derived from a freqtrade config (trading_mode futures, two pairs, stake_amount), and from a
   freqtrade config with stake_amount "unlimited": wall time of a `check` process (median of N,
   cold = empty state_dir, warm = a second process), its weight (metrics.request_weight, checked
   against what the simulator counted), and the daemon's weight per minute from `plan --json`.
2. bot_alive on a watched log with stale_after: wall time of `check --only bot_alive` (no
   requests to Binance).

The script prints the figures and exits 0 (a report, not a test).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "bench"))

from bench_oneshot import SimChild, check  # noqa: E402


def freqtrade_config(path: Path, stake: Any) -> Path:
    path.write_text(
        "// freqtrade's own config, as a user has it\n"
        + json.dumps(
            {
                "trading_mode": "futures",
                "margin_mode": "isolated",
                "max_open_trades": 3,
                "stake_currency": "USDT",
                "stake_amount": stake,
                "stoploss": -0.10,
                "exchange": {
                    "name": "binance",
                    "key": "",
                    "secret": "",
                    "pair_whitelist": ["BTC/USDT:USDT", "ETH/USDT:USDT"],
                },
                "pairlists": [{"method": "StaticPairList"}],
            },
            indent=2,
        )
    )
    return path


def our_config(path: Path, sim: SimChild, state: Path, account: list[str]) -> Path:
    key, secret = sim.keys["x0"]
    lines = [
        "[daemon]",
        f'state_dir = "{state}"',
        "",
        "[ntp]",
        "servers = []",
        "",
        "[[accounts]]",
        'name = "x0"',
        f'api_key = "{key}"',
        f'api_secret = "{secret}"',
        f'spot_url = "{sim.url}"',
        f'futures_url = "{sim.url}"',
        *account,
        "",
    ]
    path.write_text("\n".join(lines))
    path.chmod(0o600)
    return path


def plan_per_minute(config: Path) -> dict[str, float]:
    p = subprocess.run(
        [sys.executable, "-m", "healthcheck", "plan", "--config", str(config), "--json"],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=120,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    return {k: float(v) for k, v in json.loads(p.stdout)["weight_per_minute"].items()}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--reps", type=int, default=5)
    args = ap.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="bench-bots-"))
    sim = SimChild(0, 1)
    try:
        ft_fixed = freqtrade_config(tmp / "ft-fixed.json", 200)
        ft_unlimited = freqtrade_config(tmp / "ft-unlimited.json", "unlimited")
        variants = {
            "written by hand": [
                'markets = ["usdm"]',
                'symbols = ["BTCUSDT", "ETHUSDT"]',
                "order_size = 200",
            ],
            "bot_config, stake 200": ['bot = "freqtrade"', f'bot_config = "{ft_fixed}"'],
            "bot_config, unlimited": ['bot = "freqtrade"', f'bot_config = "{ft_unlimited}"'],
        }
        print(f"== 1. `check` processes, 1 USD-M account, 2 symbols (median of {args.reps})")
        print(
            f"  {'account':<24} {'cold s':>7} {'warm s':>7} {'weight cold/warm':>17} "
            f"{'daemon /fapi per min':>21}  statuses"
        )
        for label, account in variants.items():
            colds, warms, weights = [], [], []
            statuses = ""
            for rep in range(args.reps):
                state = tmp / f"state-{abs(hash(label))}-{rep}"
                cfg = our_config(tmp / f"c-{abs(hash(label))}-{rep}.toml", sim, state, account)
                sim.reset()
                t, doc = check(cfg)
                colds.append(t)
                cold_w = doc["metrics"]["request_weight"]
                t, doc = check(cfg)
                warms.append(t)
                weights = [cold_w, doc["metrics"]["request_weight"]]
                statuses = ",".join(sorted({r["status"] for r in doc["results"]}))
            per_min = plan_per_minute(cfg).get("fapi", float("nan"))
            print(
                f"  {label:<24} {statistics.median(colds):7.2f} {statistics.median(warms):7.2f} "
                f"{weights[0]:>8}/{weights[1]:<8} {per_min:21.2f}  {statuses}"
            )

        print(f"\n== 2. bot_alive on a watched log with stale_after (median of {args.reps})")
        log = tmp / "freqtrade.log"
        log.write_text(
            "2026-12-07 01:00:00,000 - freqtrade.worker - INFO - Bot heartbeat. "
            "PID=1, version='2026.9', state='RUNNING'\n"
        )
        cfg = our_config(tmp / "alive.toml", sim, tmp / "alive-state", ['markets = ["usdm"]'])
        with cfg.open("a") as f:
            f.write(f'[[watch]]\naccount = "x0"\npath = "{log}"\nstale_after = 180\n')
        walls = []
        for _ in range(args.reps):
            t0 = time.perf_counter()
            p = subprocess.run(
                [
                    sys.executable,
                    "-m",
                    "healthcheck",
                    "check",
                    "--config",
                    str(cfg),
                    "--only",
                    "bot_alive",
                    "--json",
                ],
                capture_output=True,
                text=True,
                cwd=ROOT,
                env={**os.environ, "PYTHONPATH": str(ROOT)},
            )
            walls.append(time.perf_counter() - t0)
            doc = json.loads(p.stdout)
        print(
            f"  check --only bot_alive: {statistics.median(walls):.2f} s, weight "
            f"{doc['metrics']['request_weight']}, status "
            f"{[r['status'] for r in doc['results'] if r['check'] == 'bot_alive']}"
        )
    finally:
        sim.close()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
