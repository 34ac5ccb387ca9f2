"""Tests for healthcheck.storage.state.db: the StateDB facade the daemon uses."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from healthcheck.model.result import Status
from healthcheck.storage.state import (
    CheckState,
    HistoryRow,
    OutboxRow,
    SilencesChanged,
    StateDB,
)

T0 = 1_800_000_000.0


def _row(n: int = 1) -> OutboxRow:
    return OutboxRow("d1", f"t{n}", f"b{n}", "failure", f"a{n}", "FIRING", T0, T0)


def test_a_silence_added_during_a_run_makes_the_cycle_save_nothing(tmp_path: Path) -> None:
    d = StateDB.open(tmp_path)
    rev = d.silences_revision()
    d.add_silence(ends_at=T0 + 60, reason="quiet please", now=T0)
    with pytest.raises(SilencesChanged):
        d.commit_cycle({("main", "c"): CheckState(Status.CRITICAL)}, [_row()], [], rev)
    assert d.load_check_states() == {} and d.pending_count() == 0
    d.close()


def test_a_cycle_that_cannot_be_encoded_saves_none_of_its_parts(tmp_path: Path) -> None:
    d = StateDB.open(tmp_path)
    bad = CheckState(Status.WARNING, last_result={"not json": object()})
    rows = [_row()]
    hist = [HistoryRow(T0, "main", "c", None, Status.WARNING, "x")]
    assert d.commit_cycle({("main", "c"): bad}, rows, hist) is False
    assert rows[0].id is None
    assert d.load_check_states() == {} and d.pending_count() == 0 and d.history() == []
    d.close()


def test_prune_drops_old_delivered_rows_and_history_but_keeps_pending_ones(
    tmp_path: Path,
) -> None:
    d = StateDB.open(tmp_path)
    rows = [_row(1), _row(2)]
    d.commit_cycle({}, rows, [HistoryRow(T0, "main", "c", None, Status.OK, "x")])
    assert rows[0].id is not None
    d.mark_delivered(rows[0].id, T0)
    d.prune(T0 + 86_400)
    assert [r.title for r in d.outbox()] == ["t2"]
    assert d.history() == []
    d.close()


def test_in_memory_database_writes_no_file(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)
    d = StateDB.in_memory()
    assert d.commit_cycle({("main", "c"): CheckState(Status.OK)}, [_row()], [])
    assert d.pending_count() == 1
    d.close()
    assert list(tmp_path.iterdir()) == []
    with pytest.raises(sqlite3.Error):
        sqlite3.connect(":memory:").execute("SELECT * FROM outbox")
