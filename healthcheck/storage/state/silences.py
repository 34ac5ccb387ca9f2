"""Silences (issue 12): stored mutes with an end time, and the revision counter in ``meta`` that
lets a cycle notice a silence added while it was being decided."""

from __future__ import annotations

import sqlite3
import time
from typing import Any

from healthcheck.model.silences import Silence
from healthcheck.storage.redact import scrub
from healthcheck.storage.state.errors import StateError
from healthcheck.storage.state.store import Store

REASON_CHARS = 200


class Silences:
    """The ``silences`` table. Adding or expiring one raises :class:`StateError` on failure: a
    silence must never be lost quietly."""

    def __init__(self, store: Store) -> None:
        self._store = store

    def add(
        self,
        *,
        ends_at: float,
        reason: str,
        account: str | None = None,
        check: str | None = None,
        code: int | None = None,
        now: float | None = None,
    ) -> Silence:
        """Store a silence (committed before returning); return it with its id."""
        created = time.time() if now is None else now
        try:
            with self._store.tx() as c:
                cur = c.execute(
                    "INSERT INTO silences (created_at, ends_at, account, check_id, code, reason)"
                    " VALUES (?, ?, ?, ?, ?, ?)",
                    (created, float(ends_at), account, check, code, scrub(reason)[:REASON_CHARS]),
                )
                _bump_revision(c)
                new_id = int(cur.lastrowid or 0)
        except sqlite3.Error as e:
            raise StateError(f"cannot save the silence in {self._store.where}: {e}") from None
        clean = scrub(reason)[:REASON_CHARS]
        return Silence(new_id, created, float(ends_at), clean, account, check, code)

    def expire(self, silence_id: int, now: float | None = None) -> Silence | None:
        """End a silence now; return it, or None if there is no active silence with that id."""
        at = time.time() if now is None else now
        try:
            with self._store.tx() as c:
                cur = c.execute(
                    "UPDATE silences SET expired_at = ?, ends_at = min(ends_at, ?)"
                    " WHERE id = ? AND expired_at IS NULL AND ends_at > ?",
                    (at, at, silence_id, at),
                )
                if cur.rowcount:
                    _bump_revision(c)
        except sqlite3.Error as e:
            raise StateError(f"cannot expire the silence in {self._store.where}: {e}") from None
        if not cur.rowcount:
            return None
        return next((s for s in self.stored(include_ended=True) if s.id == silence_id), None)

    def stored(self, include_ended: bool = False, now: float | None = None) -> list[Silence]:
        """Return stored silences, oldest first: those not ended at ``now`` unless
        ``include_ended``."""
        at = time.time() if now is None else now
        rows: list[Any] = self._store.read(
            "reading silences",
            lambda c: c.execute(
                "SELECT id, created_at, ends_at, reason, account, check_id, code, expired_at"
                " FROM silences ORDER BY id"
            ).fetchall(),
            [],
        )
        out = [
            Silence(
                int(i), float(c), float(e), str(r), a, k, None if code is None else int(code), x
            )
            for i, c, e, r, a, k, code, x in rows
        ]
        return out if include_ended else [s for s in out if s.expired_at is None and s.ends_at > at]

    def revision(self) -> int:
        """Return a counter that changes whenever a silence is added or expired."""
        return self._store.read("reading silences", revision_in, -1)


def revision_in(c: sqlite3.Connection) -> int:
    """Return the silences revision as seen by connection ``c`` (inside its transaction)."""
    row = c.execute("SELECT value FROM meta WHERE key = 'silences_rev'").fetchone()
    return int(row[0]) if row else 0


def _bump_revision(c: sqlite3.Connection) -> None:
    c.execute(
        "INSERT INTO meta (key, value) VALUES ('silences_rev', '1') ON CONFLICT(key)"
        " DO UPDATE SET value = CAST(CAST(value AS INTEGER) + 1 AS TEXT)"
    )
