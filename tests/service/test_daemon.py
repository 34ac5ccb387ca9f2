"""The daemon end to end: `binance-healthcheck run` as a subprocess with a 1 s interval against the
simulator, alerts through real apprise into a JSON receiver, an SMTP server and a Telegram fake.
"""

from __future__ import annotations

import json
import signal
import socket
import sqlite3
import time

import pytest
from support.daemon import DaemonProc
from support.receivers import HttpReceiver, JsonReceiver, SmtpReceiver, TelegramFake, wait_until

pytestmark = pytest.mark.slow

# Every check every second (tests/support/configs.py) costs ~1400 /fapi weight a minute: 6 times
# the daemon's default budget (10 % of 2400). With it, /fapi requests were skipped (checks
# UNKNOWN, then UNKNOWN alerts) from ~10 s after start, and a test that ran longer raced that.
# The budget itself is tested in test_rate_limit_discipline.py.
BUDGET_SHARE = 1.0


@pytest.fixture
def receivers():
    with JsonReceiver() as j, SmtpReceiver() as m, TelegramFake() as t, HttpReceiver() as hb:
        yield {"json": j, "smtp": m, "tg": t, "heartbeat": hb}


@pytest.fixture
def account(sim):
    return sim.add_account("main")


@pytest.fixture
def daemon_config(make_config, account, receivers):
    def make(**alerts):
        section = {
            "urls": [receivers["json"].url, receivers["smtp"].url, receivers["tg"].url],
            "failure_threshold": 2,
            "repeat_interval": 3600,
            "retry_backoff_max": 1,
            "delivery_timeout": 5,
        }
        section.update(alerts)
        return make_config(
            [{"name": "main", "api_key": account.api_key, "api_secret": account.api_secret}],
            sections={
                "alerts": section,
                "daemon": {
                    "heartbeat_url": receivers["heartbeat"].url + "/ping/abc",
                    "weight_budget_share": BUDGET_SHARE,
                },
            },
        )

    return make


@pytest.fixture
def start_daemon(daemon_procs, receivers):
    return lambda config: daemon_procs(config, telegram_api=receivers["tg"].api_base)


def titles(receiver):
    return [m["title"] for m in receiver.messages]


def test_alert_once_then_resolved_on_every_channel(
    sim, daemon_config, start_daemon, receivers, account
):
    d = start_daemon(daemon_config())
    d.wait_runs(2)
    assert receivers["json"].messages == []  # healthy: nothing is sent, not even "all good"
    sim.set_fault("hedge_mode", account="main")
    assert wait_until(lambda: len(receivers["json"].messages) >= 1, 20), d.log
    d.wait_more_runs(3)  # still broken: no repeat within repeat_interval
    sim.clear_fault("hedge_mode")
    assert wait_until(lambda: len(receivers["json"].messages) >= 2, 20), d.log
    d.wait_more_runs(2)
    assert d.stop() == 0
    j = receivers["json"].messages
    assert len(j) == 2, titles(receivers["json"])
    assert j[0]["type"] == "failure" and j[0]["title"].startswith("[CRITICAL] main:")
    assert "position_mode" in j[0]["title"]
    assert "-4061" in j[0]["message"] and "Fix:" in j[0]["message"]
    assert j[1]["type"] == "success" and j[1]["title"].startswith("[RESOLVED] main:")
    assert wait_until(lambda: len(receivers["smtp"].messages) == 2, 5)
    assert "position_mode" in receivers["smtp"].messages[0].subject
    assert len(receivers["tg"].messages) == 2 and not receivers["tg"].rejected
    assert "-4061" in receivers["tg"].messages[0]["visible"]
    # the dead man's switch was pinged after runs, with /fail while the problem lasted
    paths = [r["path"] for r in receivers["heartbeat"].requests]
    assert "/ping/abc" in paths and "/ping/abc/fail" in paths


def test_restart_sends_nothing_already_sent(sim, daemon_config, start_daemon, receivers):
    config = daemon_config()
    sim.set_fault("hedge_mode", account="main")
    d = start_daemon(config)
    assert wait_until(lambda: len(receivers["json"].messages) == 1, 20), d.log
    assert d.stop() == 0
    d2 = start_daemon(config)
    d2.wait_runs(4)
    assert len(receivers["json"].messages) == 1, titles(receivers["json"])
    sim.clear_fault("hedge_mode")
    assert wait_until(lambda: len(receivers["json"].messages) == 2, 20)
    assert receivers["json"].messages[1]["title"].startswith("[RESOLVED]")
    d2.stop()


def test_alert_waits_in_outbox_while_channel_is_down(sim, daemon_config, start_daemon, receivers):
    receivers["json"].fail_status = 500
    sim.set_fault("hedge_mode", account="main")
    d = start_daemon(daemon_config())
    assert wait_until(lambda: receivers["json"].hits >= 2, 20), d.log  # retried
    assert receivers["json"].messages == []
    assert len(receivers["smtp"].messages) == 1  # the other channels were not held up
    receivers["json"].fail_status = None
    assert wait_until(lambda: len(receivers["json"].messages) == 1, 20), d.log
    d.wait_more_runs(2)
    d.stop()
    assert len(receivers["json"].messages) == 1  # delivered once, never twice
    assert len(receivers["smtp"].messages) == 1


