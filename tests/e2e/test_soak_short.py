"""A short soak (bench/soak.py): 250 daemon ticks against the simulator while random faults are
switched on and off. Every incident must produce exactly one FIRING and one RESOLVED item at the
receiver, and open file descriptors and threads must not grow. Counts only: nothing here asserts
on timing. The full run (10,000+ check runs, RSS table) is ``python bench/soak.py``.
"""

from __future__ import annotations

import io
import sys
from pathlib import Path

import pytest
from requests.adapters import DEFAULT_POOLSIZE

from healthcheck.config import DaemonConfig

pytestmark = pytest.mark.slow

BENCH = Path(__file__).resolve().parents[2] / "bench"

FD_SLACK = 5
THREAD_SLACK = 3


@pytest.fixture(scope="module")
def soak_result():
    sys.path.insert(0, str(BENCH))
    try:
        import soak
    finally:
        sys.path.remove(str(BENCH))
    out = io.StringIO()
    # 2 accounts x 7 checks x 250 ticks; seed 7 switches presets, global and transport faults
    res = soak.run_soak(
        runs=3500,
        accounts=2,
        seed=7,
        failure_threshold=2,
        sample_every=500,
        warmup_ticks=20,
        out=out,
    )
    soak.report(res, out)
    return res, out.getvalue()


def test_every_incident_alerts_once_and_resolves_once(soak_result):
    res, text = soak_result
    failed = [f"{name}: {detail}" for name, ok, detail in res.verdicts if not ok]
    assert not failed, "\n".join(failed) + "\n\n" + text
    assert res.stats["incidents"] >= 10, text  # the faults really caused alerts
    assert res.stats["episodes"].get("transport", 0) >= 1, text


def test_fds_and_threads_stay_flat(soak_result):
    res, text = soak_result
    assert len(res.samples) >= 5, text
    first, last = res.samples[0], res.samples[-1]

    # keep-alive connections to the simulator grow to each client pool's peak concurrency
    # (requests keeps at most 10 per pool; two clients per account); every other fd is flat
    def other_fds(s):
        return s.fds - s.sim_conns

    assert other_fds(last) - other_fds(first) <= FD_SLACK, text
    assert max(other_fds(s) for s in res.samples) - other_fds(first) <= FD_SLACK, text
    assert max(s.sim_conns for s in res.samples) <= 2 * 2 * DEFAULT_POOLSIZE, text
    assert last.fds - first.fds <= FD_SLACK + 2 * 2 * DEFAULT_POOLSIZE, text

    # the runner's fetch pool starts threads lazily (up to max_workers) when requests pile up
    # behind a timeout fault; every other thread (delivery, sends, receiver) must stay flat
    def others(s):
        return s.threads - s.pool_threads

    assert others(last) - others(first) <= THREAD_SLACK, text
    assert max(others(s) for s in res.samples) - others(first) <= THREAD_SLACK, text
    assert max(s.pool_threads for s in res.samples) <= DaemonConfig().max_workers, text
    assert last.threads - first.threads <= THREAD_SLACK + 8, text
