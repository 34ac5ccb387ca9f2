"""A fleet on one IP (issue 21): 20 healthy accounts, 2 symbols each, one host, default settings.

Scaled 10x so the test takes about a minute: every configured interval is divided by 10 and the
simulated IP's weight limits are multiplied by 10 (so ``weight_budget_share`` keeps its default,
0.10, and the budget per minute is 10x too): the weight each check needs per minute relative to
the budget, and so the stretch the schedule computes, are the same as at the real defaults.
Times below are scaled back (x10) in the messages. What a user would notice:

* a quiet run of "5 minutes" (30 s) sends no alert and defers (almost) nothing: every check of
  every account keeps running, and our own weight per 60 s stays within the budget;
* a fault on all 20 accounts (Hedge mode) alerts for each one within "3 minutes" (18 s): the
  first bad run comes within one stretched position_mode interval (82 s), the confirming one a
  quarter interval later, so the bound leaves ~75 s for a slow machine;
* the log, `status` and the metrics state the stretch.
"""

from __future__ import annotations

import json
import re
import time
import urllib.request

import pytest
from support.configs import write_config
from support.daemon import DaemonProc
from support.metrics import metrics_port
from support.receivers import wait_until

pytestmark = pytest.mark.slow

SCALE = 10
N = 20
DEFAULT_INTERVALS = {  # the checks' defaults (README, [checks.<id>])
    "clock": 60,
    "api_key": 600,
    "position_mode": 60,
    "trading_status": 120,
    "balance": 60,
    "symbols": 300,
    "open_orders": 120,
    "leverage": 300,
    "system_status": 300,
    "rate_limit": 60,
    "bot_errors": 60,
}


def max_rolling_spend(requests, group: str) -> int:
    rs = sorted((r.ts, r.weight) for r in requests if r.group == group)
    best, j, total = 0, 0, 0
    for ts, w in rs:
        total += w
        while rs[j][0] <= ts - 60:
            total -= rs[j][1]
            j += 1
        best = max(best, total)
    return best


def test_twenty_accounts_on_one_ip(tmp_path, sim, ntp_servers, json_receiver, cli):
    for pool in ("api", "fapi"):
        sim.limits[pool] *= SCALE
    accounts = []
    for i in range(N):
        a = sim.add_account(f"bot{i}")
        accounts.append(
            {
                "name": f"bot{i}",
                "api_key": a.api_key,
                "api_secret": a.api_secret,
                "symbols": ["BTCUSDT", "ETHUSDT"],
            }
        )
    checks = {c: {"interval": v / SCALE} for c, v in DEFAULT_INTERVALS.items()}
    cfg = write_config(
        tmp_path / "config.toml",
        sim_url=sim.url,
        accounts=accounts,
        ntp=[r.server_string for r in ntp_servers],
        state_dir=tmp_path / "state",
        sections={
            "daemon": {
                "interval": 60 / SCALE,
                "request_timeout": 10,
                "weight_budget_share": 0.1,
            },  # the default
            "alerts": {"urls": [json_receiver.url]},
            "metrics": {"listen": "127.0.0.1:0"},
            "checks": checks,
        },
    )
    started = time.monotonic()
    d = DaemonProc(cfg, tmp_path / "daemon.log").start()
    try:
        # said once at start: what the fleet needs, the budget, the stretched intervals
        # (first with the documented limits, then with those exchangeInfo reports)
        fitted = r"20 accounts need \d+ weight/min on /fapi .*the budget is 2400 "
        assert wait_until(lambda: re.search(fitted, d.log), 30, 0.1), d.log[-3000:]
        assert "position_mode runs every" in d.log
        port = metrics_port(d)
        quiet_start = time.monotonic()
        assert wait_until(lambda: time.monotonic() - quiet_start > 30, 40, 0.5)
        log = d.log
        assert json_receiver.messages == [], json_receiver.messages
        assert "-> UNKNOWN" not in log and "network" not in log, log[-3000:]
        # what is sent matches the plan (80 % of the budget), so checks (almost) never wait for
        # the budget; one that does keeps its last result, never an UNKNOWN. (Before: the spot
        # delist schedule, weight 100, was read per account and made `symbols` wait 20 times
        # at start; accountConfig went out at each of three checks' turns, 1.6x the plan.)
        waits = re.findall(r"(\d+) check\(s\) wait for the weight budget", log)
        assert sum(int(w) for w in waits) <= N // 4, log[-3000:]
        for pool in ("api", "fapi"):
            assert max_rolling_spend(sim.requests, pool) <= sim.limits[pool] * 0.10, pool

        st = cli("status", "--json", "--config", str(cfg))
        doc = json.loads(st.stdout)
        sched = doc["schedule"]
        assert sched["stretch_factor"]["fapi"] > 1.5, sched
        assert sched["behind"] is None and sched["old_results"] == [], sched
        assert any("position_mode runs every" in x for x in sched["lines"])
        # every account's every check has run (its state is no older than 3 intervals)
        from healthcheck.storage.state import StateDB

        with StateDB.open(tmp_path / "state") as db:
            states = db.load_check_states()
        now, up = time.time(), time.monotonic() - started
        for i in range(N):
            for c in (
                "clock",
                "api_key",
                "position_mode",
                "trading_status",
                "balance",
                "open_orders",
                "leverage",
            ):
                s = states.get((f"bot{i}", c))
                every = sched["intervals"][c]
                if i / N * every > up - 5:  # account i's first turn is i/N into the interval
                    continue
                assert s is not None, (i, c)
                assert now - s.last_run_ts <= 3 * every, (i, c)
        text = urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=10).read()
        m = re.search(rb'binance_healthcheck_weight_stretch_factor\{pool="fapi"\} ([0-9.]+)', text)
        assert m and float(m.group(1)) == pytest.approx(sched["stretch_factor"]["fapi"], 0.01)

        # a fault on every account alerts for each one within 3 (scaled) minutes
        fault_at = time.monotonic()
        for i in range(N):
            sim.set_fault("hedge_mode", account=f"bot{i}")
        alerted: dict[str, float] = {}

        def all_alerted() -> bool:
            for msg in list(json_receiver.messages):
                title = f"{msg.get('title')} {msg.get('message')}"
                for i in range(N):
                    if re.search(rf"\bbot{i}\b", title) and "position_mode" in title:
                        alerted.setdefault(f"bot{i}", time.monotonic() - fault_at)
            return len(alerted) == N

        wait_until(all_alerted, 180 / SCALE + 15, 0.2)
        worst = max(alerted.values(), default=float("inf"))
        assert len(alerted) == N, sorted(set(f"bot{i}" for i in range(N)) - set(alerted))
        assert worst <= 180 / SCALE, f"slowest alert after {worst * SCALE:.0f} s (scaled)"
    finally:
        d.stop()


