"""Durable daemon state: the one SQLite file ``state.db`` under the state directory.

It holds what must survive a restart: per-check status and what was notified (so a restart does
not re-alert or forget an open incident), the outbox of alert messages not yet delivered (written
in the same transaction as the decision to alert, so a kill between "decided" and "queued" cannot
happen), Binance bans (so a restart during a ban does not hammer the API), a small response cache
and a history of status flips. The database runs in WAL mode with ``synchronous=FULL``; a damaged
or future-version file is moved aside and replaced, never crash-looped on. Nothing secret is
stored: destinations are SHA-256 fingerprints and error texts are scrubbed. During a run, methods
log storage failures and carry on instead of raising into the scheduler.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
import os
import sqlite3
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from healthcheck.model.result import Status
from healthcheck.model.silences import Silence
from healthcheck.storage.files import read_only_fs
from healthcheck.storage.redact import scrub, strip_userinfo

log = logging.getLogger(__name__)

DB_NAME = "state.db"
BUSY_TIMEOUT_MS = 5000
MAX_ERROR_CHARS = 500
WRITE_BACK_SECONDS = 30.0  # while in memory after a failed write, retry the file this often

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
WAL_SIZE_LIMIT = 1024 * 1024  # bytes the WAL is truncated to after a checkpoint
WAL_AUTOCHECKPOINT_PAGES = 200  # ~800 KB of WAL before SQLite checkpoints on its own
# SQLite's page cache (default 2 MB) fills as the database grows (30 days of history and
# delivered alerts): RSS then creeps up for weeks; 512 KiB holds every hot page of this schema
PAGE_CACHE_KIB = 512


class StateError(Exception):
    """The state database cannot be opened or created (read-only or full directory, …)."""


class StateTooNew(StateError):
    """The database was written by a newer version of this program (a downgrade): refuse to
    start rather than lose or misread its state."""


def dest_fingerprint(url: str) -> str:
    """Given a revealed apprise URL, return a stable SHA-256 hex id that is safe to store."""
    return hashlib.sha256(url.encode("utf-8")).hexdigest()


@dataclass
class CheckState:
    """What the alert engine remembers about one (account, check) between cycles."""

    last_status: Status
    last_codes: list[int] = field(default_factory=list)
    last_summary: str = ""
    last_result: dict[str, Any] | None = None
    last_run_ts: float = 0.0
    consecutive_bad: int = 0
    bad_since_ts: float | None = None
    notified_status: Status | None = None
    notified_codes: list[int] = field(default_factory=list)
    notified_at: float | None = None
    last_ok_ts: float | None = None
    # worst status notified during the open incident: decides who hears "resolved" after a
    # silent de-escalation (a CRITICAL-only destination must still learn the incident is over)
    notified_peak: Status | None = None
    # alert rules (issue 12): consecutive OK runs towards success_threshold; what mutes the check
    # now ({"kind": "silence"|"maintenance"|"inhibited", "by": text, "until": ts|None}); whether
    # a mute held back an alert that must go out when it ends
    consecutive_ok: int = 0
    muted: dict[str, Any] | None = None
    held: bool = False

    def to_json(self) -> dict[str, Any]:
        return {
            "last_status": self.last_status.name,
            "last_codes": list(self.last_codes),
            "last_summary": self.last_summary,
            "last_result": self.last_result,
            "last_run_ts": self.last_run_ts,
            "consecutive_bad": self.consecutive_bad,
            "bad_since_ts": self.bad_since_ts,
            "notified_status": self.notified_status.name if self.notified_status else None,
            "notified_codes": list(self.notified_codes),
            "notified_at": self.notified_at,
            "last_ok_ts": self.last_ok_ts,
            "notified_peak": self.notified_peak.name if self.notified_peak else None,
            "consecutive_ok": self.consecutive_ok,
            "muted": self.muted,
            "held": self.held,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> CheckState:
        def status(name: Any) -> Status | None:
            return Status[name] if name else None

        return cls(
            last_status=Status[data["last_status"]],
            last_codes=[int(c) for c in data.get("last_codes") or []],
            last_summary=str(data.get("last_summary") or ""),
            last_result=data.get("last_result"),
            last_run_ts=float(data.get("last_run_ts") or 0.0),
            consecutive_bad=int(data.get("consecutive_bad") or 0),
            bad_since_ts=data.get("bad_since_ts"),
            notified_status=status(data.get("notified_status")),
            notified_codes=[int(c) for c in data.get("notified_codes") or []],
            notified_at=data.get("notified_at"),
            last_ok_ts=data.get("last_ok_ts"),
            notified_peak=status(data.get("notified_peak")),
            consecutive_ok=int(data.get("consecutive_ok") or 0),
            muted=data.get("muted") if isinstance(data.get("muted"), dict) else None,
            held=bool(data.get("held")),
        )


@dataclass
class OutboxRow:
    """One alert message for one destination, pending until delivered."""

    dest: str
    title: str
    body: str
    notify_type: str
    alert_id: str
    kind: str
    created_at: float
    next_attempt_at: float
    attempts: int = 0
    delivered_at: float | None = None
    last_error: str = ""
    id: int | None = None


@dataclass(frozen=True)
class HistoryRow:
    """One status flip of one check."""

    ts: float
    account: str
    check: str
    old_status: Status | None
    new_status: Status
    summary: str


class _Corrupt(Exception):
    """Internal: the file is not a usable state database; move it aside."""


class StateDB:
    """Thread-safe access to ``state.db``; build with :meth:`open` or :meth:`in_memory`."""

    def __init__(self, conn: sqlite3.Connection, path: Path | None) -> None:
        self._conn = conn
        self.path = path
        self._lock = threading.RLock()
        self._failing = False  # log a write failure once, not every cycle
        self._closed = False
        # after a write to the file failed (full or read-only disk): the file's connection, while
        # self._conn is an in-memory copy that keeps the outbox and states until it is written back
        self._disk: sqlite3.Connection | None = None
        self._next_write_back = 0.0
        self.memory_fallback = False  # see _to_memory; the daemon turns it on

    # ------------------------------------------------------------------ opening

    @classmethod
    def open(cls, state_dir: Path, *, memory_fallback: bool = False) -> StateDB:
        """Given the state directory, return the database in it, created if needed.

        A damaged or future-version database is moved aside to ``state.db.corrupt-<UTC ts>``
        (with a warning) and a fresh one is created. Raise :class:`StateError` if the directory
        or file cannot be created or written (read-only or full file system, permissions).
        With ``memory_fallback``, a write that fails later moves the database to memory (see
        :meth:`_to_memory`) instead of losing that write.
        """
        db = cls._open(Path(state_dir))
        db.memory_fallback = memory_fallback
        return db

    @classmethod
    def _open(cls, state_dir: Path) -> StateDB:
        state_dir = Path(state_dir)
        try:
            state_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
        except OSError as e:
            raise StateError(
                f"cannot create state directory {state_dir}: {e.strerror or e}"
            ) from None
        path = state_dir / DB_NAME
        if read_only_fs(state_dir):
            raise StateError(f"state directory {state_dir} is on a read-only file system")
        if not os.access(state_dir, os.W_OK | os.X_OK):
            raise StateError(f"state directory {state_dir} is not writable by this user")
        try:
            return cls._connect(path)
        except StateTooNew:
            raise
        except _Corrupt as e:
            moved = _move_aside(path)
            log.warning(
                "state database %s is unusable (%s); moved it to %s and starting fresh",
                path,
                e,
                moved,
            )
        try:
            return cls._connect(path)
        except _Corrupt as e:  # a fresh file that is corrupt means the storage itself is broken
            raise StateError(f"cannot create a fresh state database {path}: {e}") from None

    @classmethod
    def in_memory(cls) -> StateDB:
        """Return a database that lives only in memory, for running without persistence."""
        conn = sqlite3.connect(":memory:", check_same_thread=False, isolation_level=None)
        migrate(conn)
        return cls(conn, None)

    @classmethod
    def _connect(cls, path: Path) -> StateDB:
        if not path.exists():
            # create it 0600 ourselves: sqlite would use 0644 & ~umask, and the -wal/-shm files
            # inherit the main file's mode
            try:
                os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
            except FileExistsError:
                pass
            except OSError as e:
                raise StateError(f"cannot create {path}: {e.strerror or e}") from None
        conn: sqlite3.Connection | None = None
        try:
            # autocommit mode; transactions are explicit BEGIN IMMEDIATE … COMMIT
            conn = sqlite3.connect(
                str(path),
                check_same_thread=False,
                isolation_level=None,
                timeout=BUSY_TIMEOUT_MS / 1000,
            )
            conn.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
            mode = conn.execute("PRAGMA journal_mode=WAL").fetchone()[0]
            if str(mode).lower() != "wal":
                raise StateError(f"{path}: SQLite refused WAL mode (got {mode})")
            conn.execute("PRAGMA synchronous=FULL")
            # the WAL is truncated to this size after each checkpoint instead of staying at its
            # high-water mark (~4 MB), and SQLite checkpoints every ~800 KB on its own
            conn.execute(f"PRAGMA journal_size_limit={WAL_SIZE_LIMIT}")
            conn.execute(f"PRAGMA wal_autocheckpoint={WAL_AUTOCHECKPOINT_PAGES}")
            # deleted rows are overwritten, not left in free pages (migration 2 removes proxy
            # passwords that older releases stored in ban keys)
            conn.execute("PRAGMA secure_delete=ON")
            conn.execute(f"PRAGMA cache_size=-{PAGE_CACHE_KIB}")
            check = conn.execute("PRAGMA quick_check").fetchone()[0]
            if check != "ok":
                raise _Corrupt(f"integrity check: {check}")
            migrate(conn, path)
            # a write now, so a read-only file fails here with a clear error, not mid-run
            conn.execute(
                "INSERT OR REPLACE INTO meta VALUES ('last_opened_at', ?)",
                (datetime.now(UTC).isoformat(timespec="seconds"),),
            )
            return cls(conn, path)
        except (StateError, _Corrupt):
            if conn is not None:
                conn.close()
            raise
        except sqlite3.DatabaseError as e:
            if conn is not None:
                conn.close()
            if _is_corruption(e):
                raise _Corrupt(str(e)) from None
            if read_only_fs(path):
                raise StateError(
                    f"cannot open state database {path}: it is on a read-only file system"
                ) from None
            raise StateError(f"cannot open state database {path}: {e}") from None

    # ------------------------------------------------------------------ plumbing

    @contextlib.contextmanager
    def _tx(self) -> Iterator[sqlite3.Connection]:
        """Hold the lock and run the block in one IMMEDIATE transaction."""
        with self._lock:
            self._conn.execute("BEGIN IMMEDIATE")
            try:
                yield self._conn
                self._conn.execute("COMMIT")
            except BaseException as e:
                # also after a failed COMMIT (SQLITE_FULL may leave the transaction open)
                with contextlib.suppress(sqlite3.Error):
                    self._conn.execute("ROLLBACK")
                if isinstance(e, sqlite3.OperationalError) and self._to_memory(e):
                    e.retry_in_memory = True  # type: ignore[attr-defined]  # see _retry
                raise

    def _write_failed(self, what: str, exc: BaseException) -> None:
        if self._closed:
            # a late caller after shutdown (a send thread ending): nothing is lost, the row it
            # would have updated is still pending in the committed outbox
            log.debug("state database closed; not %s", what)
            return
        # one clear line the first time; repeats of a full disk every cycle would drown the log
        if not self._failing:
            log.error(
                "state database %s: %s failed, continuing without saving it: %s",
                self.path or ":memory:",
                what,
                scrub(str(exc)),
            )
            self._failing = True
        else:
            log.debug("state database: %s failed again: %s", what, scrub(str(exc)))

    def _to_memory(self, exc: sqlite3.Error) -> bool:
        """After a failed write to the file (full disk, read-only, I/O error), carry on in an
        in-memory copy of the database, so the cycle and its queued alerts are not lost and
        delivered rows are not sent again; the copy is written back to the file once it takes
        writes again. Called by _tx with the lock held; return True if it switched."""
        with self._lock:
            if (
                not self.memory_fallback
                or self.path is None
                or self._disk is not None
                or self._closed
            ):
                return False
            try:
                mem = sqlite3.connect(":memory:", check_same_thread=False, isolation_level=None)
                self._conn.backup(mem)
            except sqlite3.Error as e:
                log.debug("state database: cannot copy it to memory: %s", e)
                return False
            self._disk, self._conn = self._conn, mem
            self._next_write_back = time.monotonic() + WRITE_BACK_SECONDS
            self._failing = True
        log.error(
            "state database %s: cannot write it: %s; keeping state in memory and retrying "
            "the file every %.0f s (alerts may repeat if the daemon restarts meanwhile)",
            self.path,
            scrub(str(exc)),
            WRITE_BACK_SECONDS,
        )
        return True

    @staticmethod
    def _retry(exc: BaseException) -> bool:
        """True if ``exc`` made the database move to memory: the write should be done again."""
        return bool(getattr(exc, "retry_in_memory", False))

    def _write_back(self, force: bool = False) -> None:
        """While in memory, copy the database back to the file (at most every
        WRITE_BACK_SECONDS) and use the file again if that worked."""
        with self._lock:
            if self._disk is None or (not force and time.monotonic() < self._next_write_back):
                return
            self._next_write_back = time.monotonic() + WRITE_BACK_SECONDS
            try:
                self._conn.backup(self._disk)
            except sqlite3.Error as e:
                log.debug("state database: still cannot write the file: %s", e)
                return
            mem, self._conn, self._disk = self._conn, self._disk, None
            mem.close()
        self._write_ok()

    def _write_ok(self) -> None:
        if self._failing and self._disk is None:
            log.info("state database %s: writes work again", self.path or ":memory:")
            self._failing = False

    # ------------------------------------------------------------------ bans

    def get_ban(self, key: str, now: float) -> tuple[float, str] | None:
        """Given a ban key (host or account), return (until_ts, reason) if the ban is active."""
        try:
            with self._lock:
                row = self._conn.execute(
                    "SELECT until_ts, reason FROM bans WHERE key = ?", (strip_userinfo(key),)
                ).fetchone()
        except sqlite3.Error as e:
            self._write_failed("reading a ban", e)
            return None
        if row is None or row[0] <= now:
            return None
        return float(row[0]), str(row[1])

    def set_ban(self, key: str, until_ts: float, reason: str) -> None:
        """Record a ban; an existing ban that lasts longer is kept."""
        try:
            with self._tx() as c:
                c.execute(
                    "INSERT INTO bans (key, until_ts, reason) VALUES (?, ?, ?) "
                    "ON CONFLICT(key) DO UPDATE SET until_ts = excluded.until_ts, "
                    "reason = excluded.reason WHERE excluded.until_ts > bans.until_ts",
                    (strip_userinfo(key), float(until_ts), scrub(reason)[:MAX_ERROR_CHARS]),
                )
            self._write_ok()
        except sqlite3.Error as e:
            if self._retry(e):
                return self.set_ban(key, until_ts, reason)
            self._write_failed("saving a ban", e)

    def active_bans(self, now: float) -> dict[str, tuple[float, str]]:
        """Return every ban still active at ``now`` as {key: (until_ts, reason)}."""
        try:
            with self._lock:
                rows = self._conn.execute(
                    "SELECT key, until_ts, reason FROM bans WHERE until_ts > ?", (now,)
                ).fetchall()
        except sqlite3.Error as e:
            self._write_failed("reading bans", e)
            return {}
        return {str(k): (float(u), str(r)) for k, u, r in rows}

    # ------------------------------------------------------------------ cache

    def get_cache(self, key: str) -> tuple[float, Any] | None:
        """Given a cache key, return (fetched_at, value) or None."""
        try:
            with self._lock:
                row = self._conn.execute(
                    "SELECT fetched_at, value FROM cache WHERE key = ?", (strip_userinfo(key),)
                ).fetchone()
        except sqlite3.Error as e:
            self._write_failed("reading the cache", e)
            return None
        if row is None:
            return None
        try:
            return float(row[0]), json.loads(row[1])
        except ValueError:
            return None

    def put_cache(self, key: str, value: Any, fetched_at: float) -> None:
        """Store a JSON-serialisable value under key."""
        try:
            text = json.dumps(value, separators=(",", ":"))
            with self._tx() as c:
                c.execute(
                    "INSERT OR REPLACE INTO cache (key, fetched_at, value) VALUES (?, ?, ?)",
                    (strip_userinfo(key), float(fetched_at), text),
                )
            self._write_ok()
        except (sqlite3.Error, TypeError, ValueError) as e:
            if self._retry(e):
                return self.put_cache(key, value, fetched_at)
            self._write_failed("saving the cache", e)

    # ------------------------------------------------------------------ check state + cycle

    def load_check_states(self) -> dict[tuple[str, str], CheckState]:
        """Return every stored check state keyed by (account, check); unreadable rows skipped."""
        try:
            with self._lock:
                rows = self._conn.execute(
                    "SELECT account, check_id, data FROM check_state"
                ).fetchall()
        except sqlite3.Error as e:
            self._write_failed("reading check states", e)
            return {}
        states: dict[tuple[str, str], CheckState] = {}
        for account, check, data in rows:
            try:
                states[(account, check)] = CheckState.from_json(json.loads(data))
            except (ValueError, KeyError, TypeError) as e:
                log.warning(
                    "state database: dropping unreadable state of %s/%s: %s", account, check, e
                )
        return states

    def commit_cycle(
        self,
        states: dict[tuple[str, str], CheckState],
        outbox_rows: list[OutboxRow],
        history_rows: list[HistoryRow],
        silences_rev: int | None = None,
    ) -> bool:
        """Write one cycle's check states, queued alerts and flips in ONE transaction.

        Return True if it was saved; on a storage error log it and return False (nothing of
        the cycle is saved then: state and outbox never disagree). With ``silences_rev`` (from
        :meth:`silences_revision` before the decision), raise :class:`SilencesChanged` and save
        nothing if a silence was added or expired meanwhile: decide again, so a silence added
        during a run never lets that run's alert out.
        """
        self._write_back()
        try:
            with self._tx() as c:
                if silences_rev is not None and _silences_rev(c) != silences_rev:
                    raise SilencesChanged()
                c.executemany(
                    "INSERT OR REPLACE INTO check_state (account, check_id, data) VALUES (?, ?, ?)",
                    [
                        (a, k, json.dumps(s.to_json(), separators=(",", ":")))
                        for (a, k), s in states.items()
                    ],
                )
                for row in outbox_rows:
                    cur = c.execute(
                        "INSERT INTO outbox (created_at, dest, title, body, notify_type, attempts,"
                        " next_attempt_at, delivered_at, last_error, alert_id, kind)"
                        " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                        (
                            row.created_at,
                            row.dest,
                            row.title,
                            row.body,
                            row.notify_type,
                            row.attempts,
                            row.next_attempt_at,
                            row.delivered_at,
                            scrub(row.last_error)[:MAX_ERROR_CHARS],
                            row.alert_id,
                            row.kind,
                        ),
                    )
                    row.id = cur.lastrowid
                c.executemany(
                    "INSERT INTO history (ts, account, check_id, old_status, new_status, summary)"
                    " VALUES (?, ?, ?, ?, ?, ?)",
                    [
                        (
                            h.ts,
                            h.account,
                            h.check,
                            h.old_status.name if h.old_status else None,
                            h.new_status.name,
                            h.summary,
                        )
                        for h in history_rows
                    ],
                )
            self._write_ok()
            return True
        except (sqlite3.Error, TypeError, ValueError) as e:
            for row in outbox_rows:
                row.id = None
            if self._retry(e):
                return self.commit_cycle(states, outbox_rows, history_rows)
            self._write_failed("saving the cycle", e)
            return False

    # ------------------------------------------------------------------ silences (issue 12)

    def add_silence(
        self,
        *,
        ends_at: float,
        reason: str,
        account: str | None = None,
        check: str | None = None,
        code: int | None = None,
        now: float | None = None,
    ) -> Silence:
        """Store a silence (committed before returning); return it with its id. Raise
        :class:`StateError` if it cannot be saved (a silence must never be lost quietly)."""
        created = time.time() if now is None else now
        try:
            with self._tx() as c:
                cur = c.execute(
                    "INSERT INTO silences (created_at, ends_at, account, check_id, code, reason)"
                    " VALUES (?, ?, ?, ?, ?, ?)",
                    (created, float(ends_at), account, check, code, scrub(reason)[:200]),
                )
                _bump_silences_rev(c)
                new_id = int(cur.lastrowid or 0)
        except sqlite3.Error as e:
            raise StateError(f"cannot save the silence in {self.path or ':memory:'}: {e}") from None
        return Silence(new_id, created, float(ends_at), scrub(reason)[:200], account, check, code)

    def expire_silence(self, silence_id: int, now: float | None = None) -> Silence | None:
        """End a silence now; return it, or None if there is no active silence with that id."""
        at = time.time() if now is None else now
        try:
            with self._tx() as c:
                cur = c.execute(
                    "UPDATE silences SET expired_at = ?, ends_at = min(ends_at, ?)"
                    " WHERE id = ? AND expired_at IS NULL AND ends_at > ?",
                    (at, at, silence_id, at),
                )
                if cur.rowcount:
                    _bump_silences_rev(c)
        except sqlite3.Error as e:
            raise StateError(
                f"cannot expire the silence in {self.path or ':memory:'}: {e}"
            ) from None
        if not cur.rowcount:
            return None
        return next((s for s in self.silences(include_ended=True) if s.id == silence_id), None)

    def silences(self, include_ended: bool = False, now: float | None = None) -> list[Silence]:
        """Return stored silences, oldest first: those not ended at ``now`` unless
        ``include_ended``."""
        at = time.time() if now is None else now
        try:
            with self._lock:
                rows = self._conn.execute(
                    "SELECT id, created_at, ends_at, reason, account, check_id, code, expired_at"
                    " FROM silences ORDER BY id"
                ).fetchall()
        except sqlite3.Error as e:
            self._write_failed("reading silences", e)
            return []
        out = [
            Silence(
                int(i), float(c), float(e), str(r), a, k, None if code is None else int(code), x
            )
            for i, c, e, r, a, k, code, x in rows
        ]
        return out if include_ended else [s for s in out if s.expired_at is None and s.ends_at > at]

    def silences_revision(self) -> int:
        """Return a counter that changes whenever a silence is added or expired."""
        try:
            with self._lock:
                return _silences_rev(self._conn)
        except sqlite3.Error as e:
            self._write_failed("reading silences", e)
            return -1

    def pending_by_destination(self) -> list[dict[str, Any]]:
        """Return, per destination fingerprint with undelivered rows: how many, the oldest
        creation time, the most attempts, the last error and the next retry (for `status`)."""
        try:
            with self._lock:
                rows = self._conn.execute(
                    "SELECT dest, count(*), min(created_at), max(attempts), min(next_attempt_at),"
                    " (SELECT o2.last_error FROM outbox o2 WHERE o2.dest = o.dest AND"
                    "  o2.delivered_at IS NULL AND o2.dropped_at IS NULL ORDER BY o2.attempts"
                    "  DESC, o2.id LIMIT 1)"
                    " FROM outbox o WHERE delivered_at IS NULL AND dropped_at IS NULL"
                    " GROUP BY dest ORDER BY min(id)"
                ).fetchall()
        except sqlite3.Error as e:
            self._write_failed("reading the outbox", e)
            return []
        return [
            {
                "dest": d,
                "pending": int(n),
                "oldest_created_at": float(c),
                "attempts": int(a),
                "next_attempt_at": float(nx),
                "last_error": err or "",
            }
            for d, n, c, a, nx, err in rows
        ]

    # ------------------------------------------------------------------ outbox

    def due_outbox(
        self, now: float, limit: int = 100, max_delay_seconds: float | None = None
    ) -> list[OutboxRow]:
        """Return pending rows due at ``now``, oldest first, keeping per-destination order.

        A row is not returned while an older pending row of the same destination is waiting
        for its retry, so alert 2 never overtakes alert 1 on one channel. With
        ``max_delay_seconds``, a retry time further in the future than that counts as due: the
        wall clock was stepped back, and the retry must not wait for the clock to catch up.
        """
        try:
            with self._lock:
                rows = self._conn.execute(
                    "SELECT id, created_at, dest, title, body, notify_type, attempts,"
                    " next_attempt_at, delivered_at, last_error, alert_id, kind FROM outbox"
                    " WHERE delivered_at IS NULL AND dropped_at IS NULL ORDER BY id"
                ).fetchall()
        except sqlite3.Error as e:
            self._write_failed("reading the outbox", e)
            return []
        due: list[OutboxRow] = []
        blocked: set[str] = set()
        for r in rows:
            row = _outbox_row(r)
            if row.dest in blocked:
                continue
            waiting = row.next_attempt_at > now
            if waiting and max_delay_seconds is not None:
                waiting = row.next_attempt_at - now <= max_delay_seconds
            if waiting:
                blocked.add(row.dest)
                continue
            due.append(row)
            if len(due) >= limit:
                break
        return due

    def mark_delivered(self, row_id: int, now: float) -> None:
        """Record that a row was delivered (only after the send succeeded)."""
        try:
            with self._tx() as c:
                c.execute(
                    "UPDATE outbox SET delivered_at = ?, attempts = attempts + 1"
                    " WHERE id = ? AND delivered_at IS NULL",
                    (now, row_id),
                )
            self._write_ok()
        except sqlite3.Error as e:
            if self._retry(e):
                return self.mark_delivered(row_id, now)
            self._write_failed("marking an alert delivered", e)

    def mark_failed(self, row_id: int, now: float, error: str, next_attempt_at: float) -> None:
        """Record a failed attempt with its (scrubbed) reason and the next retry time."""
        try:
            with self._tx() as c:
                c.execute(
                    "UPDATE outbox SET attempts = attempts + 1, last_error = ?,"
                    " next_attempt_at = ? WHERE id = ? AND delivered_at IS NULL",
                    (scrub(error)[:MAX_ERROR_CHARS], next_attempt_at, row_id),
                )
            self._write_ok()
        except sqlite3.Error as e:
            if self._retry(e):
                return self.mark_failed(row_id, now, error, next_attempt_at)
            self._write_failed("recording a failed delivery", e)

    def drop(self, row_id: int, now: float, reason: str) -> None:
        """Give up on a row for good (its destination is no longer configured)."""
        try:
            with self._tx() as c:
                c.execute(
                    "UPDATE outbox SET dropped_at = ?, last_error = ? WHERE id = ?",
                    (now, scrub(reason)[:MAX_ERROR_CHARS], row_id),
                )
            self._write_ok()
        except sqlite3.Error as e:
            if self._retry(e):
                return self.drop(row_id, now, reason)
            self._write_failed("dropping an alert", e)

    def pending_count(self) -> int:
        """Return how many outbox rows still wait for delivery."""
        try:
            with self._lock:
                return int(
                    self._conn.execute(
                        "SELECT count(*) FROM outbox "
                        "WHERE delivered_at IS NULL AND dropped_at IS NULL"
                    ).fetchone()[0]
                )
        except sqlite3.Error as e:
            self._write_failed("counting the outbox", e)
            return 0

    def outbox(self, limit: int = 100) -> list[OutboxRow]:
        """Return the newest outbox rows (delivered or not), newest first, for status output."""
        try:
            with self._lock:
                rows = self._conn.execute(
                    "SELECT id, created_at, dest, title, body, notify_type, attempts,"
                    " next_attempt_at, delivered_at, last_error, alert_id, kind FROM outbox"
                    " ORDER BY id DESC LIMIT ?",
                    (limit,),
                ).fetchall()
        except sqlite3.Error as e:
            self._write_failed("reading the outbox", e)
            return []
        return [_outbox_row(r) for r in rows]

    # ------------------------------------------------------------------ history + upkeep

    def history(self, limit: int = 100) -> list[HistoryRow]:
        """Return the newest status flips, newest first."""
        try:
            with self._lock:
                rows = self._conn.execute(
                    "SELECT ts, account, check_id, old_status, new_status, summary FROM history"
                    " ORDER BY id DESC LIMIT ?",
                    (limit,),
                ).fetchall()
        except sqlite3.Error as e:
            self._write_failed("reading history", e)
            return []
        return [
            HistoryRow(float(ts), a, k, Status[o] if o else None, Status[n], s)
            for ts, a, k, o, n, s in rows
        ]

    def prune(self, before_ts: float) -> None:
        """Delete delivered/dropped outbox rows and history older than ``before_ts``."""
        try:
            with self._tx() as c:
                c.execute(
                    "DELETE FROM outbox WHERE created_at < ? AND"
                    " (delivered_at IS NOT NULL OR dropped_at IS NOT NULL)",
                    (before_ts,),
                )
                c.execute("DELETE FROM history WHERE ts < ?", (before_ts,))
                c.execute("DELETE FROM bans WHERE until_ts < ?", (before_ts,))
            self._write_ok()
        except sqlite3.Error as e:
            if self._retry(e):
                return self.prune(before_ts)
            self._write_failed("pruning", e)

    def close(self) -> None:
        """Checkpoint and close; safe to call twice."""
        with self._lock:
            if self._closed:
                return
            self._write_back(force=True)  # a last try to save what was kept in memory
            if self._disk is not None:
                with contextlib.suppress(sqlite3.Error):
                    self._disk.close()
            self._closed = True
            with contextlib.suppress(sqlite3.Error):
                self._conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
            with contextlib.suppress(sqlite3.Error):
                self._conn.close()

    def __enter__(self) -> StateDB:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


# ---------------------------------------------------------------------- helpers


class SilencesChanged(Exception):
    """A silence was added or expired while a cycle was being decided: decide it again."""


def _silences_rev(c: sqlite3.Connection) -> int:
    row = c.execute("SELECT value FROM meta WHERE key = 'silences_rev'").fetchone()
    return int(row[0]) if row else 0


def _bump_silences_rev(c: sqlite3.Connection) -> None:
    c.execute(
        "INSERT INTO meta (key, value) VALUES ('silences_rev', '1') ON CONFLICT(key)"
        " DO UPDATE SET value = CAST(CAST(value AS INTEGER) + 1 AS TEXT)"
    )


def _outbox_row(r: tuple[Any, ...]) -> OutboxRow:
    return OutboxRow(
        id=int(r[0]),
        created_at=float(r[1]),
        dest=r[2],
        title=r[3],
        body=r[4],
        notify_type=r[5],
        attempts=int(r[6]),
        next_attempt_at=float(r[7]),
        delivered_at=r[8],
        last_error=r[9] or "",
        alert_id=r[10],
        kind=r[11],
    )


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
        raise _Corrupt(f"unreadable schema version {row[0]!r}") from None


def _is_corruption(e: sqlite3.DatabaseError) -> bool:
    text = str(e).lower()
    if any(s in text for s in ("not a database", "malformed", "corrupt", "encrypted")):
        return True
    code = getattr(e, "sqlite_errorcode", None)
    return code in (sqlite3.SQLITE_CORRUPT, sqlite3.SQLITE_NOTADB)


def _move_aside(path: Path) -> Path:
    """Rename ``path`` and its -wal/-shm companions to ``<name>.corrupt-<UTC ts>``."""
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    target = path.with_name(f"{path.name}.corrupt-{stamp}")
    n = 1
    while target.exists():
        target = path.with_name(f"{path.name}.corrupt-{stamp}-{n}")
        n += 1
    os.replace(path, target)
    # a stale WAL next to a fresh database would be replayed into it: move it along
    for suffix in ("-wal", "-shm"):
        side = path.with_name(path.name + suffix)
        if side.exists():
            with contextlib.suppress(OSError):
                os.replace(side, target.with_name(target.name + suffix))
    return target
