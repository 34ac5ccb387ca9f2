"""The simulated exchange's markets as one store: every market's symbols (price or price path,
status, filters, USD-M delivery date) and the spot delist schedule, with the setters tests and
the ``/_sim`` control API use. Filling the orders a new price crosses is the order book's job.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

from healthcheck.simulator import coinm
from healthcheck.simulator.market import (
    MARKETS,
    SPOT_STATUSES,
    USDM_STATUSES,
    SymbolState,
    default_symbols,
    to_decimal,
)


def all_default_symbols() -> dict[str, dict[str, SymbolState]]:
    """Return every market's default symbols: spot, USD-M and COIN-M."""
    markets = default_symbols()
    markets["coinm"] = coinm.default_symbols()
    return markets


class MarketBook:
    """Symbols per market ("spot", "usdm", "coinm") and the spot delist schedule."""

    def __init__(self, lock: threading.RLock, now_ms: Callable[[], int]) -> None:
        self._lock = lock
        self._now_ms = now_ms
        self.markets: dict[str, dict[str, SymbolState]] = all_default_symbols()
        self.spot_delist: list[dict[str, Any]] = []

    def reset(self) -> None:
        """Default prices, statuses, filters and delist dates; no delist schedule."""
        with self._lock:
            self.markets = all_default_symbols()
            self.spot_delist = []

    def symbol(self, market: str, symbol: str) -> SymbolState:
        """The state of ``symbol`` on ``market`` ("spot" or "usdm"); ValueError if unknown."""
        if market not in MARKETS:
            raise ValueError(f"market: must be one of {', '.join(MARKETS)}, got {market!r}")
        st = self.markets[market].get(symbol)
        if st is None:
            have = ", ".join(self.markets[market])
            raise ValueError(f"symbol: unknown {market} symbol {symbol!r}; have: {have}")
        return st

    def set_price(self, market: str, symbol: str, price: Any) -> None:
        """Set the last and mark price of ``symbol`` (a fixed price)."""
        st = self.symbol(market, symbol)
        value = to_decimal(price, "price")
        if value <= 0:
            raise ValueError(f"price: must be > 0, got {price!r}")
        with self._lock:
            st.price, st.path = value, []

    def set_price_path(
        self, market: str, symbol: str, prices: list[Any], step_seconds: float = 1.0
    ) -> None:
        """Let the price move: from now it steps through ``prices`` every ``step_seconds`` and
        then stays at the last one."""
        st = self.symbol(market, symbol)
        path = [to_decimal(p, "prices") for p in prices]
        if not path or any(p <= 0 for p in path):
            raise ValueError("prices: must be a non-empty list of prices > 0")
        step = float(to_decimal(step_seconds, "step_seconds"))
        if step <= 0:
            raise ValueError("step_seconds: must be > 0")
        with self._lock:
            st.path, st.path_step_ms, st.path_t0_ms = path, int(step * 1000), self._now_ms()
            st.price = path[-1]

    def set_symbol_status(self, market: str, symbol: str, status: str) -> None:
        st = self.symbol(market, symbol)
        allowed = SPOT_STATUSES if market == "spot" else USDM_STATUSES
        if status not in allowed:
            raise ValueError(f"status: must be one of {', '.join(allowed)}, got {status!r}")
        st.status = status

    def set_delivery_date(self, symbol: str, ms: int) -> None:
        """USD-M: announce a delist (perpetuals keep 4133404800000 until one is announced)."""
        st = self.symbol("usdm", symbol)
        if isinstance(ms, bool) or not isinstance(ms, int) or ms <= 0:
            raise ValueError(f"ms: must be a positive integer (epoch milliseconds), got {ms!r}")
        st.delivery_date_ms = ms

    def set_spot_delist(self, symbols: list[str], delist_time_ms: int) -> None:
        """Add a spot delist-schedule entry (``GET /sapi/v1/spot/delist-schedule``)."""
        if isinstance(symbols, str) or not symbols:
            raise ValueError("symbols: must be a non-empty list of symbols")
        for sym in symbols:
            self.symbol("spot", str(sym))
        if isinstance(delist_time_ms, bool) or not isinstance(delist_time_ms, int):
            raise ValueError(f"delist_time_ms: must be an integer, got {delist_time_ms!r}")
        with self._lock:
            rest = [e for e in self.spot_delist if e["delistTime"] != delist_time_ms]
            old = next((e for e in self.spot_delist if e["delistTime"] == delist_time_ms), None)
            merged = sorted({*(old["symbols"] if old else []), *map(str, symbols)})
            self.spot_delist = sorted(
                [*rest, {"delistTime": delist_time_ms, "symbols": merged}],
                key=lambda e: e["delistTime"],
            )

    def set_filter(self, market: str, symbol: str, filter_type: str, **fields: Any) -> None:
        """Override fields of one exchangeInfo filter (validation uses the new values)."""
        st = self.symbol(market, symbol)
        f = st.filter(filter_type)
        if f is None:
            have = ", ".join(x["filterType"] for x in st.filters)
            raise ValueError(f"filter_type: {symbol} has no {filter_type!r}; have: {have}")
        unknown = [k for k in fields if k not in f or k == "filterType"]
        if unknown:
            raise ValueError(
                f"{filter_type}: unknown field(s) {', '.join(unknown)}; have: "
                + ", ".join(k for k in f if k != "filterType")
            )
        for k, v in fields.items():
            f[k] = _filter_value(filter_type, k, f[k], v)

    def describe(self, now_ms: int) -> dict[str, Any]:
        """Every symbol's price, status and (USD-M) delivery date, as ``/_sim/state`` shows."""
        return {
            m: {
                sym: {
                    "price": str(st.price_at(now_ms)),
                    "status": st.status,
                    **({"deliveryDate": st.delivery_date_ms} if m == "usdm" else {}),
                }
                for sym, st in syms.items()
            }
            for m, syms in self.markets.items()
        }


def _filter_value(filter_type: str, key: str, old: Any, value: Any) -> Any:
    """Given a filter field's current and new value, return the new one in the old one's type;
    raise ValueError naming the field if it does not fit."""
    if isinstance(old, bool):
        if not isinstance(value, bool):
            raise ValueError(f"{filter_type}.{key}: must be true/false, got {value!r}")
        return value
    if isinstance(old, int):
        if isinstance(value, bool) or not isinstance(value, int):
            raise ValueError(f"{filter_type}.{key}: must be an integer, got {value!r}")
        return value
    to_decimal(value, f"{filter_type}.{key}")
    return str(value)