def test_a_fault_is_confirmed_within_a_quarter_interval_not_a_whole_one(
    tmp_path, sim, ntp_servers, json_receiver
):
    """failure_threshold = 2 bad runs: the second comes a quarter interval after the first, so
    a fault alerts about one (stretched) interval after it began, not two. position_mode runs
    every 12 s here; its confirming run comes 3 s after the first bad one (before: 12 s)."""
    a = sim.add_account("main")
    every = 12.0
    checks = {c: {"interval": 600} for c in DEFAULT_INTERVALS}
    checks["position_mode"] = {"interval": every}
    cfg = write_config(
        tmp_path / "config.toml",
        sim_url=sim.url,
        accounts=[{"name": "main", "api_key": a.api_key, "api_secret": a.api_secret}],
        ntp=[r.server_string for r in ntp_servers],
        state_dir=tmp_path / "state",
        sections={
            "daemon": {"interval": every},
            "alerts": {"urls": [json_receiver.url], "failure_threshold": 2},
            "checks": checks,
        },
    )
    d = DaemonProc(cfg, tmp_path / "daemon.log").start()
    try:
        assert wait_until(lambda: "run 2:" in d.log, 30, 0.1), d.log[-2000:]
        # exchangeInfo's limits equal the documented ones: fitting the schedule to them moves no
        # turn (before, every check ran once more at the next tick)
        assert re.search(r"run 2: .*; checks (bot_alive,)?position_mode;", d.log), d.log[-2000:]
        sim.set_fault("hedge_mode", account="main")
        assert wait_until(
            lambda: re.search(r"main position_mode: \w+ -> CRITICAL", d.log), 2 * every + 10, 0.05
        ), d.log[-2000:]
        first_bad = time.monotonic()
        assert wait_until(lambda: json_receiver.messages, 2 * every + 10, 0.05), d.log[-2000:]
        # the confirming run (and the alert) a quarter interval (3 s) after the first bad one,
        # well before a whole interval (12 s), with room for a slow machine
        took = time.monotonic() - first_bad
        assert took < 0.6 * every, (took, d.log[-2000:])
        assert "position_mode" in str(json_receiver.messages[0])
    finally:
        d.stop()
