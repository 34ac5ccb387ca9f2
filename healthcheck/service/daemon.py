"""The daemon: scheduled runs, alert decisions, the outbox worker, signals and systemd.

APScheduler 3 fires a tick every ``min(interval of every check)`` seconds (no jitter, so no
drift; ``max_instances=1`` and coalescing so a slow run never stacks); each tick runs the checks
that are due by their own interval, feeds the results to the alert engine and commits the new
states and the queued alerts in one transaction. Delivery happens on its own thread with a
deadline, so a slow channel never blocks the checks or the watchdog. The main thread only waits
for signals, pings the watchdog while runs keep completing, and notices wall-clock steps (the
scheduler computes fire times on the wall clock and would otherwise sleep through a backward
step of an hour).
"""

from __future__ import annotations

import logging
import signal
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from healthcheck.alerting.alerts import AlertEngine, Decision, outbox_rows_for
from healthcheck.config import CHECK_IDS, Config, ConfigError, load_config
from healthcheck.engine.runner import Report, Runner
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
from healthcheck.service import memtrim, sdnotify
from healthcheck.storage.state import (
    CheckState,
    OutboxRow,
    SilencesChanged,
    StateDB,
    StateError,
    StateTooNew,
)

log = logging.getLogger(__name__)

CLOCK_STEP_TOLERANCE = 5.0  # seconds of disagreement between wall and monotonic clocks
PRUNE_EVERY = 3600.0  # seconds between deletions of old delivered alerts and history
KEEP_SECONDS = 30 * 86400.0  # delivered/dropped outbox rows and history flips kept this long
NO_DESTINATIONS = (
    "no alert destinations: set alerts.urls or alerts.urls_file; problems are "
    "only logged, nobody is notified"
)
# a check that just found a problem runs again after this share of its interval (see
# Daemon._confirm_soon): failure_threshold consecutive bad runs, without waiting whole intervals
CONFIRM_SHARE = 0.25
EXIT_STATE_TOO_NEW = 3  # the state database was written by a newer version (see README)
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


def status_line(
    config: Config,
    state: StateDB,
    states: dict[tuple[str, str], CheckState],
    now: float | None = None,
) -> str:
    """Given the stored check states, return systemd's one-line STATUS=, e.g. "2 accounts:
    1 CRITICAL (main: position_mode); firing 1"; the same line `status` prints first."""
    from healthcheck.alerting import status

    return status.status_line(
        config, states, time.time() if now is None else now, state.pending_count()
    )


def decide_and_commit(
    engine: AlertEngine,
    config: Config,
    state: StateDB,
    results: list[Any],
    states: dict[tuple[str, str], CheckState],
    now: float,
) -> tuple[Decision, list[OutboxRow]]:
    """Apply the alert rules (with the stored silences) and commit states, outbox and history in
    one transaction; if a silence was added or expired meanwhile, decide again with it."""
    for _ in range(5):
        rev = state.silences_revision()
        decision = engine.evaluate(results, states, now, state.silences(now=now))
        rows: list[OutboxRow] = []
        for msg in decision.messages:
            rows.extend(outbox_rows_for(msg, config.alerts.urls, now))
        try:
            state.commit_cycle(
                decision.states, rows, decision.history_rows, silences_rev=rev if rev >= 0 else None
            )
            return decision, rows
        except SilencesChanged:
            log.info("a silence changed during the run; deciding the alerts again")
    # silences keep changing: decide without a revision check rather than lose the cycle
    decision = engine.evaluate(results, states, now, state.silences(now=now))
    rows = [r for msg in decision.messages for r in outbox_rows_for(msg, config.alerts.urls, now)]
    state.commit_cycle(decision.states, rows, decision.history_rows)
    return decision, rows


def open_state(config: Config) -> StateDB:
    """Given the config, open its state DB; if that fails, log why and keep state in memory."""
    try:
        # a failed write later (full disk) keeps state in memory rather than losing alerts
        return StateDB.open(config.state_dir(), memory_fallback=True)
    except StateTooNew:
        raise  # a downgrade: running on empty state would re-alert and forget bans
    except StateError as exc:
        log.error("%s; running without persistent state (alerts may repeat after a restart)", exc)
        return StateDB.in_memory()


