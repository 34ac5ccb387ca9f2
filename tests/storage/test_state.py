"""Tests for healthcheck.storage.state: the SQLite state database survives restarts and damage."""

from __future__ import annotations

import logging
import os
import sqlite3
import stat
import subprocess
import sys
import tempfile
import textwrap
from pathlib import Path

import pytest

from healthcheck.model.result import Result, Status
from healthcheck.storage.state import (
    DB_NAME,
    SCHEMA_VERSION,
    CheckState,
    HistoryRow,
    OutboxRow,
    StateDB,
    StateError,
)

T0 = 1_800_000_000.0


def row(dest: str = "d1", n: int = 1, at: float = T0) -> OutboxRow:
    return OutboxRow(
        dest=dest,
        title=f"title {n}",
        body=f"body {n}",
        notify_type="failure",
        alert_id=f"alert{n}",
        kind="FIRING",
        created_at=at,
        next_attempt_at=at,
    )


def state(status: Status = Status.CRITICAL) -> CheckState:
    r = Result("main", "position_mode", status, "hedge mode", [-4061], fix="switch")
    return CheckState(
        last_status=status,
        last_codes=[-4061],
        last_summary="hedge mode",
        last_result=r.to_json(),
        last_run_ts=T0,
        consecutive_bad=2,
        bad_since_ts=T0 - 60,
        notified_status=status,
        notified_codes=[-4061],
        notified_at=T0,
        last_ok_ts=None,
        notified_peak=status,
    )


@pytest.fixture
def db(tmp_path: Path) -> StateDB:
    d = StateDB.open(tmp_path / "state")
    yield d
    d.close()


def test_open_creates_private_dir_and_file(tmp_path: Path) -> None:
    d = StateDB.open(tmp_path / "a" / "b")
    d.close()
    assert stat.S_IMODE((tmp_path / "a" / "b").stat().st_mode) == 0o700
    assert stat.S_IMODE((tmp_path / "a" / "b" / DB_NAME).stat().st_mode) == 0o600
    conn = sqlite3.connect(tmp_path / "a" / "b" / DB_NAME)
    assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert conn.execute("SELECT value FROM meta WHERE key='schema_version'").fetchone()[0] == str(
        SCHEMA_VERSION
    )


def test_check_states_outbox_history_round_trip_across_reopen(tmp_path: Path) -> None:
    d = StateDB.open(tmp_path)
    states = {("main", "position_mode"): state()}
    rows = [row("d1", 1), row("d2", 1)]
    hist = [HistoryRow(T0, "main", "position_mode", Status.WARNING, Status.CRITICAL, "hedge")]
    assert d.commit_cycle(states, rows, hist) is True
    assert all(r.id is not None for r in rows)
    d.close()

    d = StateDB.open(tmp_path)
    assert d.load_check_states() == states
    loaded = d.load_check_states()[("main", "position_mode")]
    assert Result.from_json(loaded.last_result or {}).codes == [-4061]
    assert d.pending_count() == 2
    assert [(r.dest, r.title, r.alert_id) for r in d.due_outbox(T0, 10)] == [
        ("d1", "title 1", "alert1"),
        ("d2", "title 1", "alert1"),
    ]
    assert d.history(10) == hist
    d.close()


def test_outbox_delivery_and_retry_keep_order_per_destination(db: StateDB) -> None:
    rows = [row("d1", 1), row("d2", 1), row("d1", 2)]
    db.commit_cycle({}, rows, [])
    r1, r2, r3 = rows
    assert r1.id and r2.id and r3.id
    db.mark_failed(r1.id, T0, "boom https://x:secretpw@smtp.example.test", T0 + 4)
    # d1's first alert waits for its retry, so its second alert must not overtake it
    assert [r.id for r in db.due_outbox(T0 + 1, 10)] == [r2.id]
    db.mark_delivered(r2.id, T0 + 1)
    assert [r.id for r in db.due_outbox(T0 + 5, 10)] == [r1.id, r3.id]
    failed = db.due_outbox(T0 + 5, 10)[0]
    assert failed.attempts == 1 and "secretpw" not in failed.last_error
    assert db.pending_count() == 2
    db.drop(r3.id, T0, "gone")
    assert db.pending_count() == 1


