"""The state database's schema: the ordered migrations and the code that applies them.

``PRAGMA user_version`` is the number of migrations applied; :func:`migrate` runs the missing
ones, each in its own transaction, and refuses a file written by a newer release.
"""

from __future__ import annotations

import contextlib
import logging
import sqlite3
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from healthcheck.storage.redact import strip_userinfo
from healthcheck.storage.state.errors import Corrupt, StateTooNew

log = logging.getLogger(__name__)

# Migration 1: the schema of the first release (every statement idempotent, because databases
# from before PRAGMA user_version have these tables with user_version 0).
_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (
    key TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS bans (
    key TEXT PRIMARY KEY,
    until_ts REAL NOT NULL,
    reason TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS cache (
    key TEXT PRIMARY KEY,
    fetched_at REAL NOT NULL,
    value TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS check_state (
    account TEXT NOT NULL,
    check_id TEXT NOT NULL,
    data TEXT NOT NULL,
    PRIMARY KEY (account, check_id)
);
CREATE TABLE IF NOT EXISTS outbox (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    created_at REAL NOT NULL,
    dest TEXT NOT NULL,
    title TEXT NOT NULL,
    body TEXT NOT NULL,
    notify_type TEXT NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0,
    next_attempt_at REAL NOT NULL,
    delivered_at REAL,
    dropped_at REAL,
    last_error TEXT NOT NULL DEFAULT '',
    alert_id TEXT NOT NULL,
    kind TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS outbox_pending ON outbox (delivered_at, dropped_at, id);
CREATE TABLE IF NOT EXISTS history (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    ts REAL NOT NULL,
    account TEXT NOT NULL,
    check_id TEXT NOT NULL,
    old_status TEXT,
    new_status TEXT NOT NULL,
    summary TEXT NOT NULL
);
"""


# ---- alert rules (issue 12): silences. One block, so it can become one migration step.
_ALERT_RULES_SCHEMA = """
CREATE TABLE IF NOT EXISTS silences (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    created_at REAL NOT NULL,
    ends_at REAL NOT NULL,
    account TEXT,
    check_id TEXT,
    code INTEGER,
    reason TEXT NOT NULL,
    expired_at REAL
);
"""


@dataclass(frozen=True)
class Migration:
    """One forward step of the schema: ``sql`` (a script) or ``apply`` (called inside the
    migration's transaction with the connection). After it, ``PRAGMA user_version`` is the
    migration's 1-based position in :data:`MIGRATIONS`."""

    description: str
    sql: str = ""
    apply: Callable[[sqlite3.Connection], None] | None = None


# The ordered list of schema migrations. NEVER edit or reorder an entry that has shipped: append
# a new Migration (CREATE TABLE/INDEX, ALTER TABLE ADD COLUMN, or a data fix in ``apply``). Each
# runs once, in its own transaction, together with the user_version bump.
def _strip_stored_credentials(conn: sqlite3.Connection) -> None:
    """Ban and cache keys hold the base URL; releases before schema 2 stored a proxy password
    in it (``spot:http://user:pass@proxy/``). Rewrite them without ``user:pass@``."""
    for table in ("bans", "cache"):
        rows = conn.execute(f"SELECT key FROM {table} WHERE key LIKE '%@%'").fetchall()
        for (key,) in rows:
            clean = strip_userinfo(key)
            if clean != key:
                conn.execute(f"DELETE FROM {table} WHERE key = ?", (clean,))
                conn.execute(f"UPDATE {table} SET key = ? WHERE key = ?", (clean, key))


MIGRATIONS: list[Migration] = [
    Migration("initial schema: meta, bans, cache, check_state, outbox, history", sql=_SCHEMA),
    Migration("no credentials in stored ban and cache keys", apply=_strip_stored_credentials),
    Migration("alert rules: silences", sql=_ALERT_RULES_SCHEMA),
]


def schema_version() -> int:
    """Return the schema version this program writes (the number of migrations)."""
    return len(MIGRATIONS)


# kept for callers that read it as a constant; schema_version() counts appended migrations
SCHEMA_VERSION = len(MIGRATIONS)


def migrate(conn: sqlite3.Connection, path: Path | None = None) -> int:
    """Bring the database up to :func:`schema_version` by running the missing migrations in
    order, each in its own transaction; return the version it was at.

    Raise :class:`StateTooNew` if the database was written by a newer version (a higher
    ``user_version``, or the ``meta.schema_version`` of releases before user_version).
    """
    current = int(conn.execute("PRAGMA user_version").fetchone()[0])
    legacy = _schema_version(conn)
    found = max(current, legacy or 0)
    target = schema_version()
    if found > target:
        where = f"{path}" if path else "the state database"
        raise StateTooNew(
            f"{where} has schema version {found}, written by a newer binance-healthcheck; "
            f"this version knows schema {target}. Upgrade binance-healthcheck again, or move "
            "the state directory aside to start with empty state (open alerts and bans are "
            "then forgotten)"
        )
    for n in range(current + 1, target + 1):
        step = MIGRATIONS[n - 1]
        conn.execute("BEGIN IMMEDIATE")
        try:
            if step.sql:
                for statement in _statements(step.sql):
                    conn.execute(statement)
            if step.apply is not None:
                step.apply(conn)
            conn.execute(f"PRAGMA user_version = {n}")
            conn.execute("INSERT OR REPLACE INTO meta VALUES ('schema_version', ?)", (str(n),))
            conn.execute("COMMIT")
        except BaseException:
            with contextlib.suppress(sqlite3.Error):
                conn.execute("ROLLBACK")
            raise
        if current:
            log.info("state database: migrated to schema %d (%s)", n, step.description)
    return found


def _statements(script: str) -> list[str]:
    """Split a migration script into complete statements (sqlite3.complete_statement)."""
    out: list[str] = []
    buf = ""
    for line in script.splitlines(keepends=True):
        buf += line
        if sqlite3.complete_statement(buf):
            if buf.strip():
                out.append(buf.strip())
            buf = ""
    if buf.strip():
        out.append(buf.strip())
    return out


def _schema_version(conn: sqlite3.Connection) -> int | None:
    has_meta = conn.execute(
        "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'meta'"
    ).fetchone()
    if not has_meta:
        return None
    row = conn.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchone()
    if row is None:
        return None
    try:
        return int(row[0])
    except ValueError:
        raise Corrupt(f"unreadable schema version {row[0]!r}") from None
