"""The watcher: sources -> occurrences in its own SQLite file -> one bot_errors result per
account; commands in the daemon, journalctl for a unit (a stand-in journalctl on PATH records
the command line it got and prints like `--output=short-iso`)."""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

import pytest

from healthcheck.logwatch.settings import WatchConfig
from healthcheck.logwatch.store import WatchStore
from healthcheck.model.result import Result, Status
from healthcheck.service.watcher import Watcher

# sammchardy/python-binance binance/exceptions.py: "APIError(code=%s): %s"
ERR = "APIError(code=-1021): Timestamp for this request is outside of the recvWindow."


def deadline_poll(w: Watcher, want: int, timeout: float = 20.0) -> int:
    found = 0
    end = time.monotonic() + timeout
    while time.monotonic() < end and found < want:
        found += w.poll_once()
        time.sleep(0.05)
    return found


def test_command_source_in_the_daemon_feeds_bot_errors(tmp_path: Path) -> None:
    script = f"import time; print({ERR!r}, flush=True); time.sleep(30)"
    w = WatchConfig(account="main", command=(sys.executable, "-c", script), window=300)
    watcher = Watcher((w,), {"main": ("usdm",)}, WatchStore.open(tmp_path), tmp_path)
    try:
        assert deadline_poll(watcher, 1) == 1
        clock = Result("main", "clock", Status.OK, "within 4 ms", metrics={"offset_ms": 4.0})
        [r] = watcher.results([clock])
        assert r.check == "bot_errors" and r.status is Status.CRITICAL and r.codes == [-1021]
        info = r.details["codes"][0]
        assert info["product"] == "usdm"  # the account's only market
        assert info["active_check"].startswith("the clock check measures +0.0 s (OK)")
    finally:
        watcher.stop()
        watcher.store.close()


def test_command_source_is_not_run_by_check(tmp_path: Path) -> None:
    w = WatchConfig(account="main", command=("/bin/false",), window=300)
    watcher = Watcher((w,), {"main": ("spot",)}, WatchStore.open(tmp_path), tmp_path, oneshot=True)
    watcher.drain()
    [r] = watcher.results([])
    assert r.status is Status.OK and "only followed by the daemon" in r.summary


@pytest.fixture
def fake_journalctl(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    bindir = tmp_path / "bin"
    bindir.mkdir()
    argv_log = tmp_path / "journalctl-argv"
    stamp = time.strftime("%Y-%m-%dT%H:%M:%S%z")
    script = bindir / "journalctl"
    script.write_text(f"""#!/bin/sh
echo "$@" >> {argv_log}
echo "{stamp} host mybot[42]: {ERR}"
""")
    script.chmod(0o755)
    monkeypatch.setenv("PATH", f"{bindir}{os.pathsep}{os.environ['PATH']}")
    return argv_log


def test_unit_source_in_check_runs_journalctl_with_cursor_and_since(
    tmp_path: Path, fake_journalctl: Path
) -> None:
    w = WatchConfig(account="main", unit="mybot.service", window=300)
    watcher = Watcher((w,), {"main": ("spot",)}, WatchStore.open(tmp_path), tmp_path, oneshot=True)
    watcher.drain()
    [r] = watcher.results([])
    assert r.codes == [-1021] and r.details["codes"][0]["count"] == 1
    argv = fake_journalctl.read_text().split()
    assert argv == [
        "--unit=mybot.service",
        "--output=short-iso",
        "--no-pager",
        "--quiet",
        f"--cursor-file={tmp_path / 'journal-mybot.service.cursor'}",
        "--since=-300s",
    ]


def test_quotes_the_latest_result_of_a_check_that_did_not_run_this_time(tmp_path: Path) -> None:
    from healthcheck.logwatch.store import Occurrence

    w = WatchConfig(account="main", path=tmp_path / "bot.log", window=300)
    watcher = Watcher((w,), {"main": ("spot",)}, WatchStore.open(tmp_path), tmp_path)
    now = time.time()
    watcher.store.commit_batch({}, [Occurrence("main", -1021, "spot", now, ERR, ERR)])
    clock = Result("main", "clock", Status.WARNING, "600 ms ahead", metrics={"offset_ms": 600.0})
    watcher.results([clock], now)
    [r] = watcher.results([], now)  # the clock check was not due in this daemon run
    assert "the clock check measures +0.6 s (WARNING)" in r.details["codes"][0]["active_check"]
    watcher.store.close()


def test_unreadable_log_is_unknown_never_ok(tmp_path: Path) -> None:
    w = WatchConfig(account="main", path=tmp_path / "not-there.log", window=300)
    watcher = Watcher((w,), {"main": ("spot",)}, WatchStore.open(tmp_path), tmp_path)
    watcher.poll_once()
    [r] = watcher.results([])
    assert r.status is Status.UNKNOWN and "does not exist" in r.summary
    (tmp_path / "not-there.log").write_text("fine\n")
    watcher.poll_once()
    [r] = watcher.results([])
    assert r.status is Status.OK
    watcher.store.close()


def test_unit_source_without_journalctl_is_unknown_in_check(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PATH", str(tmp_path / "empty-bin"))
    w = WatchConfig(account="main", unit="mybot.service", window=300)
    watcher = Watcher((w,), {"main": ("spot",)}, WatchStore.open(tmp_path), tmp_path, oneshot=True)
    watcher.drain()
    [r] = watcher.results([])
    assert r.status is Status.UNKNOWN and "cannot start" in r.summary


def test_secrets_in_bot_lines_never_reach_the_store_or_the_result(tmp_path: Path) -> None:
    import sqlite3

    from healthcheck.storage import redact

    secret = "NhqPtmdSJYdKjVHjA7PZj4Mge3R5YNiP1e3UZjInClVN65XAbvqqM6A7H5fATj0"  # 63 chars
    redact.register(secret)  # what load_config does with every configured secret
    log = tmp_path / "bot.log"
    log.write_text("")
    w = WatchConfig(account="main", path=log, window=300)
    watcher = Watcher((w,), {"main": ("spot",)}, WatchStore.open(tmp_path / "state"), tmp_path)
    watcher.poll_once()
    with open(log, "a") as f:
        f.write(
            f"ERROR request failed secret={secret} listenKey=abcdefghijklmnopqrstuvwxyz0123 {ERR}\n"
        )
    assert watcher.poll_once() == 1
    [r] = watcher.results([])
    watcher.store.close()
    assert secret not in str(r.to_json())
    assert "abcdefghijklmnopqrstuvwxyz0123" not in str(r.to_json())
    db = sqlite3.connect(tmp_path / "state" / "logwatch.sqlite3")
    dump = "\n".join(db.iterdump())
    assert secret not in dump and "abcdefghijklmnopqrstuvwxyz0123" not in dump and "-1021" in dump
