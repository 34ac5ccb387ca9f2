"""The time of a watched source's last line: taken when read, kept in the real SQLite store
across a restart of the watcher; `stale_after` validated; a unit's state read with systemctl."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from healthcheck.bots.probe import unit_state
from healthcheck.logwatch.settings import parse_watch
from healthcheck.logwatch.store import WatchStore
from healthcheck.service.watcher import Watcher


def watcher_for(log: Path, state: Path, stale_after: float = 60) -> Watcher:
    watches, problems = parse_watch(
        [{"account": "main", "path": str(log), "stale_after": stale_after}], {"main"}
    )
    assert problems == []
    return Watcher(watches, {"main": ("spot",)}, WatchStore.open(state), state)


def test_last_line_time_survives_a_restart_of_the_watcher(tmp_path: Path) -> None:
    log = tmp_path / "bot.log"
    log.write_text("")
    w = watcher_for(log, tmp_path)
    w.poll_once(now=1000.0)
    assert w.silences_for("main")[0].last_line_ts is None  # nothing written yet
    with open(log, "a") as f:
        f.write("2026-01-01 00:00:00,000 - freqtrade.worker - INFO - Bot heartbeat. PID=1\n")
    w.poll_once(now=2000.0)
    assert w.silences_for("main")[0].last_line_ts == 2000.0  # a live line: dated when read
    w.store.close()

    w2 = watcher_for(log, tmp_path)  # a restart: nothing new in the file
    w2.poll_once(now=3000.0)
    s = w2.silences_for("main")[0]
    assert s.last_line_ts == 2000.0
    assert s.stale_after == 60
    w2.store.close()


def test_lines_written_while_down_are_dated_by_the_files_mtime(tmp_path: Path) -> None:
    log = tmp_path / "bot.log"
    log.write_text("one\n")
    os.utime(log, (1_000, 1_000))
    w = watcher_for(log, tmp_path)
    w.poll_once(now=1_500.0)  # the first look at an existing file: its tail, dated by mtime
    assert w.silences_for("main")[0].last_line_ts == 1_000
    w.store.close()
    with open(log, "a") as f:
        f.write("two\n")
    os.utime(log, (1_200, 1_200))
    w2 = watcher_for(log, tmp_path)
    w2.poll_once(now=2_000.0)
    assert w2.silences_for("main")[0].last_line_ts == 1_200
    w2.store.close()


@pytest.mark.parametrize(
    "value", [0, -5, "60", True, float("nan"), float("inf"), 10**400, 8 * 86400]
)
def test_a_bad_stale_after_is_one_line_naming_the_key(value: object) -> None:
    _, problems = parse_watch(
        [{"account": "main", "path": "/x.log", "stale_after": value}], {"main"}
    )
    assert len(problems) == 1
    key, msg = problems[0]
    assert key == "watch[0].stale_after"
    assert "\n" not in msg and "3 x heartbeat_interval" in msg


def _fake_systemctl(bin_dir: Path, out: str, code: int = 0) -> None:
    # systemctl show's own output format (KEY=value lines); used only because this machine runs
    # no systemd: tests/test_systemd_live.py is where a real one runs
    bin_dir.mkdir(exist_ok=True)
    exe = bin_dir / "systemctl"
    exe.write_text(f"#!/bin/sh\nprintf '%s' '{out}'\nexit {code}\n")
    exe.chmod(0o755)


@pytest.mark.parametrize(
    "out,active,sub,status",
    [
        (
            "LoadState=loaded\nActiveState=failed\nSubState=failed\nExecMainStatus=1\n",
            "failed",
            "failed",
            1,
        ),
        (
            "LoadState=loaded\nActiveState=active\nSubState=running\nExecMainStatus=0\n",
            "active",
            "running",
            0,
        ),
    ],
)
def test_unit_state_reads_systemctl_show(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, out: str, active: str, sub: str, status: int
) -> None:
    _fake_systemctl(tmp_path / "bin", out)
    monkeypatch.setenv("PATH", str(tmp_path / "bin"))
    u = unit_state("freqtrade.service")
    assert (u.active_state, u.sub_state, u.exec_main_status, u.error) == (active, sub, status, None)


def test_unit_state_without_systemctl_says_so(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))
    u = unit_state("freqtrade.service")
    assert u.missing_systemctl and "not installed" in (u.error or "")


@pytest.mark.skipif(
    shutil.which("systemctl") is None or Path("/run/systemd/system").exists(),
    reason="needs systemctl on a machine not booted with systemd",
)
def test_the_real_systemctl_without_systemd_is_an_error_with_its_reason() -> None:
    u = unit_state("freqtrade.service")
    assert u.error is not None and "systemd" in u.error
