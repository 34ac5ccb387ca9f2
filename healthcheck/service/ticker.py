"""When the daemon's tick fires: APScheduler 3, every ``tick_seconds``, now, or once sooner.

The interval job has no jitter (no drift), ``max_instances=1`` and coalescing, so a slow run
never stacks. It is fired at once after a wall-clock step (the scheduler computes fire times on
the wall clock and would otherwise sleep through a backward step of an hour) and after a reload;
a one-off job confirms a problem sooner than the next tick.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

log = logging.getLogger(__name__)


class Ticker:
    """Fires one callable (the daemon's tick) on a background scheduler."""

    def __init__(self, tick: Callable[[], Any]) -> None:
        self._tick = tick
        self._scheduler: Any = None
        self._job: Any = None

    @property
    def started(self) -> bool:
        return self._scheduler is not None

    def start(self, every_seconds: float) -> None:
        """Start the scheduler; the first tick comes one interval from now."""
        from apscheduler.schedulers.background import BackgroundScheduler

        self._scheduler = BackgroundScheduler(
            timezone=UTC, job_defaults={"coalesce": True, "max_instances": 1}
        )
        self._scheduler.start()
        self.every(every_seconds)

    def every(self, seconds: float) -> None:
        """(Re)place the interval job: a tick every ``seconds``, the next one ``seconds`` away."""
        from apscheduler.triggers.interval import IntervalTrigger

        first = datetime.now(UTC) + timedelta(seconds=seconds)
        self._job = self._scheduler.add_job(
            self._tick,
            IntervalTrigger(seconds=seconds, timezone=UTC),
            id="checks",
            next_run_time=first,
            replace_existing=True,
            max_instances=1,
            coalesce=True,
            misfire_grace_time=max(1, int(seconds)),
        )

    def now(self) -> None:
        """Fire the interval job at once (after a wall-clock step or a reload)."""
        if self._job is not None:
            try:
                self._job.modify(next_run_time=datetime.now(UTC))
                self._scheduler.wakeup()
            except Exception:  # noqa: BLE001 - the job may be running; it fires again anyway
                log.debug("reschedule failed", exc_info=True)

    def once_at(self, when_mono: float) -> None:
        """Fire one extra tick at a monotonic time (to confirm a problem before the next
        tick); nothing if the scheduler has not started."""
        if self._scheduler is None:
            return
        from apscheduler.triggers.date import DateTrigger

        at = datetime.now(UTC) + timedelta(seconds=max(0.0, when_mono - time.monotonic()))
        try:
            self._scheduler.add_job(self._tick, DateTrigger(run_date=at, timezone=UTC))
        except Exception:  # noqa: BLE001 - the regular tick confirms it a little later
            log.debug("could not schedule the confirming run", exc_info=True)

    def shutdown(self) -> None:
        """Stop firing, waiting for a running tick's job to return."""
        if self._scheduler is not None:
            try:
                self._scheduler.shutdown(wait=True)
            except Exception:  # noqa: BLE001
                pass
