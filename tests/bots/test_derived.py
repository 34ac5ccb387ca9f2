"""bots.derived: a bot's config in our terms; freqtrade's stake rules and pair names."""

from __future__ import annotations

from decimal import Decimal

import pytest

from healthcheck.bots.derived import MinStakeRule, Stake, fingerprint, pair_to_symbol


def test_freqtrade_min_stake_with_a_stoploss_of_minus_10_percent():
    rule = MinStakeRule(Decimal("-0.10"), "strategy.py: stoploss")
    min_stake = rule.min_stake(Decimal(100), Decimal("0.001"), Decimal(60000))
    assert round(min_stake, 2) == Decimal("116.67")  # 100 x 1.05 / 0.9
    assert "stoploss -0.10 from strategy.py" in rule.describe_stoploss()


def test_freqtrade_min_stake_without_a_stoploss_takes_the_1_5_cap_and_says_so():
    rule = MinStakeRule(None, "")
    assert rule.min_stake(Decimal(100), Decimal("0.001"), Decimal(60000)) == Decimal(150)
    assert "1.5 reserve cap is assumed" in rule.describe_stoploss()
    # the minimum quantity wins when it is worth more; leverage divides
    lev = MinStakeRule(Decimal("-0.10"), "x", leverage=Decimal(5))
    assert lev.min_stake(Decimal(5), Decimal(1), Decimal(200)) == Decimal(210) / 5


@pytest.mark.parametrize(
    "pair, symbol",
    [("BTC/USDT:USDT", "BTCUSDT"), ("eth/usdt", "ETHUSDT"), ("SOL-USDT", "SOLUSDT")],
)
def test_pair_to_symbol(pair, symbol):
    assert pair_to_symbol(pair) == symbol


def test_unlimited_stake_and_fingerprint_of_an_edited_file(tmp_path):
    stake = Stake("unlimited", "c.json: stake_amount", currency="USDT", max_open_trades=3)
    assert stake.unlimited_size(Decimal(1000)) == Decimal("330")  # 1000 x 0.99 / 3
    capped = Stake("unlimited", "c", currency="USDT", max_open_trades=2, available_capital=500)
    assert capped.unlimited_size(Decimal(100)) == Decimal(100)  # never more than is free
    p = tmp_path / "config.json"
    p.write_text("{}")
    before = fingerprint((p,))
    p.write_text('{"stake_amount": 10}')
    assert fingerprint((p,)) != before
    p.unlink()
    assert fingerprint((p,))[0][3] == -1  # a missing file: size -1, no error
