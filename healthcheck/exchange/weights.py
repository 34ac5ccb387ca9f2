"""The request-weight books: what we spent, what Binance says the IP used, bans, the budget.

Shared by every account of a process (weight limits are per IP, not per key) and thread-safe.
Pure (standard library only): checks import :class:`WeightBook` to read it, and the planner
prices plans with the same limits.
"""

from __future__ import annotations

import logging
import re
import threading
import time
from collections import deque
from dataclasses import dataclass
from typing import TYPE_CHECKING

from healthcheck.exchange.fetch import FetchError, FetchErrorKind
from healthcheck.model.markets import POOLS, host_key

if TYPE_CHECKING:
    from healthcheck.storage.state import StateDB

log = logging.getLogger(__name__)

# Documented per-minute IP limits, used until exchangeInfo tells us the live value.
DEFAULT_LIMITS = {p.id: p.default_limit for p in POOLS.values()}
WEIGHT_HEADERS = {p.id: p.header for p in POOLS.values()}
DEFAULT_BAN_SECONDS = 60.0  # a 429/418 without Retry-After: pause at least this long
BLIND_TRUST_SECONDS = 300.0  # how old a weight header may be and still spare the probe
BLIND_MAX_SHARE = 0.5  # ...if it (plus what we sent since) is at most this share of the limit
# Never seen a header for a pool (a cold process): this much weight may go out before the first
# answer tells the IP's usage. A cold run's first burst (server-time samples, exchangeInfo) fits,
# so it needs no probe round trip; and it cannot push even a busy IP from under its limit into a
# ban (Binance answers 429 first, which we honour).
COLD_BLIND_SHARE = 0.01
_BANNED_UNTIL_RE = re.compile(r"banned until (\d{10,16})", re.I)


# ------------------------------------------------------------------------------- weight books


@dataclass
class WeightObservation:
    used: int
    observed_at: float  # wall clock


# reserve(block=False): another request is finding out the IP's usage; send this one after it
WAIT_FOR_PROBE = FetchError(FetchErrorKind.BUDGET, "waiting for the weight probe")