def test_due_outbox_treats_far_future_retry_as_clock_step(db: StateDB) -> None:
    rows = [row("d1", 1)]
    db.commit_cycle({}, rows, [])
    assert rows[0].id
    db.mark_failed(rows[0].id, T0, "x", T0 + 30)
    back_one_hour = T0 - 3600
    assert db.due_outbox(back_one_hour, 10) == []
    assert len(db.due_outbox(back_one_hour, 10, max_delay_seconds=60)) == 1


def test_bans_keep_the_later_until(db: StateDB) -> None:
    db.set_ban("api.binance.com", T0 + 120, "418 first")
    db.set_ban("api.binance.com", T0 + 60, "429 shorter")
    assert db.get_ban("api.binance.com", T0) == (T0 + 120, "418 first")
    db.set_ban("api.binance.com", T0 + 600, "418 longer")
    assert db.get_ban("api.binance.com", T0) == (T0 + 600, "418 longer")
    assert db.get_ban("api.binance.com", T0 + 601) is None
    db.set_ban("fapi.binance.com", T0 + 10, "x")
    assert db.active_bans(T0 + 20) == {"api.binance.com": (T0 + 600, "418 longer")}


def test_cache_round_trip(db: StateDB) -> None:
    assert db.get_cache("exchangeInfo") is None
    db.put_cache("exchangeInfo", {"symbols": [1, 2]}, T0)
    assert db.get_cache("exchangeInfo") == (T0, {"symbols": [1, 2]})


def test_commit_cycle_is_atomic_when_one_part_fails(
    db: StateDB, caplog: pytest.LogCaptureFixture
) -> None:
    bad = row("d1", 1)
    bad.title = None  # type: ignore[assignment]  # violates NOT NULL after states were written
    with caplog.at_level(logging.ERROR):
        ok = db.commit_cycle({("main", "position_mode"): state()}, [row("d0", 0), bad], [])
    assert ok is False
    assert db.load_check_states() == {} and db.pending_count() == 0
    assert sum("saving the cycle failed" in r.getMessage() for r in caplog.records) == 1


_KILL_CHILD = textwrap.dedent("""
    import os, sys
    sys.path.insert(0, sys.argv[2])
    from pathlib import Path
    from healthcheck.storage.state import StateDB, OutboxRow, CheckState
    from healthcheck.model.result import Status
    db = StateDB.open(Path(sys.argv[1]))
    n = 0
    while True:
        n += 1
        s = {("main", "c"): CheckState(last_status=Status.CRITICAL, consecutive_bad=n)}
        r = OutboxRow(dest="d", title=str(n), body="b", notify_type="failure", alert_id=str(n),
                      kind="FIRING", created_at=0.0, next_attempt_at=0.0)
        db.commit_cycle(s, [r], [])
        if n == 200:
            print("ready", flush=True)
""")


def test_kill_9_mid_cycles_leaves_state_and_outbox_in_agreement(tmp_path: Path) -> None:
    proc = subprocess.Popen(
        [sys.executable, "-c", _KILL_CHILD, str(tmp_path), str(Path(__file__).parents[2])],
        stdout=subprocess.PIPE,
        text=True,
    )
    assert proc.stdout is not None
    assert proc.stdout.readline().strip() == "ready"
    proc.kill()
    proc.wait()
    d = StateDB.open(tmp_path)
    n = d.load_check_states()[("main", "c")].consecutive_bad
    assert d.pending_count() == n >= 200  # every decided cycle has exactly its queued alert
    d.close()


@pytest.mark.parametrize(
    "content",
    [
        pytest.param(b"this is not a sqlite database at all" * 100, id="not-a-database"),
        pytest.param(None, id="malformed-pages"),
    ],
)
def test_corrupt_database_moved_aside_and_fresh_one_created(
    tmp_path: Path, caplog: pytest.LogCaptureFixture, content: bytes | None
) -> None:
    path = tmp_path / DB_NAME
    if content is None:
        d = StateDB.open(tmp_path)
        d.commit_cycle({("main", f"c{n}"): state() for n in range(200)}, [], [])
        d.close()
        data = bytearray(path.read_bytes())
        for off in range(4096, len(data), 1024):  # keep page 1 (header), trash the b-trees
            data[off : off + 64] = b"\xff" * 64
        path.write_bytes(bytes(data))
    else:
        path.write_bytes(content)

    with caplog.at_level(logging.WARNING, logger="healthcheck.storage.state"):
        d = StateDB.open(tmp_path)
    aside = list(tmp_path.glob(f"{DB_NAME}.corrupt-*"))
    assert len([p for p in aside if not p.name.endswith(("-wal", "-shm"))]) == 1
    assert any(str(aside[0].name).split("-wal")[0] in r.getMessage() for r in caplog.records)
    # and it carries on with a working database
    assert d.load_check_states() == {}
    assert d.commit_cycle({("main", "x"): state()}, [row()], []) is True
    d.close()


