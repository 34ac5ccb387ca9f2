"""The service under a real systemd (issue 14): a Debian bookworm container booted with
``systemd-nspawn --boot`` (tests/support/nspawn.py), the project installed from wheels built on
the host, and the README's systemd section executed as written inside it.

The Binance side is the project's simulator and the alert destination a JSON receiver, both on
the host's 127.0.0.1, which the container shares. Needs root, systemd-nspawn and a root file
system (built once by packaging/nspawn/build-rootfs.sh, cached outside the repository); skipped
with the reason otherwise. The tests run in file order against one installed service.
"""

from __future__ import annotations

import os
import re
import secrets
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from support import nspawn
from support.configs import toml_value
from support.receivers import JsonReceiver, wait_until

REASON = nspawn.unavailable_reason()
pytestmark = [pytest.mark.systemd, pytest.mark.skipif(REASON is not None, reason=REASON or "")]

README = nspawn.REPO / "README.md"
UNIT_NAME = "binance-healthcheck.service"
CONFIG = "/etc/binance-healthcheck/config.toml"
STATE_DIR = "/var/lib/private/binance-healthcheck"
WORKDIR = "/root/install"  # where the README's relative paths (config.toml, packaging/) resolve
UNIT_TIMEOUT_STOP = 30.0  # TimeoutStopSec= of the shipped unit
MAX_EXPOSURE = 1.5
# A faster watchdog for the test (the shipped WatchdogSec=60s works the same way, only slower).
WATCHDOG_SEC = 6
RESTART_SEC = 1
# The README line that follows the journal forever; everything else in the block is executed.
FOLLOW_LINE = "journalctl -u binance-healthcheck -f"


def readme_block(marker: str) -> list[str]:
    """Return the commands of the README code block after ``<!-- marker: ...``, with backslash
    continuations joined and comment-only lines dropped."""
    text = README.read_text()
    at = text.index(f"<!-- {marker}:")
    start = text.index("```sh\n", at) + len("```sh\n")
    body = text[start : text.index("```", start)]
    commands: list[str] = []
    pending = ""
    for line in body.splitlines():
        if pending:
            line = pending + " " + line.strip()
            pending = ""
        if line.rstrip().endswith("\\"):
            pending = line.rstrip()[:-1].rstrip()
            continue
        if line.strip() and not line.lstrip().startswith("#"):
            commands.append(line.strip())
    assert not pending, "README block ends with a continuation"
    return commands


# ------------------------------------------------------------------ host side: simulator, receiver


@pytest.fixture(scope="module")
def sim() -> Iterator[Any]:
    from healthcheck.simulator import Simulator

    with Simulator() as s:
        yield s


@pytest.fixture(scope="module")
def ntp() -> Iterator[list[str]]:
    from healthcheck.simulator import NtpResponder

    responders = [NtpResponder() for _ in range(3)]
    for r in responders:
        r.start()
    yield [r.server_string for r in responders]
    for r in responders:
        r.stop()


@pytest.fixture(scope="module")
def receiver() -> Iterator[JsonReceiver]:
    with JsonReceiver() as r:
        yield r


@pytest.fixture(scope="module")
def secret_values(sim: Any, receiver: JsonReceiver) -> dict[str, str]:
    acct = sim.add_account("main")
    password = "pw" + secrets.token_hex(12)
    return {
        "binance-api-key": acct.api_key,
        "binance-api-secret": acct.api_secret,
        "apprise-urls": f"json://bhc:{password}@127.0.0.1:{receiver.port}/",
        "password": password,
    }


def config_text(
    sim: Any, ntp: list[str], *, accounts: tuple[str, ...] = ("main",), extra: str = ""
) -> str:
    """The service's config: no secret in it, only ${CREDENTIALS_DIRECTORY} paths."""
    # position_mode (weight 5) every second drives the alert tests; the rest once a minute. The
    # daemon's own weight budget (weight_budget_share of the IP's limit per minute) must not run
    # out during the module, or checks turn UNKNOWN (10 % of 2400 is less than 60 x 5).
    lines = [
        "[daemon]",
        "interval = 1",
        "request_timeout = 3",
        "weight_budget_share = 0.5",
        "",
        "[ntp]",
        f"servers = {toml_value(ntp)}",
        "timeout = 0.5",
        "",
        "[alerts]",
        'urls_file = "${CREDENTIALS_DIRECTORY}/apprise-urls"',
        "failure_threshold = 2",
        "repeat_interval = 3600",
        "retry_backoff_max = 1",
        "delivery_timeout = 30",
        "",
    ]
    for check in (
        "clock",
        "api_key",
        "position_mode",
        "trading_status",
        "balance",
        "rate_limit",
        "system_status",
    ):
        lines += [f"[checks.{check}]", f"interval = {1 if check == 'position_mode' else 60}", ""]
    for name in accounts:
        lines += [
            "[[accounts]]",
            f"name = {toml_value(name)}",
            'api_key_file = "${CREDENTIALS_DIRECTORY}/binance-api-key"',
            'api_secret_file = "${CREDENTIALS_DIRECTORY}/binance-api-secret"',
            'markets = ["spot", "usdm"]',
            f"spot_url = {toml_value(sim.url)}",
            f"futures_url = {toml_value(sim.url)}",
            "",
        ]
    return "\n".join(lines) + extra


