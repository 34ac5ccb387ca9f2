"""Cost of watching a bot's log: parse throughput and the CPU of following a busy file.

    python bench/bench_logwatch.py [--lines N] [--rate R] [--seconds S]

1. parse: N lines (default 100,000; 1 % Binance errors in every client format, the rest ordinary
   freqtrade INFO lines with prices, order ids and timestamps) through the real follower +
   parser + store path (``Watcher.poll_once``): lines per second and CPU seconds.
2. follow: a writer thread appends R lines per second (default 10,000, 1 % errors) to a file
   for S seconds (default 10) while the real daemon watcher thread follows it; the watcher's CPU
   is measured with the thread's own CPU clock. Target: < 5 % of one core.

Prints the figures and a PASS/FAIL line for the target; exits 0 whatever the verdict.
"""

from __future__ import annotations

import argparse
import random
import sys
import tempfile
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from healthcheck.logwatch.settings import WatchConfig  # noqa: E402
from healthcheck.logwatch.store import WatchStore  # noqa: E402
from healthcheck.service.watcher import Watcher  # noqa: E402

ERRORS = [
    "APIError(code=-1021): Timestamp for this request is outside of the recvWindow.",
    'Message: binance {"code":-4164,"msg":"Order\'s notional must be no smaller than 100 (unless '
    'you choose reduce only)."}',
    "(400, -2019, 'Margin is insufficient.', {'Content-Type': 'application/json'})",
    "OSError: Error executing request POST https://fapi.binance.com/fapi/v1/order. HTTP status "
    'is 400. Error: {"code":-2027,"msg":"Exceeded the maximum allowable position at current '
    'leverage."}',
    "new_order() error: (-2021, 'Order would immediately trigger.')",
]
NORMAL = [
    "freqtrade.freqtradebot - INFO - Bot heartbeat. PID=4021, version='2024.10', state='RUNNING'",
    "freqtrade.wallets - INFO - Wallets synced. BTC free 0.0123 locked 0.0010",
    "freqtrade.freqtradebot - INFO - Order 41021993 for BTC/USDT:USDT filled at 60213.4 qty 0.002",
    "freqtrade.strategy - DEBUG - ema fast -1021.32 slow -1003.4 rsi 42.1 for ETH/USDT",
]


def make_lines(n: int, seed: int = 1) -> list[str]:
    rnd = random.Random(seed)
    out = []
    for i in range(n):
        body = rnd.choice(ERRORS) if i % 100 == 0 else rnd.choice(NORMAL)
        out.append(f"2026-01-01 10:00:{i % 60:02d},{i % 1000:03d} - {body}\n")
    return out


def watcher_for(path: Path, state: Path) -> Watcher:
    w = WatchConfig(account="main", path=path, window=300)
    return Watcher((w,), {"main": ("spot", "usdm")}, WatchStore.open(state), state)


def bench_parse(n: int) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        log = Path(tmp) / "bot.log"
        log.write_text("")
        watcher = watcher_for(log, Path(tmp) / "state")
        watcher.poll_once()
        log.write_text("".join(make_lines(n)))
        wall0, cpu0 = time.perf_counter(), time.process_time()
        found = 0
        while True:
            got = watcher.poll_once()
            found += got
            if watcher.sources[0].follower.read_pos >= log.stat().st_size:
                break
        wall, cpu = time.perf_counter() - wall0, time.process_time() - cpu0
        watcher.store.close()
    print(
        f"parse: {n:,} lines ({found:,} errors found, expected {n // 100:,}) in {wall:.2f} s "
        f"wall, {cpu:.2f} s CPU: {n / wall:,.0f} lines/s, {n / max(cpu, 1e-9):,.0f} lines per "
        f"CPU second"
    )


def bench_follow(rate: int, seconds: float) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        log = Path(tmp) / "bot.log"
        log.write_text("")
        watcher = watcher_for(log, Path(tmp) / "state")
        lines = make_lines(rate)
        stop = threading.Event()
        written = [0]

        def writer() -> None:
            # 10 writes per second of rate/10 lines each, like a bot's buffered handler
            step = max(1, rate // 10)
            with open(log, "a") as f:
                t0 = time.monotonic()
                k = 0
                while not stop.is_set():
                    i = (k * step) % rate
                    f.write("".join(lines[i : i + step]))
                    f.flush()
                    written[0] += step
                    k += 1
                    delay = t0 + k / 10 - time.monotonic()
                    if delay > 0:
                        time.sleep(delay)

        cpu_box: list[float] = []
        orig_loop = watcher._loop

        def measured_loop() -> None:
            c0 = time.thread_time()
            orig_loop()
            cpu_box.append(time.thread_time() - c0)

        watcher._loop = measured_loop  # type: ignore[method-assign]
        wt = threading.Thread(target=writer, daemon=True)
        watcher.start()
        wt.start()
        time.sleep(seconds)
        stop.set()
        wt.join()
        time.sleep(1.0)  # let the watcher catch up with the last writes
        watcher.stop()
        found = len(watcher.store.occurrences("main", 0))
        watcher.store.close()
    cpu = cpu_box[0] if cpu_box else float("nan")
    share = cpu / (seconds + 1.0) * 100
    print(
        f"follow: {written[0]:,} lines written at {rate:,}/s for {seconds:g} s; watcher found "
        f"{found:,} errors; watcher thread CPU {cpu:.2f} s = {share:.1f} % of one core"
    )
    print(
        f"{'PASS' if share < 5 else 'FAIL'}: following {rate:,} lines/s costs {share:.1f} % of "
        "one core (target < 5 %)"
    )


def main() -> int:
    p = argparse.ArgumentParser()
    p.add_argument("--lines", type=int, default=100_000)
    p.add_argument("--rate", type=int, default=10_000)
    p.add_argument("--seconds", type=float, default=10.0)
    a = p.parse_args()
    bench_parse(a.lines)
    bench_follow(a.rate, a.seconds)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
