"""The daemon's schedule: each check's interval stretched to fit the weight budget, and when
each account's checks fall due.

Pure (no I/O, no third-party import). Every pool (``/api``, ``/sapi``, ``/fapi``, ``/dapi``,
``/papi``) is priced from :mod:`healthcheck.model.markets`: its limit is the table's until
exchangeInfo says otherwise. Weight limits are per IP, and every account of a daemon
shares them, so a fleet on one host can need more weight per minute than the daemon may spend
(``[daemon] weight_budget_share`` of the pool's limit). Given the config, :func:`build_schedule`
prices the plan of every check at the configured intervals (the same model as
``binance-healthcheck plan``), per host and weight pool, and when a pool needs more than
:data:`FILL` of its budget it stretches the intervals, the same factor for every account:
first the slow-changing reads (:data:`SLOW_FIRST`, up to :data:`MAX_SLOW_STRETCH` times), then,
only if that is not enough, every check, ``clock``, ``api_key``, ``position_mode`` and
``balance`` included (:data:`LAST`). :meth:`Schedule.first_due` spreads the accounts across each
interval so their requests do not all go out at the top of it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from healthcheck.exchange.endpoints import ENDPOINTS
from healthcheck.model.markets import MARKETS, POOLS
from healthcheck.storage.redact import strip_userinfo

if TYPE_CHECKING:
    from healthcheck.config import Config

# slow-changing reads: stretched first (exchangeInfo is read by symbols and open_orders)
SLOW_FIRST = ("symbols", "leverage", "open_orders", "trading_status", "system_status")
# what orders fail on first: stretched last, and only once the slow reads are at their maximum
LAST = ("clock", "api_key", "position_mode", "balance")
FILL = 0.8  # plan at most this share of the budget: room for probes, retries and phase overlap
MAX_SLOW_STRETCH = 4.0  # slow reads are stretched up to this factor before the others move
MAX_STRETCH = 100.0  # beyond this the budget is hopeless; the schedule says so
SIGNING_OFFSET_SECONDS = 300.0  # a host whose clock is not checked still samples this often
BEHIND_FACTOR = 3.0  # a result older than this many stretched intervals: the daemon is behind
# ...but never less than BEHIND_FACTOR x this: with intervals of a second (tests) or less (the
# soak), one slow run or a busy machine would otherwise call a healthy daemon "behind"
BEHIND_MIN_INTERVAL_SECONDS = 10.0

Key = tuple[str, str]  # (base URL, weight pool)
# the daemon's own result: parentheses are not allowed in account names, so it cannot clash
DAEMON_ACCOUNT = "(daemon)"
SCHEDULE_CHECK = "schedule"
SCHEDULE_CACHE_KEY = "daemon:schedule"  # the running daemon's schedule, for `status`


def budget_for(limit: int, share: float) -> int:
    """Given a pool's per-minute limit and the budget share, return the daemon's budget per
    minute (the same rule as :meth:`healthcheck.exchange.weights.WeightBook.reserve`)."""
    return max(int(limit * share), 60)


@dataclass(frozen=True)
class Demand:
    """One recurring request: its pool, weight, the checks that read it and its floor period."""

    key: Key
    weight: float
    checks: frozenset[str]  # empty: fixed (exchangeInfo, signing offsets)
    min_seconds: float  # an answer reused this long goes out at most this often


@dataclass(frozen=True)
class PoolLoad:
    """One host's weight pool: what the configured intervals need and what the schedule plans."""

    base: str
    pool: str
    budget: int
    need_per_minute: float
    planned_per_minute: float
    slow_stretch: float
    last_stretch: float

    @property
    def stretch(self) -> float:
        """Configured weight per minute over scheduled weight per minute (1.0: none)."""
        if self.planned_per_minute <= 0:
            return 1.0
        return max(1.0, self.need_per_minute / self.planned_per_minute)

    @property
    def label(self) -> str:
        return POOLS[self.pool].prefix