class WeightBook:
    """Request weight we spent, what Binance says the IP used, bans, and the spending budget.

    Shared by every account of a process (weight limits are per IP, not per key). Thread-safe.
    """

    def __init__(
        self,
        state: StateDB | None = None,
        *,
        budget_share: float | None = None,
        headroom: float = 0.97,
        clock=time.time,
        mono=time.monotonic,
    ) -> None:
        self._lock = threading.Lock()
        self._state = state
        self._clock = clock  # wall clock: bans and Binance's calendar-minute weight windows
        self._mono = mono  # our own spending window must not jump when the wall clock steps
        self.budget_share = budget_share
        self.headroom = headroom
        self.limits: dict[tuple[str, str], int] = {}  # (base_url, group) -> limit per minute
        self.observed: dict[tuple[str, str], WeightObservation] = {}
        self._spent: dict[tuple[str, str], deque[tuple[float, int]]] = {}
        self._spent_sum: dict[tuple[str, str], int] = {}  # running total of each deque
        self._bans: dict[str, tuple[float, str]] = {}
        # pools with no fresh weight header: the thread whose request is finding out
        self._probing: dict[tuple[str, str], object] = {}
        # weight sent since the last header while trusting an older one (see reserve)
        self._blind: dict[tuple[str, str], int] = {}
        self._probe_done = threading.Condition(self._lock)
        self.run_weight = 0
        self.run_requests = 0

    # -- limits and observations
    def limit(self, base_url: str, group: str) -> int:
        return self.limits.get((base_url, group), POOLS[group].default_limit)

    def observe(self, base_url: str, group: str, used: int) -> None:
        with self._lock:
            now = self._clock()
            old = self.observed.get((base_url, group))
            if old is not None and int(old.observed_at // 60) == int(now // 60):
                # Binance counts per calendar minute, so within one minute the IP's usage only
                # grows: a lower header was computed before requests still in flight (which
                # reserve() already added). Taking it would let concurrent requests overshoot.
                used = max(used, old.used)
            # weight sent blind (before any header) may still be in flight: count it on top
            # (at worst twice) so the requests after this header cannot overshoot the headroom
            used += self._blind.pop((base_url, group), 0)
            self.observed[(base_url, group)] = WeightObservation(used, now)

    def last_used(self, base_url: str, group: str) -> int | None:
        """Given a pool, return the IP's used weight Binance last reported, if from this minute."""
        obs = self.observed.get((base_url, group))
        if obs is None:
            return None
        age = self._clock() - obs.observed_at
        if not 0 <= age <= 60:  # negative: the wall clock stepped back
            return None
        return obs.used

    def spent_last_minute(self, base_url: str, group: str) -> int:
        key = (base_url, group)
        now = self._mono()
        q = self._spent.get(key)
        if not q:
            return 0
        while q and now - q[0][0] > 60:
            self._spent_sum[key] -= q.popleft()[1]
        return self._spent_sum.get(key, 0)

    def _book_spend(self, key: tuple[str, str], weight: int) -> None:
        self._spent.setdefault(key, deque()).append((self._mono(), weight))
        self._spent_sum[key] = self._spent_sum.get(key, 0) + weight

    def reserve(
        self, base_url: str, group: str, weight: int, *, owner: object = None, block: bool = True
    ) -> FetchError | None:
        """Given a request about to go out, book its weight; return why not if it must not go.

        Two rules keep us from causing -1003: our own spending stays under ``budget_share`` of
        the pool's limit per minute, and we never push the IP's reported usage (all processes)
        past ``headroom`` of the limit. ``owner`` names the request if it becomes the probe (by
        default the calling thread); with ``block=False`` a request that would have to wait for
        another's probe books nothing and gets :data:`WAIT_FOR_PROBE`.
        """
        with self._lock:
            limit = self.limit(base_url, group)
            deferred = self._over_budget(base_url, group, weight, limit)
            if deferred is not None:
                return deferred
            key = (base_url, group)
            used = self.last_used(base_url, group)
            if used is None and self._may_send_blind(key, weight, limit):
                self._blind[key] = self._blind.get(key, 0) + weight
                self._book_request(key, weight)
                return None
            if not block and used is None and key in self._probing:
                return WAIT_FOR_PROBE
            used = self._await_probe(key, used, owner)
            if used is not None and used + weight > limit * self.headroom:
                return FetchError(
                    FetchErrorKind.BUDGET,
                    f"skipped to protect the IP's request-weight limit: "
                    f"{used} of {limit} already used this minute",
                )
            self._book_request(key, weight)
            if used is not None:
                # count in-flight weight so concurrent requests see each other
                seen_at = self.observed[key].observed_at
                self.observed[key] = WeightObservation(used + weight, seen_at)
            return None

    def _over_budget(self, base_url: str, group: str, weight: int, limit: int) -> FetchError | None:
        """Return why a request must wait if it would take our own spending on this host over
        ``budget_share`` of the limit per minute (at least 60)."""
        spent = self.spent_last_minute(base_url, group)
        budget = max(int(limit * (self.budget_share or 1.0)), 60)
        if self.budget_share is not None and spent + weight > budget:
            return FetchError(
                FetchErrorKind.DEFERRED,
                f"deferred: this tool already spent {spent} of its "
                f"{budget} weight budget per minute on this host",
            )
        return None

    def _may_send_blind(self, key: tuple[str, str], weight: int, limit: int) -> bool:
        """With no header this minute: True if the last one (up to 5 min old) showed a lightly
        used IP, or none was ever seen and little was sent, so a run's burst cannot push it over
        and the request goes without a probe round trip."""
        old = self.observed.get(key)
        blind = self._blind.get(key, 0)
        trusted = (
            old is not None
            and 0 <= self._clock() - old.observed_at <= BLIND_TRUST_SECONDS
            and old.used + blind + weight <= limit * BLIND_MAX_SHARE
        )
        cold = old is None and blind + weight <= limit * COLD_BLIND_SHARE
        return trusted or cold

    def _await_probe(self, key: tuple[str, str], used: int | None, owner: object) -> int | None:
        """Given the IP's known usage (None: no header in the last minute), wait while another
        request probes it, or become the probe; return the usage known now. Lock held."""
        waited = False
        while used is None and key in self._probing:
            # Nothing known about this IP's usage (no header in the last minute): one
            # request finds out before the rest of a run's burst goes out.
            waited = True
            self._probe_done.wait(1.0)
            used = self.last_used(*key)
        if used is None and not waited:
            self._probing[key] = threading.get_ident() if owner is None else owner
        return used

    def _book_request(self, key: tuple[str, str], weight: int) -> None:
        """Count a request that goes out: its weight in the host's minute and in this run."""
        self._book_spend(key, weight)
        self.run_weight += weight
        self.run_requests += 1

    def probe_finished(self, base_url: str, group: str, *, owner: object = None) -> None:
        """Given a request that went out, let requests waiting for its weight header go on."""
        with self._lock:
            me = threading.get_ident() if owner is None else owner
            if self._probing.get((base_url, group)) == me:
                del self._probing[(base_url, group)]
                self._probe_done.notify_all()

    # -- bans
    def ban(self, key: str, until: float, reason: str) -> None:
        with self._lock:
            old = self._bans.get(key)
            if old is None or old[0] < until:
                self._bans[key] = (until, reason)
        if self._state is not None:
            self._state.set_ban(key, until, reason)
        log.warning(
            "all requests to %s paused until %s: %s",
            key,
            time.strftime("%Y-%m-%d %H:%M:%S UTC", time.gmtime(until)),
            reason,
        )

    def active_ban(self, key: str) -> tuple[float, str] | None:
        now = self._clock()
        with self._lock:
            ban = self._bans.get(key)
        if ban is None and self._state is not None:
            ban = self._state.get_ban(key, now)
            if ban is not None:
                with self._lock:
                    self._bans[key] = ban
        if ban is not None and ban[0] > now:
            return ban
        return None

    def reset_run(self) -> None:
        with self._lock:
            self.run_weight = 0
            self.run_requests = 0

    def refund(self, base_url: str, group: str, weight: int) -> None:
        """Given a reserved request that never reached Binance (DNS failure, connection
        refused), take its weight back out of the run's figures and our spending window."""
        with self._lock:
            self.run_weight -= weight
            self.run_requests -= 1
            key = (base_url, group)
            self._book_spend(key, -weight)
            if key in self._blind:
                self._blind[key] = max(0, self._blind[key] - weight)


__all__ = ["WeightBook", "host_key", "DEFAULT_LIMITS", "WEIGHT_HEADERS"]
