"""Alert rules end to end: `binance-healthcheck run` as a subprocess at a 1 s interval against the
simulator, alerts through real apprise into a JSON receiver, silences and status through the CLI.
Time is driven, not slept: windows are computed from now, silences are ended with `expire`.
"""

from __future__ import annotations

import json
import time
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from support.receivers import wait_until

pytestmark = pytest.mark.slow

FOLLOW_ONS = ("api_key", "position_mode", "trading_status", "balance", "system_status")


@pytest.fixture
def account(sim):
    return sim.add_account("main")


@pytest.fixture
def config_with(make_config, account, json_receiver):
    def make(all_checks_every_second=False, **alerts):
        section = {
            "urls": [json_receiver.url],
            "failure_threshold": 2,
            "repeat_interval": 3600,
            "retry_backoff_max": 1,
            "delivery_timeout": 5,
        }
        section.update(alerts)
        # leverage reads positions every 300 s by default: out of these tests' way
        sections = {"alerts": section, "checks": {"leverage": {"enabled": False}}}
        if not all_checks_every_second:
            # these tests watch position_mode for many runs: the weight-heavy checks every
            # second would exhaust the daemon's own weight budget and turn UNKNOWN
            sections["checks"].update(
                {
                    c: {"interval": 60}
                    for c in ("api_key", "trading_status", "balance", "system_status")
                }
            )
        return make_config(
            [{"name": "main", "api_key": account.api_key, "api_secret": account.api_secret}],
            sections=sections,
        )

    return make


def titles(receiver):
    return [m["title"] for m in receiver.messages]


def status_doc(cli, config):
    p = cli("status", "--config", str(config), "--json")
    assert p.returncode == 0, p.stderr
    return json.loads(p.stdout)


def test_ban_making_five_checks_unknown_sends_one_message(
    sim, config_with, daemon_procs, json_receiver
):
    sim.set_fault("banned", retry_after=10)
    d = daemon_procs(config_with(all_checks_every_second=True))
    assert wait_until(lambda: len(json_receiver.messages) >= 1, 25), d.log
    # Binance lifts the ban when Retry-After ends; the daemon sends nothing to it until then
    sim.clear_fault("banned")
    d.wait_more_runs(4)  # the UNKNOWNs are past unknown_threshold (3) by now
    assert "5 UNKNOWN" in d.log and "muted 5 (5 inhibited)" in d.log
    assert len(json_receiver.messages) == 1, titles(json_receiver)
    first = json_receiver.messages[0]
    assert first["title"] == "[CRITICAL] main: rate_limit"
    assert "Also makes " + ", ".join(sorted(FOLLOW_ONS)) + " unknown" in first["message"]
    assert wait_until(lambda: len(json_receiver.messages) >= 2, 25), d.log
    d.wait_more_runs(2)
    d.stop()
    assert titles(json_receiver) == ["[CRITICAL] main: rate_limit", "[RESOLVED] main: rate_limit"]


def test_silence_added_while_firing_mutes_the_reminder_and_its_expiry_refires(
    sim, config_with, daemon_procs, json_receiver, cli
):
    config = config_with(repeat_interval=2)
    sim.set_fault("hedge_mode", account="main")
    d = daemon_procs(config)
    assert wait_until(lambda: len(json_receiver.messages) >= 1, 25), d.log
    p = cli(
        "silence",
        "add",
        "--config",
        str(config),
        "--account",
        "main",
        "--check",
        "position_mode",
        "--for",
        "1h",
        "--reason",
        "switching modes",
    )
    assert p.returncode == 0, p.stderr
    assert p.stdout.startswith("silence 1 added: account main, check position_mode until ")
    assert p.stdout.rstrip().endswith("state.db")  # where the daemon reads it
    d.wait_more_runs(1)  # from now on every run honours it
    assert wait_until(lambda: status_doc(cli, config)["outbox"]["pending"] == 0, 15)
    before = len(json_receiver.messages)
    d.wait_more_runs(6)  # 3 reminder intervals
    assert len(json_receiver.messages) == before, titles(json_receiver)
    doc = status_doc(cli, config)
    pm = next(c for c in doc["checks"] if c["check"] == "position_mode")
    assert pm["firing"] and "silence 1 'switching modes'" in pm["silenced_by"]
    assert "muted 1 (1 silenced)" in doc["line"]
    assert [s["id"] for s in doc["silences"]] == [1]
    listed = cli("silence", "list", "--config", str(config))
    assert (
        "account main, check position_mode" in listed.stdout and "switching modes" in listed.stdout
    )
    chk = cli("check", "--config", str(config), "--json", "--only", "position_mode")
    result = json.loads(chk.stdout)["results"][0]
    assert result["silenced_by"]["kind"] == "silence" and result["silenced_by"]["until"]
    text = cli("check", "--config", str(config), "--only", "position_mode").stdout
    assert "silenced by silence 1 'switching modes'" in text

    p = cli("silence", "expire", "--config", str(config), "1")
    assert p.returncode == 0, p.stderr
    assert wait_until(lambda: len(json_receiver.messages) > before, 20), d.log
    again = json_receiver.messages[before]
    assert "position_mode" in again["title"] and "Held back by silence 1" in again["message"]
    d.stop()


