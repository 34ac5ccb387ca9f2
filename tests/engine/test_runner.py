"""Kept answers (reuse_seconds) save weight, but do not keep a problem alive long after its fix:
real python-binance client, the simulator over HTTP, a real state dir, one Runner run after
another as the daemon does, with the clock that dates kept answers driven by the test."""

from __future__ import annotations

import time

from support.runs import result

from healthcheck.config import load_config
from healthcheck.engine.reuse import BAD_NEWS_REUSE_SECONDS
from healthcheck.engine.runner import Runner
from healthcheck.model.result import Status
from healthcheck.storage.state import StateDB


def _account_reads(sim) -> int:
    return sum(1 for r in sim.requests if r.path == "/api/v3/account")


def test_a_fixed_problem_resolves_within_a_minute_although_its_answer_is_kept(sim, make_config):
    acct = sim.add_account("main")
    cfg = load_config(
        make_config([{"name": "main", "api_key": acct.api_key, "api_secret": acct.api_secret}])
    )
    now = [time.time()]
    state = StateDB.open(cfg.state_dir())
    runner = Runner(cfg, state, clock=lambda: now[0])

    def trading_status():
        return result(runner.run({"trading_status"}), "trading_status")

    try:
        # canTrade false on the account's first read: /api/v3/account (weight 20) is kept for
        # 5 minutes, like every slow account field
        sim.set_fault("cannot_trade", account="main")
        bad = trading_status()
        assert bad.status is Status.CRITICAL and "spot" in bad.summary.lower(), bad.summary
        reads = _account_reads(sim)
        now[0] += 10
        assert trading_status().status is Status.CRITICAL
        assert _account_reads(sim) == reads, "bad news is kept for a minute too, not re-read"

        sim.clear_fault("cannot_trade")  # the user fixes it
        now[0] += BAD_NEWS_REUSE_SECONDS  # a minute after the bad answer, not five
        fixed = trading_status()
        assert fixed.status is Status.OK, fixed.summary
        assert _account_reads(sim) == reads + 1

        # healthy answers are kept for their 5 minutes again
        now[0] += 4 * 60
        assert trading_status().status is Status.OK
        assert _account_reads(sim) == reads + 1, "a healthy answer is reused within 5 minutes"
        now[0] += 61
        assert trading_status().status is Status.OK
        assert _account_reads(sim) == reads + 2
    finally:
        runner.close()
        state.close()
