"""State schema versioning (PRAGMA user_version, ordered forward migrations, refusal of a newer
schema), nothing secret in stored keys, and a bounded SQLite WAL."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from healthcheck.storage.state import (
    DB_NAME,
    MIGRATIONS,
    WAL_SIZE_LIMIT,
    Migration,
    StateDB,
    StateTooNew,
    schema_version,
)
from healthcheck.storage.state import schema as state_mod

T0 = 1_800_000_000.0

# the tables of the first release, as it created them (meta.schema_version = 1, user_version 0)
_V1 = MIGRATIONS[0].sql


def write_release_1_db(state_dir: Path, bans: dict[str, float] | None = None) -> Path:
    state_dir.mkdir(parents=True, exist_ok=True)
    path = state_dir / DB_NAME
    conn = sqlite3.connect(path)
    conn.executescript(_V1)
    conn.execute("INSERT INTO meta VALUES ('schema_version', '1')")
    for key, until in (bans or {}).items():
        conn.execute("INSERT INTO bans VALUES (?, ?, 'HTTP 418')", (key, until))
    conn.execute(
        "INSERT INTO check_state VALUES ('main', 'clock', ?)",
        ('{"last_status": "CRITICAL", "consecutive_bad": 3}',),
    )
    conn.commit()
    conn.close()
    path.chmod(0o600)
    return path


def user_version(path: Path) -> int:
    with sqlite3.connect(path) as conn:
        return int(conn.execute("PRAGMA user_version").fetchone()[0])


def test_fresh_database_records_its_schema_in_user_version(tmp_path: Path) -> None:
    StateDB.open(tmp_path).close()
    assert user_version(tmp_path / DB_NAME) == schema_version() == len(MIGRATIONS) >= 2


def test_release_1_database_is_migrated_forward_keeping_its_state(tmp_path: Path) -> None:
    path = write_release_1_db(tmp_path, {"spot:https://api.binance.com": T0 + 600})
    db = StateDB.open(tmp_path)
    assert db.get_ban("spot:https://api.binance.com", T0) == (T0 + 600, "HTTP 418")
    assert ("main", "clock") in db.load_check_states()  # not moved aside as "corrupt"
    db.close()
    assert user_version(path) == schema_version()
    assert not list(tmp_path.glob(f"{DB_NAME}.corrupt-*"))


def test_newer_schema_is_refused_not_moved_aside(tmp_path: Path) -> None:
    StateDB.open(tmp_path).close()
    path = tmp_path / DB_NAME
    with sqlite3.connect(path) as conn:
        conn.execute(f"PRAGMA user_version = {schema_version() + 1}")
    with pytest.raises(StateTooNew, match="newer binance-healthcheck") as info:
        StateDB.open(tmp_path)
    assert str(path) in str(info.value)
    assert not list(tmp_path.glob(f"{DB_NAME}.corrupt-*"))  # the newer state is kept
    assert user_version(path) == schema_version() + 1


def test_newer_schema_makes_run_and_check_exit_3_with_one_line(make_config, tmp_path, cli) -> None:
    config = make_config()
    state_dir = tmp_path / "state"
    StateDB.open(state_dir).close()
    with sqlite3.connect(state_dir / DB_NAME) as conn:
        conn.execute(f"PRAGMA user_version = {schema_version() + 5}")
    for command in ("run", "check"):
        p = cli(command, "--config", str(config), timeout=60)
        assert p.returncode == 3, (command, p.stderr)
        assert "newer binance-healthcheck" in p.stderr and "Traceback" not in p.stderr


def test_an_appended_migration_runs_once_in_order(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    StateDB.open(tmp_path).close()
    calls: list[int] = []

    def add_column(conn: sqlite3.Connection) -> None:
        calls.append(1)
        conn.execute("ALTER TABLE history ADD COLUMN note TEXT NOT NULL DEFAULT ''")

    extra = [
        Migration("notes", sql="CREATE TABLE notes (id INTEGER PRIMARY KEY);"),
        Migration("history note", apply=add_column),
    ]
    monkeypatch.setattr(state_mod, "MIGRATIONS", [*MIGRATIONS, *extra])
    for _ in range(2):
        StateDB.open(tmp_path).close()
    assert calls == [1]
    path = tmp_path / DB_NAME
    assert user_version(path) == len(MIGRATIONS) + 2
    with sqlite3.connect(path) as conn:
        tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master")}
    assert "notes" in tables


def test_proxy_password_never_reaches_the_state_file(tmp_path: Path) -> None:
    secret = "proxyPassw0rdSecret"
    key = f"spot:http://user:{secret}@127.0.0.1:3128"
    db = StateDB.open(tmp_path)
    db.set_ban(key, T0 + 600, "HTTP 418")
    db.put_cache(f"exinfo:spot:http://user:{secret}@127.0.0.1:3128", {"x": 1}, T0)
    assert db.get_ban(key, T0) == (T0 + 600, "HTTP 418")
    assert db.get_cache(f"exinfo:spot:http://user:{secret}@127.0.0.1:3128") == (T0, {"x": 1})
    db.close()
    for f in tmp_path.iterdir():
        assert secret.encode() not in f.read_bytes(), f


def test_migration_removes_passwords_stored_by_older_releases(tmp_path: Path) -> None:
    secret = "oldProxyPassw0rd"
    write_release_1_db(tmp_path, {f"spot:http://u:{secret}@proxy:3128": T0 + 600})
    db = StateDB.open(tmp_path)
    assert db.get_ban("spot:http://proxy:3128", T0) == (T0 + 600, "HTTP 418")
    db.close()
    for f in tmp_path.iterdir():
        assert secret.encode() not in f.read_bytes(), f


def test_wal_is_truncated_to_its_limit_after_a_burst_of_writes(tmp_path: Path) -> None:
    db = StateDB.open(tmp_path)
    wal = tmp_path / f"{DB_NAME}-wal"
    blob = {"data": "x" * 4000}
    for n in range(2000):  # ~8 MB through the WAL, the size that used to stay on disk
        db.put_cache(f"k{n % 50}", blob, T0 + n)
    assert wal.stat().st_size <= WAL_SIZE_LIMIT + 64 * 1024
    db.close()


_GROWTH_SCRIPT = """
import sys, pathlib
from healthcheck.model.result import Status
from healthcheck.storage.state import CheckState, HistoryRow, OutboxRow, StateDB

