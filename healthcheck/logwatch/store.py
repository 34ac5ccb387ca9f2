"""The watcher's own SQLite file in the state directory: where each followed file was read up
to, and the Binance errors found (for the window counters, across restarts).

Separate from state.db so the two never contend for one lock. One transaction per batch; WAL; a
damaged file is moved aside and started afresh (losing positions only re-reads a tail).
"""

from __future__ import annotations

import logging
import sqlite3
import threading
import time
from dataclasses import dataclass
from pathlib import Path

log = logging.getLogger(__name__)

FILE_NAME = "logwatch.sqlite3"
KEEP_SECONDS = 7 * 86400  # occurrences older than this are pruned (windows are far shorter)

_SCHEMA = """
CREATE TABLE IF NOT EXISTS positions (
    source TEXT PRIMARY KEY, dev INTEGER NOT NULL, ino INTEGER NOT NULL,
    offset INTEGER NOT NULL, updated REAL NOT NULL);
CREATE TABLE IF NOT EXISTS occurrences (
    id INTEGER PRIMARY KEY, account TEXT NOT NULL, code INTEGER NOT NULL, product TEXT NOT NULL,
    ts REAL NOT NULL, msg TEXT NOT NULL, sample TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS occurrences_account_ts ON occurrences (account, ts);
CREATE TABLE IF NOT EXISTS marks (source TEXT PRIMARY KEY, value TEXT NOT NULL);
"""


@dataclass(frozen=True)
class Position:
    """Where a followed file was read up to: its identity and the offset after the last full
    line."""

    dev: int
    ino: int
    offset: int


@dataclass(frozen=True)
class Occurrence:
    """One Binance error the bot got, as found in its log."""

    account: str
    code: int
    product: str
    ts: float
    msg: str
    sample: str  # the masked line


class WatchStore:
    """Positions and occurrences; thread-safe (the follower thread writes, runs read)."""

    def __init__(self, conn: sqlite3.Connection, path: Path | None) -> None:
        self.conn = conn
        self.path = path
        self._lock = threading.Lock()

    @classmethod
    def open(cls, state_dir: Path) -> WatchStore:
        """Given the state directory, open (or create) its logwatch file; fall back to memory
        with a warning when that is impossible."""
        path = state_dir / FILE_NAME
        try:
            state_dir.mkdir(parents=True, exist_ok=True)
            return cls(_connect(path), path)
        except sqlite3.DatabaseError as exc:
            aside = path.with_name(f"{FILE_NAME}.corrupt-{int(time.time())}")
            try:
                path.replace(aside)
                log.warning(
                    "%s is damaged (%s); moved aside to %s and started afresh", path, exc, aside
                )
                return cls(_connect(path), path)
            except (OSError, sqlite3.DatabaseError) as exc2:
                log.warning("cannot use %s (%s); log positions kept in memory only", path, exc2)
        except OSError as exc:
            log.warning(
                "cannot use %s (%s); log positions kept in memory only", path, exc.strerror or exc
            )
        return cls.in_memory()

    @classmethod
    def in_memory(cls) -> WatchStore:
        return cls(_connect(None), None)

    def close(self) -> None:
        with self._lock:
            self.conn.close()

    def position(self, source: str) -> Position | None:
        with self._lock:
            row = self.conn.execute(
                "SELECT dev, ino, offset FROM positions WHERE source = ?", (source,)
            ).fetchone()
        return Position(*row) if row else None

    def mark(self, source: str) -> str | None:
        with self._lock:
            row = self.conn.execute(
                "SELECT value FROM marks WHERE source = ?", (source,)
            ).fetchone()
        return str(row[0]) if row else None

    def commit_batch(
        self,
        positions: dict[str, Position],
        occurrences: list[Occurrence],
        marks: dict[str, str] | None = None,
    ) -> None:
        """Given new positions and occurrences of one poll, store them in one transaction."""
        if not positions and not occurrences and not marks:
            return
        now = time.time()
        with self._lock:
            try:
                with self.conn:
                    self.conn.executemany(
                        "INSERT OR REPLACE INTO positions VALUES (?, ?, ?, ?, ?)",
                        [(s, p.dev, p.ino, p.offset, now) for s, p in positions.items()],
                    )
                    self.conn.executemany(
                        "INSERT INTO occurrences (account, code, product, ts, msg, sample) "
                        "VALUES (?, ?, ?, ?, ?, ?)",
                        [
                            (o.account, o.code, o.product, o.ts, o.msg, o.sample)
                            for o in occurrences
                        ],
                    )
                    self.conn.executemany(
                        "INSERT OR REPLACE INTO marks VALUES (?, ?)", list((marks or {}).items())
                    )
            except sqlite3.Error as exc:  # a full disk must not stop the watcher
                log.warning("could not store log positions/occurrences: %s", exc)

    def occurrences(self, account: str, since: float) -> list[Occurrence]:
        """Given an account and a time, return its occurrences at or after that time."""
        with self._lock:
            rows = self.conn.execute(
                "SELECT account, code, product, ts, msg, sample FROM occurrences "
                "WHERE account = ? AND ts >= ? ORDER BY ts",
                (account, since),
            ).fetchall()
        return [Occurrence(*r) for r in rows]

    def prune(self, before: float) -> None:
        with self._lock:
            try:
                with self.conn:
                    self.conn.execute("DELETE FROM occurrences WHERE ts < ?", (before,))
            except sqlite3.Error as exc:
                log.warning("could not prune old occurrences: %s", exc)


def _connect(path: Path | None) -> sqlite3.Connection:
    # default isolation: `with conn:` opens and commits one transaction
    conn = sqlite3.connect(
        ":memory:" if path is None else str(path), check_same_thread=False, timeout=5.0
    )
    if path is not None:
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute("PRAGMA synchronous=NORMAL")
    conn.executescript(_SCHEMA)
    conn.execute("SELECT count(*) FROM positions").fetchone()  # raises if damaged
    return conn
