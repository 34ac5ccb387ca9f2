"""hummingbot's V1 strategy and V2 controller files (from its own templates) in our terms."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest

from healthcheck.bots import hummingbot_config
from healthcheck.bots.derived import BotConfigError

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "bots"


def test_v1_pure_market_making_is_spot_with_a_base_asset_amount():
    d = hummingbot_config.read(FIXTURES / "hummingbot_pure_market_making.yml")
    assert d.values["markets"] == ("spot",)
    assert d.values["symbols"] == {"spot": ("BTCUSDT",)}
    assert d.stake is not None and d.stake.kind == "base" and d.stake.amount == Decimal("0.002")
    assert "order_size" not in d.values  # its notional needs the price: a run computes it


def test_v1_perpetual_market_making_is_usdm_with_its_position_mode():
    d = hummingbot_config.read(FIXTURES / "hummingbot_perpetual_market_making.yml")
    assert d.values["symbols"] == {"usdm": ("ETHUSDT",)}
    assert d.values["position_mode"] == "one-way"
    assert d.sources["position_mode"].endswith("position_mode")


def test_v1_spot_perpetual_arbitrage_reads_both_markets():
    d = hummingbot_config.read(FIXTURES / "hummingbot_spot_perpetual_arbitrage.yml")
    assert d.values["markets"] == ("spot", "usdm")
    assert d.values["symbols"] == {"spot": ("BTCUSDT",), "usdm": ("BTCUSDT",)}


def test_v2_controller_splits_total_amount_quote_over_its_levels():
    d = hummingbot_config.read(FIXTURES / "hummingbot_v2_pmm_simple.yml")
    assert d.values["markets"] == ("usdm",)
    assert d.values["symbols"] == {"usdm": ("BTCUSDT",)}
    assert d.values["position_mode"] == "hedge"
    assert d.values["order_size"] == {"default": Decimal(75)}  # 300 over 4 equal levels


def test_v2_unequal_levels_judge_the_smallest(tmp_path):
    text = (
        (FIXTURES / "hummingbot_v2_pmm_simple.yml")
        .read_text()
        .replace("buy_amounts_pct:\n", "buy_amounts_pct: '1,3'\n")
        .replace("sell_amounts_pct:\n", "sell_amounts_pct: [2, 2]\n")
    )
    p = tmp_path / "c.yml"
    p.write_text(text)
    assert hummingbot_config.read(p).values["order_size"] == {"default": Decimal("37.5")}


def test_v2_without_position_mode_is_hummingbots_default_hedge(tmp_path):
    p = tmp_path / "c.yml"
    p.write_text("controller_name: x\nconnector_name: binance_perpetual\ntrading_pair: ETH-USDT\n")
    d = hummingbot_config.read(p)
    assert d.values["position_mode"] == "hedge" and "default HEDGE" in d.sources["position_mode"]


@pytest.mark.parametrize(
    "text, key",
    [
        ("connector_name: kucoin\ntrading_pair: BTC-USDT\n", "connector_name"),
        ("connector_name: binance\ntrading_pair: BTCUSDT\n", "trading_pair"),
        (
            "connector_name: binance\ntrading_pair: BTC-USDT\ntotal_amount_quote: -5\n",
            "total_amount_quote",
        ),
        (
            "strategy: pure_market_making\nexchange: binance\nmarket: BTC-USDT\n"
            "order_amount: abc\n",
            "order_amount",
        ),
        (
            "strategy: perpetual_market_making\nderivative: binance_perpetual\nmarket: BTC-USDT\n"
            "position_mode: sideways\n",
            "position_mode",
        ),
    ],
)
def test_bad_keys_are_one_line_naming_file_and_key(tmp_path, text, key):
    p = tmp_path / "c.yml"
    p.write_text(text)
    with pytest.raises(BotConfigError) as exc:
        hummingbot_config.read(p)
    assert f"{p}: {key}" in str(exc.value) and "\n" not in str(exc.value)


@pytest.mark.parametrize(
    "text, words",
    [
        ("a: [1, 2\n", "invalid YAML at line"),
        ("- just\n- a list\n", "must hold a mapping"),
        ("!!python/object/apply:os.system ['true']\n", "invalid YAML"),
        ("a: b\x00", "binary"),
    ],
)
def test_hostile_yaml_is_one_line(tmp_path, text, words):
    p = tmp_path / "c.yml"
    p.write_text(text)
    with pytest.raises(BotConfigError) as exc:
        hummingbot_config.read(p)
    assert words in str(exc.value) and "\n" not in str(exc.value)


def test_strategy_without_a_market_leaves_symbols_unknown(tmp_path):
    p = tmp_path / "c.yml"
    p.write_text("strategy: cross_exchange_market_making\nmaker_market: binance\n")
    d = hummingbot_config.read(p)
    assert d.values == {} and "set markets and symbols" in d.symbols_unknown