# ------------------------------------------------------------------ the container


@pytest.fixture(scope="module")
def container(tmp_path_factory: pytest.TempPathFactory) -> Iterator[nspawn.Container]:
    tmp = tmp_path_factory.mktemp("nspawn")
    rootfs = nspawn.ensure_rootfs()
    wheel, deps = nspawn.build_wheels(tmp / "wheel")
    c = nspawn.Container(
        rootfs,
        f"bhc-test-{os.getpid()}",
        {wheel.parent: "/wheels/project", deps: "/wheels/deps"},
        tmp / "nspawn.log",
    )
    with c:
        # pip inside cannot verify the registry's TLS certificate: install only from the wheels
        c.path("/etc/pip.conf").write_text(
            "[global]\nno-index = true\nfind-links =\n    /wheels/project\n    /wheels/deps\n"
        )
        c.wheel = f"/wheels/project/{wheel.name}"
        yield c


def unit_prop(c: nspawn.Container, prop: str) -> str:
    return c.run("systemctl", "show", "-P", prop, UNIT_NAME).stdout.strip()


def journal(c: nspawn.Container, *args: str) -> str:
    return c.run("journalctl", "--no-pager", "-q", *args).stdout


def unit_log(c: nspawn.Container) -> str:
    return journal(c, "-u", UNIT_NAME, "-o", "cat")


def runs_logged(c: nspawn.Container) -> int:
    return len(re.findall(r"\brun \d+:", unit_log(c)))


def wait_more_runs(c: nspawn.Container, k: int, timeout: float = 40.0) -> None:
    target = runs_logged(c) + k
    assert wait_until(lambda: runs_logged(c) >= target, timeout, 0.5), unit_log(c)[-3000:]


@pytest.fixture(scope="module")
def installed(
    container: nspawn.Container, sim: Any, ntp: list[str], secret_values: dict[str, str]
) -> dict[str, subprocess.CompletedProcess[str]]:
    """Execute the README's install block; return each command's result by its text."""
    c = container
    work = c.path(WORKDIR)
    (work / "packaging" / "systemd").mkdir(parents=True)
    (work / "packaging" / "systemd" / UNIT_NAME).write_bytes(
        (nspawn.REPO / "packaging" / "systemd" / UNIT_NAME).read_bytes()
    )
    (work / "config.toml").write_text(config_text(sim, ntp))
    results: dict[str, subprocess.CompletedProcess[str]] = {}
    for command in readme_block("systemd-install"):
        if command.startswith(FOLLOW_LINE):
            continue
        stdin = None
        m = re.search(r"cat > /etc/binance-healthcheck/credstore/([a-z-]+)'", command)
        if m:
            stdin = secret_values[m.group(1)] + "\n"
        line = command.replace("/path/to/binance-healthcheck", c.wheel)
        proc = c.run(
            "/bin/sh", "-c", f"cd {WORKDIR} && {line}", input_text=stdin, timeout=240, check=False
        )
        assert proc.returncode == 0, f"README command failed: {command}\n{proc.stdout}{proc.stderr}"
        results[command] = proc
    return results


def _result(
    installed: dict[str, subprocess.CompletedProcess[str]], prefix: str
) -> subprocess.CompletedProcess[str]:
    return next(p for cmd, p in installed.items() if cmd.startswith(prefix))


# ------------------------------------------------------------------ tests


