"""Tests for healthcheck.storage.state.store: the connection, its transactions and failures."""

from __future__ import annotations

import logging
import sqlite3
from pathlib import Path

import pytest

from healthcheck.storage.state.opening import open_file
from healthcheck.storage.state.store import Store


def _store(tmp_path: Path) -> Store:
    conn, path = open_file(tmp_path)
    return Store(conn, path)


def test_a_failing_transaction_leaves_nothing_behind(tmp_path: Path) -> None:
    s = _store(tmp_path)
    with pytest.raises(sqlite3.IntegrityError), s.tx() as c:
        c.execute("INSERT INTO bans VALUES ('a', 1.0, 'r')")
        c.execute("INSERT INTO bans VALUES ('a', 2.0, 'duplicate key')")
    assert s.read("bans", lambda c: c.execute("SELECT count(*) FROM bans").fetchone()[0], -1) == 0
    s.close()


def test_a_failed_write_is_logged_once_and_its_recovery_is_said(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    s = _store(tmp_path)

    def bad(c: sqlite3.Connection) -> None:
        c.execute("INSERT INTO no_such_table VALUES (1)")

    with caplog.at_level(logging.DEBUG, logger="healthcheck"):
        s.write("saving x", bad)
        s.write("saving x", bad)
        errors = [r for r in caplog.records if r.levelno >= logging.ERROR]
        assert len(errors) == 1 and "saving x" in errors[0].getMessage()
        s.write("saving y", lambda c: c.execute("INSERT INTO bans VALUES ('b', 1.0, 'r')"))
    assert any("writes work again" in r.getMessage() for r in caplog.records)
    s.close()


def test_a_failing_read_returns_the_default_and_close_is_idempotent(tmp_path: Path) -> None:
    s = _store(tmp_path)
    assert s.read("x", lambda c: c.execute("SELECT * FROM nope").fetchall(), ["default"]) == [
        "default"
    ]
    assert s.where == str(tmp_path / "state.db")
    s.close()
    s.close()
    assert s.closed
