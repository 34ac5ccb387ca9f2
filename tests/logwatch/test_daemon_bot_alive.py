"""The daemon end to end with `stale_after`: a followed file that goes silent makes one CRITICAL
bot_alive alert (real apprise to a JSON receiver) naming the time of its last line; a new line
resolves it, once."""

from __future__ import annotations

import re
import time
from pathlib import Path

import pytest
from support.receivers import JsonReceiver, wait_until

pytestmark = pytest.mark.slow

STALE_AFTER = 3


def heartbeat() -> str:
    # freqtrade/worker.py's heartbeat line as its logging formatter writes it
    return (
        time.strftime("%Y-%m-%d %H:%M:%S,000") + " - freqtrade.worker - INFO - Bot heartbeat. "
        "PID=4242, version='2026.9', state='RUNNING'\n"
    )


def test_a_silent_log_alerts_once_after_stale_after_and_resolves_with_a_line(
    tmp_path: Path, sim, make_config, daemon_procs
) -> None:
    acct = sim.add_account("main")
    bot_log = tmp_path / "freqtrade.log"
    bot_log.write_text(heartbeat())
    with JsonReceiver() as receiver:
        config = make_config(
            [{"name": "main", "api_key": acct.api_key, "api_secret": acct.api_secret}],
            sections={
                "alerts": {
                    "urls": [receiver.url],
                    "failure_threshold": 1,
                    "repeat_interval": 3600,
                    "retry_backoff_max": 1,
                    "delivery_timeout": 5,
                },
                "checks": {
                    c: {"interval": 60}
                    for c in (
                        "clock",
                        "api_key",
                        "position_mode",
                        "trading_status",
                        "balance",
                        "system_status",
                        "rate_limit",
                    )
                },
            },
        )
        with open(config, "a") as f:
            f.write(
                f'\n[[watch]]\naccount = "main"\npath = "{bot_log}"\nstale_after = {STALE_AFTER}\n'
            )
        d = daemon_procs(config)
        d.wait_runs(1)
        with open(bot_log, "a") as f:  # a live line: the bot was alive when the daemon ran
            f.write(heartbeat())
        written = time.time()
        assert wait_until(lambda: len(receiver.messages) >= 1, 30), d.log
        alert = receiver.messages[0]
        assert alert["title"].startswith("[CRITICAL] main:") and "bot_alive" in alert["title"]
        assert time.time() - written >= STALE_AFTER  # not before stale_after
        m = re.search(r"last line at (\d{4}-\d\d-\d\d \d\d:\d\d:\d\d) UTC", alert["message"])
        assert m, alert["message"]
        named = time.mktime(time.strptime(m.group(1), "%Y-%m-%d %H:%M:%S")) - time.timezone
        assert abs(named - written) < 2, (m.group(1), written)
        assert f"stale_after = {STALE_AFTER} s" in alert["message"]
        assert "3 x heartbeat_interval" in alert["message"]  # the fix suggests freqtrade's value

        d.wait_more_runs(2)
        assert len(receiver.messages) == 1  # one incident, no repeat within repeat_interval
        with open(bot_log, "a") as f:
            f.write(heartbeat())
        assert wait_until(lambda: len(receiver.messages) >= 2, 30), d.log
        assert receiver.messages[1]["title"].startswith("[RESOLVED] main:")
        assert "bot_alive" in receiver.messages[1]["title"]
        assert d.stop() == 0
        assert len(receiver.messages) == 2
