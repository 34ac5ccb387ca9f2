"""Tests for healthcheck.storage.state.opening: creating, checking and replacing the file."""

from __future__ import annotations

import logging
import stat
from pathlib import Path

import pytest

from healthcheck.storage.state import DB_NAME, StateError
from healthcheck.storage.state.opening import open_file, open_memory


def test_a_damaged_file_is_moved_aside_with_a_warning_and_a_fresh_one_opens(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    (tmp_path / DB_NAME).write_bytes(b"garbage, not sqlite " * 200)
    with caplog.at_level(logging.WARNING):
        conn, path = open_file(tmp_path)
    conn.close()
    moved = [p for p in tmp_path.glob(f"{DB_NAME}.corrupt-*") if "-wal" not in p.name]
    assert len(moved) == 1 and moved[0].read_bytes().startswith(b"garbage")
    assert any(moved[0].name in r.getMessage() for r in caplog.records)
    assert path == tmp_path / DB_NAME


def test_the_directory_and_file_are_private(tmp_path: Path) -> None:
    conn, path = open_file(tmp_path / "new")
    conn.close()
    assert stat.S_IMODE((tmp_path / "new").stat().st_mode) == 0o700
    assert stat.S_IMODE(path.stat().st_mode) == 0o600


def test_a_state_dir_below_a_regular_file_is_a_state_error(tmp_path: Path) -> None:
    (tmp_path / "f").write_text("")
    with pytest.raises(StateError, match="cannot create state directory"):
        open_file(tmp_path / "f" / "state")


def test_memory_database_is_migrated_and_usable() -> None:
    conn = open_memory()
    conn.execute("INSERT INTO bans VALUES ('x', 1.0, 'r')")
    assert conn.execute("SELECT count(*) FROM bans").fetchone()[0] == 1
    conn.close()
