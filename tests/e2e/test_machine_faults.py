"""Machine faults under the real daemon (`binance-healthcheck run` as a subprocess, 1 s interval,
alerts through real apprise into a loopback ``json://`` receiver):

* ``kill -9`` at random points in the middle of a run and in the middle of a delivery, then a
  restart: every fault episode still gives exactly one alert and one resolved notice;
* a read-only state directory, a state directory that fills up while running, a corrupt state
  database: one clear log line, and the checks and the alerts carry on;
* the wall clock stepping an hour back or forward (libfaketime): runs keep their 1 s pace and no
  alert is repeated.

Random kill points come from a seed printed by the test (``BHC_FAULT_SEED=<n>`` replays one).
"""

from __future__ import annotations

import ctypes
import json
import os
import random
import re
import select
import signal
import socket
import sqlite3
import subprocess
import sys
import threading
import time
from collections import Counter
from pathlib import Path

import pytest
from support.configs import write_config
from support.daemon import REPO, SITE, DaemonProc
from support.receivers import JsonReceiver, wait_until

from healthcheck.storage.state import StateDB

pytestmark = pytest.mark.slow

ALERT_ID_RE = re.compile(r"^Alert id: (\w+)$", re.MULTILINE)
LIBFAKETIME = next(
    (
        p
        for p in (
            "/usr/lib/x86_64-linux-gnu/faketime/libfaketimeMT.so.1",
            "/usr/lib/aarch64-linux-gnu/faketime/libfaketimeMT.so.1",
            "/usr/lib/faketime/libfaketimeMT.so.1",
        )
        if os.path.exists(p)
    ),
    None,
)
# (fault, the check it breaks) for the episodes of the kill -9 test
EPISODE_FAULTS = [
    ("hedge_mode", "position_mode"),
    ("margin_critical", "balance"),
    ("quant_locked", "trading_status"),
]


# ----------------------------------------------------------------------------------- helpers


class LiveJsonReceiver(JsonReceiver):
    """A ``json://`` receiver that takes a message only if its sender is still connected when
    the answer is due, as a real server whose 200 the sender never read would not count.

    ``messages`` therefore holds exactly what a sender could have seen answered 200;
    ``abandoned`` holds the bodies of requests whose sender died while the receiver was hanging;
    ``inflight`` is the number of requests being handled (hanging) right now.
    """

    def __init__(self) -> None:
        super().__init__()
        self.abandoned: list[bytes] = []
        self.inflight = 0
        self._conn = threading.local()
        owner = self
        base = self._server.RequestHandlerClass

        class Handler(base):  # type: ignore[misc, valid-type]
            def do_POST(self) -> None:  # noqa: N802 (http.server API)
                owner._conn.sock = self.connection
                with owner.lock:
                    owner.inflight += 1
                try:
                    super().do_POST()
                finally:
                    with owner.lock:
                        owner.inflight -= 1

        self._server.RequestHandlerClass = Handler

    def handle(self, path: str, headers: dict[str, str], raw: bytes) -> tuple[int, object]:
        if _peer_closed(self._conn.sock):
            with self.lock:
                self.abandoned.append(raw)
            return 503, {"error": "sender gone"}
        return super().handle(path, headers, raw)

    def hang(self) -> None:
        with self.lock:
            self.hang_seconds = 120.0

    def recover(self) -> None:
        with self.lock:
            self.hang_seconds = 0.0
        self.release_hangs()


def _peer_closed(sock: socket.socket) -> bool:
    try:
        readable, _, _ = select.select([sock], [], [], 0)
        return bool(readable) and sock.recv(1, socket.MSG_PEEK) == b""
    except OSError:
        return True


def alert_ids(messages: list[dict]) -> list[str]:
    ids = []
    for m in messages:
        found = ALERT_ID_RE.search(str(m.get("message", "")))
        assert found, m
        ids.append(found.group(1))
    return ids


def titles(messages: list[dict]) -> list[str]:
    return [str(m["title"]) for m in messages]


def pending_rows(state_dir: Path) -> int:
    """Outbox rows not delivered yet, read from the daemon's database while it runs."""
    con = sqlite3.connect(state_dir / "state.db", timeout=5)
    try:
        return int(
            con.execute(
                "SELECT count(*) FROM outbox WHERE delivered_at IS NULL AND dropped_at IS NULL"
            ).fetchone()[0]
        )
    except sqlite3.OperationalError:  # not created yet
        return -1
    finally:
        con.close()


