"""The simulated exchange's per-account trading state as one store: resting orders (placed by a
test, or by a handler), USD-M positions, leverage and margin types, the spot unfilled-order
counts, the exchange-wide order ids and the per-account order counters behind
``X-MBX-ORDER-COUNT-*``; and the matching that fills what a price has crossed
(:func:`healthcheck.simulator.trading.match`).
"""

from __future__ import annotations

import itertools
import threading
from collections.abc import Callable
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from healthcheck.simulator import trading
from healthcheck.simulator.accounts import SimAccount
from healthcheck.simulator.market import to_decimal

if TYPE_CHECKING:
    from healthcheck.simulator.venue import Venue


class OrderBook:
    """Orders, positions and order counters of the accounts ``accounts()`` returns."""

    def __init__(
        self, venue: Venue, lock: threading.RLock, accounts: Callable[[], list[SimAccount]]
    ) -> None:
        self._venue = venue
        self._lock = lock
        self._accounts = accounts
        self._orders: dict[tuple[str, str], list[int]] = {}  # (account, pool) -> order times
        self._order_ids = itertools.count(1_000_000_001)

    def match_all(self) -> None:
        """Fill every account's resting orders that the price has crossed."""
        with self._lock:
            now = self._venue.now_ms()
            for acct in self._accounts():
                trading.match(self._venue, acct, now)

    # -- order ids and counters -------------------------------------------------------------
    def next_order_id(self) -> int:
        return next(self._order_ids)

    def count_order(self, account: str, group: str, now_ms: int) -> tuple[int, int]:
        with self._lock:
            self._orders.setdefault((account, group), []).append(now_ms)
        return self.order_counts(account, group, now_ms)

    def order_counts(self, account: str, group: str, now_ms: int) -> tuple[int, int]:
        """(orders in the last 10 s, orders in the long window: 1 day spot, 1 minute futures)."""
        with self._lock:
            stamps = self._orders.get((account, group), [])
            long_ms = 86_400_000 if group == "api" else 60_000
            return (
                sum(1 for t in stamps if now_ms - t < 10_000),
                sum(1 for t in stamps if now_ms - t < long_ms),
            )

    # -- state a test sets (SimAccount's setters land here) ---------------------------------
    def add_open_order(
        self,
        acct: SimAccount,
        market: str,
        symbol: str,
        *,
        side: str = "BUY",
        type: str = "LIMIT",  # noqa: A002 - Binance's parameter name
        price: Any = None,
        quantity: Any = "0.001",
    ) -> int:
        """Rest an order on the account's book without validation; return its order id."""
        st = self._venue.symbol(market, symbol)
        if side not in trading.SIDES:
            raise ValueError(f"side: must be BUY or SELL, got {side!r}")
        types = trading.SPOT_TYPES if market == "spot" else trading.USDM_TYPES
        if type not in types:
            raise ValueError(f"type: must be one of {', '.join(types)}, got {type!r}")
        qty = to_decimal(quantity, "quantity")
        if price is None:
            # away from the price: a LIMIT or take-profit BUY below, a stop BUY above (so a
            # conditional order rests untriggered)
            cur = st.price_at(self._venue.now_ms())
            below = (side == "BUY") != (type in trading.STOP_KINDS)
            px = cur / 2 if below else cur * 2
            tick = st.filter("PRICE_FILTER")
            px = px.quantize(Decimal(str(tick["tickSize"])).normalize()) if tick else px
        else:
            px = to_decimal(price, "price")
        algo = type in (trading.SPOT_ALGO_TYPES if market == "spot" else trading.USDM_ALGO_TYPES)
        now = self._venue.now_ms()
        rec = trading.new_record(market, symbol, side, type, px, qty, now, algo=algo)
        if algo:
            rec["stopPrice"] = px
        with self._lock:
            acct.orders[rec["orderId"]] = rec
        return int(rec["orderId"])

    def set_position(
        self,
        acct: SimAccount,
        symbol: str,
        amount: Any,
        *,
        entry_price: Any = None,
        leverage: int | None = None,
        margin_type: str | None = None,
    ) -> None:
        st = self._venue.symbol("usdm", symbol)
        amt = to_decimal(amount, "amount")
        entry = (
            to_decimal(entry_price, "entry_price")
            if entry_price is not None
            else st.price_at(self._venue.now_ms())
        )
        with self._lock:
            if leverage is not None:
                self.set_leverage(acct, symbol, leverage)
            if margin_type is not None:
                self.set_margin_type(acct, symbol, margin_type)
            acct.positions = {
                **acct.positions,
                symbol: {"amt": amt, "entry": entry if amt else Decimal(0)},
            }

    def set_leverage(self, acct: SimAccount, symbol: str, leverage: int) -> None:
        self._venue.symbol("usdm", symbol)
        if isinstance(leverage, bool) or not isinstance(leverage, int) or not 1 <= leverage <= 125:
            raise ValueError(f"leverage: must be an integer 1..125, got {leverage!r}")
        acct.leverage = {**acct.leverage, symbol: leverage}

    def set_margin_type(self, acct: SimAccount, symbol: str, margin_type: str) -> None:
        self._venue.symbol("usdm", symbol)
        if margin_type not in ("CROSSED", "ISOLATED"):
            raise ValueError(f"margin_type: must be CROSSED or ISOLATED, got {margin_type!r}")
        acct.margin_types = {**acct.margin_types, symbol: margin_type}

    def set_unfilled_order_count(self, acct: SimAccount, interval: str, count: int) -> None:
        if interval not in ("SECOND", "DAY"):
            raise ValueError(f"interval: must be SECOND or DAY, got {interval!r}")
        if isinstance(count, bool) or not isinstance(count, int) or count < 0:
            raise ValueError(f"count: must be an integer >= 0, got {count!r}")
        acct.unfilled_counts = {**acct.unfilled_counts, interval: count}