@dataclass(frozen=True)
class Schedule:
    """The stretched interval of every check, the load per pool, and the accounts' phases."""

    configured: Mapping[str, float]  # check id -> interval from the config
    intervals: Mapping[str, float]  # check id -> interval the daemon uses
    loads: tuple[PoolLoad, ...]
    accounts: tuple[str, ...]
    share: float
    notes: tuple[str, ...] = field(default=())

    @property
    def stretched(self) -> bool:
        return any(self.intervals[c] > self.configured[c] + 1e-9 for c in self.intervals)

    def stretch_by_pool(self) -> dict[str, float]:
        """Given the loads, return the largest stretch per weight pool (for the metric)."""
        out = {p: 1.0 for p in POOLS}
        for ld in self.loads:
            out[ld.pool] = max(out[ld.pool], ld.stretch)
        return out

    def to_json(self) -> dict[str, object]:
        """Given the schedule, return what `status` and `plan --json` show of it."""
        return {
            "lines": self.lines(),
            "stretch_factor": {k: round(v, 3) for k, v in self.stretch_by_pool().items()},
            "intervals": {k: round(v, 1) for k, v in self.intervals.items()},
        }

    def interval(self, check_id: str) -> float:
        return self.intervals[check_id]

    def phase(self, account: str) -> float:
        """Given an account, return its place in every interval, 0 <= phase < 1: the n-th of
        N accounts runs (n / N) of the way through, so N accounts do not start together."""
        if account not in self.accounts or not self.accounts:
            return 0.0
        return self.accounts.index(account) / len(self.accounts)

    def first_due(self, account: str, check_id: str, start: float) -> float:
        """Given the daemon's start time, return when this account's check first runs."""
        return start + self.phase(account) * self.intervals[check_id]

    def tick_seconds(self) -> float:
        """How often the daemon looks for due checks: fine enough to place every account in
        its own slot of the shortest interval, never below 1 s."""
        shortest = min(self.intervals.values(), default=60.0)
        return max(min(1.0, shortest), shortest / max(1, len(self.accounts)))

    def lines(self) -> list[str]:
        """Given the schedule, return what a person needs to know, one line per stretched pool
        and per stretched check (empty when nothing is stretched)."""
        out: list[str] = []
        n = len(self.accounts)
        for ld in self.loads:
            if ld.need_per_minute <= ld.budget * FILL:
                continue  # this pool fits; its checks may still stretch for another pool
            out.append(
                f"{n} account{'s' if n != 1 else ''} need {ld.need_per_minute:.0f} weight/min "
                f"on {ld.label} ({strip_userinfo(ld.base)}); the budget is {ld.budget} "
                f"(weight_budget_share {self.share:g}); planned {ld.planned_per_minute:.0f}/min, "
                f"intervals stretched {ld.stretch:.2f}x"
            )
        for c, every in self.intervals.items():
            if every > self.configured[c] + 1e-9:
                out.append(f"{c} runs every {every:.0f} s instead of {self.configured[c]:g}")
        out.extend(self.notes)
        if out:
            out.append(
                "to keep the configured intervals: raise weight_budget_share, lengthen "
                "intervals, watch fewer symbols, or run some accounts from another IP"
            )
        return out


def demands(cfg: Config) -> list[Demand]:
    """Given the config, return every recurring request the daemon sends, as the planner
    merges them (signed ones per account, public ones and exchangeInfo once per host)."""
    from healthcheck.engine.plan import (
        build_plan,  # plan imports the checks; keep this module light
    )

    plan = build_plan(cfg)
    out: list[Demand] = []
    for p in plan.requests:
        out.append(Demand((p.base, p.pool), p.weight, frozenset(p.checks), p.reuse_seconds))
    for t in plan.time:
        name = MARKETS[t.market].time_endpoint
        if name is None:
            continue  # a host without server time (/papi) signs with another host's offset
        ep = ENDPOINTS[name]
        # one sample per host and run while the round trip is stable (timing.ClockOffsets.stable)
        if t.for_clock:
            out.append(Demand((t.base, ep.pool), ep.weight, frozenset({t.check}), 0.0))
        else:
            out.append(Demand((t.base, ep.pool), ep.weight, frozenset(), SIGNING_OFFSET_SECONDS))
    for e in plan.exchange:
        name = MARKETS[e.market].exchange_info_endpoint
        if name is None:
            continue
        ep = ENDPOINTS[name]
        out.append(Demand((e.base, ep.pool), ep.weight, frozenset(), cfg.daemon.exchange_info_ttl))
    for a in cfg.accounts:  # test orders follow the check that sends them, per symbol
        for c in plan.checks.get(a.name, []):
            if c.has_followups:
                for m in a.markets:
                    test = MARKETS[m].order_test_endpoint
                    n = len(a.test_order_symbols)
                    if n and test is not None:
                        ep = ENDPOINTS[test]
                        key = (a.base_url(m), ep.pool)
                        out.append(Demand(key, ep.weight * n, frozenset({c.id}), 0.0))
    return out


