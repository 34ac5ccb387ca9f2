"""The daemon's pace: the schedule fitted to the weight budget, and each check's next turn.

Each (account, check) has its next turn on the monotonic clock, placed at the account's own
phase of the check's stretched interval, so the accounts do not all fall due at once. A check
that ran moves on by one interval (keeping its phase); one deferred for the weight budget stays
due; one that just found a problem comes back after ``CONFIRM_SHARE`` of its interval. When a run
learns the live weight limits, or which "auto" accounts trade under Portfolio Margin, the
schedule is fitted again and the turns placed with the old intervals are brought forward.
"""

from __future__ import annotations

import logging
import time
from typing import Any

from healthcheck.config import CHECK_IDS, Config
from healthcheck.engine.runner import Runner
from healthcheck.engine.schedule import (
    BEHIND_FACTOR,
    BEHIND_MIN_INTERVAL_SECONDS,
    DAEMON_ACCOUNT,
    SCHEDULE_CACHE_KEY,
    SCHEDULE_CHECK,
    Schedule,
    build_schedule,
)
from healthcheck.model.result import Result, Status
from healthcheck.storage.state import CheckState

log = logging.getLogger(__name__)

# a check that just found a problem runs again after this share of its interval (see
# Pacing.confirm_soon): failure_threshold consecutive bad runs, without waiting whole intervals
CONFIRM_SHARE = 0.25
BEHIND_FIX = (
    "the weight budget cannot keep up with these accounts: raise [daemon] weight_budget_share, "
    "lengthen the [checks.<id>] intervals, watch fewer symbols, or run some accounts from "
    "another IP (see 'binance-healthcheck plan')"
)


def _pm_of(cfg: Config) -> tuple[bool | None, ...]:
    """Given a config, return each account's Portfolio Margin answer (None: not known yet)."""
    return tuple(a.pm for a in cfg.accounts)


def behind_result(
    schedule: Schedule,
    states: dict[tuple[str, str], CheckState],
    enabled: dict[str, set[str]],
    now: float,
    up_seconds: float,
) -> Result:
    """Given the schedule, the stored states, the checks enabled per account, the time and how
    long the daemon has run, return the daemon's own result: WARNING when a result is older than
    BEHIND_FACTOR stretched intervals (our budget cannot keep up), else OK. One result for the
    whole daemon, never one per account, and it names our settings, never the network."""
    late: list[tuple[float, str, str, float]] = []
    for account, checks in enabled.items():
        for c in checks:
            s = states.get((account, c))
            every = schedule.intervals.get(c)
            if s is None or not s.last_run_ts or every is None:
                continue
            limit = BEHIND_FACTOR * max(every, BEHIND_MIN_INTERVAL_SECONDS)
            age = now - s.last_run_ts
            if up_seconds >= limit and age > limit:
                late.append((age, account, c, every))
    if not late:
        return Result(DAEMON_ACCOUNT, SCHEDULE_CHECK, Status.OK, "every check runs on schedule")
    late.sort(reverse=True)
    age, account, c, every = late[0]
    n = len(late)
    summary = (
        f"{n} result{'s are' if n != 1 else ' is'} more than {BEHIND_FACTOR:g} intervals old; "
        f"oldest: {account} {c}, {age:.0f} s (runs every {every:.0f} s)"
    )
    return Result(
        DAEMON_ACCOUNT,
        SCHEDULE_CHECK,
        Status.WARNING,
        summary,
        details={"behind": [{"account": a, "check": k, "age_s": round(x)} for x, a, k, _ in late]},
        fix=BEHIND_FIX,
    )


