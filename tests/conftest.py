"""Shared fixtures: loopback alert receivers (see tests/support/receivers.py)."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from support.configs import write_config
from support.daemon import DaemonProc
from support.receivers import JsonReceiver, SmtpReceiver, TelegramFake


@pytest.fixture
def json_receiver() -> Iterator[JsonReceiver]:
    with JsonReceiver() as receiver:
        yield receiver


@pytest.fixture
def smtp_receiver() -> Iterator[SmtpReceiver]:
    with SmtpReceiver() as receiver:
        yield receiver


@pytest.fixture
def telegram_fake(monkeypatch: pytest.MonkeyPatch) -> Iterator[TelegramFake]:
    """A fake Bot API; apprise's documented endpoint attribute is pointed at it meanwhile."""
    from apprise.plugins.telegram import NotifyTelegram

    with TelegramFake() as fake:
        monkeypatch.setattr(NotifyTelegram, "notify_url", fake.api_base)
        yield fake


# --------------------------------------------------------------------- Binance simulator & CLI

REPO = Path(__file__).resolve().parent.parent


@pytest.fixture
def sim():
    from healthcheck.simulator import Simulator

    with Simulator() as s:
        yield s


@pytest.fixture
def ntp_servers():
    from healthcheck.simulator import NtpResponder

    responders = [NtpResponder() for _ in range(3)]
    for r in responders:
        r.start()
    yield responders
    for r in responders:
        r.stop()


@pytest.fixture
def make_config(tmp_path, sim, ntp_servers):
    """Return a function(account knobs..., sections=...) -> config path for a fresh sim account."""

    def make(accounts=None, *, sections=None, mode=0o600, ntp=None, name="config.toml"):
        if accounts is None:
            acct = sim.add_account("main")
            accounts = [{"name": "main", "api_key": acct.api_key, "api_secret": acct.api_secret}]
        return write_config(
            tmp_path / name,
            sim_url=sim.url,
            accounts=accounts,
            ntp=[r.server_string for r in ntp_servers] if ntp is None else ntp,
            state_dir=tmp_path / "state",
            sections=sections,
            mode=mode,
        )

    return make


def run_cli(
    *args: str, env: dict | None = None, timeout: float = 90, input_text: str | None = None
) -> subprocess.CompletedProcess:
    """Run `python -m healthcheck ARGS` as a user would and capture everything it prints."""
    full_env = {
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
    full_env["PYTHONPATH"] = str(REPO) + os.pathsep + full_env.get("PYTHONPATH", "")
    full_env.update(env or {})
    return subprocess.run(
        [sys.executable, "-m", "healthcheck", *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        env=full_env,
        input=input_text,
        stdin=None if input_text is not None else subprocess.DEVNULL,
    )


@pytest.fixture
def cli():
    return run_cli


@pytest.fixture
def daemon_procs(tmp_path):
    """Return start(config, log_name="daemon.log", **DaemonProc kwargs) -> a running daemon
    subprocess; every daemon still running at the end of the test is killed."""
    procs: list[DaemonProc] = []

    def start(config, log_name: str = "daemon.log", **kwargs):
        d = DaemonProc(config, tmp_path / log_name, **kwargs).start()
        procs.append(d)
        return d

    yield start
    for d in procs:
        if d.proc is not None and d.proc.poll() is None:
            d.kill()


@pytest.fixture
def start_daemon(daemon_procs):
    return daemon_procs