def test_state_dir_under_a_file_raises_state_error(tmp_path: Path) -> None:
    (tmp_path / "file").write_text("x")
    with pytest.raises(StateError, match="cannot create state directory"):
        StateDB.open(tmp_path / "file" / "state")


_AS_NOBODY = textwrap.dedent("""
    import os, sys
    sys.path.insert(0, sys.argv[1])
    from pathlib import Path
    from healthcheck.storage.state import StateDB, StateError
    os.setgid(65534)
    os.setuid(65534)  # after the imports: the interpreter's files may be root-only
    for p in sys.argv[2:]:
        try:
            StateDB.open(Path(p))
            print("opened")
        except StateError as e:
            print("StateError:", e)
""")


def test_read_only_state_dir_or_file_raises_state_error(tmp_path: Path) -> None:
    with tempfile.TemporaryDirectory() as top:  # pytest's tmp_path is not traversable by others
        base = Path(top)
        base.chmod(0o755)
        ro_dir = base / "ro"
        ro_dir.mkdir(mode=0o755)
        ro_file_dir = base / "rofile"
        StateDB.open(ro_file_dir).close()
        ro_file_dir.chmod(0o777)
        (ro_file_dir / DB_NAME).chmod(0o644)
        if os.geteuid() == 0:  # root ignores permissions: test as "nobody" in a child
            out = subprocess.run(
                [
                    sys.executable,
                    "-c",
                    _AS_NOBODY,
                    str(Path(__file__).parents[2]),
                    str(ro_dir),
                    str(ro_file_dir),
                ],
                capture_output=True,
                text=True,
                timeout=60,
            )
            assert out.stdout.splitlines() == [
                f"StateError: state directory {ro_dir} is not writable by this user",
                f"StateError: cannot open state database {ro_file_dir / DB_NAME}: "
                "attempt to write a readonly database",
            ], out.stderr
            return
        ro_dir.chmod(0o500)
        (ro_file_dir / DB_NAME).chmod(0o400)
        try:
            with pytest.raises(StateError, match="not writable"):
                StateDB.open(ro_dir)
            with pytest.raises(StateError, match="readonly"):
                StateDB.open(ro_file_dir)
        finally:
            ro_dir.chmod(0o700)


def test_read_only_file_system_raises_state_error() -> None:
    # /proc is read-only even for root, unlike a chmod'ed directory
    if not os.path.isdir("/proc/self"):
        pytest.skip("no /proc")
    with pytest.raises(StateError):
        StateDB.open(Path("/proc/self/healthcheck-state"))


def test_full_disk_during_run_logs_once_and_keeps_going(
    db: StateDB, caplog: pytest.LogCaptureFixture
) -> None:
    pages = db.store.conn.execute("PRAGMA page_count").fetchone()[0]
    db.store.conn.execute(f"PRAGMA max_page_count={pages}")  # the next growth is SQLITE_FULL
    big = {("main", f"c{n}"): state() for n in range(500)}
    with caplog.at_level(logging.ERROR, logger="healthcheck.storage.state"):
        assert db.commit_cycle(big, [], []) is False
        assert db.commit_cycle(big, [], []) is False
        db.put_cache("k", "x" * 100_000, T0)  # must not raise either
    errors = [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert len(errors) == 1 and "full" in errors[0].getMessage()
    db.store.conn.execute("PRAGMA max_page_count=1073741823")
    assert db.commit_cycle({("main", "x"): state()}, [], []) is True


def test_in_memory_database_works_without_a_directory() -> None:
    d = StateDB.in_memory()
    assert d.commit_cycle({("main", "x"): state()}, [row()], []) is True
    assert d.pending_count() == 1
    d.close()
