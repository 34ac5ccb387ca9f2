"""Readings kept across restarts: Binance bans (so a restart during a ban does not hammer the API)
and the small response cache. Keys hold a base URL and are stored without ``user:pass@``."""

from __future__ import annotations

import json
import sqlite3
from typing import Any

from healthcheck.storage.redact import scrub, strip_userinfo
from healthcheck.storage.state.store import MAX_ERROR_CHARS, WRITE_ERRORS, Store


class Bans:
    """The ``bans`` table: until when a host or account must not be asked."""

    def __init__(self, store: Store) -> None:
        self._store = store

    def get(self, key: str, now: float) -> tuple[float, str] | None:
        """Given a ban key (host or account), return (until_ts, reason) if the ban is active."""
        row = self._store.read(
            "reading a ban",
            lambda c: c.execute(
                "SELECT until_ts, reason FROM bans WHERE key = ?", (strip_userinfo(key),)
            ).fetchone(),
            None,
        )
        if row is None or row[0] <= now:
            return None
        return float(row[0]), str(row[1])

    def set(self, key: str, until_ts: float, reason: str) -> None:
        """Record a ban; an existing ban that lasts longer is kept."""
        self._store.write(
            "saving a ban",
            lambda c: c.execute(
                "INSERT INTO bans (key, until_ts, reason) VALUES (?, ?, ?) "
                "ON CONFLICT(key) DO UPDATE SET until_ts = excluded.until_ts, "
                "reason = excluded.reason WHERE excluded.until_ts > bans.until_ts",
                (strip_userinfo(key), float(until_ts), scrub(reason)[:MAX_ERROR_CHARS]),
            ),
        )

    def active(self, now: float) -> dict[str, tuple[float, str]]:
        """Return every ban still active at ``now`` as {key: (until_ts, reason)}."""
        rows: list[Any] = self._store.read(
            "reading bans",
            lambda c: c.execute(
                "SELECT key, until_ts, reason FROM bans WHERE until_ts > ?", (now,)
            ).fetchall(),
            [],
        )
        return {str(k): (float(u), str(r)) for k, u, r in rows}

    @staticmethod
    def prune(c: sqlite3.Connection, before_ts: float) -> None:
        """Inside the caller's transaction, delete bans that ended before ``before_ts``."""
        c.execute("DELETE FROM bans WHERE until_ts < ?", (before_ts,))


class ResponseCache:
    """The ``cache`` table: a JSON value per key with the time it was fetched."""

    def __init__(self, store: Store) -> None:
        self._store = store

    def get(self, key: str) -> tuple[float, Any] | None:
        """Given a cache key, return (fetched_at, value) or None."""
        row = self._store.read(
            "reading the cache",
            lambda c: c.execute(
                "SELECT fetched_at, value FROM cache WHERE key = ?", (strip_userinfo(key),)
            ).fetchone(),
            None,
        )
        if row is None:
            return None
        try:
            return float(row[0]), json.loads(row[1])
        except ValueError:
            return None

    def put(self, key: str, value: Any, fetched_at: float) -> None:
        """Store a JSON-serialisable value under key."""

        def insert(c: sqlite3.Connection) -> None:
            c.execute(
                "INSERT OR REPLACE INTO cache (key, fetched_at, value) VALUES (?, ?, ?)",
                (strip_userinfo(key), float(fetched_at), text),
            )

        try:
            text = json.dumps(value, separators=(",", ":"))
        except (TypeError, ValueError) as e:
            self._store.write_failed("saving the cache", e)
            return
        self._store.write("saving the cache", insert, WRITE_ERRORS)
