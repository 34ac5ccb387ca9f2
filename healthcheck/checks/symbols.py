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

import re
from collections.abc import Callable
from dataclasses import dataclass
from decimal import ROUND_FLOOR, Decimal, InvalidOperation
from typing import TYPE_CHECKING, Any, ClassVar

from healthcheck.bots.derived import Stake
from healthcheck.checks.base import (
    CheckSettings,
    ExchangeLimits,
    Facts,
    Finding,
    SchemaError,
    SymbolCheckBase,
    combine,
    fmt_duration,
    fmt_ts,
    from_product,
    market_product,
    ms_timestamp,
    number,
    setting,
    unavailable_reason,
)
from healthcheck.exchange.catalogue import quote
from healthcheck.exchange.endpoints import ENDPOINTS, endpoint_for
from healthcheck.exchange.fetch import Request
from healthcheck.model.markets import MARKETS
from healthcheck.model.result import Result, Status

if TYPE_CHECKING:
    from healthcheck.exchange.account import AccountConfig

PERPETUAL_DEFAULT_DELIVERY_MS = 4133404800000  # 2100-12-25 08:00 UTC: no delisting announced
DAY = 86400.0
# freqtrade raises a stake below its minimum by at most 30 % (wallets.py validate_stake_amount)
FREQTRADE_ADJUST = Decimal("1.3")
MAX_SCAN = 20000  # price points scanned for the rounding sawtooth


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
class OrderRules:
    """The filters an order's quantity and notional must pass, from exchangeInfo."""

    step: Decimal
    min_qty: Decimal
    max_qty: Decimal | None
    min_notional: Decimal
    max_notional: Decimal | None

    def quantity(self, size: Decimal, price: Decimal) -> Decimal:
        """The quantity a bot sends for a notional of ``size`` at ``price`` (rounded down)."""
        qty = size / price
        if self.step > 0:
            qty = (qty / self.step).to_integral_value(ROUND_FLOOR) * self.step
        return qty

    def failure(self, size: Decimal, price: Decimal) -> tuple[str, Decimal] | None:
        """Given an order notional and a price, return (filter, figure) it fails, or None."""
        qty = self.quantity(size, price)
        if qty <= 0 or qty < self.min_qty:
            return ("min_qty", qty)
        if self.max_qty is not None and qty > self.max_qty:
            return ("max_qty", qty)
        notional = qty * price
        if notional < self.min_notional:
            return ("min_notional", notional)
        if self.max_notional is not None and notional > self.max_notional:
            return ("max_notional", notional)
        return None


def _dec(value: Any) -> Decimal | None:
    try:
        d = Decimal(str(value))
    except (InvalidOperation, ValueError):
        return None
    return d if d.is_finite() else None


def _filter(filters: dict[str, Any], name: str) -> dict[str, Any]:
    f = filters.get(name)
    return f if isinstance(f, dict) else {}


def order_rules(market: str, filters: dict[str, Any]) -> OrderRules:
    """Given a symbol's filters, return the rules for a MARKET order on ``market``."""
    lot = _filter(filters, "LOT_SIZE")
    mlot = _filter(filters, "MARKET_LOT_SIZE")
    step = _dec(lot.get("stepSize")) or Decimal(0)
    min_qty = _dec(lot.get("minQty")) or Decimal(0)
    max_qty = _dec(lot.get("maxQty"))
    # MARKET orders: MARKET_LOT_SIZE too, where it sets a rule (0 disables it on spot)
    m_min, m_max = _dec(mlot.get("minQty")), _dec(mlot.get("maxQty"))
    if m_min and m_min > min_qty:
        min_qty = m_min
    if m_max and (max_qty is None or m_max < max_qty):
        max_qty = m_max
    if max_qty is not None and max_qty <= 0:
        max_qty = None
    kind = MARKETS[market].notional_filter
    max_notional: Decimal | None
    if kind == "MIN_NOTIONAL":
        mn = _filter(filters, "MIN_NOTIONAL")
        min_notional = _dec(mn.get("notional", mn.get("minNotional"))) or Decimal(0)
        max_notional = None
    elif not kind:  # COIN-M: a contract is worth its contractSize, no notional filter
        min_notional, max_notional = Decimal(0), None
    else:
        nf = _filter(filters, "NOTIONAL")
        old = _filter(filters, "MIN_NOTIONAL")
        min_notional = _dec(nf.get("minNotional", old.get("minNotional"))) or Decimal(0)
        max_notional = _dec(nf.get("maxNotional"))
        if nf and str(nf.get("applyMaxToMarket", "true")).lower() == "false":
            max_notional = None
        if max_notional is not None and max_notional <= 0:
            max_notional = None
    return OrderRules(step, min_qty, max_qty, min_notional, max_notional)


