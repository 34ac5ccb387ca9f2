"""The simulated Binance account: a mutable bag of knobs (:class:`SimAccount`) with defaults that
describe a healthy, IP-restricted trading account, plus helpers that turn those knobs into the
numbers Binance reports (decimal strings, derived futures totals and positions).
"""

from __future__ import annotations

import secrets
import string
import threading
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

ALNUM = string.ascii_letters + string.digits

# Fixed mark prices so order checks (notional, margin) are deterministic.
MARK_PRICES: dict[str, Decimal] = {"BTCUSDT": Decimal("60000"), "ETHUSDT": Decimal("3000")}
MAINT_MARGIN_RATE = Decimal("0.004")  # Binance's first BTCUSDT bracket
DEFAULT_LEVERAGE = 20


def random_alnum(n: int = 64) -> str:
    return "".join(secrets.choice(ALNUM) for _ in range(n))


def d(value: Any) -> Decimal:
    return value if isinstance(value, Decimal) else Decimal(str(value))


def s8(value: Any) -> str:
    """Binance writes most amounts as decimal strings with 8 places."""
    return f"{d(value):.8f}"


def _default_spot() -> dict[str, tuple[str, str]]:
    # BNB at zero so that omitZeroBalances has something to omit, as on a real account.
    return {"BTC": ("0.5", "0"), "USDT": ("1000", "0"), "BNB": ("0", "0")}


def _default_futures_assets() -> dict[str, dict[str, str]]:
    return {
        "USDT": {
            "walletBalance": "5000",
            "availableBalance": "5000",
            "marginBalance": "5000",
            "maintMargin": "50",
            "initialMargin": "625",
            "unrealizedProfit": "0",
        }
    }


def _default_coinm() -> dict[str, dict[str, Any]]:
    return {
        "BTC": {
            "walletBalance": "0.5",
            "availableBalance": "0.45",
            "marginBalance": "0.5",
            "maintMargin": "0.002",
            "initialMargin": "0.05",
            "unrealizedProfit": "0",
        }
    }


