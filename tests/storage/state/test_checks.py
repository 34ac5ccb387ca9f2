"""Tests for healthcheck.storage.state.checks: what each check last was and what was notified."""

from __future__ import annotations

import logging
import sqlite3
from pathlib import Path

import pytest

from healthcheck.model.result import Status
from healthcheck.storage.state import CheckState, HistoryRow, StateDB
from healthcheck.storage.state.opening import DB_NAME

T0 = 1_800_000_000.0


def _open_incident() -> CheckState:
    return CheckState(
        last_status=Status.CRITICAL,
        last_codes=[-2015],
        last_summary="API key rejected",
        last_run_ts=T0,
        consecutive_bad=3,
        bad_since_ts=T0 - 120,
        notified_status=Status.CRITICAL,
        notified_codes=[-2015],
        notified_at=T0 - 60,
        notified_peak=Status.CRITICAL,
        muted={"kind": "silence", "by": "#1", "until": T0 + 3600},
        held=True,
    )


def test_an_open_incident_is_remembered_across_a_restart(tmp_path: Path) -> None:
    d = StateDB.open(tmp_path)
    assert d.commit_cycle({("main", "api_key"): _open_incident()}, [], [])
    d.close()
    d = StateDB.open(tmp_path)
    assert d.load_check_states() == {("main", "api_key"): _open_incident()}
    d.close()


def test_history_lists_the_newest_flips_first_up_to_the_limit(tmp_path: Path) -> None:
    d = StateDB.open(tmp_path)
    flips = [
        HistoryRow(T0 + n, "main", "balance", Status.OK, Status.WARNING, f"flip {n}")
        for n in range(5)
    ]
    flips[0] = HistoryRow(T0, "main", "balance", None, Status.OK, "first run")
    d.commit_cycle({}, [], flips)
    assert [h.summary for h in d.history(3)] == ["flip 4", "flip 3", "flip 2"]
    assert d.history(10)[-1].old_status is None
    d.close()


def test_an_unreadable_state_row_is_dropped_with_a_warning_not_a_crash(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    d = StateDB.open(tmp_path)
    d.commit_cycle({("main", "good"): _open_incident()}, [], [])
    d.close()
    conn = sqlite3.connect(tmp_path / DB_NAME)
    conn.execute(
        "INSERT INTO check_state (account, check_id, data) VALUES ('main', 'bad', '{\"x\": 1}')"
    )
    conn.commit()
    conn.close()
    d = StateDB.open(tmp_path)
    with caplog.at_level(logging.WARNING):
        states = d.load_check_states()
    assert list(states) == [("main", "good")]
    assert any("main/bad" in r.getMessage() for r in caplog.records)
    d.close()
