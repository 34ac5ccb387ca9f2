"""bots.freqtrade_strategy: a strategy's literal stoploss, read with ast, never executed."""

from __future__ import annotations

from decimal import Decimal

from healthcheck.bots.freqtrade_strategy import find_stoploss, search_dirs, stoploss_in_source

SOURCE = """
from freqtrade.strategy import IStrategy

class Other(IStrategy):
    stoploss = -0.5

class Mine(IStrategy):
    timeframe = "5m"
    stoploss = -0.10

class Computed(IStrategy):
    stoploss = -0.1 * 2
"""


def test_a_literal_stoploss_in_the_named_class_is_read():
    assert stoploss_in_source(SOURCE, "Mine") == Decimal("-0.10")
    assert stoploss_in_source(SOURCE, "Other") == Decimal("-0.5")


def test_a_computed_absent_or_impossible_stoploss_is_none():
    assert stoploss_in_source(SOURCE, "Computed") is None
    assert stoploss_in_source(SOURCE, "Missing") is None
    assert stoploss_in_source("class Mine:\n    stoploss = 0.5\n", "Mine") is None
    assert stoploss_in_source("class Mine(:\n", "Mine") is None  # a syntax error


def test_the_strategy_file_is_found_where_freqtrade_looks_and_never_executed(tmp_path):
    strategies = tmp_path / "user_data" / "strategies"
    strategies.mkdir(parents=True)
    marker = tmp_path / "executed"
    (strategies / "mine.py").write_text(
        f"open({str(marker)!r}, 'w').write('ran')\n" + SOURCE, encoding="utf-8"
    )
    dirs = search_dirs(tmp_path, None, None)
    assert strategies in dirs
    stoploss, path = find_stoploss("Mine", dirs)
    assert stoploss == Decimal("-0.10") and path == strategies / "mine.py"
    assert not marker.exists()
    assert find_stoploss("NoSuchStrategy", dirs) == (None, None)
