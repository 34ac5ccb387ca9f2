"""The daemon: scheduled runs, alert decisions, the outbox worker, signals and systemd.

A :class:`~healthcheck.service.ticker.Ticker` fires a tick every few seconds (no jitter, so no
drift; ``max_instances=1`` and coalescing so a slow run never stacks); each tick runs the checks
that are due by their own interval, feeds the results to the alert engine and commits the new
states and the queued alerts in one transaction. Delivery happens on its own thread with a
deadline, so a slow channel never blocks the checks or the watchdog. The main thread only waits
for signals, pings the watchdog while runs keep completing, and notices wall-clock steps (the
scheduler computes fire times on the wall clock and would otherwise sleep through a backward
step of an hour). When each check is due is :mod:`healthcheck.service.pacing`'s job.
"""

from __future__ import annotations

import logging
import signal
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from healthcheck.alerting.alerts import AlertEngine, Decision, outbox_rows_for
from healthcheck.config import Config, ConfigError, load_config
from healthcheck.engine.runner import Report, Runner
from healthcheck.engine.schedule import DAEMON_ACCOUNT, SCHEDULE_CHECK, Schedule
from healthcheck.model.result import Status
from healthcheck.service import memtrim, sdnotify
from healthcheck.service.metrics_endpoint import MetricsEndpoint
from healthcheck.service.pacing import Pacing
from healthcheck.service.ticker import Ticker
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
EXIT_STATE_TOO_NEW = 3  # the state database was written by a newer version (see README)


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
    """One configured daemon; ``run()`` blocks until SIGTERM/SIGINT (or ``stop()``).

    Its parts by job: :class:`~healthcheck.service.pacing.Pacing` (the schedule and each
    check's next turn), :class:`~healthcheck.service.ticker.Ticker` (when the tick fires),
    :class:`~healthcheck.service.metrics_endpoint.MetricsEndpoint`; the daemon itself does the
    tick (run, decide, commit, tell systemd) and the lifecycle (signals, reload, shutdown)."""

    def __init__(self, config: Config, config_path: str | Path | None = None) -> None:
        memtrim.configure()  # large blocks via mmap: freed HTTP bodies leave no resident pages

        self.config = config
        self.config_path = config_path
        self.state = open_state(config)
        self.states = self.state.load_check_states()
        self._start_parts(config)
        self.last_report: Report | None = None
        self.last_run_done_mono: float | None = None
        self.runs = 0
        self._last_prune_mono: float | None = None
        self._tick_lock = threading.Lock()
        self._stop = threading.Event()
        self._reload = threading.Event()
        self._heartbeat = ThreadPoolExecutor(max_workers=1, thread_name_prefix="heartbeat")
        self.ticker = Ticker(self.tick)
        self.endpoint = MetricsEndpoint()

    def _start_parts(
        self, config: Config, old: Any = None, previous: Schedule | None = None
    ) -> None:
        """Build what one configuration runs with: the log watcher, the runner, the alert
        engine, the notifier and its worker, and the pace. ``old``: the notifier being
        replaced (its sends in flight and failure count carry over)."""
        from healthcheck.alerting.notify import DeliveryWorker, Notifier

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
            # the in-flight sends go to the new notifier: a slow send still running is not
            # started again by the new worker, and its result is recorded when it ends
            inflight=old.inflight if old is not None else None,
        )
        if old is not None:
            self.notifier.failures_total = old.failures_total
        self.worker = DeliveryWorker(self.notifier)
        self.pacing = Pacing(config, previous)
        self.pacing.fit(self.runner, self.state)

    @property
    def schedule(self) -> Schedule:
        """The schedule fitted to the weight budget (see :class:`Pacing`)."""
        return self.pacing.schedule

    def tick_seconds(self) -> float:
        """Seconds between looks for due checks: each account gets its own slot."""
        return self.pacing.tick_seconds()

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
        """One cycle: run the due checks, fit the pace to what the run learned, decide and
        commit the alerts, bring problems forward, then tell the log, systemd and /metrics."""
        now_mono = time.monotonic()
        due = self.pacing.due(now_mono)
        report = self.runner.run(due) if due else Report([], {"request_weight": 0, "requests": 0})
        self.pacing.ran(due, report.deferred, now_mono)
        if self.pacing.refit_if_learned(self.runner, self.state, now_mono):
            self.endpoint.stretched(self.schedule)
        if report.deferred:
            log.info(
                "%d check(s) wait for the weight budget and keep their last result: %s",
                len(report.deferred),
                ", ".join(f"{a} {c}" for a, c in sorted(report.deferred)[:5]),
            )
        now = time.time()
        decision, rows = self._decide(report, now, now_mono)
        first = self.pacing.confirm_soon(report.results, self.states, now_mono)
        if first is not None and first - now_mono < self.tick_seconds():
            # sooner than the next tick (one account: the tick is the shortest interval)
            self.ticker.once_at(first)
        _log_decision(decision, rows)
        if rows:
            self.worker.kick()
        self.runs += 1
        self.last_report = report
        self.endpoint.update(report)
        self.last_run_done_mono = time.monotonic()
        self._tell(report, due, now)
        memtrim.maybe_trim()  # free native memory back to the OS (glibc), once a minute
        return report

    def _decide(
        self, report: Report, now: float, now_mono: float
    ) -> tuple[Decision, list[OutboxRow]]:
        """Add the daemon's own result, decide and commit the alerts, prune old rows once an
        hour; return the decision and the queued outbox rows."""
        own = self.pacing.behind(self.states, now, now_mono)
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
        return decision, rows

    def _tell(self, report: Report, due: dict[str, set[str]], now: float) -> None:
        """Log the run's line, tell systemd (READY=1 after the first run, STATUS=, WATCHDOG=1)
        and ping the heartbeat URL."""
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

    # ---------------------------------------------------------------- lifecycle
    def request_stop(self) -> None:
        self._stop.set()

    def request_reload(self) -> None:
        self._reload.set()

    def _install_signals(self) -> None:
        signal.signal(signal.SIGTERM, lambda *_: self.request_stop())
        signal.signal(signal.SIGINT, lambda *_: self.request_stop())
        signal.signal(signal.SIGHUP, lambda *_: self.request_reload())

    def run(self, install_signals: bool = True) -> int:
        """Run the first check at once, then tick on schedule until a stop signal; return the
        exit code."""
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
        self.endpoint.start(
            self.config,
            self.schedule,
            outbox_pending=lambda: self.state.pending_count(),
            delivery_failures=lambda: self.notifier.failures_total,
        )
        self.tick()  # the first run at start, before READY=1
        if self._stop.is_set():
            return self._shutdown()
        self.ticker.start(self.tick_seconds())
        self._wait_for_stop()
        return self._shutdown()

    def _wait_for_stop(self) -> None:
        """The main thread until a stop: notice wall-clock steps, reload on SIGHUP, ping the
        watchdog while runs keep completing."""
        wd = sdnotify.watchdog_interval_seconds()
        wait = min(1.0, wd / 2) if wd else 1.0
        last_wall, last_mono = time.time(), time.monotonic()
        while not self._stop.wait(wait):
            wall, mono = time.time(), time.monotonic()
            step = (wall - last_wall) - (mono - last_mono)
            if abs(step) > CLOCK_STEP_TOLERANCE:
                log.warning("wall clock stepped by %+.0f s; rescheduling the checks", step)
                self.ticker.now()
            last_wall, last_mono = wall, mono
            if self._reload.is_set():
                self._reload.clear()
                self.reload()
            self._watchdog_if_alive()

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
        self.ticker.shutdown()
        with self._tick_lock:  # a run in progress finishes and commits first
            pass
        self.worker.stop(timeout=3.0)
        self.endpoint.stop()
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
            self.config = new
            stop_watcher(self.watcher)
            self._start_parts(new, old=self.notifier, previous=self.schedule)
            self.worker.start()
            self.endpoint.reloaded(new, self.schedule)
        if self.ticker.started and self.tick_seconds() != old_tick:
            self.ticker.every(self.tick_seconds())
        self.ticker.now()
        log.info(
            "configuration reloaded from %s: %d account(s)", self.config_path, len(new.accounts)
        )


def _log_decision(decision: Decision, rows: list[OutboxRow]) -> None:
    """Log each status flip and each alert queued."""
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
