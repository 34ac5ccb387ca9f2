"""Tests for healthcheck.storage.state.outbox: queued alerts are durable and sent once."""

from __future__ import annotations

from pathlib import Path

from healthcheck.storage.state import OutboxRow, StateDB, dest_fingerprint

T0 = 1_800_000_000.0


def _row(dest: str, n: int) -> OutboxRow:
    return OutboxRow(
        dest=dest,
        title=f"title {n}",
        body=f"body {n}",
        notify_type="failure",
        alert_id=f"a{n}",
        kind="FIRING",
        created_at=T0,
        next_attempt_at=T0,
    )


def test_a_row_enqueued_in_a_cycle_survives_reopening_and_is_delivered_once(
    tmp_path: Path,
) -> None:
    d = StateDB.open(tmp_path)
    assert d.commit_cycle({}, [_row("d1", 1)], [])
    d.close()
    d = StateDB.open(tmp_path)
    due = d.due_outbox(T0, 10)
    assert [(r.dest, r.title) for r in due] == [("d1", "title 1")]
    assert due[0].id is not None
    d.mark_delivered(due[0].id, T0 + 1)
    d.close()
    d = StateDB.open(tmp_path)
    assert d.due_outbox(T0 + 100, 10) == []
    assert d.pending_count() == 0
    d.close()


def test_a_failed_row_waits_for_its_retry_and_holds_back_later_rows_to_that_destination(
    tmp_path: Path,
) -> None:
    d = StateDB.open(tmp_path)
    rows = [_row("d1", 1), _row("d1", 2), _row("d2", 3)]
    d.commit_cycle({}, rows, [])
    assert rows[0].id is not None
    d.mark_failed(rows[0].id, T0, "HTTP 502", T0 + 30)
    assert [r.title for r in d.due_outbox(T0 + 1, 10)] == ["title 3"]
    assert [r.title for r in d.due_outbox(T0 + 31, 10)] == ["title 1", "title 2", "title 3"]
    d.close()


def test_a_dropped_row_is_no_longer_pending(tmp_path: Path) -> None:
    d = StateDB.open(tmp_path)
    rows = [_row("d1", 1)]
    d.commit_cycle({}, rows, [])
    assert rows[0].id is not None and d.pending_count() == 1
    d.drop(rows[0].id, T0, "destination removed")
    assert d.pending_count() == 0 and d.due_outbox(T0 + 1, 10) == []
    d.close()


def test_destination_fingerprint_is_stable_and_does_not_contain_the_url() -> None:
    url = "tgram://123456:ABCDEFsecrettoken/987"
    fp = dest_fingerprint(url)
    assert fp == dest_fingerprint(url) and fp != dest_fingerprint(url + "0")
    assert "secrettoken" not in fp and len(fp) == 64
