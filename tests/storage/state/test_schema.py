"""Tests for healthcheck.storage.state.schema: migrations bring any older file forward, once."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from healthcheck.storage.state import StateTooNew, migrate, schema_version


def _conn(path: Path) -> sqlite3.Connection:
    return sqlite3.connect(str(path), isolation_level=None)


def test_an_empty_file_is_brought_to_the_current_schema_and_a_second_run_is_a_no_op(
    tmp_path: Path,
) -> None:
    conn = _conn(tmp_path / "s.db")
    assert migrate(conn) == 0
    assert conn.execute("PRAGMA user_version").fetchone()[0] == schema_version()
    assert migrate(conn) == schema_version()
    tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")}
    assert {"meta", "bans", "check_state", "outbox", "history", "silences"} <= tables
    conn.close()


def test_a_newer_schema_is_refused_with_a_message_naming_the_file_and_both_versions(
    tmp_path: Path,
) -> None:
    path = tmp_path / "s.db"
    conn = _conn(path)
    newer = schema_version() + 1
    conn.execute(f"PRAGMA user_version = {newer}")
    with pytest.raises(StateTooNew) as info:
        migrate(conn, path)
    text = str(info.value)
    assert str(path) in text and str(newer) in text and str(schema_version()) in text
    assert "\n" not in text
    # nothing was changed in the newer file
    assert conn.execute("PRAGMA user_version").fetchone()[0] == newer
    conn.close()


def test_a_legacy_meta_schema_version_above_ours_is_refused_too(tmp_path: Path) -> None:
    conn = _conn(tmp_path / "s.db")
    conn.execute("CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT)")
    conn.execute("INSERT INTO meta VALUES ('schema_version', ?)", (str(schema_version() + 5),))
    with pytest.raises(StateTooNew):
        migrate(conn)
    conn.close()
