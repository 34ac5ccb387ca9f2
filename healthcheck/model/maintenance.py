"""Maintenance windows: planned times during which nothing alerts (in the spirit of Gatus).

A window starts at a local wall-clock time in an IANA time zone (``zoneinfo``) and lasts a fixed
duration: every day, on given weekdays, or once on a date. It may be limited to some accounts and
checks. During a window the alert engine keeps counting bad results but sends nothing; when it
ends, whatever is still wrong alerts then. This module also parses durations ("90s", "15m",
"2h", "1h30m", "1d" or a number of seconds), used by the config and ``silence add --for``.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
_DURATION_RE = re.compile(
    r"^\s*(?:(\d+(?:\.\d+)?)\s*d)?\s*(?:(\d+(?:\.\d+)?)\s*h)?\s*"
    r"(?:(\d+(?:\.\d+)?)\s*m(?:in)?)?\s*(?:(\d+(?:\.\d+)?)\s*s)?\s*$"
)
_TIME_RE = re.compile(r"^(\d{1,2}):(\d{2})(?::(\d{2}))?$")
MAX_DURATION_SECONDS = 366 * 86400.0


def parse_duration(value: Any) -> float:
    """Given "90s", "15m", "2h", "1h30m", "1d" or a number of seconds, return seconds (> 0);
    raise ValueError with a one-line reason otherwise."""
    if isinstance(value, bool):
        raise ValueError(f"{value!r} is not a duration")
    if isinstance(value, int | float):
        seconds = float(value)
    elif isinstance(value, str):
        text = value.strip().lower()
        try:
            seconds = float(text)
        except ValueError:
            m = _DURATION_RE.match(text)
            if not text or m is None or not any(m.groups()):
                raise ValueError(
                    f'{value!r} is not a duration (write e.g. "90s", "15m", "2h", "1h30m" or "1d")'
                ) from None
            d, h, mi, s = (float(g) if g else 0.0 for g in m.groups())
            seconds = d * 86400 + h * 3600 + mi * 60 + s
    else:
        raise ValueError(f"{value!r} is not a duration")
    if not (0 < seconds <= MAX_DURATION_SECONDS):
        raise ValueError(f"{value!r}: a duration must be above 0 and at most 366 days")
    return seconds


def format_duration(seconds: float) -> str:
    """Given seconds, return "2h", "1h30m", "45s" (the inverse of :func:`parse_duration`)."""
    total = int(round(seconds))
    parts = []
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60), ("s", 1)):
        if total >= size:
            parts.append(f"{total // size}{unit}")
            total %= size
    return "".join(parts) or "0s"


@dataclass(frozen=True)
class MaintenanceWindow:
    """One configured window; times are local to ``timezone``."""

    name: str
    start: time
    duration_seconds: float
    timezone: str = "UTC"
    every: tuple[int, ...] = ()  # weekdays, 0 = Monday; empty = every day
    on_date: date | None = None  # a one-off window on this date
    accounts: tuple[str, ...] = ()  # empty = all
    checks: tuple[str, ...] = ()  # empty = all

    def applies_to(self, account: str, check: str) -> bool:
        """Return True if the window covers this account and check."""
        return (not self.accounts or account in self.accounts) and (
            not self.checks or check in self.checks
        )

    def occurrence_at(self, now: float) -> tuple[float, float] | None:
        """Given a UNIX time, return (start, end) of the occurrence that contains it, or None."""
        zone = ZoneInfo(self.timezone)
        today = datetime.fromtimestamp(now, tz=zone).date()
        back = int(self.duration_seconds // 86400) + 1  # an occurrence may span midnight(s)
        for k in range(back, -1, -1):
            day = today - timedelta(days=k)
            if self.on_date is not None and day != self.on_date:
                continue
            if self.every and day.weekday() not in self.every:
                continue
            start = datetime.combine(day, self.start, tzinfo=zone).timestamp()
            end = start + self.duration_seconds
            if start <= now < end:
                return start, end
        return None

    def describe(self) -> str:
        """Return e.g. "'deploy' (Mon, Thu 23:00 Europe/Berlin for 1h)"."""
        if self.on_date is not None:
            when = self.on_date.isoformat()
        elif self.every:
            when = ", ".join(WEEKDAYS[d][:3].capitalize() for d in self.every)
        else:
            when = "daily"
        return (
            f"'{self.name}' ({when} {self.start.isoformat(timespec='seconds')[:8]} "
            f"{self.timezone} for {format_duration(self.duration_seconds)})"
        )


def active_window(
    windows: Iterable[MaintenanceWindow], account: str, check: str, now: float
) -> tuple[MaintenanceWindow, float] | None:
    """Return (window, end time) of a window covering account/check at ``now`` (the one ending
    last), or None."""
    best: tuple[MaintenanceWindow, float] | None = None
    for w in windows:
        if not w.applies_to(account, check):
            continue
        occ = w.occurrence_at(now)
        if occ is not None and (best is None or occ[1] > best[1]):
            best = (w, occ[1])
    return best


def active_windows(
    windows: Iterable[MaintenanceWindow], now: float
) -> list[tuple[MaintenanceWindow, float, float]]:
    """Return (window, start, end) for every window active at ``now``."""
    out = []
    for w in windows:
        occ = w.occurrence_at(now)
        if occ is not None:
            out.append((w, occ[0], occ[1]))
    return out


def iso_utc(ts: float) -> str:
    """Return "2026-11-29T02:40:00+00:00" for a UNIX time."""
    return datetime.fromtimestamp(ts, tz=UTC).isoformat(timespec="seconds")


# ------------------------------------------------------------------------------ config

_WINDOW_KEYS = {"name", "start", "duration", "timezone", "every", "date", "accounts", "checks"}


def parse_windows(
    raw: Any, key: str, problem: Callable[[str, str], None]
) -> tuple[MaintenanceWindow, ...]:
    """Given the TOML value of ``[[alerts.maintenance]]`` / ``[[maintenance]]`` and its dotted
    key, return the windows; report each bad entry with ``problem(key, message)``."""
    if not isinstance(raw, list):
        problem(key, f"must be an array of tables: write [[{key}]]")
        return ()
    out: list[MaintenanceWindow] = []
    for i, table in enumerate(raw):
        k = f"{key}[{i}]"
        if not isinstance(table, dict):
            problem(k, "must be a table")
            continue
        w = _parse_window(table, k, i, problem)
        if w is not None:
            out.append(w)
    return tuple(out)


def _parse_window(
    t: dict[str, Any], k: str, i: int, problem: Callable[[str, str], None]
) -> MaintenanceWindow | None:
    """Given table ``k`` (the ``i``-th window), return its window, or None after reporting
    every problem in it through ``problem(key, message)``."""
    found: list[str] = []

    def bad(key: str, message: str) -> None:
        found.append(key)
        problem(key, message)

    for extra in sorted(set(t) - _WINDOW_KEYS):
        bad(f"{k}.{extra}", "unknown key (typo?)")
    name = t.get("name", f"window {i + 1}")
    if not isinstance(name, str) or not name.strip():
        bad(f"{k}.name", "must be a non-empty string")
    start = _window_start(t, k, bad)
    duration = _window_duration(t, k, bad)
    tz = _window_timezone(t, k, bad)
    every = _window_weekdays(t, k, bad)
    on_date = _window_date(t, k, every, bad)
    accounts = _window_names(t, k, "accounts", bad)
    checks = _window_names(t, k, "checks", bad)
    if found or start is None:
        return None
    return MaintenanceWindow(
        name=str(name).strip(),
        start=start,
        duration_seconds=duration,
        timezone=str(tz),
        every=tuple(sorted(set(every))),
        on_date=on_date,
        accounts=accounts,
        checks=checks,
    )


def _window_start(t: dict[str, Any], k: str, bad: Callable[[str, str], None]) -> time | None:
    """Return the window's local start time, or None (reported) if missing or invalid."""
    start_raw = t.get("start")
    m = _TIME_RE.match(start_raw) if isinstance(start_raw, str) else None
    if start_raw is None:
        bad(f"{k}.start", 'is required: a local time such as "23:00" or "23:00:30"')
        return None
    if m is None:
        bad(f"{k}.start", f'{start_raw!r} is not a time such as "23:00"')
        return None
    h, mi, s = int(m.group(1)), int(m.group(2)), int(m.group(3) or 0)
    if h > 23 or mi > 59 or s > 59:
        bad(f"{k}.start", f"{start_raw!r} is not a valid time of day")
        return None
    return time(h, mi, s)


