"""kill -9 during slow deliveries: how many alerts arrive twice, and is any lost?

    PYTHONPATH=.:tests python bench/kill9.py [--kills N] [--answer-seconds S] [--seed S]

A real daemon (``binance-healthcheck run`` subprocess, 1 s interval, failure_threshold 1) watches
one simulator account whose futures position mode is flipped between Hedge and one-way before
every kill, so each round queues one new alert (FIRING or RESOLVED). The alert goes over real
``json://`` to a receiver that takes ``--answer-seconds`` (default 1 s) to answer. As soon as the
receiver has the POST, the daemon is killed with SIGKILL after a random 0..answer-seconds delay
(so kills land before, during and just after the answer), restarted, and the round ends when the
outbox is empty again.

Delivery is at least once: a receiver that has the message when the daemon dies cannot tell us,
so the restarted daemon sends it again. Every message carries ``Alert id: <id>`` (the same on
every retry), so a receiver can drop repeats. Prints POSTs, distinct alerts, duplicates and lost
alerts (must be 0).
"""

from __future__ import annotations

import argparse
import json
import random
import re
import sqlite3
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(REPO), str(REPO / "tests")]

from support.configs import write_config  # noqa: E402
from support.daemon import DaemonProc  # noqa: E402
from support.receivers import JsonReceiver, wait_until  # noqa: E402

from healthcheck.simulator import Simulator  # noqa: E402

ALERT_ID = re.compile(r"Alert id: ([0-9a-f]+)")


def pending(state_dir: Path) -> int:
    try:
        with sqlite3.connect(f"file:{state_dir}/state.db?mode=ro", uri=True, timeout=5) as c:
            return int(
                c.execute(
                    "SELECT count(*) FROM outbox WHERE delivered_at IS NULL AND dropped_at IS NULL"
                ).fetchone()[0]
            )
    except sqlite3.Error:
        return -1


def queued_ids(state_dir: Path) -> set[str]:
    with sqlite3.connect(f"file:{state_dir}/state.db?mode=ro", uri=True, timeout=5) as c:
        return {r[0] for r in c.execute("SELECT alert_id FROM outbox")}


def received_ids(rx: JsonReceiver) -> list[str]:
    out = []
    with rx.lock:
        raws = [r["raw"] for r in rx.requests]
    for raw in raws:
        try:
            m = ALERT_ID.search(json.loads(raw)["message"])
        except (ValueError, KeyError, TypeError):
            m = None
        out.append(m.group(1) if m else "?")
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--kills", type=int, default=20)
    ap.add_argument("--answer-seconds", type=float, default=1.0)
    ap.add_argument("--seed", type=int, default=1)
    args = ap.parse_args(argv)
    rng = random.Random(args.seed)
    tmp = Path(tempfile.mkdtemp(prefix="bhc-kill9-"))
    state_dir = tmp / "state"
    with Simulator() as sim, JsonReceiver() as rx:
        rx.hang_seconds = args.answer_seconds
        acct = sim.add_account("main")
        config = write_config(
            tmp / "config.toml",
            sim_url=sim.url,
            state_dir=state_dir,
            accounts=[
                {
                    "name": "main",
                    "api_key": acct.api_key,
                    "api_secret": acct.api_secret,
                    "markets": ["usdm"],
                }
            ],
            sections={
                "alerts": {
                    "urls": [rx.url],
                    "failure_threshold": 1,
                    "retry_backoff_max": 1,
                    "delivery_timeout": 10,
                }
            },
        )
        d = DaemonProc(config, tmp / "daemon.log").start()
        kills = 0
        try:
            for n in range(args.kills):
                seen = rx.hits
                if n % 2 == 0:
                    sim.set_fault("hedge_mode", account="main")
                else:
                    sim.clear_fault("hedge_mode")
                if not wait_until(lambda s=seen: rx.hits > s, timeout=60, step=0.005):
                    print(f"round {n}: no POST within 60 s; see {tmp / 'daemon.log'}")
                    return 1
                time.sleep(rng.uniform(0, args.answer_seconds * 1.2))
                d.kill()
                kills += 1
                d = DaemonProc(config, tmp / "daemon.log").start()
                if not wait_until(lambda: pending(state_dir) == 0, timeout=60, step=0.05):
                    print(f"round {n}: outbox not drained within 60 s")
                    return 1
                print(f"round {n + 1:3d}/{args.kills}: {rx.hits} POSTs so far", flush=True)
        finally:
            d.stop()
        got = received_ids(rx)
        queued = queued_ids(state_dir)
    distinct = set(got)
    dupes = len(got) - len(distinct)
    lost = queued - distinct
    print(f"\nkill -9 x {kills}, receiver answering in {args.answer_seconds:g} s:")
    print(
        f"  {len(queued)} alerts queued, {len(got)} POSTs, {len(distinct)} distinct alert ids, "
        f"{dupes} duplicate(s) ({dupes / max(1, kills):.2f} per kill), {len(lost)} lost"
    )
    print(f"  every message carries its alert id: {'yes' if '?' not in distinct else 'NO'}")
    return 0 if not lost and "?" not in distinct else 1


if __name__ == "__main__":
    sys.exit(main())
