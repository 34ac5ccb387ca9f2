"""freqtrade's config read as freqtrade reads it, and what it says in our terms."""

from __future__ import annotations

import json
import os
from decimal import Decimal
from pathlib import Path

import pytest

from healthcheck.bots import freqtrade_config
from healthcheck.bots.derived import BotConfigError, MinStakeRule, Stake

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "bots"


def futures(**over) -> dict:
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
            "pair_whitelist": ["BTC/USDT:USDT", "ETH/USDT:USDT"],
        },
        "pairlists": [{"method": "StaticPairList"}],
    }
    cfg.update(over)
    return cfg


def write(tmp_path: Path, cfg: dict | str, name: str = "config.json") -> Path:
    p = tmp_path / name
    p.write_text(cfg if isinstance(cfg, str) else json.dumps(cfg))
    return p


def test_freqtrade_example_config_gives_spot_symbols_minus_regex_blacklist():
    d = freqtrade_config.read(FIXTURES / "freqtrade_config_binance.example.json")
    assert d.values["markets"] == ("spot",)
    assert d.values["symbols"]["spot"][:3] == ("ALGOUSDT", "ATOMUSDT", "BATUSDT")
    assert "ETHUSDT" in d.values["symbols"]["spot"] and d.symbols_unknown is None
    assert d.values["order_size"] == {"default": Decimal("0.05")}
    assert "position_mode" not in d.values  # spot has none


def test_comments_and_trailing_commas_are_read_as_rapidjson_does(tmp_path):
    text = """{
      // line comment with "quotes" and a , before }
      "stake_currency": "USDT", /* block
         comment */ "stake_amount": 200,
      "max_open_trades": 2,
      "trading_mode": "futures", "margin_mode": "cross",
      "exchange": {"name": "binance", "pair_whitelist": ["BTC/USDT:USDT", "A//B/USDT:USDT",],},
      "note": "a /* not a comment */ and // neither, ]",
    }"""
    d = freqtrade_config.read(write(tmp_path, text))
    assert d.values["symbols"] == {"usdm": ("BTCUSDT", "ABUSDT")}
    assert d.values["order_size"] == {"default": Decimal(200)}
    assert d.margin_mode == "cross" and "multi_assets_margin" not in d.values


def test_add_config_files_merge_relative_to_the_naming_file_which_wins(tmp_path):
    sub = tmp_path / "parts"
    sub.mkdir()
    write(
        sub,
        {"stake_amount": 50, "stoploss": -0.1, "exchange": {"pair_whitelist": ["ETH/USDT:USDT"]}},
        "pairs.json",
    )
    write(sub, {"stake_amount": 70}, "later.json")
    main = futures(add_config_files=["parts/pairs.json", "parts/later.json"])
    del main["stake_amount"]
    del main["exchange"]["pair_whitelist"]
    d = freqtrade_config.read(write(tmp_path, main))
    assert d.values["symbols"] == {"usdm": ("ETHUSDT",)}
    assert d.values["order_size"] == {"default": Decimal(70)}  # the later file wins
    assert d.sources["order_size"].startswith(str(sub / "later.json"))
    assert d.sources["symbols"].startswith(str(sub / "pairs.json"))
    assert d.min_stake is not None and d.min_stake.stoploss == Decimal("-0.1")
    assert set(d.files) == {tmp_path / "config.json", sub / "pairs.json", sub / "later.json"}
    # the naming file overrides what it adds
    main["stake_amount"] = 90
    assert freqtrade_config.read(write(tmp_path, main)).values["order_size"] == {
        "default": Decimal(90)
    }


def test_add_config_files_loop_is_refused_in_one_line(tmp_path):
    write(tmp_path, futures(add_config_files=["config.json"]))
    with pytest.raises(BotConfigError, match="nested more than 5 levels"):
        freqtrade_config.read(tmp_path / "config.json")


def test_unlimited_stake_is_a_rule_read_each_run(tmp_path):
    d = freqtrade_config.read(
        write(tmp_path, futures(stake_amount="unlimited", tradable_balance_ratio=0.5))
    )
    assert "order_size" not in d.values
    assert d.stake == Stake(
        "unlimited", d.stake.source, currency="USDT", ratio=Decimal("0.5"), max_open_trades=3
    )
    assert d.stake.unlimited_size(Decimal(600)) == Decimal(100)  # 600 x 0.5 / 3


def test_unlimited_stake_with_unlimited_trades_is_refused_as_freqtrade_does(tmp_path):
    with pytest.raises(BotConfigError, match="cannot both be unlimited"):
        freqtrade_config.read(
            write(tmp_path, futures(stake_amount="unlimited", max_open_trades=-1))
        )


