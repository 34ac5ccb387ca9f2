"""What keeps a result from alerting right now: a maintenance window, a silence or a root cause.

One place decides it, for the alert engine, the ``check`` output (``silenced_by``) and the
``status`` command, so they always agree. Precedence when several apply: maintenance, then a
silence, then inhibition by a root cause.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from healthcheck.alerting.inhibit import Cover
from healthcheck.model.maintenance import MaintenanceWindow, active_window, iso_utc
from healthcheck.model.result import Result, Status
from healthcheck.model.silences import Silence, silenced_by
from healthcheck.storage.state import CheckState

log = logging.getLogger(__name__)

Key = tuple[str, str]


@dataclass(frozen=True)
class Mute:
    """Why a result sends nothing now."""

    kind: str  # "maintenance" | "silence" | "inhibited"
    by: str  # "silence 3 'deploy' until 2026-11-29T04:00:00+00:00"
    until: float | None = None  # when it ends, if known (an inhibition ends with its cause)
    silence_id: int | None = None

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "kind": self.kind,
            "by": self.by,
            "until": iso_utc(self.until) if self.until is not None else None,
        }
        if self.silence_id is not None:
            out["silence_id"] = self.silence_id
        return out


def mute_for(
    r: Result,
    windows: Iterable[MaintenanceWindow],
    silences: Iterable[Silence],
    cover: Cover | None,
    now: float,
) -> Mute | None:
    """Given a result and what is configured/stored, return the :class:`Mute` that applies."""
    hit = active_window(windows, r.account, r.check, now)
    if hit is not None:
        window, end = hit
        return Mute(
            "maintenance", f"maintenance window {window.describe()} until {iso_utc(end)}", end
        )
    if r.status is not Status.OK:
        s = silenced_by(silences, r, now)
        if s is not None:
            return Mute("silence", s.describe(), s.ends_at, s.id)
        if cover is not None:
            return Mute("inhibited", f"root cause {cover.describe()}")
    return None


def known_results(
    latest: Mapping[Key, Result], states: Mapping[Key, CheckState]
) -> dict[Key, Result]:
    """Return this cycle's results, completed with the remembered last result of the checks that
    did not run this cycle (they run on their own intervals but their verdict still counts)."""
    known: dict[Key, Result] = {}
    for key, s in states.items():
        if s.last_result:
            try:
                known[key] = Result.from_json(s.last_result)
            except (KeyError, ValueError, TypeError) as e:
                log.debug("unreadable last result of %s/%s: %s", key[0], key[1], e)
    known.update(latest)
    return known