def per_minute(ds: Iterable[Demand], intervals: Mapping[str, float]) -> float:
    """Given requests and the checks' intervals, return their weight per minute."""
    total = 0.0
    for d in ds:
        every = min((intervals[c] for c in d.checks if c in intervals), default=0.0)
        every = max(every, d.min_seconds)
        if every > 0:
            total += d.weight * 60.0 / every
    return total


def _scaled(configured: Mapping[str, float], slow: float, last: float) -> dict[str, float]:
    return {c: v * (slow if c in SLOW_FIRST else last) for c, v in configured.items()}


def _least(lo: float, hi: float, fits: Callable[[float], bool]) -> float:
    """Smallest x in [lo, hi] with fits(x) (monotone), by bisection; hi if none."""
    if fits(lo):
        return lo
    if not fits(hi):
        return hi
    for _ in range(40):
        mid = (lo + hi) / 2
        if fits(mid):
            hi = mid
        else:
            lo = mid
    return hi


def stretch_for(
    ds: list[Demand], configured: Mapping[str, float], target: float
) -> tuple[float, float]:
    """Given one pool's requests, the configured intervals and the weight per minute to stay
    under, return (slow factor, last factor): the slow reads stretched first, up to
    MAX_SLOW_STRETCH, then everything (the slow reads never less than the others)."""

    def load(slow: float, last: float) -> float:
        return per_minute(ds, _scaled(configured, slow, last))

    if load(1.0, 1.0) <= target:
        return 1.0, 1.0
    slow = _least(1.0, MAX_SLOW_STRETCH, lambda s: load(s, 1.0) <= target)
    if load(slow, 1.0) <= target:
        return slow, 1.0
    last = _least(1.0, MAX_STRETCH, lambda f: load(max(MAX_SLOW_STRETCH, f), f) <= target)
    return max(MAX_SLOW_STRETCH, last), last


def configured_intervals(cfg: Config) -> dict[str, float]:
    """Given the config, return the interval of every enabled check as configured."""
    from healthcheck.config import CHECK_IDS
    from healthcheck.engine.plan import interval_of

    return {c: interval_of(cfg, c) for c in CHECK_IDS if cfg.checks.get(c).enabled}


def build_schedule(
    cfg: Config,
    configured: Mapping[str, float] | None = None,
    limits: Mapping[Key, int] | None = None,
) -> Schedule:
    """Given the config, the configured interval of every enabled check and the known weight
    limits (default: Binance's documented ones), return the schedule that keeps every host's
    pools within ``FILL`` of the daemon's budget."""
    # None: no budget at all (bench/soak.py drives a daemon flat out), as in WeightBook: nothing
    # is stretched
    budgeted = cfg.daemon.weight_budget_share is not None
    share = cfg.daemon.weight_budget_share or 1.0
    if configured is None:
        configured = configured_intervals(cfg)
    ds = demands(cfg)
    by_key: dict[Key, list[Demand]] = {}
    for d in ds:
        by_key.setdefault(d.key, []).append(d)
    factor: dict[str, float] = {c: 1.0 for c in configured}
    per_key: dict[Key, tuple[float, float]] = {}
    notes: list[str] = []
    for key, items in by_key.items():
        limit = (limits or {}).get(key, POOLS[key[1]].default_limit)
        target = budget_for(limit, share) * FILL
        slow, last = stretch_for(items, configured, target) if budgeted else (1.0, 1.0)
        per_key[key] = (slow, last)
        if last >= MAX_STRETCH:
            notes.append(
                f"{POOLS[key[1]].prefix} cannot fit its budget even at {MAX_STRETCH:g}x the "
                "intervals; some checks will be deferred"
            )
        for d in items:
            for c in d.checks:
                if c in factor:
                    factor[c] = max(factor[c], slow if c in SLOW_FIRST else last)
    intervals = {c: configured[c] * factor[c] for c in configured}
    loads = []
    for key, items in sorted(by_key.items()):
        limit = (limits or {}).get(key, POOLS[key[1]].default_limit)
        loads.append(
            PoolLoad(
                key[0],
                key[1],
                budget_for(limit, share),
                per_minute(items, configured),
                per_minute(items, intervals),
                *per_key[key],
            )
        )
    return Schedule(
        dict(configured),
        intervals,
        tuple(loads),
        tuple(a.name for a in cfg.accounts),
        share,
        tuple(notes),
    )
