"""The simulated exchange's market state: per market ("spot", "usdm") and symbol the trading
status, exchangeInfo filters (copied per simulator so tests can override them), the price path
(last and mark price, klines), USD-M delivery dates and leverage brackets, and the spot delist
schedule. Handlers read it afresh on every request, so a change shows on the next call.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

MARKETS = ("spot", "usdm")
PERPETUAL_DELIVERY_MS = 4133404800000  # 2100-12-25 08:00 UTC: "no delivery" for perpetuals
SPOT_STATUSES = ("TRADING", "END_OF_DAY", "HALT", "BREAK", "CANCEL_ONLY")
USDM_STATUSES = (
    "PENDING_TRADING",
    "TRADING",
    "PRE_DELIVERING",
    "DELIVERING",
    "DELIVERED",
    "PRE_SETTLE",
    "SETTLING",
    "CLOSE",
)

# symbol -> (base, quote, price, tick, step, minQty, maxQty)
SPOT_DEFAULTS: dict[str, tuple[str, str, str, str, str, str, str]] = {
    "BTCUSDT": ("BTC", "USDT", "60000", "0.01000000", "0.00001000", "0.00001000", "9000.00000000"),
    "ETHUSDT": ("ETH", "USDT", "3000", "0.01000000", "0.00010000", "0.00010000", "9000.00000000"),
}
# Three more USDT pairs, not listed by default (tests count the default markets):
# ``default_symbols(more=True)`` lists them, so a bot (or bench/bench_fleet.py) can watch five
# symbols. Spot tick and step as bots' tables of Binance's spot filters have them (UNCONFIRMED
# against a capture).
SPOT_MORE: dict[str, tuple[str, str, str, str, str, str, str]] = {
    "BNBUSDT": ("BNB", "USDT", "600", "0.01000000", "0.00100000", "0.00100000", "9000.00000000"),
    "SOLUSDT": ("SOL", "USDT", "150", "0.01000000", "0.00100000", "0.00100000", "9000.00000000"),
    "XRPUSDT": ("XRP", "USDT", "0.6", "0.00010000", "1.00000000", "1.00000000", "9222449.00000000"),
}
# symbol -> (base, price, tick, step, minPrice, maxPrice, maxQty, mktMaxQty, pricePrecision,
#            quantityPrecision, minNotional, maxAlgo), as Binance has them (order-facts §2.2).
USDM_DEFAULTS: dict[str, tuple[str, str, str, str, str, str, str, str, int, int, str, int]] = {
    "BTCUSDT": (
        "BTC",
        "60000",
        "0.10",
        "0.001",
        "556.80",
        "4529764",
        "1000",
        "120",
        2,
        3,
        "100",
        10,
    ),
    "ETHUSDT": ("ETH", "3000", "0.01", "0.001", "39.86", "306177", "10000", "2000", 2, 3, "20", 10),
}
USDM_MORE: dict[str, tuple[str, str, str, str, str, str, str, str, int, int, str, int]] = {
    # tick and step from a table of Binance's USD-M filters (melight402/trading-back
    # constants/binancePrecision.js); min notional 5, as for most USD-M perpetuals (a SOLUSDT
    # exchangeInfo capture shows MIN_NOTIONAL 5, its price range and MAX_NUM_ALGO_ORDERS 10)
    "BNBUSDT": ("BNB", "600", "0.010", "0.01", "6.600", "100000", "100000", "2000", 3, 2, "5", 10),
    "SOLUSDT": ("SOL", "150", "0.0100", "0.01", "0.4200", "6857", "1000000", "5000", 4, 2, "5", 10),
    "XRPUSDT": (
        "XRP",
        "0.6",
        "0.0001",
        "0.1",
        "0.0143",
        "100000",
        "10000000",
        "2000000",
        4,
        1,
        "5",
        10,
    ),
}

# (initialLeverage, notionalCap, maintMarginRatio), lowest bracket first; BTCUSDT is Binance's
# published table, ETHUSDT a scaled copy of it. cum and notionalFloor are derived.
_BRACKETS: dict[str, list[tuple[int, int, str]]] = {
    "BTCUSDT": [
        (125, 50_000, "0.004"),
        (100, 600_000, "0.005"),
        (75, 3_000_000, "0.0065"),
        (50, 12_000_000, "0.01"),
        (25, 70_000_000, "0.02"),
        (20, 100_000_000, "0.025"),
        (10, 230_000_000, "0.05"),
        (5, 480_000_000, "0.1"),
        (4, 600_000_000, "0.125"),
        (3, 800_000_000, "0.15"),
        (2, 1_200_000_000, "0.25"),
        (1, 1_800_000_000, "0.5"),
    ],
    "ETHUSDT": [
        (125, 50_000, "0.004"),
        (100, 500_000, "0.005"),
        (75, 2_000_000, "0.0065"),
        (50, 10_000_000, "0.01"),
        (25, 50_000_000, "0.02"),
        (20, 80_000_000, "0.025"),
        (10, 150_000_000, "0.05"),
        (5, 300_000_000, "0.1"),
        (4, 400_000_000, "0.125"),
        (3, 500_000_000, "0.15"),
        (2, 800_000_000, "0.25"),
        (1, 1_200_000_000, "0.5"),
    ],
}


def leverage_brackets(symbol: str) -> list[dict[str, Any]]:
    """Binance's bracket objects for ``symbol`` (cum = maintenance amount), lowest first."""
    out: list[dict[str, Any]] = []
    floor, cum, prev_mmr = 0, Decimal(0), Decimal(0)
    for i, (lev, cap, mmr) in enumerate(_BRACKETS.get(symbol, _BRACKETS["BTCUSDT"]), start=1):
        ratio = Decimal(mmr)
        cum += Decimal(floor) * (ratio - prev_mmr)
        out.append(
            {
                "bracket": i,
                "initialLeverage": lev,
                "notionalCap": cap,
                "notionalFloor": floor,
                "maintMarginRatio": float(ratio),
                "cum": float(cum),
            }
        )
        floor, prev_mmr = cap, ratio
    return out