class Daemon:
    """One configured daemon; ``run()`` blocks until SIGTERM/SIGINT (or ``stop()``)."""

    def __init__(self, config: Config, config_path: str | Path | None = None) -> None:
        from healthcheck.alerting.notify import DeliveryWorker, Notifier

        memtrim.configure()  # large blocks via mmap: freed HTTP bodies leave no resident pages

        self.config = config
        self.config_path = config_path
        self.state = open_state(config)
        self.watcher = start_watcher(config)  # the bot's own logs: facts of bot_errors
        self.runner = Runner(
            config,
            self.state,
            budget_share=config.daemon.weight_budget_share,
            bot_logs=self.watcher,
        )
        self.engine = AlertEngine(config.alerts)
        self.notifier = Notifier(
            list(config.alerts.urls),
            self.state,
            timeout=config.alerts.delivery_timeout,
            backoff_max=config.alerts.retry_backoff_max,
        )
        self.worker = DeliveryWorker(self.notifier)
        self.states = self.state.load_check_states()
        self.last_report: Report | None = None
        self.last_run_done_mono: float | None = None
        self.runs = 0
        self._next_due: dict[tuple[str, str], float] = {}  # (account, check) -> monotonic time
        self._started_mono = time.monotonic()
        self._schedule_limits: dict[tuple[str, str], int] = {}
        self._schedule_pm: tuple[bool | None, ...] = ()
        self.schedule: Schedule = self._make_schedule()
        self._last_prune_mono: float | None = None
        self._tick_lock = threading.Lock()
        self._stop = threading.Event()
        self._reload = threading.Event()
        self._heartbeat = ThreadPoolExecutor(max_workers=1, thread_name_prefix="heartbeat")
        self._scheduler: Any = None
        self._job: Any = None
        self.metrics: Any = (
            None  # healthcheck.service.metrics.MetricsServer while [metrics] listen is set
        )
        self._metrics_collector: Any = None

    # ---------------------------------------------------------------- scheduling
    def check_interval(self, check_id: str) -> float:
        """The configured interval of a check (before the schedule stretches it)."""
        settings = self.config.checks.get(check_id)
        return float(settings.interval or self.config.daemon.interval)

    def _make_schedule(self) -> Schedule:
        """Fit the configured intervals to the weight budget; say once what was stretched."""
        configured = {c: self.check_interval(c) for c in self.enabled_checks()}
        self._schedule_limits = dict(self.runner.book.limits)
        # priced as the runs read: a Portfolio Margin account's futures on /papi once known
        cfg = self.runner.resolved_config()
        self._schedule_pm = _pm_of(cfg)
        schedule = build_schedule(cfg, configured, self._schedule_limits)
        self.runner.share_seconds = dict(schedule.intervals)
        try:  # `status` shows what the running daemon planned (with the live limits)
            self.state.put_cache(SCHEDULE_CACHE_KEY, schedule.to_json(), time.time())
        except Exception:  # noqa: BLE001 - a broken cache only costs `status` a recomputation
            log.debug("could not store the schedule", exc_info=True)
        old = getattr(self, "schedule", None)
        if old is None or old.lines() != schedule.lines():
            for line in schedule.lines():
                log.warning("schedule: %s", line)
        return schedule

    def enabled_checks(self) -> list[str]:
        return [c for c in CHECK_IDS if self.config.checks.get(c).enabled]

    def tick_seconds(self) -> float:
        """Seconds between looks for due checks: each account gets its own slot."""
        return self.schedule.tick_seconds()

    def due_by_account(self, now_mono: float) -> dict[str, set[str]]:
        """Return, per account, the checks whose stretched interval has passed (half a tick of
        slack); each account's first run is placed at its own phase of the interval."""
        slack = self.tick_seconds() / 2
        due: dict[str, set[str]] = {}
        for a in self.config.accounts:
            for c in self.enabled_checks():
                if not a.runs(c):
                    continue
                nd = self._next_due.get((a.name, c))
                if nd is None:
                    nd = self.schedule.first_due(a.name, c, self._started_mono)
                    self._next_due[(a.name, c)] = nd
                if now_mono >= nd - slack:
                    due.setdefault(a.name, set()).add(c)
        return due

    def _ran(self, due: dict[str, set[str]], deferred: set[tuple[str, str]], now: float) -> None:
        """Move each check that ran to its next turn, keeping its phase; a deferred one stays
        due and goes at the next tick (its last result stands meanwhile)."""
        for account, checks in due.items():
            for c in checks:
                if (account, c) in deferred:
                    continue
                every = self.schedule.interval(c)
                nd = self._next_due.get((account, c), now) + every
                while nd <= now:
                    nd += every
                self._next_due[(account, c)] = nd

    def _confirm_soon(self, results: list[Result], now_mono: float) -> None:
        """Given this run's results, bring forward the next turn of each check that just found a
        problem (WARNING or CRITICAL) which has not alerted yet: it runs again after
        CONFIRM_SHARE of its interval instead of a whole one, so a fault alerts about one
        (stretched) interval after it began, not ``failure_threshold`` intervals. UNKNOWN keeps
        its pace: a Binance blip should pass before it is asked again."""
        threshold = self.config.alerts.failure_threshold
        first: float | None = None
        for r in results:
            if r.status in (Status.OK, Status.UNKNOWN) or r.account == DAEMON_ACCOUNT:
                continue
            s = self.states.get((r.account, r.check))
            if (
                s is None
                or s.consecutive_bad >= threshold
                or r.check not in self.schedule.intervals
            ):
                continue
            soon = now_mono + max(1.0, CONFIRM_SHARE * self.schedule.interval(r.check))
            key = (r.account, r.check)
            self._next_due[key] = min(self._next_due.get(key, soon), soon)
            first = soon if first is None else min(first, soon)
        if (
            first is not None
            and self._scheduler is not None
            and first - now_mono < self.tick_seconds()
        ):
            # sooner than the next tick (one account: the tick is the shortest interval)
            from apscheduler.triggers.date import DateTrigger

            at = datetime.now(UTC) + timedelta(seconds=max(0.0, first - time.monotonic()))
            try:
                self._scheduler.add_job(self.tick, DateTrigger(run_date=at, timezone=UTC))
            except Exception:  # noqa: BLE001 - the regular tick confirms it a little later
                log.debug("could not schedule the confirming run", exc_info=True)

    # ---------------------------------------------------------------- one cycle
    def tick(self) -> Report | None:
        """Run the due checks, decide alerts, commit them; never raise."""
        try:
            if self.runner.poll_bots():  # a bot config changed on disk: read everything again
                self.reload()
        except Exception:  # noqa: BLE001
            log.exception("reading the bot configs failed; the run goes on")
        with self._tick_lock:
            try:
                return self._tick()
            except Exception:  # noqa: BLE001 - the daemon must outlive any bug in one cycle
                log.exception("run failed; the next one is scheduled as usual")
                return None

    def _tick(self) -> Report:
        now_mono = time.monotonic()
        due = self.due_by_account(now_mono)
        report = self.runner.run(due) if due else Report([], {"request_weight": 0, "requests": 0})
        self._ran(due, report.deferred, now_mono)
        if (
            dict(self.runner.book.limits) != self._schedule_limits
            or _pm_of(self.runner.resolved_config()) != self._schedule_pm
        ):
            # exchangeInfo told the live limits, or "auto" found out which accounts are under
            # Portfolio Margin: fit the schedule to them (keeping the phases)
            old = self.schedule
            self.schedule = self._make_schedule()
            for (account, c), nd in list(self._next_due.items()):
                if abs(old.intervals.get(c, 0.0) - self.schedule.intervals.get(c, 0.0)) < 1e-6:
                    continue  # unchanged (limits as documented): the turn stays where it is
                # a turn placed with the old intervals comes no later than the new ones allow,
                # spread from now so the accounts do not all fall due at once
                soon = now_mono + self.schedule.phase(account) * self.schedule.interval(c)
                self._next_due[(account, c)] = min(nd, soon)
            if self._metrics_collector is not None:
                self._metrics_collector.set_stretch(self.schedule.stretch_by_pool())
        if report.deferred:
            log.info(
                "%d check(s) wait for the weight budget and keep their last result: %s",
                len(report.deferred),
                ", ".join(f"{a} {c}" for a, c in sorted(report.deferred)[:5]),
            )
        now = time.time()
        enabled = {
            a.name: {c for c in self.enabled_checks() if a.runs(c)} for a in self.config.accounts
        }
        own = behind_result(self.schedule, self.states, enabled, now, now_mono - self._started_mono)
        results = list(report.results)
        if own.status is not Status.OK or (DAEMON_ACCOUNT, SCHEDULE_CHECK) in self.states:
            results.append(own)
        decision, rows = decide_and_commit(
            self.engine, self.config, self.state, results, self.states, now
        )
        if self._last_prune_mono is None or now_mono - self._last_prune_mono >= PRUNE_EVERY:
            # without this the outbox (full alert texts) and history grow for ever
            self._last_prune_mono = now_mono
            self.state.prune(now - KEEP_SECONDS)
        self.states = decision.states
        self._confirm_soon(report.results, now_mono)
        for h in decision.history_rows:
            log.info(
                "%s %s: %s -> %s: %s",
                h.account,
                h.check,
                h.old_status.name if h.old_status else "new",
                h.new_status.name,
                h.summary,
            )
        for msg in decision.messages:
            log.info(
                "alert queued for %d destination(s): %s",
                sum(1 for r in rows if r.alert_id == msg.alert_id),
                msg.title,
            )
        if rows:
            self.worker.kick()
        self.runs += 1
        self.last_report = report
        if self._metrics_collector is not None:
            self._metrics_collector.update(report)
        self.last_run_done_mono = time.monotonic()
        m = report.metrics
        line = status_line(self.config, self.state, self.states, now)
        log.info(
            "run %d: %s; checks %s; weight %s, %s requests, %.0f ms",
            self.runs,
            line,
            ",".join(sorted({c for cs in due.values() for c in cs})) or "-",
            m.get("request_weight"),
            m.get("requests"),
            m.get("duration_ms", 0),
        )
        if self.runs == 1:
            sdnotify.ready(line)
        else:
            sdnotify.status(line)
        sdnotify.watchdog()
        hb = self.config.daemon.heartbeat_url
        if hb is not None:
            from healthcheck.alerting.notify import ping_heartbeat

            self._heartbeat.submit(
                ping_heartbeat,
                hb.reveal(),
                report.status != Status.OK,
                self.config.daemon.heartbeat_timeout,
            )
        memtrim.maybe_trim()  # free native memory back to the OS (glibc), once a minute
        return report

    # ---------------------------------------------------------------- lifecycle
    def request_stop(self) -> None:
        self._stop.set()

    def request_reload(self) -> None:
        self._reload.set()

    def _install_signals(self) -> None:
        signal.signal(signal.SIGTERM, lambda *_: self.request_stop())
        signal.signal(signal.SIGINT, lambda *_: self.request_stop())
        signal.signal(signal.SIGHUP, lambda *_: self.request_reload())

    def _schedule(self) -> None:
        from apscheduler.triggers.interval import IntervalTrigger

        tick = self.tick_seconds()
        first = datetime.now(UTC) + timedelta(seconds=tick)
        self._job = self._scheduler.add_job(
            self.tick,
            IntervalTrigger(seconds=tick, timezone=UTC),
            id="checks",
            next_run_time=first,
            replace_existing=True,
            max_instances=1,
            coalesce=True,
            misfire_grace_time=max(1, int(tick)),
        )

    def _reschedule_now(self) -> None:
        if self._job is not None:
            try:
                self._job.modify(next_run_time=datetime.now(UTC))
                self._scheduler.wakeup()
            except Exception:  # noqa: BLE001 - the job may be running; it fires again anyway
                log.debug("reschedule failed", exc_info=True)

    def run(self, install_signals: bool = True) -> int:
        from apscheduler.schedulers.background import BackgroundScheduler

        if install_signals:
            self._install_signals()
        log.info(
            "starting: %d account(s), tick every %g s, state in %s",
            len(self.config.accounts),
            self.tick_seconds(),
            self.state.path if getattr(self.state, "path", None) else "memory",
        )
        if not self.config.alerts.urls:
            log.warning(NO_DESTINATIONS)
        self.worker.start()
        self._start_metrics()
        self.tick()  # the first run at start, before READY=1
        if self._stop.is_set():
            return self._shutdown()
        self._scheduler = BackgroundScheduler(
            timezone=UTC, job_defaults={"coalesce": True, "max_instances": 1}
        )
        self._scheduler.start()
        self._schedule()
        wd = sdnotify.watchdog_interval_seconds()
        wait = min(1.0, wd / 2) if wd else 1.0
        last_wall, last_mono = time.time(), time.monotonic()
        while not self._stop.wait(wait):
            wall, mono = time.time(), time.monotonic()
            step = (wall - last_wall) - (mono - last_mono)
            if abs(step) > CLOCK_STEP_TOLERANCE:
                log.warning("wall clock stepped by %+.0f s; rescheduling the checks", step)
                self._reschedule_now()
            last_wall, last_mono = wall, mono
            if self._reload.is_set():
                self._reload.clear()
                self.reload()
            self._watchdog_if_alive()
        return self._shutdown()

    # ---------------------------------------------------------------- metrics endpoint
    def _start_metrics(self) -> None:
        """Serve /metrics if ``[metrics] listen`` is set; log (not die) if it cannot bind."""
        mc = getattr(self.config, "metrics", None)
        if mc is None or mc.listen is None:
            return
        from healthcheck.service.metrics import HealthCollector, MetricsServer

        self._metrics_collector = HealthCollector(
            outbox_pending=lambda: self.state.pending_count(),
            delivery_failures=lambda: self.notifier.failures_total,
            run_interval_seconds=self.tick_seconds(),
        )
        self._metrics_collector.set_stretch(self.schedule.stretch_by_pool())
        try:
            self.metrics = MetricsServer(
                self._metrics_collector,
                mc.host,
                mc.port,
                stale_after_seconds=self._metrics_stale_after(),
            ).start()
        except OSError as exc:
            log.error(
                "metrics: cannot listen on %s: %s; running without /metrics",
                mc.listen,
                exc.strerror or exc,
            )
            return
        log.info("metrics: serving http://%s:%d/metrics", mc.host, self.metrics.port)

    def _metrics_stale_after(self) -> float:
        """Seconds after the last run at which /healthz says 503 (3 ticks and 3 timeouts)."""
        return 3 * self.tick_seconds() + 3 * self.config.daemon.request_timeout + 30

    def _metrics_reloaded(self) -> None:
        c = self._metrics_collector
        if c is None:
            return
        c.run_interval_seconds = self.tick_seconds()
        c.set_stretch(self.schedule.stretch_by_pool())
        if self.metrics is not None:
            self.metrics.stale_after_seconds = self._metrics_stale_after()
        c.forget_accounts_except(a.name for a in self.config.accounts)

    def _watchdog_if_alive(self) -> None:
        # ping only while runs keep completing: a hung run must let systemd restart us
        if self.last_run_done_mono is None:
            return
        limit = 2 * self.tick_seconds() + 3 * self.config.daemon.request_timeout + 30
        if time.monotonic() - self.last_run_done_mono < limit:
            sdnotify.watchdog()

    def _shutdown(self) -> int:
        sdnotify.stopping("stopping")
        log.info("stopping: finishing the current run")
        if self._scheduler is not None:
            try:
                self._scheduler.shutdown(wait=True)
            except Exception:  # noqa: BLE001
                pass
        with self._tick_lock:  # a run in progress finishes and commits first
            pass
        self.worker.stop(timeout=3.0)
        if self.metrics is not None:
            self.metrics.stop()
        stop_watcher(self.watcher)
        self._heartbeat.shutdown(wait=False, cancel_futures=True)
        self.runner.close()
        self.state.close()
        log.info("stopped after %d run(s)", self.runs)
        return 0

    def stop(self) -> None:
        self.request_stop()

    def reload(self) -> None:
        """Re-read the config file; keep the old config if the new one has errors."""
        from healthcheck.alerting.notify import DeliveryWorker, Notifier

        if self.config_path is None:
            return
        try:
            new = load_config(self.config_path)
        except ConfigError as exc:
            for p in exc.problems:
                log.error("reload refused: %s", p)
            log.error("reload refused: keeping the running configuration")
            return
        with self._tick_lock:
            old_tick = self.tick_seconds()
            self.runner.close()
            self.worker.stop(timeout=3.0)
            failures = self.notifier.failures_total
            self.config = new
            stop_watcher(self.watcher)
            self.watcher = start_watcher(new)
            self.runner = Runner(
                new, self.state, budget_share=new.daemon.weight_budget_share, bot_logs=self.watcher
            )
            self.engine = AlertEngine(new.alerts)
            # the in-flight sends go to the new notifier: a slow send still running is not
            # started again by the new worker, and its result is recorded when it ends
            self.notifier = Notifier(
                list(new.alerts.urls),
                self.state,
                timeout=new.alerts.delivery_timeout,
                backoff_max=new.alerts.retry_backoff_max,
                inflight=self.notifier.inflight,
            )
            self.notifier.failures_total = failures
            self.worker = DeliveryWorker(self.notifier).start()
            self._next_due.clear()
            self._started_mono = time.monotonic()
            self.schedule = self._make_schedule()
            self._metrics_reloaded()
        if self._scheduler is not None and self.tick_seconds() != old_tick:
            self._schedule()
        self._reschedule_now()
        log.info(
            "configuration reloaded from %s: %d account(s)", self.config_path, len(new.accounts)
        )