def test_outbox_survives_restart_while_channel_is_down(sim, daemon_config, start_daemon, receivers):
    receivers["json"].fail_status = 500
    sim.set_fault("hedge_mode", account="main")
    config = daemon_config()
    d = start_daemon(config)
    assert wait_until(lambda: receivers["json"].hits >= 1, 20), d.log
    d.stop()
    receivers["json"].fail_status = None
    d2 = start_daemon(config)
    assert wait_until(lambda: len(receivers["json"].messages) == 1, 20), d2.log
    d2.wait_more_runs(2)
    d2.stop()
    assert len(receivers["json"].messages) == 1


def test_sigterm_exits_zero_within_seconds(daemon_config, start_daemon):
    d = start_daemon(daemon_config())
    d.wait_runs(1)
    t0 = time.monotonic()
    d.signal(signal.SIGTERM)
    assert d.stop(timeout=10) == 0
    assert time.monotonic() - t0 < 5
    assert "stopped after" in d.log


def test_sighup_reloads_and_bad_config_keeps_the_old(
    sim, daemon_config, start_daemon, receivers, account, make_config
):
    sim.set_fault("hedge_mode", account="main")
    config = daemon_config()
    d = start_daemon(config)
    assert wait_until(lambda: len(receivers["json"].messages) == 1, 20), d.log
    good = config.read_text()
    config.write_text(good + "\nthis is not toml = = =\n")
    d.signal(signal.SIGHUP)
    assert wait_until(lambda: "reload refused" in d.log, 10), d.log
    d.wait_more_runs(2)  # still running on the old config
    # the operator switched the bot to hedge mode on purpose: tell the daemon
    config.write_text(good.replace('name = "main"', 'name = "main"\nposition_mode = "hedge"'))
    d.signal(signal.SIGHUP)
    assert wait_until(lambda: "configuration reloaded" in d.log, 10), d.log
    assert wait_until(lambda: len(receivers["json"].messages) == 2, 20), d.log
    assert receivers["json"].messages[1]["title"].startswith("[RESOLVED]")
    assert d.stop() == 0


def test_min_status_routes_only_critical_to_telegram(sim, daemon_config, start_daemon, receivers):
    config = daemon_config(
        urls=[receivers["json"].url, {"url": receivers["tg"].url, "min_status": "CRITICAL"}]
    )
    sim.set_fault("margin_warning", account="main")
    d = start_daemon(config)
    assert wait_until(lambda: len(receivers["json"].messages) == 1, 20), d.log
    d.wait_more_runs(2)
    assert receivers["tg"].messages == []
    sim.set_fault("margin_critical", account="main")
    assert wait_until(lambda: len(receivers["tg"].messages) == 1, 20), d.log
    assert "CRITICAL" in receivers["tg"].messages[0]["visible"]
    d.stop()


def test_related_failures_go_out_as_one_message(sim, daemon_config, start_daemon, receivers):
    for fault in ("hedge_mode", "margin_critical", "quant_locked"):
        sim.set_fault(fault, account="main")
    d = start_daemon(daemon_config())
    assert wait_until(lambda: len(receivers["json"].messages) >= 1, 20), d.log
    d.wait_more_runs(2)
    d.stop()
    msgs = receivers["json"].messages
    assert len(msgs) == 1
    for check in ("position_mode", "balance", "trading_status"):
        assert check in msgs[0]["message"]


def test_sd_notify_ready_status_and_watchdog(daemon_config, tmp_path, receivers):
    sock_path = str(tmp_path / "notify.sock")
    s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    s.bind(sock_path)
    s.settimeout(0.2)
    d = DaemonProc(
        daemon_config(),
        tmp_path / "d.log",
        env={"NOTIFY_SOCKET": sock_path, "WATCHDOG_USEC": "2000000"},
    ).start()
    got: list[str] = []
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline and not (
        any(m.startswith("READY=1") for m in got) and sum("WATCHDOG=1" in m for m in got) >= 3
    ):
        try:
            got.append(s.recv(4096).decode())
        except TimeoutError:
            pass
    d.stop()
    s.close()
    ready = next(m for m in got if m.startswith("READY=1"))
    assert "STATUS=1 account: all OK" in ready
    assert sum("WATCHDOG=1" in m for m in got) >= 3


def test_state_database_records_history_and_no_secrets(
    sim, daemon_config, start_daemon, receivers, account, tmp_path
):
    sim.set_fault("hedge_mode", account="main")
    d = start_daemon(daemon_config())
    assert wait_until(lambda: len(receivers["json"].messages) == 1, 20), d.log
    d.stop()
    db = tmp_path / "state" / "state.db"
    con = sqlite3.connect(db)
    hist = (
        con.execute("select check_name, new_status from history").fetchall()
        if _has_column(con, "history", "check_name")
        else con.execute("select * from history").fetchall()
    )
    con.close()
    assert any("position_mode" in str(row) and "CRITICAL" in str(row) for row in hist), hist
    blobs = b"".join(p.read_bytes() for p in (tmp_path / "state").iterdir() if p.is_file())
    blobs += d.log.encode()
    blobs += json.dumps(receivers["json"].messages).encode()
    for secret in (account.api_secret, account.api_key, TelegramFake.TOKEN):
        assert secret.encode() not in blobs


def _has_column(con, table, column):
    return any(r[1] == column for r in con.execute(f"pragma table_info({table})"))
