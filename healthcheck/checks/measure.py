"""What a check measures, declared once: the figures of its result as Prometheus samples and as
Nagios perfdata items.

A check lists the metric :class:`Family` objects it exports (``families``, so the collector can
render a family even while no result has a sample for it) and turns one of its results into
:class:`Measurement` objects (``measurements(result, run_started_at)``), each in base units with
the family, its label values and, where the figure has thresholds, its :class:`Perf` item. The
Prometheus collector and the Nagios renderer (:mod:`healthcheck.service.metrics`) read these and
know no check by name. Nothing here imports a third-party package.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Family:
    """One Prometheus metric family: its name after the ``binance_healthcheck_`` prefix, its
    help text and its label names."""

    name: str
    help: str
    labels: tuple[str, ...]

    @property
    def per_ip(self) -> bool:
        """Whether a sample stands for this machine's IP rather than one account (no ``account``
        label): every account's result reads the same figure, the highest-ranked one is shown."""
        return "account" not in self.labels


@dataclass(frozen=True)
class Perf:
    """One Nagios perfdata item ``'label'=value[uom];warn;crit;min;max`` (the range fields as
    Nagios writes them, "" when unset). ``per_ip``: the same label comes from every account's
    result; the highest ``rank`` is shown, after the per-account items."""

    label: str
    value: float
    uom: str = ""
    warn: str = ""
    crit: str = ""
    minimum: str = ""
    maximum: str = ""
    per_ip: bool = False
    rank: float = 0.0

    def render(self) -> str:
        """Return the item as it stands in a plugin's output line."""
        label = "'" + self.label.replace("'", "").replace("=", "_") + "'"
        return (
            f"{label}={perf_number(self.value)}{self.uom};{self.warn};{self.crit};"
            f"{self.minimum};{self.maximum}"
        )


@dataclass(frozen=True)
class Measurement:
    """One figure of a result: a Prometheus sample of ``family`` (None: perfdata only) with the
    label values in ``family.labels`` order, and its perfdata item if it has thresholds.
    ``rank`` orders the readings of a per-IP family (the highest is exported)."""

    family: Family | None
    labels: tuple[str, ...] = ()
    value: float = 0.0
    perf: Perf | None = None
    rank: float = 0.0


def finite(value: Any) -> float | None:
    """Given a metrics value, return it as a float, or None if it is not a finite number."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    f = float(value)
    return f if math.isfinite(f) else None


def perf_number(value: float) -> str:
    """Given a number, return it as perfdata writes it (at most 6 decimals, no trailing zeros)."""
    text = f"{value:.6f}".rstrip("0").rstrip(".")
    return text if text not in ("", "-0") else "0"
