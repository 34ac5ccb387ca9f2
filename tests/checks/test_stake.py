"""checks.stake: the bot's stake as the symbols check sizes orders by it."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

from healthcheck.bots.derived import Derived, MinStakeRule, Stake
from healthcheck.bots.link import BotLink
from healthcheck.checks.base import SymbolView
from healthcheck.checks.stake import balance_endpoint, bot_stake, stake_size
from tests.checks.factbook import account, facts, usdm_symbol

CFG = Path("/etc/freqtrade/config.json")


def unlimited_account(**kw):
    stake = Stake("unlimited", f"{CFG}: stake_amount", currency="USDT", max_open_trades=3)
    d = Derived("freqtrade", CFG, (CFG,), stake=stake, min_stake=MinStakeRule(None, ""))
    return account(
        markets=("usdm",),
        symbols={"usdm": ("BTCUSDT",)},
        bot=BotLink("freqtrade", CFG, frozenset(kw.pop("own", ())), d),
        **kw,
    )


def view(acc, answers):
    f = facts(acc, answers, exchange={"usdm": {"BTCUSDT": usdm_symbol()}})
    return SymbolView(f, "usdm", "BTCUSDT", f.exchange["usdm"], {}, [])


def test_unlimited_stake_is_sized_from_the_free_balance():
    acc = unlimited_account()
    endpoint = balance_endpoint(acc, "usdm")
    answer = {"assets": [{"asset": "USDT", "availableBalance": "1000", "walletBalance": "1000"}]}
    v = view(acc, {endpoint: answer})
    assert stake_size(v, Decimal(60000)) == Decimal("330.00000000")  # 1000 x 0.99 / 3
    assert "free USDT 1000 x 0.99 / 3" in v.row["stake_unlimited"]


def test_no_free_balance_is_unknown_not_a_zero_order():
    acc = unlimited_account()
    v = view(acc, {balance_endpoint(acc, "usdm"): {"assets": []}})
    assert stake_size(v, Decimal(60000)) is None
    assert v.unknown == ["BTCUSDT (USD-M futures): no free USDT for an unlimited stake"]


def test_our_order_size_wins_over_the_bots_stake():
    assert bot_stake(unlimited_account()) is not None
    assert bot_stake(unlimited_account(own=("order_size",))) is None
