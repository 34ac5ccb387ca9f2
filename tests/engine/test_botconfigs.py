"""The bot configs as the running checks last saw them: an edit that changes what the checks
use reloads, one that does not is ignored, an unreadable one is noted (healthcheck/engine/
botconfigs.py)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from healthcheck.config import Config, parse_config
from healthcheck.engine.botconfigs import BotConfigPoller


def bot(stake: int, **extra: Any) -> dict[str, Any]:
    return {
        "max_open_trades": 1,
        "stake_currency": "USDT",
        "stake_amount": stake,
        "trading_mode": "futures",
        "margin_mode": "isolated",
        "exchange": {"name": "binance", "pair_whitelist": ["BTC/USDT:USDT"]},
        **extra,
    }


def config_for(bot_file: Path) -> Config:
    return parse_config(
        {
            "accounts": [
                {
                    "name": "main",
                    "api_key": "A" * 64,
                    "api_secret": "S" * 64,
                    "bot": "freqtrade",
                    "bot_config": str(bot_file),
                }
            ]
        }
    )


def test_an_edit_of_what_the_checks_use_asks_for_a_reload(tmp_path: Path) -> None:
    bot_file = tmp_path / "freqtrade.json"
    bot_file.write_text(json.dumps(bot(60)))
    poller = BotConfigPoller(config_for(bot_file))
    assert poller.poll() is False  # nothing changed on disk
    bot_file.write_text(json.dumps(bot(4000)))
    assert poller.poll() is True
    assert poller.errors == {}


def test_an_edit_the_checks_do_not_read_is_no_reload(tmp_path: Path) -> None:
    bot_file = tmp_path / "freqtrade.json"
    bot_file.write_text(json.dumps(bot(60)))
    poller = BotConfigPoller(config_for(bot_file))
    bot_file.write_text(json.dumps(bot(60, bot_name="renamed"), indent=4))
    assert poller.poll() is False


def test_an_unreadable_config_is_noted_until_it_reads_again(tmp_path: Path) -> None:
    bot_file = tmp_path / "freqtrade.json"
    bot_file.write_text(json.dumps(bot(60)))
    poller = BotConfigPoller(config_for(bot_file))
    bot_file.write_text("{ broken")
    assert poller.poll() is False
    assert "freqtrade.json" in poller.errors["main"]
    bot_file.write_text(json.dumps(bot(60), indent=2))
    assert poller.poll() is False
    assert poller.errors == {}
