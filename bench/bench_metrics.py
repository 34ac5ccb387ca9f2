"""Metrics endpoint report: what a render costs, and whether a scrape storm slows the checks.

    python bench/bench_metrics.py [--quick]

1. render: wall time of one uncached ``generate_latest`` for 1, 20 and 100 accounts (all seven
   checks each, a predicted code on every fifth account), and the exposition size
2. storm: median wall time of a warm run of the checks (5 accounts, spot+usdm, against the
   simulator) while a MetricsServer in the same process (as in the daemon) serves nothing,
   versus while a separate process hammers GET /metrics from 32 threads without pause.
   Target: runs at most 1.25 x slower during the storm; the scrapes served per second and the
   503 "busy" answers are shown.

Everything runs on 127.0.0.1; the machine's other load shows in the figures (run it twice).
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from bench_check import Env, runner_for, timed_runs  # noqa: E402

from healthcheck.engine.runner import Report  # noqa: E402
from healthcheck.model.result import Result, Status  # noqa: E402
from healthcheck.service.metrics import (  # noqa: E402
    BotErrorCounts,
    HealthCollector,
    MetricsServer,
    generate_latest,
    make_registry,
)

STORM_CLIENT = r"""
import sys, threading, time, urllib.request, urllib.error
url, seconds, threads = sys.argv[1], float(sys.argv[2]), int(sys.argv[3])
counts = {"ok": 0, "busy": 0, "error": 0}
lock = threading.Lock()
end = time.monotonic() + seconds
def hammer():
    while time.monotonic() < end:
        try:
            with urllib.request.urlopen(url, timeout=10) as r:
                r.read()
                key = "ok"
        except urllib.error.HTTPError as e:
            key = "busy" if e.code == 503 else "error"
        except OSError:
            key = "error"
        with lock:
            counts[key] += 1
ts = [threading.Thread(target=hammer) for _ in range(threads)]
[t.start() for t in ts]
[t.join() for t in ts]
print(counts["ok"], counts["busy"], counts["error"])
"""


def fake_results(n: int) -> list[Result]:
    out = []
    for i in range(n):
        a = f"account{i:03d}"
        out += [
            Result(
                a,
                "clock",
                Status.OK,
                "",
                metrics={"offset_spot_ms": 3.2, "offset_usdm_ms": 2.9, "ntp_offset_ms": 1.0},
            ),
            Result(a, "api_key", Status.OK, "", metrics={"trading_expires_in_seconds": 86400}),
            Result(
                a,
                "position_mode",
                Status.CRITICAL if i % 5 == 0 else Status.OK,
                "",
                codes=[-4061] if i % 5 == 0 else [],
            ),
            Result(a, "trading_status", Status.OK, ""),
            Result(a, "balance", Status.OK, "", metrics={"margin_ratio": 0.1}),
            Result(
                a,
                "rate_limit",
                Status.OK,
                "",
                metrics={"used_weight_api": 40, "weight_limit_api": 6000},
            ),
            Result(a, "system_status", Status.OK, ""),
        ]
    return out


def bench_render(reps: int) -> None:
    print("== 1. render cost (uncached generate_latest)")
    print(f"{'accounts':>9} {'series':>7} {'bytes':>8} {'median ms':>10}")
    for n in (1, 20, 100):
        c = HealthCollector(
            outbox_pending=lambda: 0,
            delivery_failures=lambda: 0,
            bot_errors=BotErrorCounts(),
            run_interval_seconds=60,
        )
        c.update(Report(fake_results(n), {"duration_ms": 100.0, "request_weight": 10}, 0.0))
        reg = make_registry(c)
        times = []
        body = b""
        for _ in range(reps):
            t0 = time.perf_counter()
            body = generate_latest(reg)
            times.append((time.perf_counter() - t0) * 1000)
        series = sum(1 for line in body.splitlines() if line and not line.startswith(b"#"))
        print(f"{n:>9} {series:>7} {len(body):>8} {statistics.median(times):>10.2f}")


def bench_storm(runs: int, storm_seconds: float, threads: int) -> bool:
    print(
        f"\n== 2. scrape storm: {threads} client threads in another process vs runs of the "
        "checks (5 accounts)"
    )
    env = Env()
    try:
        cfg = env.config(env.accounts(5, "storm"), env.new_state_dir())
        collector = HealthCollector(
            outbox_pending=lambda: 0,
            delivery_failures=lambda: 0,
            bot_errors=BotErrorCounts(),
            run_interval_seconds=60,
        )
        collector.update(Report(fake_results(20), {"duration_ms": 100.0}, 0.0))
        server = MetricsServer(collector, "127.0.0.1", 0).start()
        url = f"http://127.0.0.1:{server.port}/metrics"
        with runner_for(cfg) as r:
            quiet = timed_runs(r, runs, env.sim)
            client = subprocess.Popen(
                [sys.executable, "-c", STORM_CLIENT, url, str(storm_seconds), str(threads)],
                stdout=subprocess.PIPE,
                text=True,
            )
            time.sleep(0.5)  # let the storm reach full speed before timing
            t0 = time.monotonic()
            stormy = []
            while time.monotonic() - t0 < storm_seconds - 1.0 or len(stormy) < 3:
                stormy += timed_runs(r, 1, env.sim)
                collector.update(Report(fake_results(20), {"duration_ms": 100.0}, 0.0))
            out, _ = client.communicate(timeout=storm_seconds + 30)
        server.stop()
        ok, busy, err = (int(x) for x in out.split())
        q, s = statistics.median(quiet), statistics.median(stormy)
        print(f"  run without storm: median {q:.0f} ms over {len(quiet)} runs")
        print(f"  run during storm:  median {s:.0f} ms over {len(stormy)} runs ({s / q:.2f} x)")
        print(
            f"  scrapes: {ok / storm_seconds:.0f}/s answered 200, {busy} answered 503 busy, "
            f"{err} failed, in {storm_seconds:.0f} s; {server.scrapes} served by the server"
        )
        passed = s <= 1.25 * q
        print(
            f"{'PASS' if passed else 'FAIL'}: runs during the storm <= 1.25 x without "
            f"({s / q:.2f} x)"
        )
        return passed
    finally:
        env.close()


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--quick", action="store_true")
    args = ap.parse_args()
    bench_render(20 if args.quick else 100)
    bench_storm(5 if args.quick else 15, 8.0 if args.quick else 20.0, 32)
    return 0


if __name__ == "__main__":
    sys.exit(main())
