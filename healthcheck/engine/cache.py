"""Answers and readings kept between runs: in memory, and in ``state_dir`` for the next process.

The runner keeps here what it may read again instead of asking Binance: answers that may be
reused (see :mod:`healthcheck.engine.reuse`), exchangeInfo's filters, the clock offsets, the
weight readings and what "auto" found out about Portfolio Margin. A broken cache only costs a
refetch; a base URL in a key is hashed, so a proxy password in it never reaches disk.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable
from typing import Any

from healthcheck.exchange.gateway import WeightBook
from healthcheck.exchange.weights import WeightObservation
from healthcheck.model.markets import MARKETS
from healthcheck.storage.redact import scrub

log = logging.getLogger(__name__)

WEIGHT_REUSE_SECONDS = 300.0  # weight readings a later process may start from


def host_id(base: str) -> str:
    """A base URL as a cache-key part: hashed, so a proxy password in it never reaches disk."""
    return hashlib.sha256(base.encode()).hexdigest()[:16]


class AnswerCache:
    """Kept answers by key, each with the wall time it was kept at."""

    def __init__(self, state: Any, clock: Callable[[], float]) -> None:
        """``state`` (a StateDB, or None) keeps them for the next process; ``clock`` (wall
        time) dates them."""
        self.state = state
        self.clock = clock
        self.mem: dict[str, tuple[float, Any]] = {}

    def get(self, key: str) -> tuple[float, Any] | None:
        """Given a key, return (kept at, value), from memory or else from the state dir."""
        if key in self.mem:
            return self.mem[key]
        if self.state is not None:
            try:
                got = self.state.get_cache(key)
            except Exception:  # noqa: BLE001 - a broken cache only costs a refetch
                got = None
            if got is not None:
                self.mem[key] = got
                return got
        return None

    def put(self, key: str, value: Any, now: float) -> None:
        """Keep a value in memory and in the state dir."""
        self.mem[key] = (now, value)
        if self.state is not None:
            try:
                self.state.put_cache(key, value, now)
            except Exception as exc:  # noqa: BLE001
                log.warning("could not store a cached answer: %s", scrub(str(exc)))

    def fresh(self, key: str, max_age: float) -> tuple[float, Any] | None:
        """Given a key, return what was kept less than ``max_age`` seconds ago, else None."""
        got = self.get(key)
        # a negative age means the wall clock stepped back: refetch rather than trust it
        if got is not None and 0 <= self.clock() - got[0] < max_age:
            return got
        return None

    # ------------------------------------------------------------------ weight readings
    def load_weights(self, bases: list[tuple[str, str]], book: WeightBook, now: float) -> None:
        """Given the (base URL, market) of every account, start the weight book from the
        readings a recent process kept (not those it already has)."""
        for base, m in bases:
            for pool in MARKETS[m].pools:
                got = self.fresh(f"weight:{pool}:{host_id(base)}", WEIGHT_REUSE_SECONDS)
                if got is None:
                    continue
                try:
                    used, seen = int(got[1]["used"]), float(got[1]["observed_at"])
                except (KeyError, TypeError, ValueError):
                    continue
                if 0 <= now - seen <= WEIGHT_REUSE_SECONDS and (base, pool) not in book.observed:
                    book.observed[(base, pool)] = WeightObservation(used, seen)

    def save_weights(self, book: WeightBook) -> None:
        """Keep the weight book's readings for the next process."""
        if self.state is None:
            return
        for (base, pool), obs in list(book.observed.items()):
            self.put(
                f"weight:{pool}:{host_id(base)}",
                {"used": obs.used, "observed_at": obs.observed_at},
                obs.observed_at,
            )