@dataclass
class SimAccount:
    """Knobs of one simulated account; change them at any time, each request reads them afresh."""

    name: str
    api_key: str = ""
    api_secret: str | None = None
    public_key_pem: str | None = None
    ip_whitelist: list[str] | None = field(default_factory=lambda: ["127.0.0.1"])
    enable_reading: bool = True
    enable_spot_trading: bool = True
    enable_futures: bool = True
    enable_withdrawals: bool = False
    enable_internal_transfer: bool = False
    enable_margin: bool = False
    trading_authority_expiration_ms: int | None = None
    create_time_ms: int = 1698645219000
    dual_side_position: bool = False
    multi_assets_margin: bool = False
    can_trade_spot: bool = True
    can_trade_futures: bool = True
    account_status: str = "Normal"
    spot_locked: bool = False
    spot_planned_recover_ms: int = 0
    futures_indicators: list[dict[str, Any]] = field(default_factory=list)
    reduce_only: bool = False
    spot_balances: dict[str, tuple[Any, Any]] = field(default_factory=_default_spot)
    futures_assets: dict[str, dict[str, Any]] = field(default_factory=_default_futures_assets)
    futures_maint_margin: Any = "50"
    futures_margin_balance: Any = "5000"
    secret_mismatch: bool = False
    key_deleted: bool = False
    uid: int = 0
    fee_tier: int = 0
    # Orders (open and closed) by orderId; explicit USD-M positions and leverage per symbol; the
    # spot rateLimit/order ``count`` per interval ("SECOND", "DAY") set by a test.
    orders: dict[int, dict[str, Any]] = field(default_factory=dict)
    positions: dict[str, dict[str, Decimal]] = field(default_factory=dict)
    leverage: dict[str, int] = field(default_factory=dict)
    # USD-M margin type per symbol ("CROSSED" or "ISOLATED"); a symbol not listed is CROSSED.
    margin_types: dict[str, str] = field(default_factory=dict)
    unfilled_counts: dict[str, int] = field(default_factory=dict)
    # the simulator's order book (healthcheck.simulator.order_book), which applies the setters below
    book: Any = field(default=None, repr=False, compare=False)
    # COIN-M (/dapi, healthcheck.simulator.coinm): margin per coin, positions in contracts;
    # the position mode is USD-M's unless set (Binance's "CM migration" may share it)
    coinm_assets: dict[str, dict[str, Any]] = field(default_factory=lambda: _default_coinm())
    coinm_positions: dict[str, dict[str, Any]] = field(default_factory=dict)
    coinm_dual_side: bool | None = None
    coinm_orders: dict[int, dict[str, Any]] = field(default_factory=dict)
    # Portfolio Margin (/papi, healthcheck.simulator.papi): /fapi and /dapi refuse signed calls
    portfolio_margin: bool = False
    enable_pm_trading: bool = False
    uni_mmr: Any = "8.5"
    pm_account_status: str = "NORMAL"

    def __post_init__(self) -> None:
        if not self.api_key:
            self.api_key = random_alnum(64)
        if self.api_secret is None and self.public_key_pem is None:
            self.api_secret = random_alnum(64)
        if not self.uid:
            self.uid = 300000000 + secrets.randbelow(99999999)

    # -- derived futures numbers -----------------------------------------------------------
    def futures_available(self, asset: str = "USDT") -> Decimal:
        a = self.futures_assets.get(asset)
        return d(a.get("availableBalance", "0")) if a else Decimal(0)

    def margin_type_for(self, symbol: str) -> str:
        """Given a USD-M symbol, return its margin type: "CROSSED" (the default) or "ISOLATED"."""
        return self.margin_types.get(symbol, "CROSSED")

    def leverage_for(self, symbol: str) -> int:
        return int(self.leverage.get(symbol, DEFAULT_LEVERAGE))

    def usdm_position(self, symbol: str) -> dict[str, Decimal]:
        """{"amt", "entry"} of ``symbol`` (amt 0 when flat). Without an explicit position,
        BTCUSDT is the derived long of :meth:`futures_position`, with its exact margin figures."""
        if symbol in self.positions:
            return dict(self.positions[symbol])
        pos = self.futures_position() if symbol == "BTCUSDT" else None
        if pos is None:
            return {"amt": Decimal(0), "entry": Decimal(0)}
        return {
            "amt": pos["amt"],
            "entry": pos["price"],
            "notional": pos["notional"],
            "maint": pos["maint"],
            "initial": pos["initial"],
        }

    def _require_sim(self) -> Any:
        if self.book is None:
            raise RuntimeError(f"account {self.name!r} is not on a Simulator")
        return self.book

    def add_open_order(
        self,
        market: str,
        symbol: str,
        *,
        side: str = "BUY",
        type: str = "LIMIT",  # noqa: A002 - Binance's parameter name
        price: Any = None,
        quantity: Any = "0.001",
    ) -> int:
        """Put a resting order on the book without validation; return its orderId.

        Stop types go to the algo book (usdm ``openAlgoOrders``; spot MAX_NUM_ALGO_ORDERS).
        A LIMIT order without ``price`` rests at half (BUY) or double (SELL) the current price; a
        stop without one at double (BUY) or half (SELL), so it does not trigger. Stops and
        take-profits fire when the price reaches their ``price`` (the trigger).
        """
        return int(
            self._require_sim().add_open_order(
                self, market, symbol, side=side, type=type, price=price, quantity=quantity
            )
        )

    def set_position(
        self,
        symbol: str,
        amount: Any,
        *,
        entry_price: Any = None,
        leverage: int | None = None,
        margin_type: str | None = None,
    ) -> None:
        """Set the USD-M position of ``symbol`` (negative = short, 0 = flat), optionally with
        its margin type ("CROSSED" or "ISOLATED")."""
        self._require_sim().set_position(
            self,
            symbol,
            amount,
            entry_price=entry_price,
            leverage=leverage,
            margin_type=margin_type,
        )

    def set_margin_type(self, symbol: str, margin_type: str) -> None:
        """Set the USD-M margin type of ``symbol`` ("CROSSED" or "ISOLATED") without checks."""
        self._require_sim().set_margin_type(self, symbol, margin_type)

    def set_leverage(self, symbol: str, leverage: int) -> None:
        self._require_sim().set_leverage(self, symbol, leverage)

    def set_unfilled_order_count(self, interval: str, count: int) -> None:
        """The spot ``rateLimit/order`` count for "SECOND" (10 s) or "DAY" (1 d)."""
        self._require_sim().set_unfilled_order_count(self, interval, count)

    def futures_position(self) -> dict[str, Decimal] | None:
        """One BTCUSDT long sized so its maintenance margin equals futures_maint_margin."""
        maint = d(self.futures_maint_margin)
        if maint <= 0:
            return None
        notional = maint / MAINT_MARGIN_RATE
        price = MARK_PRICES["BTCUSDT"]
        amt = (notional / price).quantize(Decimal("0.001"))
        return {
            "amt": amt,
            "notional": notional,
            "maint": maint,
            "price": price,
            "initial": notional / self.leverage_for("BTCUSDT"),
        }

    def public_view(self) -> dict[str, Any]:
        """What the control API may show: never the secret."""
        return {
            "name": self.name,
            "api_key": self.api_key,
            "key_type": "HMAC" if self.public_key_pem is None else "PUBLIC_KEY",
        }


class AccountBook:
    """The simulator's accounts by name, found by API key; new ones get the order book that
    applies their setters (``add_open_order``, ``set_position`` ...)."""

    def __init__(self, lock: threading.RLock, order_book: Any) -> None:
        self._lock = lock
        self._order_book = order_book
        self.accounts: dict[str, SimAccount] = {}

    def add_account(
        self,
        name: str,
        api_key: str | None = None,
        api_secret: str | None = None,
        public_key_pem: str | None = None,
        **knobs: Any,
    ) -> SimAccount:
        """Given a name, optional credentials and SimAccount fields, add the account and return
        it; raise ValueError if the name is taken."""
        if name in self.accounts:
            raise ValueError(f"account {name!r} already exists")
        acct = SimAccount(
            name=name,
            api_key=api_key or "",
            api_secret=api_secret,
            public_key_pem=public_key_pem,
            **knobs,
        )
        acct.book = self._order_book
        with self._lock:
            self.accounts[name] = acct
        return acct

    def account_by_key(self, api_key: str | None) -> SimAccount | None:
        """Given an API key, return its account, or None."""
        if not api_key:
            return None
        for a in list(self.accounts.values()):
            if a.api_key == api_key:
                return a
        return None

    def named(self, name: Any) -> SimAccount:
        """Given an account name, return it; raise ValueError listing the names if unknown."""
        if name not in self.accounts:
            raise ValueError(f"account: unknown {name!r}; have: {', '.join(self.accounts)}")
        return self.accounts[name]

    def all(self) -> list[SimAccount]:
        """Return every account (a copy: handlers may add while a caller iterates)."""
        return list(self.accounts.values())
