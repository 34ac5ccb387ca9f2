"""The simulated exchange as its endpoint handlers, order matching and faults see it.

:class:`~healthcheck.simulator.server.Simulator` provides this interface; ``endpoints``,
``coinm``, ``papi``, ``trading`` and ``faults`` (and the simulator's own order book, fault
controller and request pipeline) are typed against it and use nothing else of the simulator, so
none of them imports the server module that dispatches to them.
"""

from __future__ import annotations

from contextlib import AbstractContextManager
from typing import Any, Protocol

from healthcheck.simulator.accounts import SimAccount
from healthcheck.simulator.market import SymbolState


class Venue(Protocol):
    @property
    def lock(self) -> AbstractContextManager[Any]:
        """Held (reentrant) while a handler reads or changes accounts, orders and counters."""
        ...

    @property
    def markets(self) -> dict[str, dict[str, SymbolState]]:
        """Market id ("spot", "usdm", "coinm") -> symbol -> its state."""
        ...

    @property
    def limits(self) -> dict[str, int]:
        """Weight pool -> weight limit per minute, as exchangeInfo reports it."""
        ...

    @property
    def spot_delist(self) -> list[dict[str, Any]]:
        """The spot delist schedule, as GET /sapi/v1/spot/delist-schedule answers it."""
        ...

    @property
    def maintenance(self) -> bool:
        """Whether the exchange reports system maintenance."""
        ...

    def now_ms(self) -> int:
        """The exchange's clock (epoch milliseconds, with the simulated offset)."""
        ...

    def symbol(self, market: str, symbol: str) -> SymbolState:
        """Given a market and a symbol, return its state; raise ValueError if it is unknown."""
        ...

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
        """Rest an order on the account's book; return its order id."""
        ...

    def match_all(self) -> None:
        """Fill every account's resting orders that the price has crossed."""
        ...

    def next_order_id(self) -> int:
        """Return a new, exchange-wide unique order id."""
        ...

    def count_order(self, account: str, group: str, now_ms: int) -> tuple[int, int]:
        """Count one new order of the account on a weight pool; return :meth:`order_counts`."""
        ...

    def order_counts(self, account: str, group: str, now_ms: int) -> tuple[int, int]:
        """Return (orders in the last 10 s, orders in the long window: 1 day spot, 1 minute
        futures) of the account on a weight pool."""
        ...