def _drop_dac_override() -> None:
    """In the child before exec: drop the capabilities that let root ignore file permissions
    (CAP_DAC_OVERRIDE, CAP_DAC_READ_SEARCH, CAP_FOWNER) from the bounding set, so the daemon, still
    uid 0 and able to read the interpreter under /root, is refused a 0500 directory like any user.
    (Switching to "nobody" is not possible here: the interpreter lives under a 0700 /root.)"""
    if os.geteuid() != 0:
        return  # an ordinary user obeys file permissions anyway
    libc = ctypes.CDLL(None, use_errno=True)
    for cap in (1, 2, 3):
        if libc.prctl(24, cap, 0, 0, 0) != 0:  # PR_CAPBSET_DROP
            raise OSError(ctypes.get_errno(), "prctl(PR_CAPBSET_DROP)")


class NoOverrideDaemon(DaemonProc):
    """DaemonProc whose process obeys file permissions although it runs as root."""

    def start(self) -> NoOverrideDaemon:
        env = {
            k: v
            for k, v in os.environ.items()
            if k
            not in (
                "NOTIFY_SOCKET",
                "WATCHDOG_USEC",
                "WATCHDOG_PID",
                "CREDENTIALS_DIRECTORY",
                "STATE_DIRECTORY",
            )
        }
        env["PYTHONPATH"] = os.pathsep.join([str(SITE), str(REPO), env.get("PYTHONPATH", "")])
        env.update(self.extra_env)
        self._log = open(self.log_path, "ab")  # noqa: SIM115 - kept open for the process
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "healthcheck", "run", "--config", str(self.config)],
            stdout=self._log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            env=env,
            preexec_fn=_drop_dac_override,
        )
        return self


@pytest.fixture
def world(sim, ntp_servers):
    """The simulator with one account and limits that a minute of 1 s runs cannot exhaust
    (the default 10 % budget of 2,400 would skip checks after ~5 s of runs)."""
    sim.limits.update({g: 10_000_000 for g in sim.limits})
    account = sim.add_account("main")
    return sim, account, ntp_servers


@pytest.fixture
def receiver():
    with LiveJsonReceiver() as r:
        yield r


@pytest.fixture
def daemons():
    procs: list[DaemonProc] = []
    yield procs
    for d in procs:
        if d.proc is not None and d.proc.poll() is None:
            d.kill()


def write_daemon_config(
    path: Path, world, receiver, state_dir: Path, checks=None, **alerts
) -> Path:
    sim, account, ntp = world
    section = {
        "urls": [receiver.url],
        "failure_threshold": 1,
        "repeat_interval": 7200,
        "retry_backoff_max": 1,
        "delivery_timeout": 5,
    }
    section.update(alerts)
    return write_config(
        path,
        sim_url=sim.url,
        accounts=[{"name": "main", "api_key": account.api_key, "api_secret": account.api_secret}],
        ntp=[r.server_string for r in ntp],
        state_dir=state_dir,
        sections={"alerts": section, "checks": checks or {}},
    )


def mount_tmpfs(path: Path, options: str) -> None:
    path.mkdir(parents=True, exist_ok=True)
    out = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", options, "tmpfs", str(path)], capture_output=True, text=True
    )
    if out.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {out.stderr.strip()}")


def umount(path: Path) -> None:
    subprocess.run(["umount", "-l", str(path)], capture_output=True)


def episode(sim, receiver, daemon, fault: str, n_before: int = 0) -> None:
    """(Break,) get one alert, fix, get one resolved notice, through a running daemon."""
    if not any(f["name"] == fault for f in sim.faults):
        sim.set_fault(fault, account="main")
    assert wait_until(lambda: len(receiver.messages) >= n_before + 1, 20), daemon.log[-3000:]
    daemon.wait_more_runs(1)
    sim.clear_fault(fault)
    assert wait_until(lambda: len(receiver.messages) >= n_before + 2, 20), daemon.log[-3000:]
    daemon.wait_more_runs(2)
    got = titles(receiver.messages)
    assert len(got) == n_before + 2, got
    assert got[-2].startswith("[CRITICAL] main:") and got[-1].startswith("[RESOLVED] main:"), got


# -------------------------------------------------------------------------------- kill -9