class Pacing:
    """The schedule and the next turn of every (account, check) of one configuration."""

    def __init__(self, config: Config, previous: Schedule | None = None) -> None:
        """``previous``: the schedule of the configuration this one replaces (its stretch is
        logged again only if it differs)."""
        self.config = config
        self.next_due: dict[tuple[str, str], float] = {}  # (account, check) -> monotonic time
        self.started_mono = time.monotonic()
        self._limits: dict[tuple[str, str], int] = {}
        self._pm: tuple[bool | None, ...] = ()
        self._previous = previous
        self.schedule: Schedule

    def check_interval(self, check_id: str) -> float:
        """The configured interval of a check (before the schedule stretches it)."""
        settings = self.config.checks.get(check_id)
        return float(settings.interval or self.config.daemon.interval)

    def enabled_checks(self) -> list[str]:
        return [c for c in CHECK_IDS if self.config.checks.get(c).enabled]

    def tick_seconds(self) -> float:
        """Seconds between looks for due checks: each account gets its own slot."""
        return self.schedule.tick_seconds()

    def fit(self, runner: Runner, state: Any) -> Schedule:
        """Fit the configured intervals to the weight budget (with the runner's live limits and
        Portfolio Margin answers); say once what was stretched; return the new schedule."""
        configured = {c: self.check_interval(c) for c in self.enabled_checks()}
        self._limits = dict(runner.book.limits)
        # priced as the runs read: a Portfolio Margin account's futures on /papi once known
        cfg = runner.resolved_config()
        self._pm = _pm_of(cfg)
        schedule = build_schedule(cfg, configured, self._limits)
        runner.share_seconds = dict(schedule.intervals)
        try:  # `status` shows what the running daemon planned (with the live limits)
            state.put_cache(SCHEDULE_CACHE_KEY, schedule.to_json(), time.time())
        except Exception:  # noqa: BLE001 - a broken cache only costs `status` a recomputation
            log.debug("could not store the schedule", exc_info=True)
        old = getattr(self, "schedule", None) or self._previous
        if old is None or old.lines() != schedule.lines():
            for line in schedule.lines():
                log.warning("schedule: %s", line)
        self.schedule = schedule
        return schedule

    def refit_if_learned(self, runner: Runner, state: Any, now_mono: float) -> bool:
        """When exchangeInfo told the live limits, or "auto" found out which accounts are under
        Portfolio Margin, fit the schedule to them (keeping the phases); return True if so."""
        if (
            dict(runner.book.limits) == self._limits
            and _pm_of(runner.resolved_config()) == self._pm
        ):
            return False
        old = self.schedule
        self.fit(runner, state)
        for (account, c), nd in list(self.next_due.items()):
            if abs(old.intervals.get(c, 0.0) - self.schedule.intervals.get(c, 0.0)) < 1e-6:
                continue  # unchanged (limits as documented): the turn stays where it is
            # a turn placed with the old intervals comes no later than the new ones allow,
            # spread from now so the accounts do not all fall due at once
            soon = now_mono + self.schedule.phase(account) * self.schedule.interval(c)
            self.next_due[(account, c)] = min(nd, soon)
        return True

    def due(self, now_mono: float) -> dict[str, set[str]]:
        """Return, per account, the checks whose stretched interval has passed (half a tick of
        slack); each account's first run is placed at its own phase of the interval."""
        slack = self.tick_seconds() / 2
        due: dict[str, set[str]] = {}
        for a in self.config.accounts:
            for c in self.enabled_checks():
                if not a.runs(c):
                    continue
                nd = self.next_due.get((a.name, c))
                if nd is None:
                    nd = self.schedule.first_due(a.name, c, self.started_mono)
                    self.next_due[(a.name, c)] = nd
                if now_mono >= nd - slack:
                    due.setdefault(a.name, set()).add(c)
        return due

    def ran(self, due: dict[str, set[str]], deferred: set[tuple[str, str]], now: float) -> None:
        """Move each check that ran to its next turn, keeping its phase; a deferred one stays
        due and goes at the next tick (its last result stands meanwhile)."""
        for account, checks in due.items():
            for c in checks:
                if (account, c) in deferred:
                    continue
                every = self.schedule.interval(c)
                nd = self.next_due.get((account, c), now) + every
                while nd <= now:
                    nd += every
                self.next_due[(account, c)] = nd

    def confirm_soon(
        self,
        results: list[Result],
        states: dict[tuple[str, str], CheckState],
        now_mono: float,
    ) -> float | None:
        """Given this run's results, bring forward the next turn of each check that just found a
        problem (WARNING or CRITICAL) which has not alerted yet: it runs again after
        CONFIRM_SHARE of its interval instead of a whole one, so a fault alerts about one
        (stretched) interval after it began, not ``failure_threshold`` intervals. UNKNOWN keeps
        its pace: a Binance blip should pass before it is asked again. Return the earliest such
        turn (monotonic), or None."""
        threshold = self.config.alerts.failure_threshold
        first: float | None = None
        for r in results:
            if r.status in (Status.OK, Status.UNKNOWN) or r.account == DAEMON_ACCOUNT:
                continue
            s = states.get((r.account, r.check))
            if (
                s is None
                or s.consecutive_bad >= threshold
                or r.check not in self.schedule.intervals
            ):
                continue
            soon = now_mono + max(1.0, CONFIRM_SHARE * self.schedule.interval(r.check))
            key = (r.account, r.check)
            self.next_due[key] = min(self.next_due.get(key, soon), soon)
            first = soon if first is None else min(first, soon)
        return first

    def behind(
        self, states: dict[tuple[str, str], CheckState], now: float, now_mono: float
    ) -> Result:
        """The daemon's own result (see :func:`behind_result`) for this configuration."""
        enabled = {
            a.name: {c for c in self.enabled_checks() if a.runs(c)} for a in self.config.accounts
        }
        return behind_result(self.schedule, states, enabled, now, now_mono - self.started_mono)
