"""The trading bot's stake, as the symbols check sizes orders by it: which stake rule a bot's config
gives (an amount in the base asset, or freqtrade's "unlimited" share of the free balance), the
notional of one order by it, and freqtrade's minimum stake (the minimum notional plus its stoploss
reserve; a stake more than 30 % below it is a trade freqtrade ignores, one below it is raised).
"""

from __future__ import annotations

from decimal import Decimal
from typing import TYPE_CHECKING

from healthcheck.bots.derived import Stake
from healthcheck.checks.base import Finding, SchemaError, SymbolView, number, unavailable_reason
from healthcheck.checks.order_size import OrderRules, failure_code, plain
from healthcheck.exchange.endpoints import ENDPOINTS, endpoint_for
from healthcheck.model.markets import MARKETS
from healthcheck.model.result import Status

if TYPE_CHECKING:
    from healthcheck.exchange.account import AccountConfig

# freqtrade raises a stake below its minimum by at most 30 % (wallets.py validate_stake_amount)
FREQTRADE_ADJUST = Decimal("1.3")


def bot_stake(account: AccountConfig) -> Stake | None:
    """Given an account, return the stake rule its bot's config gave, unless our order_size
    (which wins) or a fixed size already says it."""
    bot = account.bot
    if bot is None or bot.derived.stake is None or "order_size" in bot.own_keys:
        return None
    if bot.derived.stake.kind == "quote":
        return None  # derived into order_size at load
    return bot.derived.stake


def balance_endpoint(account: AccountConfig, market: str) -> str | None:
    """Given an account and one of its markets, return the endpoint the balance check reads
    the market's free balances from by default (the wallet's, where the row has one and the
    account is not on the testnet, which has no /sapi), or None when the row has none."""
    pm = account.pm is True
    row = MARKETS[market]
    wallet = endpoint_for(row, "wallet_balance", pm)
    if wallet is not None and not account.testnet:
        return wallet
    return endpoint_for(row, "balance", pm)


def stake_size(v: SymbolView, price: Decimal) -> Decimal | None:
    """Given the price, return the notional of one order of the bot's stake rule (an amount
    in the base asset, or freqtrade's "unlimited" from the free balance read this run)."""
    stake = bot_stake(v.facts.account)
    assert stake is not None
    if stake.kind == "base":
        assert stake.amount is not None
        v.row["order_amount_base"] = plain(stake.amount)
        return stake.amount * price
    if stake.kind == "quote":
        return stake.amount
    free = free_balance(v, stake)
    if free is None:
        return None
    size = stake.unlimited_size(free)
    v.row["stake_unlimited"] = (
        f"free {stake.currency} {plain(free)} x {stake.ratio} / {stake.max_open_trades}"
        + (f" (available_capital {stake.available_capital})" if stake.available_capital else "")
    )
    if size <= 0:
        v.unknown.append(f"{v.label}: no free {stake.currency} for an unlimited stake")
        return None
    return size.quantize(Decimal("0.00000001"))


def free_balance(v: SymbolView, stake: Stake) -> Decimal | None:
    """Given a symbol's market and the bot's stake currency, return its free balance from the
    answer the balance check reads (0 if the asset is absent; None, noted, if unreadable)."""
    endpoint = balance_endpoint(v.facts.account, v.market)
    what = f"free {stake.currency} for the unlimited stake"
    if endpoint is None:
        v.unknown.append(f"{what}: the {MARKETS[v.market].title} row has no balance to read")
        return None
    out = v.facts.get(endpoint)
    if out is None or not out.ok:
        v.unknown.append(unavailable_reason(out, what))
        return None
    data = out.data
    shape = MARKETS[ENDPOINTS[endpoint].market].balance_shape
    if shape == "spot":
        items = data.get("balances") if isinstance(data, dict) else data
        field = "free"
    elif shape in ("totals", "per_asset"):
        items = data.get("assets") if isinstance(data, dict) else None
        field = "availableBalance"
    else:  # Portfolio Margin's account says no free balance per asset
        v.unknown.append(f"{what}: not read under Portfolio Margin")
        return None
    if not isinstance(items, list):
        v.unknown.append(f"{what}: unexpected answer from Binance")
        return None
    for item in items:
        if isinstance(item, dict) and str(item.get("asset", "")).upper() == stake.currency:
            try:
                return number(item, field, f"{endpoint} {stake.currency}")
            except SchemaError as exc:
                v.unknown.append(f"unexpected answer from Binance: {exc}")
                return None
    return Decimal(0)


def apply_min_stake(
    v: SymbolView, rules: OrderRules, size: Decimal, price: Decimal
) -> tuple[Decimal, list[Finding]]:
    """Given an order's notional, return the notional freqtrade sends (raised to its minimum
    stake when below it), and a CRITICAL finding when freqtrade ignores the trade instead.
    Bots without a minimum-stake rule send ``size`` unchanged."""
    bot = v.facts.account.bot
    min_rule = bot.derived.min_stake if bot is not None else None
    if min_rule is None:
        return size, []
    min_stake = min_rule.min_stake(rules.min_notional, rules.min_qty, price)
    v.row["freqtrade_min_stake"] = f"{min_stake:.4f}"
    if size * FREQTRADE_ADJUST < min_stake:
        code, text = failure_code(v.market, "min_notional")
        return size, [
            Finding(
                Status.CRITICAL,
                f"freqtrade ignores every trade on {v.label}: a stake of {plain(size)} is "
                f"more than 30 % below its minimum stake of {min_stake:.2f} at "
                f"{plain(price)} (the minimum notional {plain(rules.min_notional)} "
                f"plus freqtrade's stoploss reserve x{min_rule.stoploss_reserve():.3f}; "
                f"{min_rule.describe_stoploss()}), so it logs 'Stake amount ... is too "
                f"small ... ignoring trade' and never sends the order that would "
                f"stand for {code}{text}",
                [code],
                f"raise stake_amount to at least {min_stake:.2f} (or "
                f"{min_stake / FREQTRADE_ADJUST:.2f}, which freqtrade raises by up to "
                "30 %), or trade a symbol with a lower minimum",
            )
        ]
    if size < min_stake:
        v.row["stake_raised_to"] = f"{min_stake:.4f}"
        # freqtrade raises it to its minimum and sends that (a float: 8 places are
        # more than any step size needs, and read better than 28)
        return min_stake.quantize(Decimal("0.00000001")), []
    return size, []
