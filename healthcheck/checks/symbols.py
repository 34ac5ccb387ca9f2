"""symbols (-4141, spot "Market is closed.", -4164 / -1013 NOTIONAL, -4004 / -4005 / -1013
LOT_SIZE): can the bot's orders on its symbols be placed at all?

Per configured symbol and market: the symbol exists and is ``TRADING`` (exchangeInfo, cached a
day); a delisting already announced (a perpetual's ``deliveryDate`` moved from its far-future
default; the spot delist schedule, read at most daily) is a WARNING with the date and a countdown,
CRITICAL in the last day. With ``order_size`` (the notional of one order, in the quote asset), the
quantity the bot sends at the current price, rounded *down* to the step size as ccxt and
freqtrade do, must pass LOT_SIZE / MARKET_LOT_SIZE and the minimum (and spot maximum) notional:
CRITICAL when it fails now, WARNING when a price move of ``price_margin`` either way would make it
fail (rounding makes the traded notional jump with the price); the summary names the price at
which it starts failing.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING, Any, ClassVar

from healthcheck.checks.base import (
    CheckSettings,
    ExchangeLimits,
    Facts,
    Finding,
    SymbolCheckBase,
    SymbolView,
    combine,
    from_product,
    market_product,
    setting,
)
from healthcheck.checks.listing import listing_findings, spot_delist_times
from healthcheck.checks.order_size import (
    contract_findings,
    order_rules,
    quoted,
    read_price,
    size_findings,
)
from healthcheck.checks.stake import apply_min_stake, balance_endpoint, bot_stake, stake_size
from healthcheck.exchange.fetch import Request
from healthcheck.model.markets import MARKETS
from healthcheck.model.result import Result, Status

if TYPE_CHECKING:
    from healthcheck.exchange.account import AccountConfig

DAY = 86400.0

# the check's parts, one job per module: listing (exists, TRADING, delisting), order_size (the
# filters an order passes), stake (the bot's stake rule and freqtrade's minimum stake)


@dataclass(frozen=True)
class SymbolsSettings(CheckSettings):
    interval: float | None = setting(
        300.0, "seconds between runs in the daemon", minimum=0, exclusive_min=True
    )
    price_margin: float = setting(
        0.10,
        "WARNING when a price move of this share either way "
        "would make an order of order_size fail a filter",
        minimum=0,
        maximum=0.9,
    )
    delist_critical_hours: float = setting(
        24.0,
        "an announced delisting is CRITICAL this many "
        "hours before it (WARNING from the announcement)",
        minimum=0,
    )
    delist_schedule: bool = setting(
        True, "read the spot delist schedule (weight 100, at most once a day)"
    )


@dataclass(frozen=True)
class SymbolsCheck(SymbolCheckBase):
    settings: SymbolsSettings
    id: ClassVar[str] = "symbols"
    title: ClassVar[str] = "symbol status, delistings, order size vs lot size and notional"
    Settings: ClassVar[type[CheckSettings]] = SymbolsSettings

    def applies(self, account: AccountConfig) -> bool:
        # an account whose bot config names no symbol still gets a result: why they are unknown
        return super().applies(account) or account.bot is not None

    def symbol_needs(
        self, account: AccountConfig, market: str, symbols: tuple[str, ...]
    ) -> list[Request]:
        out: list[Request] = []
        row = MARKETS[market]
        price = row.roles.get("price")
        stake = bot_stake(account)
        # an order in contracts of a fixed USD size needs no price (nor a bot's stake: bots
        # size their orders in the base or quote asset)
        priced = price is not None and row.quantity_unit == "base"
        if (account.order_size or stake is not None) and price is not None and priced:
            out += [Request.of(price, symbol=s) for s in symbols]
        if stake is not None and stake.kind == "unlimited" and priced:
            # the same answer the balance check reads: no extra weight when both are due
            name = balance_endpoint(account, market)
            if name is not None:
                out.append(Request(name))
        schedule = row.roles.get("delist_schedule")
        if schedule and self.settings.delist_schedule and not account.testnet:
            out.append(Request(schedule, reuse_seconds=DAY))
        return out

    def evaluate(self, facts: Facts) -> Result | None:
        acc = facts.account
        if facts.bot_config_error is not None:
            return combine(
                acc.name,
                self.id,
                [],
                ok_summary="",
                unknown=[f"the bot's config cannot be read: {facts.bot_config_error}"],
            )
        findings = _unknown_pairs(acc)
        unknown: list[str] = []
        details: dict[str, Any] = {"symbols": []}
        metrics: dict[str, Any] = {}
        spot_delist: dict[str, float] = {}
        for m in acc.markets:
            schedule = MARKETS[m].roles.get("delist_schedule")
            if schedule:
                spot_delist.update(spot_delist_times(facts, schedule, details))
        for m in acc.markets:
            ex = facts.exchange.get(m) or ExchangeLimits()
            for sym in acc.symbols_for(m):
                row: dict[str, Any] = {"market": m, "symbol": sym}
                details["symbols"].append(row)
                v = SymbolView(facts, m, sym, ex, row, unknown)
                found = self._symbol(v, spot_delist, metrics)
                findings += from_product(market_product(m), quoted(found, m, ex.filters(sym)))
        n = len(details["symbols"])
        ok = f"{n} symbol(s) trading" + (
            ", orders of order_size pass the filters"
            if acc.order_size or bot_stake(acc) is not None
            else ""
        )
        return combine(
            acc.name,
            self.id,
            findings,
            ok_summary=ok,
            unknown=unknown,
            details=details,
            metrics=metrics,
        )

    # ---------------------------------------------------------------------------- parts
    def _symbol(
        self, v: SymbolView, spot_delist: dict[str, float], metrics: dict[str, Any]
    ) -> list[Finding]:
        """Given one symbol, return the findings about its listing and, while it trades, about
        an order of the configured (or the bot's) size."""
        trades, out = listing_findings(v, spot_delist, self.settings.delist_critical_hours, metrics)
        if not trades:
            return out
        size = v.facts.account.order_size_for(v.symbol)
        if size is not None or bot_stake(v.facts.account) is not None:
            out += self._order_size(v, size)
        return out

    def _order_size(self, v: SymbolView, given: Decimal | None) -> list[Finding]:
        """Given a symbol and the configured order size (None: the bot's stake rule sizes it),
        return the findings about an order of that size at the current price."""
        if MARKETS[v.market].quantity_unit == "contracts":
            # a bot's stake is in the base or quote asset, never in contracts
            return [] if given is None else contract_findings(v, given)
        price = read_price(v)
        if price is None:
            return []
        rules = order_rules(v.market, v.exchange.filters(v.symbol))
        size = given if given is not None else stake_size(v, price)
        if size is None:
            return []
        size, ignored = apply_min_stake(v, rules, size, price)
        if ignored:
            return ignored
        return size_findings(v, rules, size, price, Decimal(str(self.settings.price_margin)))


def _unknown_pairs(acc: AccountConfig) -> list[Finding]:
    """Given an account, return a WARNING when its bot's config could not say the pairs and our
    config names none."""
    if acc.bot is None or "symbols" in acc.bot.own_keys:
        return []
    why = acc.bot.derived.symbols_unknown
    if why is None:
        return []
    return [
        Finding(
            Status.WARNING,
            f"the {acc.bot.bot} pairs are unknown: {why}",
            [],
            'set symbols = ["BTCUSDT"] (the bot\'s pairs) in this account of our '
            "config (they win over the bot's config), or bot_api so the bot's live "
            "list is read",
        )
    ]
