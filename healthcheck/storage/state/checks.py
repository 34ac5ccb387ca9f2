"""What the alert engine remembers per (account, check) between cycles, and the history of
status flips: the ``check_state`` and ``history`` tables."""

from __future__ import annotations

import json
import logging
import sqlite3
from dataclasses import dataclass, field
from typing import Any

from healthcheck.model.result import Status
from healthcheck.storage.state.store import Store

log = logging.getLogger(__name__)


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


@dataclass(frozen=True)
class HistoryRow:
    """One status flip of one check."""

    ts: float
    account: str
    check: str
    old_status: Status | None
    new_status: Status
    summary: str


class CheckStates:
    """The ``check_state`` and ``history`` tables. Writes happen inside the cycle's transaction
    (see :meth:`StateDB.commit_cycle`), so they take the caller's connection."""

    def __init__(self, store: Store) -> None:
        self._store = store

    def load(self) -> dict[tuple[str, str], CheckState]:
        """Return every stored check state keyed by (account, check); unreadable rows skipped."""
        rows: list[Any] = self._store.read(
            "reading check states",
            lambda c: c.execute("SELECT account, check_id, data FROM check_state").fetchall(),
            [],
        )
        states: dict[tuple[str, str], CheckState] = {}
        for account, check, data in rows:
            try:
                states[(account, check)] = CheckState.from_json(json.loads(data))
            except (ValueError, KeyError, TypeError) as e:
                log.warning(
                    "state database: dropping unreadable state of %s/%s: %s", account, check, e
                )
        return states

    def history(self, limit: int = 100) -> list[HistoryRow]:
        """Return the newest status flips, newest first."""
        rows: list[Any] = self._store.read(
            "reading history",
            lambda c: c.execute(
                "SELECT ts, account, check_id, old_status, new_status, summary FROM history"
                " ORDER BY id DESC LIMIT ?",
                (limit,),
            ).fetchall(),
            [],
        )
        return [
            HistoryRow(float(ts), a, k, Status[o] if o else None, Status[n], s)
            for ts, a, k, o, n, s in rows
        ]

    @staticmethod
    def save(c: sqlite3.Connection, states: dict[tuple[str, str], CheckState]) -> None:
        """Inside the caller's transaction, write ``states`` over the stored ones."""
        c.executemany(
            "INSERT OR REPLACE INTO check_state (account, check_id, data) VALUES (?, ?, ?)",
            [
                (a, k, json.dumps(s.to_json(), separators=(",", ":")))
                for (a, k), s in states.items()
            ],
        )

    @staticmethod
    def add_history(c: sqlite3.Connection, rows: list[HistoryRow]) -> None:
        """Inside the caller's transaction, append status flips."""
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
                for h in rows
            ],
        )

    @staticmethod
    def prune_history(c: sqlite3.Connection, before_ts: float) -> None:
        """Inside the caller's transaction, delete flips older than ``before_ts``."""
        c.execute("DELETE FROM history WHERE ts < ?", (before_ts,))