def test_kill_9_mid_run_and_mid_delivery_loses_and_duplicates_no_alert(
    world, receiver, daemons, tmp_path
):
    sim, _, _ = world
    seed = int(os.environ.get("BHC_FAULT_SEED") or random.SystemRandom().randrange(10**6))
    print(f"kill -9 test seed: {seed} (BHC_FAULT_SEED={seed} replays it)")
    rng = random.Random(seed)
    state_dir = tmp_path / "state"
    # two bad runs to alert: a kill can also land between them (the count must survive)
    config = write_daemon_config(
        tmp_path / "config.toml", world, receiver, state_dir, failure_threshold=2
    )
    sim.latency_ms = 250  # a run takes ~0.55 s of every 1 s tick: most instants are mid-run
    starts = 0

    def start() -> DaemonProc:
        nonlocal starts
        starts += 1
        d = DaemonProc(config, tmp_path / f"daemon-{starts}.log").start()
        daemons.append(d)
        return d

    kills: list[tuple[str, str, float]] = []  # (phase, where it landed, delay)

    def kill(d: DaemonProc, phase: str, how: str) -> None:
        """Kill -9 at a random instant of the kind ``how`` ("run" or "delivery")."""
        if how == "delivery":  # the message is at the receiver, which has not answered yet
            assert wait_until(lambda: receiver.inflight > 0, 20), d.log[-3000:]
            delay = rng.uniform(0.0, 0.8)
        else:  # some time after the flip, at an instant where a request to Binance is open
            delay = rng.uniform(0.0, 1.8)
        time.sleep(delay)
        if how == "run":
            assert wait_until(
                lambda: sim.requests and time.time() - sim.requests[-1].ts < 0.1, 10
            ), d.log[-3000:]
        mid_run = bool(sim.requests) and time.time() - sim.requests[-1].ts < 0.3
        mid_delivery = receiver.inflight > 0
        d.kill()
        time.sleep(0.05)  # the kernel has closed its sockets; let the receiver see it
        receiver.release_hangs()  # its unanswered messages are abandoned, not taken
        assert wait_until(lambda: receiver.inflight == 0, 5)
        where = "+".join(w for w, on in (("run", mid_run), ("delivery", mid_delivery)) if on)
        kills.append((phase, where or "between", round(delay, 2)))

    def settle(d: DaemonProc, expected: int) -> None:
        """Let the channel answer again; wait for the message and the outbox to drain."""
        receiver.recover()
        assert wait_until(lambda: len(receiver.messages) >= expected, 20), d.log[-3000:]
        assert wait_until(lambda: pending_rows(state_dir) == 0, 10), d.log[-3000:]

    episodes = int(os.environ.get("BHC_KILL_EPISODES") or 3)  # ~15 s and ~3 kills each
    d = start()
    d.wait_runs(1)
    for n in range(episodes):
        fault, check = EPISODE_FAULTS[n % len(EPISODE_FAULTS)]
        for phase, flip in (("alert", sim.set_fault), ("resolved", sim.clear_fault)):
            receiver.hang()  # the channel is down: nothing is accepted while we kill
            if phase == "alert":
                flip(fault, account="main")
            else:
                flip(fault)
            kill(
                d,
                phase,
                rng.choice(("run", "delivery"))
                if n
                else ("run" if phase == "alert" else "delivery"),
            )
            d = start()
            if rng.random() < 0.4:  # sometimes kill the restarted one mid-delivery too
                kill(d, phase, "delivery")
                d = start()
            settle(d, 2 * n + (1 if phase == "alert" else 2))
        print(f"episode {n} ({fault}): kills so far {kills}")
    d.wait_more_runs(2)
    assert d.stop() == 0
    msgs = receiver.messages
    got = titles(msgs)
    print(
        f"{starts} daemon starts, {len(kills)} kills, {len(receiver.abandoned)} abandoned "
        f"deliveries, messages: {got}"
    )
    # every episode: exactly one alert then exactly one resolved notice, for its check
    assert len(msgs) == 2 * episodes, got
    for n in range(episodes):
        fault, check = EPISODE_FAULTS[n % len(EPISODE_FAULTS)]
        alert, resolved = msgs[2 * n], msgs[2 * n + 1]
        assert alert["title"].startswith("[CRITICAL] main:") and check in alert["title"], got
        assert resolved["title"] == f"[RESOLVED] main: {check}", got
    ids = alert_ids(msgs)
    assert len(set(ids)) == len(ids), Counter(ids)
    # the kills did land where they were meant to: mid-run and mid-delivery both happened, and
    # deliveries cut off by a kill were really abandoned, then sent again by the next daemon
    assert any("run" in where for _, where, _ in kills), kills
    assert any("delivery" in where for _, where, _ in kills), kills
    abandoned_ids = set(alert_ids([json.loads(b) for b in receiver.abandoned]))
    assert abandoned_ids and abandoned_ids <= set(ids), (abandoned_ids, ids)