def test_readme_install_steps_start_the_service_after_its_first_run(
    container: nspawn.Container, installed: dict[str, subprocess.CompletedProcess[str]]
) -> None:
    c = container
    verify = _result(installed, "sudo systemd-analyze verify")
    assert verify.stdout + verify.stderr == ""
    # the live systemd 252 complains about nothing in the unit either
    pid1 = journal(c, "_PID=1", "-o", "cat").splitlines()
    assert not [
        line
        for line in pid1
        if "binance-healthcheck" in line
        and re.search(r"ignor|unknown|deprecat|insecure", line, re.I)
    ], pid1
    assert unit_prop(c, "ActiveState") == "active"
    assert unit_prop(c, "UnitFileState") == "enabled"
    # Type=notify: systemd calls it started only after READY=1, which follows the first run
    log = unit_log(c)
    first_run = re.search(r"\brun 1:", log)
    started = log.find("Started binance-healthcheck.service")
    if started < 0:
        started = log.find("Started Binance account health-check daemon")
    assert first_run and started > first_run.start(), log
    status = _result(installed, "systemctl status binance-healthcheck")
    assert re.search(r'Status: "1 account: all OK"', status.stdout), status.stdout
    assert unit_prop(c, "StatusText") == "1 account: all OK"
    # the README's reload at the end of the block went through (SIGHUP is handled between runs)
    assert wait_until(lambda: "configuration reloaded" in unit_log(c), 20, 0.3), unit_log(c)


def test_credentials_arrive_only_through_load_credential(
    container: nspawn.Container, installed: dict[str, Any], secret_values: dict[str, str]
) -> None:
    c = container
    # private 0400 copies owned by the service's dynamic user (61184-65519), not root
    main_pid = unit_prop(c, "MainPID")
    status = c.run("cat", f"/proc/{main_pid}/status").stdout
    uid = int(re.search(r"^Uid:\s+(\d+)", status, re.M).group(1))  # type: ignore[union-attr]
    assert 61184 <= uid <= 65519, uid
    creds = [
        line.split()
        for line in c.run(
            "sh", "-c", "stat -c '%n %a %u' /run/credentials/binance-healthcheck.service/*"
        ).stdout.splitlines()
    ]
    assert sorted(name.rsplit("/", 1)[-1] for name, _, _ in creds) == [
        "apprise-urls",
        "binance-api-key",
        "binance-api-secret",
    ]
    assert all(mode == "400" and owner == str(uid) for _, mode, owner in creds), creds
    # the key and secret really were used: signed checks pass against the simulator
    assert unit_prop(c, "StatusText") == "1 account: all OK"
    places: dict[str, bytes] = {
        "journal (all fields)": journal(c, "-o", "verbose").encode(),  # (not empty: below)
        "systemctl show": c.run("systemctl", "show", UNIT_NAME).stdout.encode(),
        "config": c.path(CONFIG).read_bytes(),
        "environment": c.run("cat", f"/proc/{main_pid}/environ").stdout.encode(),
    }
    state_files = [p for p in c.path(STATE_DIR).rglob("*") if p.is_file()]
    assert any(p.name.startswith("state.db") for p in state_files), state_files
    for p in state_files:
        places[f"state {p.name}"] = p.read_bytes()
    assert b"run 1:" in places["journal (all fields)"]
    for what, blob in places.items():
        for name, value in secret_values.items():
            assert value.encode() not in blob, f"{name} found in {what}"


def test_reload_rereads_the_config_and_refuses_a_broken_one(
    container: nspawn.Container, installed: dict[str, Any], sim: Any, ntp: list[str]
) -> None:
    c = container
    pid = unit_prop(c, "MainPID")
    good = c.path(CONFIG).read_text()
    c.path(CONFIG).write_text(config_text(sim, ntp, accounts=("main", "second")))
    c.run("systemctl", "reload", UNIT_NAME)
    assert wait_until(lambda: unit_prop(c, "StatusText").startswith("2 accounts"), 30, 0.3), (
        unit_log(c)[-2000:]
    )
    refused = unit_log(c).count("reload refused")
    c.path(CONFIG).write_text(good + "\nthis is not toml = = =\n")
    c.run("systemctl", "reload", UNIT_NAME)
    assert wait_until(lambda: unit_log(c).count("reload refused") > refused, 20, 0.3)
    wait_more_runs(c, 2)  # still running, on the old configuration
    assert unit_prop(c, "ActiveState") == "active"
    assert unit_prop(c, "MainPID") == pid
    assert unit_prop(c, "StatusText").startswith("2 accounts")
    c.path(CONFIG).write_text(good)
    c.run("systemctl", "reload", UNIT_NAME)
    assert wait_until(lambda: unit_prop(c, "StatusText").startswith("1 account:"), 30, 0.3)


