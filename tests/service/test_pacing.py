"""The daemon's pace: the "behind" result with its 30 s floor, and due checks that keep their
phase (healthcheck/service/pacing.py)."""

from __future__ import annotations

from healthcheck.config import parse_config
from healthcheck.engine.schedule import (
    BEHIND_FACTOR,
    BEHIND_MIN_INTERVAL_SECONDS,
    DAEMON_ACCOUNT,
    build_schedule,
)
from healthcheck.model.result import Status
from healthcheck.service.pacing import Pacing, behind_result
from healthcheck.storage.state import CheckState

NOW = 1_790_000_000.0
CFG = parse_config(
    {
        "accounts": [
            {"name": n, "api_key": k * 64, "api_secret": "S" * 64, "markets": ["spot"]}
            for n, k in (("a", "A"), ("b", "B"))
        ],
        "checks": {"balance": {"interval": 60}},
    }
)


def ran(age_s: float) -> CheckState:
    return CheckState(last_status=Status.OK, last_run_ts=NOW - age_s)


def test_a_result_older_than_three_intervals_is_one_warning_for_the_daemon() -> None:
    schedule = build_schedule(CFG, {"balance": 60.0})
    every = schedule.interval("balance")
    states = {("a", "balance"): ran(BEHIND_FACTOR * every + 5), ("b", "balance"): ran(1)}
    enabled = {"a": {"balance"}, "b": {"balance"}}
    r = behind_result(schedule, states, enabled, NOW, up_seconds=3600)
    assert r.account == DAEMON_ACCOUNT and r.status is Status.WARNING
    assert "1 result is more than 3 intervals old; oldest: a balance" in r.summary
    assert "weight_budget_share" in (r.fix or "")
    # just started: a daemon up for less than the limit is not behind yet
    fresh = behind_result(schedule, states, enabled, NOW, up_seconds=BEHIND_FACTOR * every - 1)
    assert fresh.status is Status.OK


def test_short_intervals_are_behind_only_after_the_30_second_floor() -> None:
    schedule = build_schedule(CFG, {"balance": 1.0})
    floor = BEHIND_FACTOR * BEHIND_MIN_INTERVAL_SECONDS
    assert floor == 30
    enabled = {"a": {"balance"}}
    late = behind_result(schedule, {("a", "balance"): ran(floor - 1)}, enabled, NOW, 3600)
    assert late.status is Status.OK
    later = behind_result(schedule, {("a", "balance"): ran(floor + 1)}, enabled, NOW, 3600)
    assert later.status is Status.WARNING


def test_a_check_that_ran_keeps_its_phase_and_a_deferred_one_stays_due() -> None:
    pacing = Pacing(CFG)
    pacing.schedule = build_schedule(
        CFG, {c: pacing.check_interval(c) for c in pacing.enabled_checks()}
    )
    every = pacing.schedule.interval("balance")
    start = pacing.started_mono
    due = pacing.due(start)
    assert "balance" in due.get("a", set()) and "balance" not in due.get("b", set())
    b_first = pacing.next_due[("b", "balance")]
    assert b_first > start + pacing.tick_seconds() / 2  # the accounts do not fall due together
    a_first = pacing.next_due[("a", "balance")]
    pacing.ran({"a": {"balance"}}, set(), now=a_first + 7)  # a slow run
    assert pacing.next_due[("a", "balance")] == a_first + every  # not +7: the phase stays
    pacing.ran({"a": {"balance"}}, {("a", "balance")}, now=a_first + every + 1)
    assert pacing.next_due[("a", "balance")] == a_first + every  # deferred: still due