# ------------------------------------------------------------------- state directory faults


@pytest.mark.parametrize("how", ["chmod-0500", "read-only-mount"])
def test_read_only_state_dir_logs_clearly_and_keeps_checking_and_alerting(
    world, receiver, daemons, tmp_path, how
):
    sim, _, _ = world
    state_dir = tmp_path / "state"
    config = write_daemon_config(tmp_path / "config.toml", world, receiver, state_dir)
    if how == "chmod-0500":
        # a database from an earlier run, then the directory and the file made read-only
        StateDB.open(state_dir).close()
        for p in state_dir.iterdir():
            p.chmod(0o400)
        state_dir.chmod(0o500)
        sim.set_fault("hedge_mode", account="main")
        d = NoOverrideDaemon(config, tmp_path / "daemon.log").start()
    else:
        mount_tmpfs(state_dir, "ro,size=1m")
        sim.set_fault("hedge_mode", account="main")
        d = DaemonProc(config, tmp_path / "daemon.log").start()
    daemons.append(d)
    try:
        d.wait_runs(1)
        # a read-only mount is named as such (not "not writable by this user")
        what = "is not writable" if how == "chmod-0500" else "is on a read-only file system"
        assert re.search(
            rf"state directory {re.escape(str(state_dir))} {what}.*"
            r"running without persistent state",
            d.log,
        ), d.log
        episode(sim, receiver, d, "hedge_mode", 0)
        assert d.stop() == 0
        assert "Traceback" not in d.log, d.log
    finally:
        if how == "read-only-mount":
            if d.proc is not None and d.proc.poll() is None:
                d.kill()
            umount(state_dir)
        else:
            state_dir.chmod(0o700)


def test_state_dir_filling_up_while_running_logs_once_and_loses_no_alert(
    world, receiver, daemons, tmp_path
):
    sim, _, _ = world
    state_dir = tmp_path / "state"
    mount_tmpfs(state_dir, "size=2m,mode=0700")
    try:
        config = write_daemon_config(tmp_path / "config.toml", world, receiver, state_dir)
        d = DaemonProc(config, tmp_path / "daemon.log").start()
        daemons.append(d)
        d.wait_runs(1)
        # the alert is queued on disk and on its way when the disk fills up: marking it
        # delivered is the first write that fails
        receiver.hang()
        sim.set_fault("hedge_mode", account="main")
        assert wait_until(lambda: receiver.inflight > 0, 20), d.log[-3000:]
        filler = state_dir / "filler"
        fd = os.open(filler, os.O_WRONLY | os.O_CREAT, 0o600)
        try:
            with pytest.raises(OSError, match="No space left"):
                while True:
                    os.write(fd, b"\0" * 65536)
        finally:
            os.close(fd)
        receiver.recover()
        assert wait_until(lambda: len(receiver.messages) == 1, 10), d.log[-3000:]
        d.wait_more_runs(2)
        assert len(receiver.messages) == 1, titles(receiver.messages)  # not re-sent every pass
        sim.clear_fault("hedge_mode")
        assert wait_until(lambda: len(receiver.messages) == 2, 10), d.log[-3000:]
        d.wait_more_runs(2)
        got = titles(receiver.messages)
        assert got == ["[CRITICAL] main: position_mode", "[RESOLVED] main: position_mode"], got
        errors = [line for line in d.log.splitlines() if line.startswith("ERROR")]
        assert len(errors) == 1, errors
        assert "disk is full" in errors[0] and "keeping state in memory" in errors[0], errors
        # space again: what was kept in memory reaches the file when the daemon stops
        filler.unlink()
        assert d.stop() == 0
        assert "writes work again" in d.log, d.log[-3000:]
        assert pending_rows(state_dir) == 0
        con = sqlite3.connect(state_dir / "state.db")
        (data,) = con.execute(
            "SELECT data FROM check_state WHERE check_id = 'position_mode'"
        ).fetchone()
        delivered = con.execute(
            "SELECT count(*) FROM outbox WHERE delivered_at IS NOT NULL"
        ).fetchone()[0]
        con.close()
        assert '"last_status":"OK"' in data and delivered == 2
        assert "Traceback" not in d.log
    finally:
        for d in daemons:
            if d.proc is not None and d.proc.poll() is None:
                d.kill()
        umount(state_dir)