def test_readme_check_and_notify_test_with_the_service_credentials(
    container: nspawn.Container,
    installed: dict[str, Any],
    receiver: JsonReceiver,
    secret_values: dict[str, str],
) -> None:
    c = container
    notify_cmd, check_cmd = readme_block("systemd-oneshot")
    assert " notify-test " in notify_cmd and " check " in check_cmd
    before = len(receiver.messages)
    notify = c.run("/bin/sh", "-c", notify_cmd, timeout=120, check=False)
    assert notify.returncode == 0, notify.stdout + notify.stderr
    assert notify.stdout.startswith("delivered"), notify.stdout
    assert wait_until(lambda: len(receiver.messages) == before + 1, 10)
    check = c.run("/bin/sh", "-c", check_cmd, timeout=120, check=False)
    assert check.returncode == 0, check.stdout + check.stderr
    assert "position_mode" in check.stdout and "OK" in check.stdout, check.stdout
    assert "warning" not in check.stderr, check.stderr  # the state directory was usable
    for value in secret_values.values():
        assert value not in notify.stdout + notify.stderr + check.stdout + check.stderr
    # `check` ran as the service's dynamic user: the state directory was not handed to another
    # UID, and the service is still fine
    status = c.run("cat", f"/proc/{unit_prop(c, 'MainPID')}/status").stdout
    uid = re.search(r"^Uid:\s+(\d+)", status, re.M).group(1)  # type: ignore[union-attr]
    assert c.run("stat", "-c", "%u", STATE_DIR).stdout.strip() == uid
    wait_more_runs(c, 1)
    assert unit_prop(c, "ActiveState") == "active"


def test_encrypted_credential_from_the_readme_step(
    container: nspawn.Container, installed: dict[str, Any]
) -> None:
    """The README's optional `systemd-creds encrypt` output, used with LoadCredentialEncrypted=
    (host key only: no TPM here), gives the service the same secret."""
    c = container
    encrypted = c.path("/etc/credstore.encrypted/binance-api-secret")
    plain = c.path("/etc/binance-healthcheck/credstore/binance-api-secret").read_bytes()
    assert plain.strip() and plain.strip() not in encrypted.read_bytes()
    dropin = c.path(f"/etc/systemd/system/{UNIT_NAME}.d/40-encrypted.conf")
    dropin.parent.mkdir(exist_ok=True)
    dropin.write_text(
        "[Service]\nLoadCredential=\n"
        "LoadCredential=binance-api-key:/etc/binance-healthcheck/credstore/binance-api-key\n"
        "LoadCredential=apprise-urls:/etc/binance-healthcheck/credstore/apprise-urls\n"
        "LoadCredentialEncrypted=binance-api-secret:/etc/credstore.encrypted/binance-api-secret\n"
    )
    try:
        c.run("systemctl", "daemon-reload")
        c.run("systemctl", "restart", UNIT_NAME, timeout=120)
        assert "LoadCredentialEncrypted" in c.run("systemctl", "cat", UNIT_NAME).stdout
        # signed requests only pass with the right secret
        assert unit_prop(c, "StatusText") == "1 account: all OK", unit_log(c)[-2000:]
    finally:
        dropin.unlink()
        c.run("systemctl", "daemon-reload")
        c.run("systemctl", "restart", UNIT_NAME, timeout=120)


def test_live_security_exposure(container: nspawn.Container, installed: dict[str, Any]) -> None:
    proc = container.run("systemd-analyze", "security", "--no-pager", UNIT_NAME, check=False)
    m = re.search(r"Overall exposure level for \S+: (\d+(?:\.\d+)?)", proc.stdout + proc.stderr)
    assert m, proc.stdout + proc.stderr
    print(f"live systemd-analyze security: {m.group(1)}")
    assert float(m.group(1)) <= MAX_EXPOSURE, proc.stdout


