"""A faithful Binance REST simulator: a real HTTP/1.1 keep-alive server on 127.0.0.1 that the real
python-binance Client (or ccxt, or the official connectors) can talk to with only the base URL
changed. It enforces Binance's request security (API-key format, key/IP/permission rejection,
timestamp and recvWindow rules, HMAC/Ed25519/RSA signatures), counts per-IP request weight per
minute with 429/418 escalation, injects named faults, and offers a small ``/_sim`` control API so
another process can flip faults while a daemon runs against it.

:class:`Simulator` is the facade tests, benches and the CLI use; each of its parts has its own
module: accounts (``accounts.AccountBook``), markets (``market_book.MarketBook``), orders
(``order_book.OrderBook``), weight and bans (``rate_limits.RateLimiter``), faults
(``fault_control.FaultController``), request security (``security.Gatekeeper``), the request
pipeline (``pipeline.RequestPipeline``), the control API (``control``) and HTTP (``httpd``).
"""

from __future__ import annotations

import threading
import time
from types import TracebackType
from typing import Any

from healthcheck.simulator import control, papi
from healthcheck.simulator.accounts import AccountBook, SimAccount
from healthcheck.simulator.endpoints import ROUTES
from healthcheck.simulator.fault_control import FaultController
from healthcheck.simulator.httpd import HttpServer
from healthcheck.simulator.market import SymbolState
from healthcheck.simulator.market_book import MarketBook
from healthcheck.simulator.order_book import OrderBook
from healthcheck.simulator.pipeline import RequestPipeline
from healthcheck.simulator.rate_limits import RateLimiter
from healthcheck.simulator.security import Gatekeeper
from healthcheck.simulator.wire import GROUPS, Request, RequestRecord, Response

# GROUPS (bench/soak.py) and Request (a request built by hand in tests) are re-exported
__all__ = ["GROUPS", "Request", "RequestRecord", "Simulator"]
papi.register(ROUTES)  # COIN-M (/dapi) and Portfolio Margin (/papi) routes and faults