def max_notional(symbol: str, leverage: int) -> int:
    """The position cap at ``leverage``: the largest notionalCap whose initialLeverage >= it."""
    caps = [b["notionalCap"] for b in leverage_brackets(symbol) if b["initialLeverage"] >= leverage]
    return max(caps) if caps else 0


def maint_margin(symbol: str, notional: Decimal) -> Decimal:
    """Maintenance margin of a position of ``abs(notional)`` per the bracket table."""
    n = abs(notional)
    for b in leverage_brackets(symbol):
        if n <= b["notionalCap"]:
            return n * Decimal(str(b["maintMarginRatio"])) - Decimal(str(b["cum"]))
    return n / 2


def to_decimal(value: Any, what: str) -> Decimal:
    """Given a number or numeric string, return a finite Decimal; else ValueError naming it."""
    try:
        out = value if isinstance(value, Decimal) else Decimal(str(value))
    except (InvalidOperation, ValueError):
        raise ValueError(f"{what}: not a number: {value!r}") from None
    if not out.is_finite():
        raise ValueError(f"{what}: must be finite, got {value!r}")
    return out


@dataclass
class SymbolState:
    """One symbol of one market."""

    market: str
    symbol: str
    base: str
    quote: str
    price: Decimal
    filters: list[dict[str, Any]]
    status: str = "TRADING"
    delivery_date_ms: int = PERPETUAL_DELIVERY_MS
    price_precision: int = 2
    quantity_precision: int = 3
    # Optional moving price: the price steps through ``path`` every ``path_step_ms``, from t0.
    path: list[Decimal] = field(default_factory=list)
    path_step_ms: int = 1000
    path_t0_ms: int = 0

    def filter(self, filter_type: str) -> dict[str, Any] | None:
        for f in self.filters:
            if f["filterType"] == filter_type:
                return f
        return None

    def range_between(self, start_ms: int, end_ms: int) -> tuple[Decimal, Decimal]:
        """(lowest, highest) price the path took from ``start_ms`` to ``end_ms``, so a resting
        order fills even if no request saw the moment the price crossed it."""
        if not self.path:
            return self.price, self.price
        step = max(1, self.path_step_ms)
        first = max(0, (start_ms - self.path_t0_ms) // step)
        last = max(0, (end_ms - self.path_t0_ms) // step)
        seen = self.path[min(first, len(self.path) - 1) : min(last, len(self.path) - 1) + 1]
        return min(seen), max(seen)

    def price_at(self, now_ms: int) -> Decimal:
        if not self.path:
            return self.price
        i = max(0, (now_ms - self.path_t0_ms) // max(1, self.path_step_ms))
        return self.path[min(i, len(self.path) - 1)] if i < len(self.path) else self.path[-1]


def _spot_filters(tick: str, step: str, min_qty: str, max_qty: str) -> list[dict[str, Any]]:
    return [
        {
            "filterType": "PRICE_FILTER",
            "minPrice": tick,
            "maxPrice": "1000000.00000000",
            "tickSize": tick,
        },
        {"filterType": "LOT_SIZE", "minQty": min_qty, "maxQty": max_qty, "stepSize": step},
        {"filterType": "ICEBERG_PARTS", "limit": 10},
        {
            "filterType": "MARKET_LOT_SIZE",
            "minQty": "0.00000000",
            "maxQty": "100.00000000",
            "stepSize": "0.00000000",
        },
        {
            "filterType": "TRAILING_DELTA",
            "minTrailingAboveDelta": 10,
            "maxTrailingAboveDelta": 2000,
            "minTrailingBelowDelta": 10,
            "maxTrailingBelowDelta": 2000,
        },
        {
            "filterType": "PERCENT_PRICE_BY_SIDE",
            "bidMultiplierUp": "5",
            "bidMultiplierDown": "0.2",
            "askMultiplierUp": "5",
            "askMultiplierDown": "0.2",
            "avgPriceMins": 5,
        },
        {
            "filterType": "NOTIONAL",
            "minNotional": "5.00000000",
            "applyMinToMarket": True,
            "maxNotional": "9000000.00000000",
            "applyMaxToMarket": False,
            "avgPriceMins": 5,
        },
        {"filterType": "MAX_NUM_ORDERS", "maxNumOrders": 200},
        {"filterType": "MAX_NUM_ALGO_ORDERS", "maxNumAlgoOrders": 5},
    ]


def _usdm_filters(
    v: tuple[str, str, str, str, str, str, str, str, int, int, str, int],
) -> list[dict[str, Any]]:
    _, _, tick, step, min_price, max_price, max_qty, mkt_max, _, _, notional, algo = v
    return [
        {
            "filterType": "PRICE_FILTER",
            "minPrice": min_price,
            "maxPrice": max_price,
            "tickSize": tick,
        },
        {"filterType": "LOT_SIZE", "minQty": step, "maxQty": max_qty, "stepSize": step},
        {"filterType": "MARKET_LOT_SIZE", "minQty": step, "maxQty": mkt_max, "stepSize": step},
        {"filterType": "MAX_NUM_ORDERS", "limit": 200},
        {"filterType": "MAX_NUM_ALGO_ORDERS", "limit": algo},
        {"filterType": "MIN_NOTIONAL", "notional": notional},
        {
            "filterType": "PERCENT_PRICE",
            "multiplierUp": "1.0500",
            "multiplierDown": "0.9500",
            "multiplierDecimal": "4",
        },
    ]


def default_symbols(more: bool = False) -> dict[str, dict[str, SymbolState]]:
    """Given whether to list SPOT_MORE/USDM_MORE too, return fresh symbol states per market."""
    spot_table = {**SPOT_DEFAULTS, **(SPOT_MORE if more else {})}
    usdm_table = {**USDM_DEFAULTS, **(USDM_MORE if more else {})}
    spot = {
        sym: SymbolState(
            "spot",
            sym,
            b,
            q,
            Decimal(p),
            _spot_filters(t, s, mn, mx),
            price_precision=8,
            quantity_precision=8,
        )
        for sym, (b, q, p, t, s, mn, mx) in spot_table.items()
    }
    usdm = {
        sym: SymbolState(
            "usdm",
            sym,
            v[0],
            "USDT",
            Decimal(v[1]),
            _usdm_filters(v),
            price_precision=v[8],
            quantity_precision=v[9],
        )
        for sym, v in usdm_table.items()
    }
    return copy.deepcopy({"spot": spot, "usdm": usdm})


def kline_rows(
    st: SymbolState, interval_ms: int, limit: int, now_ms: int, end_ms: int | None = None
) -> list[list[Any]]:
    """Klines ending at the current candle, from the price path (a flat path gives a gentle,
    deterministic wiggle so the candles look alive but close at the current price)."""
    end = min(end_ms if end_ms is not None else now_ms, now_ms)
    last_open = end - end % interval_ms
    rows: list[list[Any]] = []
    for k in range(limit - 1, -1, -1):
        open_ms = last_open - k * interval_ms
        close_ms = open_ms + interval_ms - 1
        close = st.price_at(min(close_ms, now_ms))
        open_ = st.price_at(open_ms) if st.path else close * (1 + Decimal((k % 5) - 2) / 2000)
        if k == 0 and not st.path:
            open_ = close
        hi, lo = max(open_, close), min(open_, close)
        hi, lo = hi * Decimal("1.0005"), lo * Decimal("0.9995")
        q = Decimal(1).scaleb(-min(st.price_precision, 8))
        rows.append(
            [
                open_ms,
                f"{open_.quantize(q)}",
                f"{hi.quantize(q)}",
                f"{lo.quantize(q)}",
                f"{close.quantize(q)}",
                "12.50000000",
                close_ms,
                f"{(close * 12).quantize(q)}",
                100,
                "6.25000000",
                f"{(close * 6).quantize(q)}",
                "0",
            ]
        )
    return rows


INTERVALS_MS: dict[str, int] = {
    "1s": 1000,
    "1m": 60_000,
    "3m": 180_000,
    "5m": 300_000,
    "15m": 900_000,
    "30m": 1_800_000,
    "1h": 3_600_000,
    "2h": 7_200_000,
    "4h": 14_400_000,
    "6h": 21_600_000,
    "8h": 28_800_000,
    "12h": 43_200_000,
    "1d": 86_400_000,
    "3d": 259_200_000,
    "1w": 604_800_000,
    "1M": 2_592_000_000,
}