@pytest.mark.parametrize(
    "whitelist, pairlists, why",
    [
        ([".*/USDT:USDT"], [{"method": "StaticPairList"}], "regex '.*/USDT:USDT'"),
        ([], [{"method": "VolumePairList", "number_assets": 20}], "starts with VolumePairList"),
    ],
)
def test_pairs_only_the_running_bot_knows_are_unknown_with_the_way_out(
    tmp_path, whitelist, pairlists, why
):
    cfg = futures(pairlists=pairlists)
    cfg["exchange"]["pair_whitelist"] = whitelist
    d = freqtrade_config.read(write(tmp_path, cfg))
    assert "symbols" not in d.values
    assert why in d.symbols_unknown and 'symbols = ["BTCUSDT"]' in d.symbols_unknown
    assert "bot_api" in d.symbols_unknown
    # the live whitelist of the bot's REST API fills them (wired by the bot_api work)
    live = freqtrade_config.derive(
        *freqtrade_config.load(tmp_path / "config.json")[:2],
        tmp_path / "config.json",
        [tmp_path / "config.json"],
        live_whitelist=["SOL/USDT:USDT"],
    )
    assert live.values["symbols"] == {"usdm": ("SOLUSDT",)} and live.symbols_unknown is None


@pytest.mark.parametrize(
    "over, key",
    [
        ({"trading_mode": "margin"}, "trading_mode"),
        ({"stake_amount": "lots"}, "stake_amount"),
        ({"stake_amount": None}, "stake_amount"),
        ({"stake_currency": 5}, "stake_currency"),
        ({"margin_mode": "portfolio"}, "margin_mode"),
        ({"stoploss": 0.5}, "stoploss"),
    ],
)
def test_bad_keys_are_one_line_naming_file_and_key(tmp_path, over, key):
    path = write(tmp_path, futures(**over))
    with pytest.raises(BotConfigError) as exc:
        freqtrade_config.read(path)
    msg = str(exc.value)
    assert f"{path}: {key}" in msg and "\n" not in msg


def test_other_exchange_is_refused(tmp_path):
    cfg = futures()
    cfg["exchange"]["name"] = "kraken"
    with pytest.raises(BotConfigError, match="exchange.name: 'kraken'"):
        freqtrade_config.read(write(tmp_path, cfg))


def test_exchange_credentials_never_reach_an_error_message(tmp_path):
    cfg = futures(stake_amount="lots")
    cfg["exchange"]["key"] = "VERYSECRETKEY"
    with pytest.raises(BotConfigError) as exc:
        freqtrade_config.read(write(tmp_path, cfg))
    assert "VERYSECRET" not in str(exc.value)


@pytest.mark.parametrize(
    "make, words",
    [
        (lambda p: None, "does not exist"),
        (lambda p: p.mkdir(), "is a directory"),
        (lambda p: os.mkfifo(p), "FIFO"),
        (lambda p: p.write_bytes(b"{" + b" " * (1024 * 1024 + 1) + b"}"), "limit"),
        (lambda p: p.write_bytes(b"\x00\x01\x02binary\xff"), "UTF-8"),
        (lambda p: p.write_bytes(b'{"a": 1}\x00'), "binary"),
        (lambda p: p.write_text("[" * 100000 + "]" * 100000), "JSON"),
        (lambda p: p.write_text('{"a": /* never closed'), "not closed"),
        (lambda p: p.write_text('{"a": "never closed'), "not closed"),
        (lambda p: p.write_text('{"stake_amount": NaN}'), "invalid JSON"),
        (lambda p: p.write_text("[1, 2]"), "must hold a JSON object"),
    ],
)
def test_hostile_files_are_one_line_errors(tmp_path, make, words):
    p = tmp_path / "config.json"
    make(p)
    with pytest.raises(BotConfigError) as exc:
        freqtrade_config.read(p)
    assert words in str(exc.value) and "\n" not in str(exc.value)


def test_dev_zero_is_refused_at_once():
    with pytest.raises(BotConfigError, match="character device"):
        freqtrade_config.read(Path("/dev/zero"))


@pytest.mark.parametrize(
    "stoploss, min_cost, stake",
    [
        # bot-facts §1: BTCUSDT futures, min notional 100: 150 with the cap, 116.67 at -0.10
        (None, "100", Decimal("150")),
        (Decimal("-0.10"), "100", Decimal("116.6666666666666666666666667")),
        (Decimal("-1"), "100", Decimal("150")),
        (Decimal("-0.01"), "100", Decimal("106.0606060606060606060606061")),
    ],
)
def test_freqtrade_min_stake_formula(stoploss, min_cost, stake):
    rule = MinStakeRule(stoploss, "x: stoploss")
    # min quantity 0.001 at 60000 x 1.05 = 63: the notional part is larger
    assert rule.min_stake(Decimal(min_cost), Decimal("0.001"), Decimal(60000)) == stake


def test_freqtrade_min_stake_from_the_minimum_quantity_when_larger():
    rule = MinStakeRule(Decimal("-0.10"), "x: stoploss")
    assert rule.min_stake(Decimal(5), Decimal("0.01"), Decimal(60000)) == Decimal("630.00")