def first_failing_price(
    rules: OrderRules, size: Decimal, price: Decimal, margin: Decimal, direction: int
) -> Decimal | None:
    """Given a price and a move of ``margin`` up (+1) or down (-1), return the nearest price in
    that range at which an order of ``size`` fails, or None.

    Candidate prices are the range's end and every point where the rounded quantity changes
    (qty = k * step at price = size / (k * step)); the notional is lowest just past those.
    """
    end = price * (1 + direction * margin)
    lo, hi = (price, end) if direction > 0 else (end, price)
    candidates: list[Decimal] = [end]
    for limit in (rules.min_qty, rules.max_qty):
        if limit:
            candidates.append(size / limit)
    if rules.step > 0:
        k_hi = int(size / (lo * rules.step))  # quantity steps at the range's low price
        k_lo = int(size / (hi * rules.step))
        nudge = Decimal("1.000000001") if direction > 0 else Decimal("0.999999999")
        if k_hi - k_lo <= MAX_SCAN:
            for k in range(max(k_lo, 1), k_hi + 1):
                candidates.append(size / (k * rules.step) * nudge)
    fails: list[Decimal] = []
    for p in candidates:
        if lo <= p <= hi and p > 0 and rules.failure(size, p) is not None:
            fails.append(p)
    if not fails:
        return None
    return min(fails) if direction > 0 else max(fails)


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
        findings: list[Finding] = []
        unknown: list[str] = []
        details: dict[str, Any] = {"symbols": []}
        metrics: dict[str, Any] = {}
        if facts.bot_config_error is not None:
            return combine(
                acc.name,
                self.id,
                [],
                ok_summary="",
                unknown=[f"the bot's config cannot be read: {facts.bot_config_error}"],
            )
        if acc.bot is not None and "symbols" not in acc.bot.own_keys:
            why = acc.bot.derived.symbols_unknown
            if why is not None:
                findings.append(
                    Finding(
                        Status.WARNING,
                        f"the {acc.bot.bot} pairs are unknown: {why}",
                        [],
                        'set symbols = ["BTCUSDT"] (the bot\'s pairs) in this account of our '
                        "config (they win over the bot's config), or bot_api so the bot's live "
                        "list is read",
                    )
                )
        spot_delist: dict[str, float] = {}
        for m in acc.markets:
            schedule = MARKETS[m].roles.get("delist_schedule")
            if schedule:
                spot_delist.update(self._spot_delist(facts, schedule, details))
        for m in acc.markets:
            ex = facts.exchange.get(m) or ExchangeLimits()
            for sym in acc.symbols_for(m):
                row: dict[str, Any] = {"market": m, "symbol": sym}
                details["symbols"].append(row)
                found = self._one(facts, m, sym, ex, spot_delist, row, unknown, metrics)
                findings += from_product(market_product(m), _quoted(found, m, ex.filters(sym)))
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
    def _spot_delist(
        self, facts: Facts, endpoint: str, details: dict[str, Any]
    ) -> dict[str, float]:
        out = facts.get(endpoint)
        if out is None:
            return {}
        if not out.ok or not isinstance(out.data, list):
            # the status check still works without it: a note, not UNKNOWN
            details["delist_schedule"] = (
                unavailable_reason(out, "spot delist schedule")
                if not out.ok
                else "unexpected answer"
            )
            return {}
        when: dict[str, float] = {}
        for item in out.data:
            if not isinstance(item, dict) or not isinstance(item.get("symbols"), list):
                continue
            ts = ms_timestamp(item.get("delistTime"))
            if ts is None:
                continue
            for s in item["symbols"]:
                if isinstance(s, str):
                    when[s] = min(ts, when.get(s, ts))
        return when

    def _one(
        self,
        facts: Facts,
        market: str,
        sym: str,
        ex: ExchangeLimits,
        spot_delist: dict[str, float],
        row: dict[str, Any],
        unknown: list[str],
        metrics: dict[str, Any],
    ) -> list[Finding]:
        label = f"{sym} ({MARKETS[market].title})"
        entry = ex.symbol(sym)
        if entry is None:
            if ex.fetched_at is None:
                unknown.append(
                    f"{label}: exchangeInfo unavailable"
                    + (f" ({ex.error.message})" if ex.error else "")
                )
                return []
            row["status"] = "missing"
            return [
                Finding(
                    Status.CRITICAL,
                    f"{label} does not exist on Binance: orders fail with -1121 (invalid symbol)",
                    [-1121],
                    "check the symbol's spelling in the bot and in `symbols`",
                )
            ]
        mrow = MARKETS[market]
        status = str(entry.get(mrow.status_field, "?"))
        row["status"] = status
        out: list[Finding] = []
        closed_code, text = mrow.codes.closed if mrow.codes else (0, "")
        if status != "TRADING":
            out.append(
                Finding(
                    Status.CRITICAL,
                    f"{label} is {status}, not TRADING: new orders "
                    f"fail with {closed_code} ({text})",
                    [closed_code],
                    "stop trading this symbol in the bot (remove it from its pair "
                    "list) until Binance reopens it; close what is left on it",
                    quotes={closed_code: text},
                )
            )
            return out
        delist_at = self._delist_time(market, sym, entry, spot_delist)
        if delist_at is not None:
            row["delist_at"] = fmt_ts(delist_at)
            left = delist_at - facts.now
            metrics[f"delist_seconds_{market}_{sym}"] = int(left)
            crit = left <= self.settings.delist_critical_hours * 3600
            out.append(
                Finding(
                    Status.CRITICAL if crit else Status.WARNING,
                    f"{label} is being delisted on {fmt_ts(delist_at)} (in {fmt_duration(left)}): "
                    f"orders fail with {closed_code} from then",
                    [],
                    "move the bot to another "
                    "symbol and close positions and orders on this one before the delisting",
                    risk_codes=[closed_code],
                )
            )
        size = facts.account.order_size_for(sym)
        stake = bot_stake(facts.account)
        if size is not None or stake is not None:
            out += self._order_size(facts, market, sym, label, ex, size, row, unknown)
        return out

    def _stake_size(
        self,
        facts: Facts,
        market: str,
        label: str,
        price: Decimal,
        row: dict[str, Any],
        unknown: list[str],
    ) -> Decimal | None:
        """Given the price, return the notional of one order of the bot's stake rule (an amount
        in the base asset, or freqtrade's "unlimited" from the free balance read this run)."""
        stake = bot_stake(facts.account)
        assert stake is not None
        if stake.kind == "base":
            assert stake.amount is not None
            row["order_amount_base"] = _plain(stake.amount)
            return stake.amount * price
        if stake.kind == "quote":
            return stake.amount
        free = self._free_balance(facts, market, stake, unknown)
        if free is None:
            return None
        size = stake.unlimited_size(free)
        row["stake_unlimited"] = (
            f"free {stake.currency} {_plain(free)} x {stake.ratio} / {stake.max_open_trades}"
            + (f" (available_capital {stake.available_capital})" if stake.available_capital else "")
        )
        if size <= 0:
            unknown.append(f"{label}: no free {stake.currency} for an unlimited stake")
            return None
        return size.quantize(Decimal("0.00000001"))

    def _free_balance(
        self, facts: Facts, market: str, stake: Stake, unknown: list[str]
    ) -> Decimal | None:
        endpoint = balance_endpoint(facts.account, market)
        what = f"free {stake.currency} for the unlimited stake"
        if endpoint is None:
            unknown.append(f"{what}: the {MARKETS[market].title} row has no balance to read")
            return None
        out = facts.get(endpoint)
        if out is None or not out.ok:
            unknown.append(unavailable_reason(out, what))
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
            unknown.append(f"{what}: not read under Portfolio Margin")
            return None
        if not isinstance(items, list):
            unknown.append(f"{what}: unexpected answer from Binance")
            return None
        for item in items:
            if isinstance(item, dict) and str(item.get("asset", "")).upper() == stake.currency:
                try:
                    return number(item, field, f"{endpoint} {stake.currency}")
                except SchemaError as exc:
                    unknown.append(f"unexpected answer from Binance: {exc}")
                    return None
        return Decimal(0)

    def _delist_time(
        self, market: str, sym: str, entry: dict[str, Any], spot_delist: dict[str, float]
    ) -> float | None:
        if MARKETS[market].delisting == "schedule":
            return spot_delist.get(sym)
        if MARKETS[market].delisting != "delivery_date":
            return None
        if entry.get("contractType") != "PERPETUAL":
            return None  # a delivery contract's date is its normal expiry
        raw = entry.get("deliveryDate")
        if (
            not isinstance(raw, int)
            or isinstance(raw, bool)
            or raw == PERPETUAL_DEFAULT_DELIVERY_MS
        ):
            return None
        return ms_timestamp(raw)

    def _order_size(
        self,
        facts: Facts,
        market: str,
        sym: str,
        label: str,
        ex: ExchangeLimits,
        given: Decimal | None,
        row: dict[str, Any],
        unknown: list[str],
    ) -> list[Finding]:
        mrow = MARKETS[market]
        if mrow.quantity_unit == "contracts":
            if given is None:
                return []  # a bot's stake is in the base or quote asset, never in contracts
            return self._contracts(market, sym, label, ex, given, row, unknown)
        endpoint = mrow.roles.get("price")
        if endpoint is None:
            return []
        out = facts.get(Request.of(endpoint, symbol=sym))
        if out is None or not out.ok:
            unknown.append(unavailable_reason(out, f"{label} price"))
            return []
        try:
            price = number(out.data, mrow.price_field, f"{label} price")
        except SchemaError as exc:
            unknown.append(f"unexpected answer from Binance: {exc}")
            return []
        if price <= 0:
            unknown.append(f"{label}: Binance reports a price of {price}")
            return []
        rules = order_rules(market, ex.filters(sym))
        size = given
        if size is None:
            size = self._stake_size(facts, market, label, price, row, unknown)
            if size is None:
                return []
        bot = facts.account.bot
        min_rule = bot.derived.min_stake if bot is not None else None
        if min_rule is not None:
            min_stake = min_rule.min_stake(rules.min_notional, rules.min_qty, price)
            row["freqtrade_min_stake"] = f"{min_stake:.4f}"
            if size * FREQTRADE_ADJUST < min_stake:
                code, text = _failure_code(market, "min_notional")
                return [
                    Finding(
                        Status.CRITICAL,
                        f"freqtrade ignores every trade on {label}: a stake of {_plain(size)} is "
                        f"more than 30 % below its minimum stake of {min_stake:.2f} at "
                        f"{_plain(price)} (the minimum notional {_plain(rules.min_notional)} "
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
                row["stake_raised_to"] = f"{min_stake:.4f}"
                # freqtrade raises it to its minimum and sends that (a float: 8 places are
                # more than any step size needs, and read better than 28)
                size = min_stake.quantize(Decimal("0.00000001"))
        qty = rules.quantity(size, price)
        row.update(
            {
                "price": str(price),
                "order_size": str(size),
                "quantity": str(qty),
                "min_notional": str(rules.min_notional),
                "min_qty": str(rules.min_qty),
                "step_size": str(rules.step),
            }
        )
        fail = rules.failure(size, price)
        if fail is not None:
            code, text = _failure_code(market, fail[0])
            return [
                Finding(
                    Status.CRITICAL,
                    f"an order of {_plain(size)} on {label} at {_plain(price)} "
                    f"{_explain(fail, rules, qty, market)}: it fails with {code}"
                    f"{text}",
                    [code],
                    _fix(fail[0], rules, price),
                )
            ]
        margin = Decimal(str(self.settings.price_margin))
        hits = [
            (d, p)
            for d in (1, -1)
            if (p := first_failing_price(rules, size, price, margin, d)) is not None
        ]
        if not hits:
            return []
        direction, p = min(hits, key=lambda h: abs(h[1] - price))
        fail = rules.failure(size, p)
        assert fail is not None
        code, text = _failure_code(market, fail[0])
        move = (p - price) / price * 100
        row["fails_at_price"] = f"{p:.8g}"
        return [
            Finding(
                Status.WARNING,
                f"an order of {_plain(size)} on {label} fails with {code}"
                f"{text} if the price {'rises' if direction > 0 else 'falls'} to "
                f"{p:.8g} ({move:+.1f} %; now {_plain(price)}, "
                f"{_explain(fail, rules, rules.quantity(size, p), market)})",
                [],
                _fix(fail[0], rules, p),
                risk_codes=[code],
            )
        ]

    def _contracts(
        self,
        market: str,
        sym: str,
        label: str,
        ex: ExchangeLimits,
        size: Decimal,
        row: dict[str, Any],
        unknown: list[str],
    ) -> list[Finding]:
        """COIN-M: ``order_size`` is in USD and an order is whole contracts of ``contractSize``
        USD, so the quantity is ``floor(order_size / contractSize)`` at any price."""
        entry = ex.symbol(sym) or {}
        try:
            contract = number(entry, "contractSize", f"{label} exchangeInfo")
        except SchemaError as exc:
            unknown.append(f"unexpected answer from Binance: {exc}")
            return []
        if contract <= 0:
            unknown.append(f"{label}: Binance reports a contract size of {contract}")
            return []
        rules = order_rules(market, ex.filters(sym))
        qty = (size / contract).to_integral_value(ROUND_FLOOR)
        if rules.step > 0:
            qty = (qty / rules.step).to_integral_value(ROUND_FLOOR) * rules.step
        row.update(
            {
                "order_size": f"{_plain(size)} USD",
                "contract_size": _plain(contract),
                "quantity": f"{_plain(qty)} contracts",
                "min_qty": str(rules.min_qty),
            }
        )
        codes = MARKETS[market].codes
        assert codes is not None
        kind = None
        if qty <= 0 or qty < rules.min_qty:
            kind, (code, text) = "min", codes.min_qty
            why = (
                f"is {_plain(qty)} contract(s) of {_plain(contract)} USD, below the minimum "
                f"{_plain(rules.min_qty)}"
            )
            fix = f"raise the bot's order size to at least {_plain(contract * rules.min_qty)} USD"
        elif rules.max_qty is not None and qty > rules.max_qty:
            kind, (code, text) = "max", codes.max_qty
            why = f"is {_plain(qty)} contracts, above the maximum {_plain(rules.max_qty)}"
            fix = "lower the bot's order size (or split the order)"
        if kind is None:
            return []
        return [
            Finding(
                Status.CRITICAL,
                f"an order of {_plain(size)} USD on {label} {why}: it fails with {code} ({text})",
                [code],
                fix,
            )
        ]


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


def _plain(d: Decimal) -> str:
    """A Decimal as a person writes it: 60000, not 60000.00000000 or 6E+4."""
    return format(d.normalize(), "f")


def _quoted(findings: list[Finding], market: str, filters: dict[str, Any]) -> list[Finding]:
    """Given a symbol's findings, return them quoting Binance's order-size texts with the
    symbol's own figures (its minimum notional, the filter that fails)."""
    rules = order_rules(market, filters)
    product = market_product(market)
    for f in findings:
        for code in f.codes + f.risk_codes:
            if code in f.quotes:
                continue
            if code == -4164 and rules.min_notional:
                f.quotes[code] = quote(code, product, min_notional=_plain(rules.min_notional))
            elif code == -1013 and (m := re.search(r"Filter failure: ([A-Z_]+)", f.text)):
                f.quotes[code] = quote(code, product, filter=m.group(1))
    return findings


def _failure_code(market: str, kind: str) -> tuple[int, str]:
    codes = MARKETS[market].codes
    assert codes is not None
    code, text = getattr(codes, kind)
    return code, f" ({text})" if text else ""


def _explain(fail: tuple[str, Decimal], rules: OrderRules, qty: Decimal, market: str) -> str:
    kind, figure = fail
    texts: dict[str, Callable[[], str]] = {
        "min_qty": lambda: f"is a quantity of {qty:f}, below the minimum {rules.min_qty:f}",
        "max_qty": lambda: f"is a quantity of {qty:f}, above the maximum {rules.max_qty:f}",
        "min_notional": lambda: (
            f"rounds down to {qty:f} = {figure:.4f} notional, below the "
            f"minimum {rules.min_notional:f}"
        ),
        "max_notional": lambda: (
            f"is {figure:.4f} notional, above the maximum {rules.max_notional:f}"
        ),
    }
    return texts[kind]()


def _fix(kind: str, rules: OrderRules, price: Decimal) -> str:
    if kind == "min_notional":
        need = rules.min_notional + rules.step * price
        return (
            f"raise the bot's order size to at least {need:.2f} (minimum notional plus one "
            "step of rounding), or trade a symbol with a lower minimum"
        )
    if kind == "min_qty":
        return f"raise the bot's order size above {rules.min_qty * price:.2f}"
    return "lower the bot's order size (or split the order)"
