"""What one MARKET order's quantity and notional must pass (LOT_SIZE, MARKET_LOT_SIZE, the
minimum and maximum notional; -4004 / -4005 / -1013 / -4164), and the findings about an order of a
given size: it fails at the current price (CRITICAL), a price move within ``price_margin`` makes
it fail (WARNING, naming the price), or, for COIN-M's whole contracts, it is below or above the
quantity limits. The quantity is rounded *down* to the step size, as ccxt and freqtrade do.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from decimal import ROUND_FLOOR, Decimal, InvalidOperation
from typing import Any

from healthcheck.checks.base import (
    MAX_EXPONENT,
    Finding,
    SchemaError,
    SymbolView,
    market_product,
    number,
    unavailable_reason,
)
from healthcheck.exchange.catalogue import quote
from healthcheck.exchange.fetch import Request
from healthcheck.model.markets import MARKETS
from healthcheck.model.result import Status

MAX_SCAN = 20000  # price points scanned for the rounding sawtooth


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
    """A filter's figure, or None when it is not a plausible number (an exponent beyond
    MAX_EXPONENT would overflow or underflow the arithmetic below, as number() refuses too)."""
    try:
        d = Decimal(str(value))
    except (InvalidOperation, ValueError):
        return None
    if not d.is_finite() or (d and not -MAX_EXPONENT <= d.adjusted() <= MAX_EXPONENT):
        return None
    return d


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


def read_price(v: SymbolView) -> Decimal | None:
    """Given a symbol, return the price its market's orders are sized at (noting in
    ``v.unknown`` why not, when it could not be read); None also when the row has no price."""
    mrow = MARKETS[v.market]
    endpoint = mrow.roles.get("price")
    if endpoint is None:
        return None
    out = v.facts.get(Request.of(endpoint, symbol=v.symbol))
    if out is None or not out.ok:
        v.unknown.append(unavailable_reason(out, f"{v.label} price"))
        return None
    try:
        price = number(out.data, mrow.price_field, f"{v.label} price")
    except SchemaError as exc:
        v.unknown.append(f"unexpected answer from Binance: {exc}")
        return None
    if price <= 0:
        v.unknown.append(f"{v.label}: Binance reports a price of {price}")
        return None
    return price


def size_findings(
    v: SymbolView, rules: OrderRules, size: Decimal, price: Decimal, margin: Decimal
) -> list[Finding]:
    """Given an order's notional and the price, return CRITICAL if it fails a filter now, else
    WARNING if a move of ``margin`` either way makes it fail (the nearest such price)."""
    qty = rules.quantity(size, price)
    v.row.update(
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
        code, text = failure_code(v.market, fail[0])
        return [
            Finding(
                Status.CRITICAL,
                f"an order of {plain(size)} on {v.label} at {plain(price)} "
                f"{_explain(fail, rules, qty, v.market)}: it fails with {code}"
                f"{text}",
                [code],
                _fix(fail[0], rules, price),
            )
        ]
    return _near_failure(v, rules, size, price, margin)


def _near_failure(
    v: SymbolView, rules: OrderRules, size: Decimal, price: Decimal, margin: Decimal
) -> list[Finding]:
    """Given an order that passes now, return a WARNING at the nearest price within ``margin``
    where it fails (none if it passes throughout)."""
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
    code, text = failure_code(v.market, fail[0])
    move = (p - price) / price * 100
    v.row["fails_at_price"] = f"{p:.8g}"
    return [
        Finding(
            Status.WARNING,
            f"an order of {plain(size)} on {v.label} fails with {code}"
            f"{text} if the price {'rises' if direction > 0 else 'falls'} to "
            f"{p:.8g} ({move:+.1f} %; now {plain(price)}, "
            f"{_explain(fail, rules, rules.quantity(size, p), v.market)})",
            [],
            _fix(fail[0], rules, p),
            risk_codes=[code],
        )
    ]


def contract_findings(v: SymbolView, size: Decimal) -> list[Finding]:
    """COIN-M: ``order_size`` is in USD and an order is whole contracts of ``contractSize``
    USD, so the quantity is ``floor(order_size / contractSize)`` at any price."""
    entry = v.exchange.symbol(v.symbol) or {}
    try:
        contract = number(entry, "contractSize", f"{v.label} exchangeInfo")
    except SchemaError as exc:
        v.unknown.append(f"unexpected answer from Binance: {exc}")
        return []
    if contract <= 0:
        v.unknown.append(f"{v.label}: Binance reports a contract size of {contract}")
        return []
    rules = order_rules(v.market, v.exchange.filters(v.symbol))
    qty = (size / contract).to_integral_value(ROUND_FLOOR)
    if rules.step > 0:
        qty = (qty / rules.step).to_integral_value(ROUND_FLOOR) * rules.step
    v.row.update(
        {
            "order_size": f"{plain(size)} USD",
            "contract_size": plain(contract),
            "quantity": f"{plain(qty)} contracts",
            "min_qty": str(rules.min_qty),
        }
    )
    codes = MARKETS[v.market].codes
    assert codes is not None
    if qty <= 0 or qty < rules.min_qty:
        code, text = codes.min_qty
        why = (
            f"is {plain(qty)} contract(s) of {plain(contract)} USD, below the minimum "
            f"{plain(rules.min_qty)}"
        )
        fix = f"raise the bot's order size to at least {plain(contract * rules.min_qty)} USD"
    elif rules.max_qty is not None and qty > rules.max_qty:
        code, text = codes.max_qty
        why = f"is {plain(qty)} contracts, above the maximum {plain(rules.max_qty)}"
        fix = "lower the bot's order size (or split the order)"
    else:
        return []
    return [
        Finding(
            Status.CRITICAL,
            f"an order of {plain(size)} USD on {v.label} {why}: it fails with {code} ({text})",
            [code],
            fix,
        )
    ]


def plain(d: Decimal) -> str:
    """A Decimal as a person writes it: 60000, not 60000.00000000 or 6E+4."""
    return format(d.normalize(), "f")


def quoted(findings: list[Finding], market: str, filters: dict[str, Any]) -> list[Finding]:
    """Given a symbol's findings, return them quoting Binance's order-size texts with the
    symbol's own figures (its minimum notional, the filter that fails)."""
    rules = order_rules(market, filters)
    product = market_product(market)
    for f in findings:
        for code in f.codes + f.risk_codes:
            if code in f.quotes:
                continue
            if code == -4164 and rules.min_notional:
                f.quotes[code] = quote(code, product, min_notional=plain(rules.min_notional))
            elif code == -1013 and (m := re.search(r"Filter failure: ([A-Z_]+)", f.text)):
                f.quotes[code] = quote(code, product, filter=m.group(1))
    return findings


def failure_code(market: str, kind: str) -> tuple[int, str]:
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