def test_maintenance_window_for_now_mutes_and_its_end_fires(
    sim, config_with, daemon_procs, json_receiver, cli
):
    zone = ZoneInfo("Asia/Tokyo")  # not UTC, to show the window's own zone is used
    start = (datetime.now(zone) - timedelta(seconds=1)).replace(microsecond=0)
    seconds = 12
    end = start.timestamp() + seconds
    config = config_with(
        failure_threshold=1,
        maintenance=[
            {
                "name": "bot deploy",
                "start": start.strftime("%H:%M:%S"),
                "duration": f"{seconds}s",
                "timezone": "Asia/Tokyo",
                "accounts": ["main"],
            }
        ],
    )
    sim.set_fault("hedge_mode", account="main")
    d = daemon_procs(config)
    d.wait_runs(2)
    assert time.time() < end, "the daemon started too slowly to see the window"
    doc = status_doc(cli, config)
    assert doc["maintenance"][0]["name"] == "bot deploy"
    pm = next(c for c in doc["checks"] if c["check"] == "position_mode")
    assert pm["maintenance"].startswith("maintenance window 'bot deploy'") and pm["held_back"]
    assert json_receiver.messages == []
    assert wait_until(lambda: len(json_receiver.messages) >= 1, end - time.time() + 20), d.log
    assert time.time() >= end  # nothing went out during the window
    msg = json_receiver.messages[0]
    assert msg["title"] == "[CRITICAL] main: position_mode"
    assert "Held back by maintenance window 'bot deploy'" in msg["message"]
    d.stop()


def test_flapping_check_with_success_threshold_3_sends_one_alert_not_pairs(
    sim, config_with, daemon_procs, json_receiver
):
    d = daemon_procs(config_with(failure_threshold=1, success_threshold=3))
    d.wait_runs(1)
    for n in range(8):  # broken, fixed, broken, ... one run each
        if n % 2 == 0:
            sim.set_fault("hedge_mode", account="main")
        else:
            sim.clear_fault("hedge_mode")
        d.wait_more_runs(1)
    assert titles(json_receiver) == ["[CRITICAL] main: position_mode"]
    assert d.log.count("main position_mode: CRITICAL -> OK") >= 3, d.log  # it did flap
    sim.clear_fault("hedge_mode")
    assert wait_until(lambda: len(json_receiver.messages) >= 2, 20), d.log
    d.wait_more_runs(1)
    d.stop()
    assert titles(json_receiver) == [
        "[CRITICAL] main: position_mode",
        "[RESOLVED] main: position_mode",
    ]


@pytest.mark.parametrize(
    "args, code, words",
    [
        (["--for", "soon", "--reason", "x"], 3, "--for: 'soon' is not a duration"),
        (["--for", "1h", "--reason", "x", "--account", "nope"], 3, "--account: no account 'nope'"),
        (["--for", "1h", "--reason", "x", "--check", "clok"], 3, "--check: unknown check 'clok'"),
        (["--for", "1h", "--reason", "  "], 3, "--reason"),
    ],
)
def test_silence_add_bad_input_is_one_line(config_with, cli, args, code, words):
    p = cli("silence", "add", "--config", str(config_with()), *args)
    assert p.returncode == code
    assert words in p.stderr and len(p.stderr.strip().splitlines()) == 1
    assert "Traceback" not in p.stderr


def test_silence_expire_unknown_id_and_empty_status(config_with, cli):
    config = config_with()
    p = cli("silence", "expire", "--config", str(config), "7")
    assert p.returncode == 1 and "no active silence with id 7" in p.stderr
    p = cli("status", "--config", str(config))
    assert p.returncode == 0, p.stderr
    assert p.stdout.splitlines()[0] == "1 account: starting"
    assert "Outbox: 0 pending" in p.stdout