def test_watchdog_restarts_a_stalled_daemon_and_nothing_is_sent_twice(
    container: nspawn.Container, installed: dict[str, Any], sim: Any, receiver: JsonReceiver
) -> None:
    c = container
    dropin = c.path(f"/etc/systemd/system/{UNIT_NAME}.d/50-test-timing.conf")
    dropin.parent.mkdir(exist_ok=True)
    dropin.write_text(f"[Service]\nWatchdogSec={WATCHDOG_SEC}s\nRestartSec={RESTART_SEC}s\n")
    c.run("systemctl", "daemon-reload")
    c.run("systemctl", "restart", UNIT_NAME, timeout=120)
    before = len(receiver.messages)
    sim.set_fault("hedge_mode", account="main")
    assert wait_until(lambda: len(receiver.messages) == before + 1, 40, 0.2), unit_log(c)[-3000:]
    assert receiver.messages[-1]["title"].startswith("[CRITICAL] main:")
    wait_more_runs(c, 1)  # the delivery is recorded in the state database
    pid, restarts = unit_prop(c, "MainPID"), int(unit_prop(c, "NRestarts"))
    c.run("systemctl", "kill", "--kill-who=main", "--signal=SIGSTOP", UNIT_NAME)
    t0 = time.monotonic()
    assert wait_until(lambda: "atchdog timeout" in unit_log(c), WATCHDOG_SEC + 10, 0.2), unit_log(
        c
    )[-3000:]
    killed_after = time.monotonic() - t0
    assert wait_until(
        lambda: (
            unit_prop(c, "MainPID") not in ("0", pid) and unit_prop(c, "ActiveState") == "active"
        ),
        60,
        0.3,
    ), unit_log(c)[-3000:]
    assert int(unit_prop(c, "NRestarts")) == restarts + 1
    assert killed_after <= WATCHDOG_SEC + 5, killed_after
    print(
        f"watchdog: stalled daemon killed after {killed_after:.1f} s (WatchdogSec={WATCHDOG_SEC})"
    )
    wait_more_runs(c, 3)
    assert len(receiver.messages) == before + 1, [m["title"] for m in receiver.messages]


def test_stop_with_a_hanging_channel_and_the_alert_waits_for_the_next_start(
    container: nspawn.Container, installed: dict[str, Any], sim: Any, receiver: JsonReceiver
) -> None:
    c = container
    if unit_prop(c, "ActiveState") != "active":
        c.run("systemctl", "start", UNIT_NAME, timeout=120)
    sim.set_fault("hedge_mode", account="main")  # (still on after the watchdog test)
    delivered = len(receiver.messages)
    # the channel accepts the connection and never answers (the late answer would be a 500)
    receiver.fail_status = 500
    receiver.hang_seconds = 600
    hits = receiver.hits
    sim.clear_fault("hedge_mode")  # -> a RESOLVED alert the daemon tries to deliver
    try:
        assert wait_until(lambda: receiver.hits > hits, 40, 0.2), unit_log(c)[-3000:]
        t0 = time.monotonic()
        c.run("systemctl", "stop", UNIT_NAME, timeout=UNIT_TIMEOUT_STOP + 60)
        took = time.monotonic() - t0
        result = unit_prop(c, "Result")
    finally:
        receiver.hang_seconds = 0
        receiver.release_hangs()
        receiver.fail_status = None
    print(f"systemctl stop with a hanging channel: {took:.1f} s, Result={result}")
    assert took < UNIT_TIMEOUT_STOP and result == "success", (took, result, unit_log(c)[-3000:])
    assert len(receiver.messages) == delivered
    c.run("systemctl", "start", UNIT_NAME, timeout=120)
    assert wait_until(lambda: len(receiver.messages) == delivered + 1, 40, 0.2), unit_log(c)[-3000:]
    assert receiver.messages[-1]["title"].startswith("[RESOLVED] main:")
    wait_more_runs(c, 2)
    assert len(receiver.messages) == delivered + 1


# ------------------------------------------------------------------ the bot-log watcher (issue 10)

BOT_LINE = "binance.exceptions.BinanceAPIException: APIError(code=-2019): Margin is insufficient."
WATCH_BLOCK = '\n[[watch]]\naccount = "main"\nunit = "fake-bot.service"\nwindow = 300\n'


def _watcher_reason(sim: Any, ntp: list[str], tmp_path: Path) -> str | None:
    """None when this tree's `config validate` accepts a [[watch]] table with a unit source."""
    cfg = tmp_path / "watch.toml"
    cfg.write_text(config_text(sim, ntp, extra=WATCH_BLOCK))
    env = {
        "PATH": "/usr/bin:/bin",
        "PYTHONPATH": str(nspawn.REPO),
        "CREDENTIALS_DIRECTORY": str(tmp_path),
    }
    for name in ("binance-api-key", "binance-api-secret", "apprise-urls"):
        (tmp_path / name).write_text("x" * 64 if name != "apprise-urls" else "json://127.0.0.1/")
        (tmp_path / name).chmod(0o600)
    proc = subprocess.run(
        [sys.executable, "-m", "healthcheck", "config", "validate", "--config", str(cfg)],
        capture_output=True,
        text=True,
        env=env,
        stdin=subprocess.DEVNULL,
        timeout=60,
        check=False,
    )
    if proc.returncode != 0:
        return (
            "the bot-log watcher ([[watch]] with unit =, issue 10) is not in this tree yet: "
            f"config validate says {(proc.stdout + proc.stderr).strip()[:200]}"
        )
    return None


