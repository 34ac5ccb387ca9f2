"""The one connection to the state database and how it is used: one lock, one ``BEGIN
IMMEDIATE`` transaction per write, storage failures logged once instead of raised into the
scheduler, and the in-memory fallback that keeps a cycle's state while the file takes no writes.
Every table family (:mod:`.checks`, :mod:`.outbox`, :mod:`.silences`, :mod:`.bans`) works
through a :class:`Store`.
"""

from __future__ import annotations

import contextlib
import logging
import sqlite3
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TypeVar

from healthcheck.storage.redact import scrub

log = logging.getLogger(__name__)

T = TypeVar("T")

MAX_ERROR_CHARS = 500
WRITE_BACK_SECONDS = 30.0  # while in memory after a failed write, retry the file this often
# what a write may raise that is logged instead of raised: storage errors, and a value that
# cannot be encoded for storage
WRITE_ERRORS: tuple[type[Exception], ...] = (sqlite3.Error, TypeError, ValueError)


class Store:
    """Thread-safe holder of the connection (``conn``) to one state database at ``path``."""

    def __init__(self, conn: sqlite3.Connection, path: Path | None) -> None:
        self.conn = conn
        self.path = path
        self.lock = threading.RLock()
        self._failing = False  # log a write failure once, not every cycle
        self.closed = False
        # after a write to the file failed (full or read-only disk): the file's connection, while
        # self.conn is an in-memory copy that keeps the outbox and states until it is written back
        self._disk: sqlite3.Connection | None = None
        self._next_write_back = 0.0
        self.memory_fallback = False  # see _to_memory; the daemon turns it on

    @property
    def where(self) -> str:
        """The file's path for messages, or ``:memory:``."""
        return str(self.path) if self.path else ":memory:"

    # ------------------------------------------------------------------ transactions

    @contextlib.contextmanager
    def tx(self) -> Iterator[sqlite3.Connection]:
        """Hold the lock and run the block in one IMMEDIATE transaction."""
        with self.lock:
            self.conn.execute("BEGIN IMMEDIATE")
            try:
                yield self.conn
                self.conn.execute("COMMIT")
            except BaseException as e:
                # also after a failed COMMIT (SQLITE_FULL may leave the transaction open)
                with contextlib.suppress(sqlite3.Error):
                    self.conn.execute("ROLLBACK")
                if isinstance(e, sqlite3.OperationalError) and self._to_memory(e):
                    e.retry_in_memory = True  # type: ignore[attr-defined]  # see retry
                raise

    def write(
        self,
        what: str,
        body: Callable[[sqlite3.Connection], object],
        errors: tuple[type[Exception], ...] = (sqlite3.Error,),
    ) -> None:
        """Run ``body`` in one transaction; if it raises one of ``errors``, log that ``what``
        failed and carry on (after doing it again in memory if the file stopped taking writes)."""
        try:
            with self.tx() as c:
                body(c)
            self.write_ok()
        except errors as e:
            if self.retry(e):
                return self.write(what, body, errors)
            self.write_failed(what, e)

    def read(self, what: str, query: Callable[[sqlite3.Connection], T], default: T) -> T:
        """Return ``query``'s answer under the lock, or ``default`` (logged) if it fails."""
        try:
            with self.lock:
                return query(self.conn)
        except sqlite3.Error as e:
            self.write_failed(what, e)
            return default

    @staticmethod
    def retry(exc: BaseException) -> bool:
        """True if ``exc`` made the database move to memory: the write should be done again."""
        return bool(getattr(exc, "retry_in_memory", False))

    # ------------------------------------------------------------------ failures

    def write_failed(self, what: str, exc: BaseException) -> None:
        """Log that ``what`` failed: one clear line the first time, DEBUG while it repeats."""
        if self.closed:
            # a late caller after shutdown (a send thread ending): nothing is lost, the row it
            # would have updated is still pending in the committed outbox
            log.debug("state database closed; not %s", what)
            return
        # one clear line the first time; repeats of a full disk every cycle would drown the log
        if not self._failing:
            log.error(
                "state database %s: %s failed, continuing without saving it: %s",
                self.where,
                what,
                scrub(str(exc)),
            )
            self._failing = True
        else:
            log.debug("state database: %s failed again: %s", what, scrub(str(exc)))

    def write_ok(self) -> None:
        """Note a successful write: say once that writes work again after a failure."""
        if self._failing and self._disk is None:
            log.info("state database %s: writes work again", self.where)
            self._failing = False

    # ------------------------------------------------------------------ memory fallback

    def _to_memory(self, exc: sqlite3.Error) -> bool:
        """After a failed write to the file (full disk, read-only, I/O error), carry on in an
        in-memory copy of the database, so the cycle and its queued alerts are not lost and
        delivered rows are not sent again; the copy is written back to the file once it takes
        writes again. Called by tx with the lock held; return True if it switched."""
        with self.lock:
            if not self.memory_fallback or self.path is None or self._disk is not None:
                return False
            if self.closed:
                return False
            try:
                mem = sqlite3.connect(":memory:", check_same_thread=False, isolation_level=None)
                self.conn.backup(mem)
            except sqlite3.Error as e:
                log.debug("state database: cannot copy it to memory: %s", e)
                return False
            self._disk, self.conn = self.conn, mem
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

    def write_back(self, force: bool = False) -> None:
        """While in memory, copy the database back to the file (at most every
        WRITE_BACK_SECONDS) and use the file again if that worked."""
        with self.lock:
            if self._disk is None or (not force and time.monotonic() < self._next_write_back):
                return
            self._next_write_back = time.monotonic() + WRITE_BACK_SECONDS
            try:
                self.conn.backup(self._disk)
            except sqlite3.Error as e:
                log.debug("state database: still cannot write the file: %s", e)
                return
            mem, self.conn, self._disk = self.conn, self._disk, None
            mem.close()
        self.write_ok()

    def close(self) -> None:
        """Write back what was kept in memory, checkpoint and close; safe to call twice."""
        with self.lock:
            if self.closed:
                return
            self.write_back(force=True)  # a last try to save what was kept in memory
            if self._disk is not None:
                with contextlib.suppress(sqlite3.Error):
                    self._disk.close()
            self.closed = True
            with contextlib.suppress(sqlite3.Error):
                self.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
            with contextlib.suppress(sqlite3.Error):
                self.conn.close()
