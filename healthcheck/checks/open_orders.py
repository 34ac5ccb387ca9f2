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

from healthcheck.binance_errors import quote
from healthcheck.checks.base import (
    CheckSettings,
    Facts,
    Finding,
    SchemaError,
    SymbolCheckBase,
    combine,
    market_product,
    number,
    setting,
    unavailable_reason,
)
from healthcheck.fetch import Request
from healthcheck.markets import MARKETS
from healthcheck.result import Result, Status

if TYPE_CHECKING:
    from healthcheck.config import AccountConfig

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

    def symbol_needs(
        self, account: AccountConfig, market: str, symbols: tuple[str, ...]
    ) -> list[Request]:
        if market == "usdm":
            return [
                Request.of(endpoint, symbol=s)
                for s in symbols
                for endpoint in ("fapi.openOrders", "fapi.openAlgoOrders")
            ]
        out = [Request.of("spot.openOrders", symbol=s) for s in symbols]
        if self.settings.unfilled_order_count:
            out.append(Request("spot.rateLimitOrder", reuse_seconds=UNFILLED_REUSE_SECONDS))
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
        if "spot" in acc.markets and self.settings.unfilled_order_count and acc.symbols_for("spot"):
            worst = max(worst, self._unfilled(facts, findings, unknown, details))
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
        if market == "usdm":
            o = facts.get(Request.of("fapi.openOrders", symbol=sym))
            a = facts.get(Request.of("fapi.openAlgoOrders", symbol=sym))
            if o is None or not o.ok or not isinstance(o.data, list):
                unknown.append(
                    unavailable_reason(o, f"open orders of {label}")
                    if o is None or not o.ok
                    else f"{label}: open orders not a list"
                )
                return None
            service = len(a.data) if a is not None and a.ok and isinstance(a.data, list) else 0
            # conditional orders still listed by openOrders (before the algo migration)
            listed = sum(
                1
                for x in o.data
                if isinstance(x, dict)
                and str(x.get("type", "")).startswith(("STOP", "TAKE_PROFIT", "TRAILING"))
            )
            return len(o.data) + service, listed + service
        o = facts.get(Request.of("spot.openOrders", symbol=sym))
        if o is None or not o.ok or not isinstance(o.data, list):
            unknown.append(
                unavailable_reason(o, f"open orders of {label}")
                if o is None or not o.ok
                else f"{label}: open orders not a list"
            )
            return None
        algo = sum(
            1 for x in o.data if isinstance(x, dict) and str(x.get("type")) in SPOT_ALGO_TYPES
        )
        return len(o.data), algo

    @staticmethod
    def _limits(
        market: str, normal: int, algo: int, filters: dict[str, Any]
    ) -> list[tuple[str, int, int, int, str]]:
        out = []
        mx = filters.get("MAX_NUM_ORDERS") or {}
        mxa = filters.get("MAX_NUM_ALGO_ORDERS") or {}
        if market == "usdm":
            lim, alim = _int(mx.get("limit")), _int(mxa.get("limit"))
            if lim is not None:
                out.append(("open orders", normal, lim, -2025, "Reach max open order limit"))
            if alim is not None:
                out.append(("stop orders", algo, alim, -4045, "Reach max stop order limit"))
        else:
            lim, alim = _int(mx.get("maxNumOrders")), _int(mxa.get("maxNumAlgoOrders"))
            if lim is not None:
                out.append(("open orders", normal, lim, -2010, "Filter failure: MAX_NUM_ORDERS"))
            if alim is not None:
                out.append(
                    ("stop orders", algo, alim, -2010, "Filter failure: MAX_NUM_ALGO_ORDERS")
                )
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
        self, facts: Facts, findings: list[Finding], unknown: list[str], details: dict[str, Any]
    ) -> float:
        out = facts.get(Request("spot.rateLimitOrder"))
        if out is None or not out.ok:
            unknown.append(unavailable_reason(out, "spot unfilled-order counts"))
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
                what = f"{count} of {limit} unfilled spot orders per {window}"
                per = f"{item.get('intervalNum', 1)} {str(item.get('interval', '?')).upper()}"
                said = quote(-1015, "spot", 1, limit=limit, interval=per)
                findings += self._judge(what, ratio, -1015, "Too many new orders", "spot", said)
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