def start_watcher(config: Config) -> Any:
    """Given a config with [[watch]] entries, start following the bots' logs (None if none)."""
    if not config.watch:
        return None
    from healthcheck.logwatch.store import WatchStore
    from healthcheck.service.watcher import Watcher

    return Watcher.from_config(config, WatchStore.open(config.state_dir())).start()


def stop_watcher(watcher: Any) -> None:
    if watcher is not None:
        watcher.stop()
        watcher.store.close()


def run_daemon(config: Config, config_path: str | Path | None = None) -> int:
    """`binance-healthcheck run`: build the daemon and run it until a stop signal."""
    try:
        daemon = Daemon(config, config_path)
    except StateTooNew as exc:
        log.error("refusing to start: %s", exc)
        return EXIT_STATE_TOO_NEW
    code = daemon.run()
    exit_now_if_sends_hang(code, daemon.notifier.inflight.running())
    return code


def exit_now_if_sends_hang(code: int, sends_running: int) -> None:
    """After a clean shutdown (state committed and closed), end the process at once if alert
    sends are still stuck in apprise's worker threads (an SMTP server that never answers, a
    long ``rto``): Python would otherwise wait for them at exit, past systemd's stop timeout.
    Their alerts are still pending in the outbox and go out after the restart."""
    import os
    import sys

    # apprise sends on a ThreadPoolExecutor, whose threads the interpreter joins at exit even
    # when they are daemon threads; a heartbeat ping runs on one too
    stuck = [
        t
        for t in threading.enumerate()
        if t is not threading.main_thread() and t.is_alive() and not t.daemon
    ]
    if not stuck and not sends_running:
        return
    if sends_running:
        log.info(
            "exiting without waiting for %d alert send(s) still running; their alerts stay queued",
            sends_running,
        )
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (OSError, ValueError):
            pass
    logging.shutdown()
    os._exit(code)


def notify_once(config: Config, state: StateDB | None, report: Report) -> None:
    """`check --notify`: apply the daemon's alert rules to one report and deliver (for cron)."""
    from healthcheck.alerting.notify import Notifier

    if state is None:
        state = StateDB.in_memory()
    engine = AlertEngine(config.alerts)
    states = state.load_check_states()
    decide_and_commit(engine, config, state, report.results, states, time.time())
    notifier = Notifier(
        list(config.alerts.urls),
        state,
        timeout=config.alerts.delivery_timeout,
        backoff_max=config.alerts.retry_backoff_max,
    )
    rep = notifier.deliver_due(time.time())
    pending = state.pending_count()
    if pending:
        log.warning("%d alert(s) not delivered yet; the next run retries them", pending)
    del rep
