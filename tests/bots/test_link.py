"""bots.link: an account's bot config read (with the bot's live pairs) and its changes noticed."""

from __future__ import annotations

import json
import socket
from pathlib import Path

import pytest

from healthcheck.bots import link
from healthcheck.bots.derived import BotConfigError
from healthcheck.exchange.account import BotApi
from healthcheck.storage.secrets import Secret

PASSWORD = "bot-api-password-xyz"


def write_config(tmp_path: Path, whitelist: list[str]) -> Path:
    cfg = {
        "max_open_trades": 3,
        "stake_currency": "USDT",
        "stake_amount": 110,
        "trading_mode": "futures",
        "margin_mode": "isolated",
        "exchange": {
            "name": "binance",
            "key": "k" * 64,
            "secret": "s" * 64,
            "pair_whitelist": whitelist,
        },
        "pairlists": [{"method": "StaticPairList"}],
    }
    p = tmp_path / "config.json"
    p.write_text(json.dumps(cfg))
    return p


def closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_read_live_falls_back_with_a_reason_when_the_bot_api_is_down(tmp_path):
    path = write_config(tmp_path, [".*/USDT:USDT"])
    api = BotApi(f"http://127.0.0.1:{closed_port()}", "bot", Secret(PASSWORD, "bot api password"))
    d = link.read_live("freqtrade", path, api, timeout_seconds=2.0)
    assert "symbols" not in d.values
    assert "the bot's REST API could not give its live list" in d.symbols_unknown
    assert PASSWORD not in d.symbols_unknown
    assert link.uses_live_whitelist(d)


def test_read_live_without_a_bot_api_reads_the_file_only(tmp_path):
    path = write_config(tmp_path, ["BTC/USDT:USDT"])
    d = link.read_live("freqtrade", path, None)
    assert d.values["symbols"] == {"usdm": ("BTCUSDT",)} and d.symbols_unknown is None
    with pytest.raises(BotConfigError, match="no reader for bot 'gekko'"):
        link.read("gekko", path)


def test_bot_link_notices_an_edit_and_our_keys_win_in_config_show(tmp_path):
    path = write_config(tmp_path, ["BTC/USDT:USDT"])
    d = link.read("freqtrade", path)
    from healthcheck.bots.derived import fingerprint

    bl = link.BotLink("freqtrade", path, frozenset({"symbols"}), d, fingerprint(d.files))
    assert not bl.changed()
    shown = bl.to_json()
    assert "symbols" in shown["ours_win"] and "symbols" not in shown["derived"]
    assert "symbols" not in bl.derived_keys()
    assert "never read from the bot's config" in shown["credentials"]
    path.write_text(path.read_text().replace("110", "120"))
    assert bl.changed()