class Simulator:
    """The simulated exchange. See the package docstring for the API."""

    def __init__(
        self,
        host: str = "127.0.0.1",
        port: int = 0,
        *,
        latency_ms: float = 0.0,
        max_connections: int = 512,
        idle_timeout_seconds: float = 60.0,
    ) -> None:
        self.host = host
        self.port = port
        self.latency_ms = latency_ms
        self.max_connections = max_connections
        self.idle_timeout_seconds = idle_timeout_seconds
        self.clock_offset_ms: float = 0.0
        self.maintenance = False
        self.lock = threading.RLock()
        self.stopping = threading.Event()
        self.rate_limiter = RateLimiter(self.lock, self.now_ms)
        self.market_book = MarketBook(self.lock, self.now_ms)
        self.order_book = OrderBook(self, self.lock, lambda: self.account_book.all())
        self.account_book = AccountBook(self.lock, self.order_book)
        self.fault_control = FaultController(
            self, self.lock, self.stopping, self.account_book, self.rate_limiter
        )
        self.gatekeeper = Gatekeeper(self.account_book.account_by_key)
        self.pipeline = RequestPipeline(
            self,
            self.lock,
            self.account_book,
            self.fault_control,
            self.rate_limiter,
            self.gatekeeper,
        )
        self._httpd: HttpServer | None = None
        self._thread: threading.Thread | None = None

    # -- lifecycle -------------------------------------------------------------------------
    def start(self) -> Simulator:
        if self._httpd is not None:
            return self
        self.stopping.clear()
        self._httpd = HttpServer((self.host, self.port), self)
        self._thread = threading.Thread(
            target=self._httpd.serve_forever,
            kwargs={"poll_interval": 0.02},
            name="sim-http",
            daemon=True,
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._httpd is None:
            return
        self.stopping.set()
        # Also wakes handler threads blocked on idle keep-alive connections or holding a request.
        self._httpd.close_all()
        if self._thread is not None:
            self._thread.join(timeout=2)
        self._httpd = None
        self._thread = None

    def __enter__(self) -> Simulator:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    @property
    def started(self) -> bool:
        return self._httpd is not None

    @property
    def address(self) -> tuple[str, int]:
        if self._httpd is None:
            raise RuntimeError("Simulator is not started")
        host, port = self._httpd.server_address[:2]
        return str(host), int(port)

    @property
    def url(self) -> str:
        host, port = self.address
        return f"http://{host}:{port}"

    def now_ms(self) -> int:
        """The exchange's clock (epoch milliseconds, with the simulated offset)."""
        return int(time.time() * 1000 + self.clock_offset_ms)

    def reset(self) -> None:
        """Back to a clean exchange: no faults, true clock, no weight, no ban, no history,
        default prices, statuses, filters and delist dates (accounts keep their orders)."""
        with self.lock:
            self.fault_control.clear_fault()
            self.clock_offset_ms = 0.0
            self.maintenance = False
            self.rate_limiter.restore_defaults()
            self.market_book.reset()
            self.pipeline.requests.clear()

    # -- accounts (AccountBook) ------------------------------------------------------------
    @property
    def accounts(self) -> dict[str, SimAccount]:
        return self.account_book.accounts

    def add_account(
        self,
        name: str,
        api_key: str | None = None,
        api_secret: str | None = None,
        public_key_pem: str | None = None,
        **knobs: Any,
    ) -> SimAccount:
        """Given a name, optional credentials and SimAccount fields, add the account."""
        return self.account_book.add_account(name, api_key, api_secret, public_key_pem, **knobs)

    def account_by_key(self, api_key: str | None) -> SimAccount | None:
        return self.account_book.account_by_key(api_key)

    def signature_ok(self, acct: SimAccount, req: Request) -> bool:
        """Whether ``req`` carries ``acct``'s valid signature (HMAC, Ed25519 or RSA)."""
        return self.gatekeeper.signature_ok(acct, req)

    # -- markets (MarketBook) --------------------------------------------------------------
    @property
    def markets(self) -> dict[str, dict[str, SymbolState]]:
        return self.market_book.markets

    @markets.setter
    def markets(self, value: dict[str, dict[str, SymbolState]]) -> None:
        self.market_book.markets = value

    @property
    def spot_delist(self) -> list[dict[str, Any]]:
        return self.market_book.spot_delist

    @spot_delist.setter
    def spot_delist(self, value: list[dict[str, Any]]) -> None:  # the delist fault sets it
        self.market_book.spot_delist = value

    def symbol(self, market: str, symbol: str) -> SymbolState:
        """The state of ``symbol`` on ``market`` ("spot" or "usdm"); ValueError if unknown."""
        return self.market_book.symbol(market, symbol)

    def set_price(self, market: str, symbol: str, price: Any) -> None:
        """Set the last and mark price of ``symbol`` (a fixed price; resting orders it crosses
        fill at their limit price)."""
        with self.lock:
            self.market_book.set_price(market, symbol, price)
            self.order_book.match_all()

    def set_price_path(
        self, market: str, symbol: str, prices: list[Any], step_seconds: float = 1.0
    ) -> None:
        """Let the price move: from now it steps through ``prices`` every ``step_seconds`` and
        then stays at the last one. Resting orders fill when a request sees the price cross."""
        self.market_book.set_price_path(market, symbol, prices, step_seconds)

    def set_symbol_status(self, market: str, symbol: str, status: str) -> None:
        self.market_book.set_symbol_status(market, symbol, status)

    def set_delivery_date(self, symbol: str, ms: int) -> None:
        """USD-M: announce a delist (perpetuals keep 4133404800000 until one is announced)."""
        self.market_book.set_delivery_date(symbol, ms)

    def set_spot_delist(self, symbols: list[str], delist_time_ms: int) -> None:
        """Add a spot delist-schedule entry (``GET /sapi/v1/spot/delist-schedule``)."""
        self.market_book.set_spot_delist(symbols, delist_time_ms)

    def set_filter(self, market: str, symbol: str, filter_type: str, **fields: Any) -> None:
        """Override fields of one exchangeInfo filter (validation uses the new values)."""
        self.market_book.set_filter(market, symbol, filter_type, **fields)

    # -- orders (OrderBook) ----------------------------------------------------------------
    def match_all(self) -> None:
        """Fill every account's resting orders that the price has crossed."""
        self.order_book.match_all()

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
        return self.order_book.add_open_order(
            acct, market, symbol, side=side, type=type, price=price, quantity=quantity
        )

    def next_order_id(self) -> int:
        return self.order_book.next_order_id()

    def count_order(self, account: str, group: str, now_ms: int) -> tuple[int, int]:
        return self.order_book.count_order(account, group, now_ms)

    def order_counts(self, account: str, group: str, now_ms: int) -> tuple[int, int]:
        """(orders in the last 10 s, orders in the long window: 1 day spot, 1 minute futures)."""
        return self.order_book.order_counts(account, group, now_ms)

    # -- weight and bans (RateLimiter) -----------------------------------------------------
    @property
    def limits(self) -> dict[str, int]:
        return self.rate_limiter.limits

    @limits.setter
    def limits(self, value: dict[str, int]) -> None:
        self.rate_limiter.limits = value

    @property
    def preload_weight(self) -> dict[str, int]:
        return self.rate_limiter.preload_weight

    @preload_weight.setter
    def preload_weight(self, value: dict[str, int]) -> None:  # the weight_* faults set it
        self.rate_limiter.preload_weight = value

    @property
    def bans(self) -> dict[str, int]:
        """Weight pool -> banned until (epoch ms)."""
        return self.rate_limiter.bans

    @bans.setter
    def bans(self, value: dict[str, int]) -> None:
        self.rate_limiter.bans = value

    @property
    def banned_until_ms(self) -> int:
        """The latest ban end over all hosts (0 = none); setting it bans every host."""
        return max(self.bans.values())

    @banned_until_ms.setter
    def banned_until_ms(self, value: int) -> None:
        self.bans = {g: int(value) for g in GROUPS}

    @property
    def ban_seconds(self) -> int:
        return self.rate_limiter.ban_seconds

    @ban_seconds.setter
    def ban_seconds(self, value: int) -> None:
        self.rate_limiter.ban_seconds = value

    def weight_used(self, group: str, ip: str = "127.0.0.1") -> int:
        """This IP's weight in the current minute, including other processes' preload."""
        return self.rate_limiter.weight_used(group, ip)

    def reset_weights(self) -> None:
        self.rate_limiter.reset()

    # -- faults (FaultController) ----------------------------------------------------------
    @property
    def faults(self) -> list[dict[str, Any]]:
        return self.fault_control.describe()

    def set_fault(
        self,
        name: str,
        *,
        scope: str | None = None,
        account: str | None = None,
        count: int | None = None,
        **params: Any,
    ) -> None:
        """Make the fault ``name`` (see ``faults.FAULTS``) active; ValueError if a bad setting."""
        self.fault_control.set_fault(name, scope=scope, account=account, count=count, **params)

    def clear_fault(self, name: str | None = None) -> None:
        """Clear the named fault (every fault without a name), restoring what it changed."""
        self.fault_control.clear_fault(name)

    # -- requests (RequestPipeline) and the control API ------------------------------------
    @property
    def requests(self) -> list[RequestRecord]:
        return self.pipeline.requests

    def state(self) -> dict[str, Any]:
        """What ``GET /_sim/state`` shows."""
        return control.state(self)

    def control(self, method: str, path: str, raw_body: bytes) -> Response:
        """Answer a request to the ``/_sim`` control API."""
        return control.handle(self, method, path, raw_body)
