"""The outbox: alert messages per destination, written in the same transaction as the decision to
alert (see :meth:`StateDB.commit_cycle`) and pending until delivered or dropped. Destinations
are SHA-256 fingerprints and error texts are scrubbed."""

from __future__ import annotations

import hashlib
import sqlite3
from dataclasses import dataclass
from typing import Any

from healthcheck.storage.redact import scrub
from healthcheck.storage.state.store import MAX_ERROR_CHARS, Store

_COLUMNS = (
    "id, created_at, dest, title, body, notify_type, attempts,"
    " next_attempt_at, delivered_at, last_error, alert_id, kind"
)
_PENDING = "delivered_at IS NULL AND dropped_at IS NULL"


def dest_fingerprint(url: str) -> str:
    """Given a revealed apprise URL, return a stable SHA-256 hex id that is safe to store."""
    return hashlib.sha256(url.encode("utf-8")).hexdigest()


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


class Outbox:
    """The ``outbox`` table."""

    def __init__(self, store: Store) -> None:
        self._store = store

    # ------------------------------------------------------------------ reading

    def due(
        self, now: float, limit: int = 100, max_delay_seconds: float | None = None
    ) -> list[OutboxRow]:
        """Return pending rows due at ``now``, oldest first, keeping per-destination order.

        A row is not returned while an older pending row of the same destination is waiting
        for its retry, so alert 2 never overtakes alert 1 on one channel. With
        ``max_delay_seconds``, a retry time further in the future than that counts as due: the
        wall clock was stepped back, and the retry must not wait for the clock to catch up.
        """
        rows: list[Any] = self._store.read(
            "reading the outbox",
            lambda c: c.execute(
                f"SELECT {_COLUMNS} FROM outbox WHERE {_PENDING} ORDER BY id"
            ).fetchall(),
            [],
        )
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

    def pending_count(self) -> int:
        """Return how many outbox rows still wait for delivery."""
        return self._store.read(
            "counting the outbox",
            lambda c: int(c.execute(f"SELECT count(*) FROM outbox WHERE {_PENDING}").fetchone()[0]),
            0,
        )

    def newest(self, limit: int = 100) -> list[OutboxRow]:
        """Return the newest outbox rows (delivered or not), newest first, for status output."""
        rows: list[Any] = self._store.read(
            "reading the outbox",
            lambda c: c.execute(
                f"SELECT {_COLUMNS} FROM outbox ORDER BY id DESC LIMIT ?", (limit,)
            ).fetchall(),
            [],
        )
        return [_outbox_row(r) for r in rows]

    def pending_by_destination(self) -> list[dict[str, Any]]:
        """Return, per destination fingerprint with undelivered rows: how many, the oldest
        creation time, the most attempts, the last error and the next retry (for `status`)."""
        rows: list[Any] = self._store.read(
            "reading the outbox",
            lambda c: c.execute(
                "SELECT dest, count(*), min(created_at), max(attempts), min(next_attempt_at),"
                " (SELECT o2.last_error FROM outbox o2 WHERE o2.dest = o.dest AND"
                "  o2.delivered_at IS NULL AND o2.dropped_at IS NULL ORDER BY o2.attempts"
                "  DESC, o2.id LIMIT 1)"
                " FROM outbox o WHERE delivered_at IS NULL AND dropped_at IS NULL"
                " GROUP BY dest ORDER BY min(id)"
            ).fetchall(),
            [],
        )
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

    # ------------------------------------------------------------------ delivery outcome

    def mark_delivered(self, row_id: int, now: float) -> None:
        """Record that a row was delivered (only after the send succeeded)."""
        self._store.write(
            "marking an alert delivered",
            lambda c: c.execute(
                "UPDATE outbox SET delivered_at = ?, attempts = attempts + 1"
                " WHERE id = ? AND delivered_at IS NULL",
                (now, row_id),
            ),
        )

    def mark_failed(self, row_id: int, error: str, next_attempt_at: float) -> None:
        """Record a failed attempt with its (scrubbed) reason and the next retry time."""
        self._store.write(
            "recording a failed delivery",
            lambda c: c.execute(
                "UPDATE outbox SET attempts = attempts + 1, last_error = ?,"
                " next_attempt_at = ? WHERE id = ? AND delivered_at IS NULL",
                (scrub(error)[:MAX_ERROR_CHARS], next_attempt_at, row_id),
            ),
        )

    def drop(self, row_id: int, now: float, reason: str) -> None:
        """Give up on a row for good (its destination is no longer configured)."""
        self._store.write(
            "dropping an alert",
            lambda c: c.execute(
                "UPDATE outbox SET dropped_at = ?, last_error = ? WHERE id = ?",
                (now, scrub(reason)[:MAX_ERROR_CHARS], row_id),
            ),
        )

    # ------------------------------------------------------------------ inside the cycle

    @staticmethod
    def add(c: sqlite3.Connection, rows: list[OutboxRow]) -> None:
        """Inside the caller's transaction, queue ``rows`` and set their ids."""
        for row in rows:
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

    @staticmethod
    def prune(c: sqlite3.Connection, before_ts: float) -> None:
        """Inside the caller's transaction, delete delivered/dropped rows older than
        ``before_ts``."""
        c.execute(
            "DELETE FROM outbox WHERE created_at < ? AND"
            " (delivered_at IS NOT NULL OR dropped_at IS NOT NULL)",
            (before_ts,),
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
