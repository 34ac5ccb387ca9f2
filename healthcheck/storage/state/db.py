"""The facade the rest of the program uses: :class:`StateDB` opens the file and hands each call to
the table family that owns it (:mod:`.checks`, :mod:`.outbox`, :mod:`.silences`, :mod:`.bans`),
all over one :class:`~.store.Store` (one connection, one lock). The only write that spans
families is :meth:`StateDB.commit_cycle`: one cycle, one transaction."""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any

from healthcheck.model.silences import Silence
from healthcheck.storage.state.bans import Bans, ResponseCache
from healthcheck.storage.state.checks import CheckState, CheckStates, HistoryRow
from healthcheck.storage.state.errors import SilencesChanged
from healthcheck.storage.state.opening import open_file, open_memory
from healthcheck.storage.state.outbox import Outbox, OutboxRow
from healthcheck.storage.state.silences import Silences, revision_in
from healthcheck.storage.state.store import WRITE_ERRORS, Store


class StateDB:
    """Thread-safe access to ``state.db``; build with :meth:`open` or :meth:`in_memory`."""

    def __init__(self, conn: sqlite3.Connection, path: Path | None) -> None:
        self.store = Store(conn, path)
        self.path = path
        self._bans = Bans(self.store)
        self._cache = ResponseCache(self.store)
        self._checks = CheckStates(self.store)
        self._outbox = Outbox(self.store)
        self._silences = Silences(self.store)

    # ------------------------------------------------------------------ opening

    @classmethod
    def open(cls, state_dir: Path, *, memory_fallback: bool = False) -> StateDB:
        """Given the state directory, return the database in it, created if needed.

        A damaged or future-version database is moved aside to ``state.db.corrupt-<UTC ts>``
        (with a warning) and a fresh one is created. Raise :class:`StateError` if the directory
        or file cannot be created or written (read-only or full file system, permissions).
        With ``memory_fallback``, a write that fails later moves the database to memory (see
        :meth:`Store._to_memory`) instead of losing that write.
        """
        db = cls(*open_file(Path(state_dir)))
        db.memory_fallback = memory_fallback
        return db

    @classmethod
    def in_memory(cls) -> StateDB:
        """Return a database that lives only in memory, for running without persistence."""
        return cls(open_memory(), None)

    @property
    def memory_fallback(self) -> bool:
        """Whether a failed write to the file moves the database to memory."""
        return self.store.memory_fallback

    @memory_fallback.setter
    def memory_fallback(self, on: bool) -> None:
        self.store.memory_fallback = on

    # ------------------------------------------------------------------ the cycle

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
        self.store.write_back()
        try:
            with self.store.tx() as c:
                if silences_rev is not None and revision_in(c) != silences_rev:
                    raise SilencesChanged()
                CheckStates.save(c, states)
                Outbox.add(c, outbox_rows)
                CheckStates.add_history(c, history_rows)
            self.store.write_ok()
            return True
        except WRITE_ERRORS as e:
            for row in outbox_rows:
                row.id = None
            if self.store.retry(e):
                return self.commit_cycle(states, outbox_rows, history_rows)
            self.store.write_failed("saving the cycle", e)
            return False

    def prune(self, before_ts: float) -> None:
        """Delete delivered/dropped outbox rows and history older than ``before_ts``."""

        def delete(c: sqlite3.Connection) -> None:
            Outbox.prune(c, before_ts)
            CheckStates.prune_history(c, before_ts)
            Bans.prune(c, before_ts)

        self.store.write("pruning", delete)

    def close(self) -> None:
        """Checkpoint and close; safe to call twice."""
        self.store.close()

    def __enter__(self) -> StateDB:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # ------------------------------------------------------------------ check states + history

    def load_check_states(self) -> dict[tuple[str, str], CheckState]:
        """Return every stored check state keyed by (account, check); unreadable rows skipped."""
        return self._checks.load()

    def history(self, limit: int = 100) -> list[HistoryRow]:
        """Return the newest status flips, newest first."""
        return self._checks.history(limit)

    # ------------------------------------------------------------------ outbox

    def due_outbox(
        self, now: float, limit: int = 100, max_delay_seconds: float | None = None
    ) -> list[OutboxRow]:
        """Return pending rows due at ``now`` in per-destination order (see
        :meth:`Outbox.due`)."""
        return self._outbox.due(now, limit, max_delay_seconds)

    def mark_delivered(self, row_id: int, now: float) -> None:
        """Record that a row was delivered (only after the send succeeded)."""
        self._outbox.mark_delivered(row_id, now)

    def mark_failed(self, row_id: int, now: float, error: str, next_attempt_at: float) -> None:
        """Record a failed attempt with its (scrubbed) reason and the next retry time."""
        self._outbox.mark_failed(row_id, error, next_attempt_at)

    def drop(self, row_id: int, now: float, reason: str) -> None:
        """Give up on a row for good (its destination is no longer configured)."""
        self._outbox.drop(row_id, now, reason)

    def pending_count(self) -> int:
        """Return how many outbox rows still wait for delivery."""
        return self._outbox.pending_count()

    def outbox(self, limit: int = 100) -> list[OutboxRow]:
        """Return the newest outbox rows (delivered or not), newest first, for status output."""
        return self._outbox.newest(limit)

    def pending_by_destination(self) -> list[dict[str, Any]]:
        """Return the undelivered rows summed up per destination (for `status`)."""
        return self._outbox.pending_by_destination()

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
        return self._silences.add(
            ends_at=ends_at, reason=reason, account=account, check=check, code=code, now=now
        )

    def expire_silence(self, silence_id: int, now: float | None = None) -> Silence | None:
        """End a silence now; return it, or None if there is no active silence with that id."""
        return self._silences.expire(silence_id, now)

    def silences(self, include_ended: bool = False, now: float | None = None) -> list[Silence]:
        """Return stored silences, oldest first: those not ended at ``now`` unless
        ``include_ended``."""
        return self._silences.stored(include_ended, now)

    def silences_revision(self) -> int:
        """Return a counter that changes whenever a silence is added or expired."""
        return self._silences.revision()

    # ------------------------------------------------------------------ bans + cache

    def get_ban(self, key: str, now: float) -> tuple[float, str] | None:
        """Given a ban key (host or account), return (until_ts, reason) if the ban is active."""
        return self._bans.get(key, now)

    def set_ban(self, key: str, until_ts: float, reason: str) -> None:
        """Record a ban; an existing ban that lasts longer is kept."""
        self._bans.set(key, until_ts, reason)

    def active_bans(self, now: float) -> dict[str, tuple[float, str]]:
        """Return every ban still active at ``now`` as {key: (until_ts, reason)}."""
        return self._bans.active(now)

    def get_cache(self, key: str) -> tuple[float, Any] | None:
        """Given a cache key, return (fetched_at, value) or None."""
        return self._cache.get(key)

    def put_cache(self, key: str, value: Any, fetched_at: float) -> None:
        """Store a JSON-serialisable value under key."""
        self._cache.put(key, value, fetched_at)
