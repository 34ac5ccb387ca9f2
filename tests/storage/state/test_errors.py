"""Tests for healthcheck.storage.state.errors: the exception family callers catch."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from healthcheck.storage.state import StateDB, StateError, StateTooNew
from healthcheck.storage.state.opening import DB_NAME


def test_state_too_new_is_a_state_error_so_one_handler_catches_both(tmp_path: Path) -> None:
    StateDB.open(tmp_path).close()
    conn = sqlite3.connect(tmp_path / DB_NAME)
    conn.execute("PRAGMA user_version = 9999")
    conn.close()
    with pytest.raises(StateError) as info:
        StateDB.open(tmp_path)
    assert isinstance(info.value, StateTooNew)
    assert "9999" in str(info.value)


def test_a_directory_that_cannot_hold_the_database_raises_state_error_naming_it(
    tmp_path: Path,
) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("x")
    with pytest.raises(StateError, match=str(blocker)):
        StateDB.open(blocker / "state")
