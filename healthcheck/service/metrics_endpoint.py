"""The daemon's /metrics and /healthz while ``[metrics] listen`` is set.

Owns the collector the daemon feeds after each run and the HTTP server that exposes it (both in
:mod:`healthcheck.service.metrics`); a port that cannot be bound is logged, and the daemon runs
without /metrics rather than dying.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from healthcheck.config import Config
from healthcheck.engine.runner import Report
from healthcheck.engine.schedule import Schedule

log = logging.getLogger(__name__)


def stale_after_seconds(config: Config, tick_seconds: float) -> float:
    """Seconds after the last run at which /healthz says 503 (3 ticks and 3 timeouts)."""
    return 3 * tick_seconds + 3 * config.daemon.request_timeout + 30


class MetricsEndpoint:
    """The collector and its server; both None while metrics are off."""

    def __init__(self) -> None:
        self.collector: Any = None  # healthcheck.service.metrics.HealthCollector
        self.server: Any = None  # healthcheck.service.metrics.MetricsServer

    def start(
        self,
        config: Config,
        schedule: Schedule,
        outbox_pending: Callable[[], int],
        delivery_failures: Callable[[], int],
    ) -> None:
        """Serve /metrics if ``[metrics] listen`` is set; log (not die) if it cannot bind."""
        mc = getattr(config, "metrics", None)
        if mc is None or mc.listen is None:
            return
        from healthcheck.service.metrics import HealthCollector, MetricsServer

        self.collector = HealthCollector(
            outbox_pending=outbox_pending,
            delivery_failures=delivery_failures,
            run_interval_seconds=schedule.tick_seconds(),
        )
        self.collector.set_stretch(schedule.stretch_by_pool())
        try:
            self.server = MetricsServer(
                self.collector,
                mc.host,
                mc.port,
                stale_after_seconds=stale_after_seconds(config, schedule.tick_seconds()),
            ).start()
        except OSError as exc:
            log.error(
                "metrics: cannot listen on %s: %s; running without /metrics",
                mc.listen,
                exc.strerror or exc,
            )
            return
        log.info("metrics: serving http://%s:%d/metrics", mc.host, self.server.port)

    def reloaded(self, config: Config, schedule: Schedule) -> None:
        """Fit the exposed pace to a reloaded configuration; forget removed accounts."""
        c = self.collector
        if c is None:
            return
        c.run_interval_seconds = schedule.tick_seconds()
        c.set_stretch(schedule.stretch_by_pool())
        if self.server is not None:
            self.server.stale_after_seconds = stale_after_seconds(config, schedule.tick_seconds())
        c.forget_accounts_except(a.name for a in config.accounts)

    def stretched(self, schedule: Schedule) -> None:
        """The schedule was fitted again: expose its stretch per pool."""
        if self.collector is not None:
            self.collector.set_stretch(schedule.stretch_by_pool())

    def update(self, report: Report) -> None:
        if self.collector is not None:
            self.collector.update(report)

    def stop(self) -> None:
        if self.server is not None:
            self.server.stop()
