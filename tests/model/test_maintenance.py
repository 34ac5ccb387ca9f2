"""Maintenance windows and durations (healthcheck/model/maintenance.py): a window follows the
local wall clock of its time zone (also across daylight saving), spans midnight, keeps to its
weekdays, accounts and checks; durations read as people write them; bad entries are named by
their dotted key."""

from __future__ import annotations

from datetime import date, datetime, time
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from healthcheck.model.maintenance import (
    MaintenanceWindow,
    active_window,
    format_duration,
    parse_duration,
    parse_windows,
)

BERLIN = ZoneInfo("Europe/Berlin")


def at(text: str) -> float:
    """A Berlin wall-clock time as UNIX seconds."""
    return datetime.fromisoformat(text).replace(tzinfo=BERLIN).timestamp()


@pytest.mark.parametrize(
    ("text", "seconds"),
    [
        ("90s", 90),
        ("15m", 900),
        ("15min", 900),
        ("2h", 7200),
        ("1h30m", 5400),
        ("1d", 86400),
        (" 2H ", 7200),
        ("600", 600),
        (45, 45),
        (1.5, 1.5),
    ],
)
def test_durations_read_as_written(text: object, seconds: float) -> None:
    assert parse_duration(text) == seconds


@pytest.mark.parametrize("value", ["", "soon", "5 weeks", "0", "-5m", "367d", True, None, [1]])
def test_bad_durations_are_one_line_errors(value: object) -> None:
    with pytest.raises(ValueError) as exc:
        parse_duration(value)
    assert "\n" not in str(exc.value) and repr(value) in str(exc.value)


@given(st.integers(min_value=1, max_value=366 * 86400))
def test_format_duration_reads_back_to_the_same_seconds(seconds: int) -> None:
    assert parse_duration(format_duration(seconds)) == seconds


def test_a_daily_window_follows_the_local_clock_across_daylight_saving() -> None:
    w = MaintenanceWindow("backup", time(3, 0), 1800.0, timezone="Europe/Berlin")
    for day in ("2026-01-15", "2026-07-15"):  # CET (UTC+1) and CEST (UTC+2)
        assert active_window([w], "main", "clock", at(f"{day}T03:10")) is not None
        assert active_window([w], "main", "clock", at(f"{day}T02:55")) is None
        assert active_window([w], "main", "clock", at(f"{day}T03:30")) is None
    _, end = active_window([w], "main", "clock", at("2026-07-15T03:10"))  # type: ignore[misc]
    assert end == at("2026-07-15T03:30")


def test_a_weekday_window_spans_midnight_from_its_own_day_only() -> None:
    # Monday 23:00 for 2 h: still on at Tuesday 00:30, but not on Tuesday 23:30
    w = MaintenanceWindow("deploy", time(23, 0), 7200.0, timezone="Europe/Berlin", every=(0,))
    assert date(2026, 11, 30).weekday() == 0
    assert active_window([w], "main", "balance", at("2026-11-30T23:30")) is not None
    assert active_window([w], "main", "balance", at("2026-12-01T00:30")) is not None
    assert active_window([w], "main", "balance", at("2026-12-01T01:00")) is None
    assert active_window([w], "main", "balance", at("2026-12-01T23:30")) is None


def test_a_one_off_window_is_on_its_date_only() -> None:
    w = MaintenanceWindow("move", time(10, 0), 3600.0, on_date=date(2026, 12, 1))
    assert w.occurrence_at(datetime(2026, 12, 1, 10, 30, tzinfo=ZoneInfo("UTC")).timestamp())
    assert not w.occurrence_at(datetime(2026, 12, 2, 10, 30, tzinfo=ZoneInfo("UTC")).timestamp())
    assert w.describe() == "'move' (2026-12-01 10:00:00 UTC for 1h)"


def test_of_two_windows_the_one_ending_last_is_named() -> None:
    short = MaintenanceWindow("short", time(10, 0), 600.0)
    long_ = MaintenanceWindow("long", time(9, 0), 7200.0, checks=("balance",))
    now = datetime(2026, 12, 1, 10, 5, tzinfo=ZoneInfo("UTC")).timestamp()
    assert active_window([short, long_], "main", "balance", now)[0] is long_  # type: ignore[index]
    assert active_window([short, long_], "main", "clock", now)[0] is short  # type: ignore[index]


def test_config_entries_parse_and_every_problem_names_its_dotted_key() -> None:
    problems: list[tuple[str, str]] = []
    raw = [
        {
            "name": "deploy",
            "start": "23:00",
            "duration": "1h",
            "timezone": "Europe/Berlin",
            "every": ["Mon", "thursday"],
            "accounts": ["main"],
        },
        {"start": "25:00", "duration": "1h"},
        {
            "start": "10:00",
            "duration": "forever",
            "timezone": "Mars/Olympus",
            "every": ["Fr"],
            "colour": "red",
        },
        {"start": "10:00", "duration": "1h", "date": "2026-12-01", "every": ["Monday"]},
    ]
    windows = parse_windows(raw, "alerts.maintenance", lambda k, m: problems.append((k, m)))
    assert windows == (
        MaintenanceWindow(
            "deploy", time(23, 0), 3600.0, "Europe/Berlin", every=(0, 3), accounts=("main",)
        ),
    )
    keys = [k for k, _ in problems]
    assert keys == [
        "alerts.maintenance[1].start",
        "alerts.maintenance[2].colour",
        "alerts.maintenance[2].duration",
        "alerts.maintenance[2].timezone",
        "alerts.maintenance[2].every",
        "alerts.maintenance[3].date",
    ]
    assert all("\n" not in m for _, m in problems)
    assert "'forever' is not a duration" in dict(problems)["alerts.maintenance[2].duration"]
