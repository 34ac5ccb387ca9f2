"""Kept answers (reuse_seconds) save weight, but never keep a problem alive after its fix: real
python-binance client, the simulator over HTTP, a real state dir, one Runner run after another as
the daemon does."""

from __future__ import annotations

from support.runs import result

from healthcheck.config import load_config
from healthcheck.result import Status
from healthcheck.runner import Runner
from healthcheck.state import StateDB


def _account_reads(sim) -> int:
    return sum(1 for r in sim.requests if r.path == "/api/v3/account")


def test_a_fixed_problem_resolves_at_the_next_run_although_its_answer_is_kept(sim, make_config):
    acct = sim.add_account("main")
    cfg = load_config(make_config([{"name": "main", "api_key": acct.api_key,
                                    "api_secret": acct.api_secret}]))
    state = StateDB.open(cfg.state_dir())
    runner = Runner(cfg, state)
    try:
        # canTrade false on the account's first read: /api/v3/account (weight 20) is kept for 5
        # minutes, like every slow account field
        sim.set_fault("cannot_trade", account="main")
        bad = result(runner.run({"trading_status"}), "trading_status")
        assert bad.status is Status.CRITICAL and "spot" in bad.summary.lower(), bad.summary

        sim.clear_fault("cannot_trade")  # the user fixes it: the very next run says so
        fixed = result(runner.run({"trading_status"}), "trading_status")
        assert fixed.status is Status.OK, fixed.summary

        # healthy answers are kept again: no /api/v3/account for the next run
        reads = _account_reads(sim)
        assert result(runner.run({"trading_status"}), "trading_status").status is Status.OK
        assert _account_reads(sim) == reads, "a healthy answer is reused within its 5 minutes"
    finally:
        runner.close()
        state.close()
