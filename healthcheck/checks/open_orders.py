"""open_orders (-2025, -4045, spot -2010 "Filter failure: MAX_NUM_ORDERS" / MAX_NUM_ALGO_ORDERS,
-1015): how close is the bot to the open-order and unfilled-order limits?

Per configured symbol: open orders and open algo (stop/take-profit) orders versus the symbol's
MAX_NUM_ORDERS and MAX_NUM_ALGO_ORDERS filters. On USD-M futures, conditional orders live in the
Algo Service since the 2025-12 migration (``/fapi/v1/openAlgoOrders``); whether they also count
toward MAX_NUM_ORDERS is unconfirmed, so they are counted there too (the stricter reading; a
grid bot hits the limit on normal orders either way). On spot, the account's unfilled-order
counts (``/api/v3/rateLimit/order``, weight 40, so reused for ten minutes) versus their limits.
WARNING at ``warning`` (80 %) of a limit, CRITICAL at the limit.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar

from healthcheck.checks.base import (
    CheckSettings,
    Facts,
    Finding,
    SchemaError,
    SymbolCheckBase,
    combine,
    market_product,
    number,
    role_endpoints,
    setting,
    unavailable_reason,
)
from healthcheck.exchange.catalogue import quote
from healthcheck.exchange.endpoints import ENDPOINTS
from healthcheck.exchange.fetch import Request
from healthcheck.model.markets import MARKETS, POOLS
from healthcheck.model.result import Result, Status

if TYPE_CHECKING:
    from healthcheck.exchange.account import AccountConfig

SPOT_ALGO_TYPES = {"STOP_LOSS", "STOP_LOSS_LIMIT", "TAKE_PROFIT", "TAKE_PROFIT_LIMIT"}
UNFILLED_REUSE_SECONDS = 600.0


@dataclass(frozen=True)
class OpenOrdersSettings(CheckSettings):
    interval: float | None = setting(
        120.0, "seconds between runs in the daemon", minimum=0, exclusive_min=True
    )
    warning: float = setting(
        0.8,
        "WARNING at this share of a limit (CRITICAL at the limit)",
        minimum=0,
        maximum=1,
        exclusive_min=True,
    )
    unfilled_order_count: bool = setting(
        True,
        "read the spot unfilled-order counts (/api/v3/rateLimit/order, weight 40, reused 10 min)",
    )


@dataclass(frozen=True)
class OpenOrdersCheck(SymbolCheckBase):
    settings: OpenOrdersSettings
    id: ClassVar[str] = "open_orders"
    title: ClassVar[str] = "open and stop orders vs the symbol limits, spot unfilled orders"
    Settings: ClassVar[type[CheckSettings]] = OpenOrdersSettings

    roles: ClassVar[tuple[str, ...]] = ("open_orders",)

    def symbol_needs(
        self, account: AccountConfig, market: str, symbols: tuple[str, ...]
    ) -> list[Request]:
        out = [
            Request.of(endpoint, symbol=s)
            for s in symbols
            for role in ("open_orders", "algo_orders")
            for endpoint in role_endpoints(account, market, role)
        ]
        if self.settings.unfilled_order_count:
            out += [
                Request(n, reuse_seconds=UNFILLED_REUSE_SECONDS)
                for n in role_endpoints(account, market, "order_count")
            ]
        return out

    def evaluate(self, facts: Facts) -> Result | None:
        acc = facts.account
        findings: list[Finding] = []
        unknown: list[str] = []
        details: dict[str, Any] = {"symbols": []}
        metrics: dict[str, Any] = {}
        worst = 0.0
        for m in acc.markets:
            ex = facts.exchange.get(m)
            for sym in acc.symbols_for(m):
                filters = ex.filters(sym) if ex else {}
                counts = self._counts(facts, m, sym, unknown)
                if counts is None:
                    continue
                normal, algo = counts
                row = {"market": m, "symbol": sym, "open_orders": normal, "open_algo_orders": algo}
                details["symbols"].append(row)
                for what, count, limit, code, text in self._limits(m, normal, algo, filters):
                    row[f"{what}_limit"] = limit
                    ratio = count / limit if limit else 0.0
                    worst = max(worst, ratio)
                    label = f"{sym} ({MARKETS[m].title})"
                    # -2010 has many texts: quote the one naming the filter
                    said = text if code == -2010 else quote(code, market_product(m))
                    findings += self._judge(
                        f"{count} {what} on {label}, limit {limit}",
                        ratio,
                        code,
                        text,
                        market_product(m),
                        said,
                    )
        if self.settings.unfilled_order_count:
            for m in acc.markets:
                name = facts.role(m, "order_count")
                if name is not None and acc.symbols_for(m):
                    worst = max(worst, self._unfilled(facts, m, name, findings, unknown, details))
        metrics["open_order_limit_ratio_max"] = round(worst, 4)
        return combine(
            acc.name,
            self.id,
            findings,
            ok_summary=f"open orders at {worst * 100:.0f} % of the tightest limit",
            unknown=unknown,
            details=details,
            metrics=metrics,
        )

    def _counts(
        self, facts: Facts, market: str, sym: str, unknown: list[str]
    ) -> tuple[int, int] | None:
        label = f"{sym} ({MARKETS[market].title})"
        name = facts.role(market, "open_orders")
        if name is None:
            return None
        o = facts.get(Request.of(name, symbol=sym))
        if o is None or not o.ok or not isinstance(o.data, list):
            unknown.append(
                unavailable_reason(o, f"open orders of {label}")
                if o is None or not o.ok
                else f"{label}: open orders not a list"
            )
            return None
        algo_name = facts.role(market, "algo_orders")
        a = facts.get(Request.of(algo_name, symbol=sym)) if algo_name else None
        service = len(a.data) if a is not None and a.ok and isinstance(a.data, list) else 0
        # conditional orders listed by openOrders (spot's stop orders; futures before the algo
        # migration)
        listed = sum(
            1
            for x in o.data
            if isinstance(x, dict)
            and (
                str(x.get("type", "")) in SPOT_ALGO_TYPES
                or str(x.get("type", "")).startswith(("STOP", "TAKE_PROFIT", "TRAILING"))
            )
        )
        return len(o.data) + service, listed + service

    @staticmethod
    def _limits(
        market: str, normal: int, algo: int, filters: dict[str, Any]
    ) -> list[tuple[str, int, int, int, str]]:
        row = MARKETS[market]
        if row.codes is None:
            return []
        out = []
        mx = filters.get("MAX_NUM_ORDERS") or {}
        mxa = filters.get("MAX_NUM_ALGO_ORDERS") or {}
        field, algo_field = row.order_limit_fields
        lim, alim = _int(mx.get(field)), _int(mxa.get(algo_field))
        if lim is not None:
            out.append(("open orders", normal, lim, *row.codes.max_orders))
        if alim is not None:
            out.append(("stop orders", algo, alim, *row.codes.max_algo_orders))
        return [x for x in out if x[2] > 0]

    def _judge(
        self, what: str, ratio: float, code: int, text: str, product: str, said: str
    ) -> list[Finding]:
        fix = (
            "cancel stale orders, or lower the bot's number of open orders per symbol "
            "(grid levels, DCA orders)"
        )
        if ratio >= 1:
            return [
                Finding(
                    Status.CRITICAL,
                    f"{what}: new orders fail with {code} ({text})",
                    [code],
                    fix,
                    product=product,
                    quotes={code: said},
                )
            ]
        if ratio >= self.settings.warning:
            return [
                Finding(
                    Status.WARNING,
                    f"{what} ({ratio * 100:.0f} %; at the limit orders fail with {code})",
                    [],
                    fix,
                    risk_codes=[code],
                    product=product,
                    quotes={code: said},
                )
            ]
        return []

    def _unfilled(
        self,
        facts: Facts,
        market: str,
        endpoint: str,
        findings: list[Finding],
        unknown: list[str],
        details: dict[str, Any],
    ) -> float:
        out = facts.get(Request(endpoint))
        word = POOLS[ENDPOINTS[endpoint].pool].word
        product = market_product(market)
        if out is None or not out.ok:
            unknown.append(unavailable_reason(out, f"{word} unfilled-order counts"))
            return 0.0
        if not isinstance(out.data, list):
            unknown.append("unexpected answer from Binance: rateLimit/order is not a list")
            return 0.0
        worst = 0.0
        rows = []
        try:
            for item in out.data:
                if not isinstance(item, dict) or item.get("rateLimitType") != "ORDERS":
                    continue
                limit = int(number(item, "limit", "rateLimit/order"))
                count = int(number(item, "count", "rateLimit/order"))
                window = f"{item.get('intervalNum', 1)} {str(item.get('interval', '?')).lower()}"
                rows.append({"window": window, "count": count, "limit": limit})
                if limit <= 0:
                    continue
                ratio = count / limit
                worst = max(worst, ratio)
                what = f"{count} of {limit} unfilled {word} orders per {window}"
                per = f"{item.get('intervalNum', 1)} {str(item.get('interval', '?')).upper()}"
                said = quote(-1015, product, 1, limit=limit, interval=per)
                findings += self._judge(what, ratio, -1015, "Too many new orders", product, said)
        except SchemaError as exc:
            unknown.append(f"unexpected answer from Binance: {exc}")
        if out.cached_at is not None:
            details["unfilled_orders_read_at"] = out.cached_at
        details["unfilled_orders"] = rows
        return worst


def _int(v: Any) -> int | None:
    """A filter's whole-number limit (an int, or digits in a string), else None."""
    if isinstance(v, int) and not isinstance(v, bool):
        return v
    if isinstance(v, str) and v.isdigit() and len(v) < 12:
        return int(v)
    return None
