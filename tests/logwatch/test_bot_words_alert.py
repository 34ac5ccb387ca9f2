"""The daemon end to end with a real freqtrade refusal: the lines freqtrade 2026.9 wrote when it
found the account in Hedge Mode (captured against the simulator) are appended to a followed log;
the bot_errors alert (real apprise to a JSON receiver) quotes the bot's line, says what it means
and what the position_mode check sees now. The account is configured for Hedge Mode (the
operator's expectation is wrong for freqtrade), so position_mode is OK and does not already explain
-4061: the bot's own words are the only sign."""

from __future__ import annotations

from pathlib import Path

import pytest
from support.receivers import JsonReceiver, wait_until

pytestmark = pytest.mark.slow

HEDGE = (
    Path(__file__).resolve().parents[1] / "fixtures" / "freqtrade" / "watch-futures-hedge-mode.log"
)


def test_hedge_mode_refusal_alert_quotes_line_meaning_and_position_mode_now(
    tmp_path: Path, sim, make_config, daemon_procs
) -> None:
    acct = sim.add_account("main")
    sim.set_fault("hedge_mode", account="main")
    bot_log = tmp_path / "freqtrade.log"
    bot_log.write_text("")
    with JsonReceiver() as receiver:
        config = make_config(
            [
                {
                    "name": "main",
                    "api_key": acct.api_key,
                    "api_secret": acct.api_secret,
                    "position_mode": "hedge",
                }
            ],
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
                    for c in ("clock", "api_key", "trading_status", "balance", "system_status")
                },
            },
        )
        with open(config, "a") as f:
            f.write(f'\n[[watch]]\naccount = "main"\npath = "{bot_log}"\nwindow = 60\n')
        d = daemon_procs(config)
        d.wait_runs(2)
        # the last lines freqtrade wrote before it stopped (the refusal is a line of its own)
        tail = HEDGE.read_text().splitlines(keepends=True)[-3:]
        with open(bot_log, "a") as f:
            f.writelines(tail)

        def bot_alert() -> dict | None:
            for m in receiver.messages:
                if "bot_errors" in m["message"] and "-4061" in m["message"]:
                    return m
            return None

        assert wait_until(lambda: bot_alert() is not None, 40), d.log
        body = bot_alert()["message"]
        assert "CRITICAL bot_errors" in body
        assert "freqtrade's own refusal" in body and "freqtrade refused to start" in body
        assert (
            "The bot's line: \"Hedge Mode is not supported by freqtrade. Please change "
            "'Position Mode' on your binance futures account.\""
        ) in body
        assert "The position_mode check says OK: hedge mode as expected" in body
        assert acct.api_secret not in body and acct.api_key not in body
        assert d.stop() == 0
