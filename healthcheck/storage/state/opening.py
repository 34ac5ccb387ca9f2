"""Opening ``state.db``: the directory checks, the connection's pragmas (WAL, ``synchronous=FULL``)
and the damaged-file handling (a corrupt file is moved aside and replaced, never crash-looped on).
"""

from __future__ import annotations

import contextlib
import logging
import os
import sqlite3
from datetime import UTC, datetime
from pathlib import Path

from healthcheck.storage.files import read_only_fs
from healthcheck.storage.state.errors import Corrupt, StateError, StateTooNew
from healthcheck.storage.state.schema import migrate

log = logging.getLogger(__name__)

DB_NAME = "state.db"
BUSY_TIMEOUT_MS = 5000
WAL_SIZE_LIMIT = 1024 * 1024  # bytes the WAL is truncated to after a checkpoint
WAL_AUTOCHECKPOINT_PAGES = 200  # ~800 KB of WAL before SQLite checkpoints on its own
# SQLite's page cache (default 2 MB) fills as the database grows (30 days of history and
# delivered alerts): RSS then creeps up for weeks; 512 KiB holds every hot page of this schema
PAGE_CACHE_KIB = 512


def open_file(state_dir: Path) -> tuple[sqlite3.Connection, Path]:
    """Given the state directory, return a migrated connection to ``state.db`` in it and the
    file's path, creating both if needed.

    A damaged or future-version database is moved aside to ``state.db.corrupt-<UTC ts>`` (with
    a warning) and a fresh one is created. Raise :class:`StateError` if the directory or file
    cannot be created or written (read-only or full file system, permissions).
    """
    state_dir = Path(state_dir)
    _check_directory(state_dir)
    path = state_dir / DB_NAME
    try:
        return connect(path), path
    except StateTooNew:
        raise
    except Corrupt as e:
        moved = _move_aside(path)
        log.warning(
            "state database %s is unusable (%s); moved it to %s and starting fresh",
            path,
            e,
            moved,
        )
    try:
        return connect(path), path
    except Corrupt as e:  # a fresh file that is corrupt means the storage itself is broken
        raise StateError(f"cannot create a fresh state database {path}: {e}") from None


def open_memory() -> sqlite3.Connection:
    """Return a migrated connection to a database that lives only in memory."""
    conn = sqlite3.connect(":memory:", check_same_thread=False, isolation_level=None)
    migrate(conn)
    return conn


def _check_directory(state_dir: Path) -> None:
    """Create the state directory (0700) if needed; raise :class:`StateError` if it cannot hold
    the database."""
    try:
        state_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
    except OSError as e:
        raise StateError(f"cannot create state directory {state_dir}: {e.strerror or e}") from None
    if read_only_fs(state_dir):
        raise StateError(f"state directory {state_dir} is on a read-only file system")
    if not os.access(state_dir, os.W_OK | os.X_OK):
        raise StateError(f"state directory {state_dir} is not writable by this user")


def connect(path: Path) -> sqlite3.Connection:
    """Given the database path, return a checked, migrated connection in autocommit mode.

    Raise :class:`Corrupt` if the file is damaged, :class:`StateTooNew` if it is from a newer
    release and :class:`StateError` if it cannot be opened or written."""
    _create_private(path)
    conn: sqlite3.Connection | None = None
    try:
        # autocommit mode; transactions are explicit BEGIN IMMEDIATE … COMMIT
        conn = sqlite3.connect(
            str(path),
            check_same_thread=False,
            isolation_level=None,
            timeout=BUSY_TIMEOUT_MS / 1000,
        )
        _set_pragmas(conn, path)
        check = conn.execute("PRAGMA quick_check").fetchone()[0]
        if check != "ok":
            raise Corrupt(f"integrity check: {check}")
        migrate(conn, path)
        # a write now, so a read-only file fails here with a clear error, not mid-run
        conn.execute(
            "INSERT OR REPLACE INTO meta VALUES ('last_opened_at', ?)",
            (datetime.now(UTC).isoformat(timespec="seconds"),),
        )
        return conn
    except (StateError, Corrupt):
        if conn is not None:
            conn.close()
        raise
    except sqlite3.DatabaseError as e:
        if conn is not None:
            conn.close()
        if _is_corruption(e):
            raise Corrupt(str(e)) from None
        if read_only_fs(path):
            raise StateError(
                f"cannot open state database {path}: it is on a read-only file system"
            ) from None
        raise StateError(f"cannot open state database {path}: {e}") from None


def _create_private(path: Path) -> None:
    """Create the file 0600 ourselves if it is missing: sqlite would use 0644 & ~umask, and the
    -wal/-shm files inherit the main file's mode."""
    if path.exists():
        return
    try:
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
    except FileExistsError:
        pass
    except OSError as e:
        raise StateError(f"cannot create {path}: {e.strerror or e}") from None


def _set_pragmas(conn: sqlite3.Connection, path: Path) -> None:
    """Put the connection in WAL mode with ``synchronous=FULL`` and bounded WAL and cache."""
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