def test_bot_log_watcher_reads_a_units_journal(
    container: nspawn.Container,
    installed: dict[str, Any],
    sim: Any,
    ntp: list[str],
    receiver: JsonReceiver,
    tmp_path: Path,
) -> None:
    reason = _watcher_reason(sim, ntp, tmp_path)
    if reason:
        pytest.skip(reason)
    c = container
    # a bot that logs a Binance error to its journal every 2 s
    c.path("/etc/systemd/system/fake-bot.service").write_text(
        "[Unit]\nDescription=a trading bot that logs Binance errors\n\n[Service]\n"
        f"ExecStart=/bin/sh -c 'while :; do echo \"{BOT_LINE}\"; sleep 2; done'\n"
    )
    # reading another unit's journal needs the systemd-journal group
    dropin = c.path(f"/etc/systemd/system/{UNIT_NAME}.d/60-journal.conf")
    dropin.parent.mkdir(exist_ok=True)
    dropin.write_text("[Service]\nSupplementaryGroups=systemd-journal\n")
    good = c.path(CONFIG).read_text()
    c.path(CONFIG).write_text(good + WATCH_BLOCK)
    try:
        c.run("systemctl", "daemon-reload")
        c.run("systemctl", "restart", UNIT_NAME, timeout=120)
        before = len(receiver.messages)
        c.run("systemctl", "start", "fake-bot.service")
        assert wait_until(
            lambda: any("bot_errors" in m["title"] for m in receiver.messages[before:]), 60, 0.3
        ), unit_log(c)[-3000:]
        alert = next(m for m in receiver.messages[before:] if "bot_errors" in m["title"])
        assert "-2019" in alert["message"], alert
    finally:
        c.run("systemctl", "stop", "fake-bot.service", check=False)
        c.path(CONFIG).write_text(good)
        dropin.unlink()
        c.run("systemctl", "daemon-reload")


def test_bot_alive_reports_the_watched_units_state_under_a_real_systemd(
    container: nspawn.Container,
    installed: dict[str, Any],
    sim: Any,
    ntp: list[str],
    secret_values: dict[str, str],
) -> None:
    """A `[[watch]] unit =` source: bot_alive reads the bot's unit from the real systemd (the
    README's one-shot `check` with the service's credentials, run as root): OK while it runs,
    CRITICAL naming `inactive (dead)` once it is stopped (issue 18). Run as the service's
    DynamicUser=, `systemctl show` is refused by the system bus here ("Transport endpoint is not
    connected", also with nss-systemd installed) and bot_alive says UNKNOWN with that reason:
    docs/watching-logs.md says so."""
    c = container
    c.path("/etc/systemd/system/fakebot.service").write_text(
        "[Unit]\nDescription=a trading bot stand-in\n\n[Service]\nExecStart=/bin/sleep infinity\n"
    )
    c.run("systemctl", "daemon-reload")
    c.run("systemctl", "start", "fakebot.service")
    watch = '\n[[watch]]\naccount = "main"\nunit = "fakebot.service"\n'
    c.path("/etc/binance-healthcheck/bot-alive.toml").write_text(config_text(sim, ntp) + watch)
    _, check_cmd = readme_block("systemd-oneshot")
    cmd = check_cmd.replace(
        "/etc/binance-healthcheck/config.toml", "/etc/binance-healthcheck/bot-alive.toml"
    ).replace("-p DynamicUser=yes -p User=binance-healthcheck ", "")
    assert "DynamicUser" not in cmd
    cmd += " --only bot_alive --json"

    def bot_alive() -> dict[str, Any]:
        import json

        p = c.run("/bin/sh", "-c", cmd, timeout=120, check=False)
        for value in secret_values.values():
            assert value not in p.stdout + p.stderr
        doc = json.loads(p.stdout)
        return next(r for r in doc["results"] if r["check"] == "bot_alive")

    running = bot_alive()
    assert running["status"] == "OK", running
    c.run("systemctl", "stop", "fakebot.service")
    stopped = bot_alive()
    assert stopped["status"] == "CRITICAL", stopped
    assert "fakebot.service" in stopped["summary"] and "inactive" in stopped["summary"], stopped