def test_corrupt_state_database_is_moved_aside_and_the_daemon_alerts(
    world, receiver, daemons, tmp_path
):
    sim, _, _ = world
    state_dir = tmp_path / "state"
    state_dir.mkdir(mode=0o700)
    (state_dir / "state.db").write_bytes(os.urandom(64) + b"not a database, garbage " * 400)
    config = write_daemon_config(tmp_path / "config.toml", world, receiver, state_dir)
    sim.set_fault("hedge_mode", account="main")
    d = DaemonProc(config, tmp_path / "daemon.log").start()
    daemons.append(d)
    d.wait_runs(1)
    aside = [
        p for p in state_dir.glob("state.db.corrupt-*") if not p.name.endswith(("-wal", "-shm"))
    ]
    assert len(aside) == 1, list(state_dir.iterdir())
    assert b"garbage" in aside[0].read_bytes()
    warnings = [line for line in d.log.splitlines() if line.startswith("WARNING")]
    assert any("is unusable" in w and aside[0].name in w for w in warnings), d.log
    assert f"state in {state_dir / 'state.db'}" in d.log  # carries on with a fresh file
    episode(sim, receiver, d, "hedge_mode", 0)
    assert d.stop() == 0
    assert pending_rows(state_dir) == 0


# ------------------------------------------------------------------------------ clock steps


@pytest.mark.skipif(LIBFAKETIME is None, reason="libfaketime not installed (apt: faketime)")
def test_wall_clock_step_back_and_forward_an_hour_keeps_the_pace_and_repeats_no_alert(
    world, receiver, daemons, tmp_path
):
    sim, _, ntp = world
    stamp = tmp_path / "faketime"  # libfaketime re-reads the offset from here at every call
    stamp.write_text("+0\n")
    # the clock check would rightly alert about a daemon an hour off NTP; that is not what this
    # test is about (the other checks' signed requests use Binance's time, which follows the
    # step below); two bad runs to alert, so a run straddling the step cannot alert alone
    config = write_daemon_config(
        tmp_path / "config.toml",
        world,
        receiver,
        tmp_path / "state",
        checks={"clock": {"enabled": False}},
        failure_threshold=2,
    )
    sim.set_fault("hedge_mode", account="main")
    d = DaemonProc(
        config,
        tmp_path / "daemon.log",
        env={
            "LD_PRELOAD": str(LIBFAKETIME),
            "FAKETIME_TIMESTAMP_FILE": str(stamp),
            "FAKETIME_NO_CACHE": "1",
            "FAKETIME_DONT_FAKE_MONOTONIC": "1",
            # libfaketime's "monotonic fix" shifts the GIL's monotonic condition-variable waits
            # by the fake offset: after a -1 h step the interpreter stalls (a harness artifact)
            "FAKETIME_FORCE_MONOTONIC_FIX": "0",
            "PYTHONFAULTHANDLER": "1",
        },
    ).start()
    daemons.append(d)
    assert wait_until(lambda: len(receiver.messages) == 1, 20), d.log[-3000:]
    d.wait_more_runs(1)
    # the daemon's wall clock jumps (its monotonic clock does not); Binance and the NTP
    # servers jump with it, so any alert after this would be the step's fault
    for n, offset in enumerate((-3600, 0), start=1):  # an hour back, then an hour forward
        stamp.write_text(f"{offset:+d}\n")
        sim.clock_offset_ms = offset * 1000.0
        for r in ntp:
            r.offset = float(offset)
        assert wait_until(lambda n=n: d.log.count("wall clock stepped by") == n, 5), d.log[-3000:]
        seen = float(re.findall(r"wall clock stepped by ([+-]?\d+) s", d.log)[-1])
        assert abs(seen - (-3600 if n == 1 else 3600)) < 10, seen
        before = d.runs()
        time.sleep(3.5)
        after = d.runs()
        if after - before < 2:  # stalled: SIGABRT makes faulthandler log every thread's stack
            d.signal(signal.SIGABRT)
            time.sleep(1)
            pytest.fail(f"no runs for 3.5 s after a {offset:+d} s step:\n{d.log[-30000:]}")
        assert after - before <= 5, (offset, before, after)  # every second: no burst either
        assert len(receiver.messages) == 1, titles(receiver.messages)  # nothing repeated
    sim.clear_fault("hedge_mode")
    assert wait_until(lambda: len(receiver.messages) == 2, 10), d.log[-3000:]
    d.wait_more_runs(2)
    assert d.stop() == 0
    got = titles(receiver.messages)
    assert got == ["[CRITICAL] main: position_mode", "[RESOLVED] main: position_mode"], got
    ids = alert_ids(receiver.messages)
    assert len(set(ids)) == 2
    assert d.log.count("wall clock stepped by") == 2, d.log
    assert "Traceback" not in d.log