def _window_duration(t: dict[str, Any], k: str, bad: Callable[[str, str], None]) -> float:
    """Return the window's length in seconds (0 after reporting a problem)."""
    if "duration" not in t:
        bad(f"{k}.duration", 'is required, e.g. "1h" or "30m"')
        return 0.0
    try:
        return parse_duration(t["duration"])
    except ValueError as e:
        bad(f"{k}.duration", str(e))
        return 0.0


def _window_timezone(t: dict[str, Any], k: str, bad: Callable[[str, str], None]) -> Any:
    """Return the window's IANA time zone name as given (reported if unknown)."""
    tz = t.get("timezone", "UTC")
    try:
        if not isinstance(tz, str):
            raise ValueError
        ZoneInfo(tz)
    except (ZoneInfoNotFoundError, ValueError):
        bad(f"{k}.timezone", f'{tz!r} is not an IANA time zone such as "Europe/Berlin" or "UTC"')
    return tz


def _window_weekdays(t: dict[str, Any], k: str, bad: Callable[[str, str], None]) -> list[int]:
    """Return the weekdays (0 = Monday) of ``every``, each name unambiguous and >= 3 letters."""
    every: list[int] = []
    raw_every = t.get("every", [])
    if not isinstance(raw_every, list) or not all(isinstance(d, str) for d in raw_every):
        bad(f"{k}.every", 'must be a list of weekday names such as ["Monday", "Thu"]')
        return every
    for d in raw_every:
        hits = [
            n
            for n, full in enumerate(WEEKDAYS)
            if full.startswith(d.strip().lower()) and len(d.strip()) >= 3
        ]
        if len(hits) != 1:
            bad(f"{k}.every", f"{d!r} is not a weekday name")
        else:
            every.append(hits[0])
    return every


def _window_date(
    t: dict[str, Any], k: str, every: list[int], bad: Callable[[str, str], None]
) -> date | None:
    """Return the date of a one-off window, or None for a repeating one."""
    if "date" not in t:
        return None
    on_date: date | None = None
    raw_date = t["date"]
    if isinstance(raw_date, date) and not isinstance(raw_date, datetime):
        on_date = raw_date
    elif isinstance(raw_date, str):
        try:
            on_date = date.fromisoformat(raw_date)
        except ValueError:
            bad(f"{k}.date", f"{raw_date!r} is not a date such as 2026-12-01")
    else:
        bad(f"{k}.date", "must be a date such as 2026-12-01")
    if every:
        bad(f"{k}.date", 'a one-off window (date) cannot also have "every"')
    return on_date


def _window_names(
    t: dict[str, Any], k: str, key: str, bad: Callable[[str, str], None]
) -> tuple[str, ...]:
    """Return the list of strings under ``key`` (accounts or checks the window covers)."""
    v = t.get(key, [])
    if not isinstance(v, list) or not all(isinstance(x, str) for x in v):
        bad(f"{k}.{key}", "must be a list of strings")
        return ()
    return tuple(v)