def rss():
    for line in open("/proc/self/status"):
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024

db = StateDB.open(pathlib.Path(sys.argv[1]))
states = {(f"a{i}", "c"): CheckState(last_status=Status.OK, last_result={"x": "y" * 500})
          for i in range(35)}
before = None
for n in range(6500):
    if n == 500:  # after the warm-up: imports, statement cache, the first pages
        before = rss()
    rows = [OutboxRow(dest="d", title="t" * 60, body="b" * 600, notify_type="failure",
                      alert_id=f"{n:032x}", kind="FIRING", created_at=n,
                      next_attempt_at=n)] if n % 3 == 0 else []
    db.commit_cycle(states, rows, [HistoryRow(n, "a", "c", Status.OK, Status.CRITICAL,
                                              "s" * 100)])
print(rss() - before)
"""


def test_memory_levels_off_while_the_database_grows(tmp_path: Path) -> None:
    """A fresh process (RSS in the test process would reuse memory freed by earlier tests)
    commits 6,000 cycles; the database grows by ~2.5 MB, as in weeks of a real daemon."""
    import os
    import subprocess
    import sys

    repo = Path(__file__).resolve().parents[2]
    p = subprocess.run(
        [sys.executable, "-c", _GROWTH_SCRIPT, str(tmp_path)],
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "PYTHONPATH": str(repo)},
    )
    assert p.returncode == 0, p.stderr
    growth = float(p.stdout.strip())
    # SQLite's default 2 MB page cache grew with the file (+1.8 MiB); ours is capped at 512 KiB
    assert growth < 1.0, f"RSS grew {growth:.2f} MiB"
