"""The daemon follows the bot's config: an edit on disk is picked up at the next run, a file that
cannot be read any more makes the symbols check UNKNOWN with the reason (no traceback), and
SIGHUP reads it again. A real daemon subprocess against the simulator."""

from __future__ import annotations

import json
import signal

from support.receivers import wait_until


def test_daemon_follows_edits_of_the_bot_config_and_says_when_it_cannot_read_it(
    sim, make_config, daemon_procs, tmp_path
):
    acct = sim.add_account("main")
    sim.set_price("usdm", "BTCUSDT", 60000)
    bot_file = tmp_path / "freqtrade.json"

    def write_stake(stake: int) -> None:
        bot_file.write_text(
            json.dumps(
                {
                    "max_open_trades": 1,
                    "stake_currency": "USDT",
                    "stake_amount": stake,
                    "trading_mode": "futures",
                    "margin_mode": "isolated",
                    "exchange": {"name": "binance", "pair_whitelist": ["BTC/USDT:USDT"]},
                }
            )
        )

    write_stake(60)
    config = make_config(
        [
            {
                "name": "main",
                "api_key": acct.api_key,
                "api_secret": acct.api_secret,
                "markets": None,
                "bot": "freqtrade",
                "bot_config": str(bot_file),
                "checks": ["symbols"],
            }
        ],
        sections={"checks": {"symbols": {"interval": 1}}},
    )
    d = daemon_procs(config)
    assert wait_until(lambda: "main symbols: new -> CRITICAL" in d.log, 30), d.log

    write_stake(4000)  # edited on disk, no signal
    assert wait_until(lambda: "main symbols: CRITICAL -> OK" in d.log, 30), d.log
    assert "the bot config" in d.log and "configuration reloaded" in d.log

    bot_file.write_text("{ broken")

    def unknown_line() -> str | None:
        return next(
            (x for x in d.log.splitlines() if "main symbols: " in x and "-> UNKNOWN" in x), None
        )

    assert wait_until(lambda: unknown_line() is not None, 30), d.log
    line = unknown_line()
    assert "the bot's config cannot be read" in line and "invalid JSON at line 1" in line

    write_stake(60)
    d.signal(signal.SIGHUP)
    assert wait_until(lambda: "main symbols: UNKNOWN -> CRITICAL" in d.log, 30), d.log
    assert "Traceback" not in d.log
    assert d.stop() == 0
