"""The daemon end to end with [[watch]]: a Binance code appearing in a followed file alerts once
(real apprise to a JSON receiver), stays one incident across a log rotation and a daemon
restart, and resolves after `window` seconds without a new occurrence."""

from __future__ import annotations

from pathlib import Path

import pytest
from support.receivers import JsonReceiver, wait_until

pytestmark = pytest.mark.slow

# freqtrade/exchange/exchange.py create_order (InsufficientFunds wrapper, no space before
# "Message:") around ccxt binance.py handle_errors' "binance <body>" for a linear code
LINE = (
    "{ts} - freqtrade.freqtradebot - WARNING - Unable to create trade for BTC/USDT:USDT: "
    "Insufficient funds to create limit buy order on market BTC/USDT:USDT. Tried to buy "
    'amount 0.01 at rate 60000.0.Message: binance {{"code":-2019,"msg":"Margin is '
    'insufficient."}}\n'
)


def line() -> str:
    import time

    return LINE.format(ts=time.strftime("%Y-%m-%d %H:%M:%S,000"))


def test_code_in_followed_file_alerts_once_across_rotation_and_restart_then_resolves(
    tmp_path: Path, sim, make_config, daemon_procs
) -> None:
    acct = sim.add_account("main")
    bot_log = tmp_path / "bot" / "freqtrade.log"
    bot_log.parent.mkdir()
    bot_log.write_text("2026-01-01 00:00:00,000 - freqtrade - INFO - starting\n")
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
                # the exchange checks every second would spend the daemon's own weight
                # budget (10 % of 2400/min) within this test and turn UNKNOWN: an alert of
                # their own that has nothing to do with the bot's log
                "checks": {
                    c: {"interval": 60}
                    for c in (
                        "clock",
                        "api_key",
                        "position_mode",
                        "trading_status",
                        "balance",
                        "system_status",
                    )
                },
            },
        )
        with open(config, "a") as f:
            f.write(f'\n[[watch]]\naccount = "main"\npath = "{bot_log}"\nwindow = 10\n')
        d = daemon_procs(config)
        d.wait_runs(2)
        assert receiver.messages == []
        with open(bot_log, "a") as f:
            f.write(line())
        assert wait_until(lambda: len(receiver.messages) >= 1, 30), d.log
        first = receiver.messages[0]
        assert first["title"].startswith("[CRITICAL] main:") and "bot_errors" in first["title"]
        assert "-2019" in first["message"] and "Fix:" in first["message"]

        # rotation by rename, then the same error in the new file: the same incident
        bot_log.rename(bot_log.with_name("freqtrade.log.1"))
        bot_log.write_text(line())
        d.wait_more_runs(3)
        # a restart with one more occurrence written while the daemon was down
        assert d.stop() == 0
        with open(bot_log, "a") as f:
            f.write(line())
        d2 = daemon_procs(config, log_name="daemon2.log")
        d2.wait_runs(3)
        assert len(receiver.messages) == 1, [m["title"] for m in receiver.messages]
        # each line read exactly once: two before the restart, only the new one after it
        assert d.log.count("bot log of main: Binance error -2019") == 2, d.log
        assert d2.log.count("bot log of main: Binance error -2019") == 1, d2.log
        # no new occurrence for `window` seconds: resolved, once
        assert wait_until(lambda: len(receiver.messages) >= 2, 40), d2.log
        assert receiver.messages[1]["title"].startswith("[RESOLVED] main:")
        d2.wait_more_runs(2)
        assert d2.stop() == 0
        assert len(receiver.messages) == 2
