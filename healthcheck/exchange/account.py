"""An account's settings: its keys, markets, base URLs and the bot that trades on it.

Every check, the gateway and the engine read an :class:`AccountConfig`; ``healthcheck.config``
builds it from ``[[accounts]]``. It imports nothing from the checks or the config loader, so a
check module never imports ``healthcheck.config`` (which imports the check registry). At run time
it imports only the market table and ``Secret``: the bot's link is a type here, imported for
type checking only, so the module stays a leaf of plain data.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from typing import TYPE_CHECKING

from healthcheck.model.markets import MARKETS, PM_HOST
from healthcheck.storage.secrets import Secret

if TYPE_CHECKING:  # a type only: reading a bot's files is not this module's business
    from healthcheck.bots.link import BotLink

DEFAULT_BOT_API_STALE_AFTER = 180.0  # freqtrade processes every 5 s; 3 heartbeats of 60 s


@dataclass(frozen=True)
class BotApi:
    """``bot_api``: the trading bot's REST API (freqtrade's api_server), read by bot_alive. The
    URL never holds credentials; the password is a Secret."""

    url: str
    username: str
    password: Secret
    stale_after: float = DEFAULT_BOT_API_STALE_AFTER  # seconds since freqtrade's last_process


@dataclass(frozen=True)
class AccountConfig:
    name: str
    api_key: Secret
    api_secret: Secret | None = None
    private_key: Secret | None = None  # unencrypted PEM (Ed25519 or RSA)
    markets: tuple[str, ...] = ("spot",)
    # base URL by market id ("spot", "usdm", "coinm", "papi"); a market not here has its
    # production (or, with testnet, its testnet) default
    urls: dict[str, str] = field(default_factory=dict)
    testnet: bool = False
    position_mode: str = "one-way"
    min_available: dict[str, Decimal] = field(default_factory=dict)
    recv_window_ms: int = 5000
    test_order_symbols: tuple[str, ...] = ()
    test_order_quantity: dict[str, Decimal] = field(default_factory=dict)
    # the checks this account runs; None: every registered check (the loader always lists them)
    checks: tuple[str, ...] | None = None
    # order-side checks: what the bot trades, per market, and the notional of one order
    symbols: dict[str, tuple[str, ...]] = field(default_factory=dict)
    order_size: dict[str, Decimal] = field(default_factory=dict)  # symbol or "default" -> quote
    multi_assets_margin: bool | None = None
    # Portfolio Margin: True, False or "auto" (detected on the first run, kept in state)
    portfolio_margin: bool | str = "auto"
    # bot = "freqtrade" | "hummingbot" with bot_config: what the bot's own config says
    bot: BotLink | None = None
    bot_api: BotApi | None = None

    def base_url(self, market: str) -> str:
        """Given a market id, return this account's base URL for it."""
        return self.urls.get(market) or MARKETS[market].url(self.testnet)

    @property
    def pm(self) -> bool | None:
        """Whether the account's futures are read through Portfolio Margin's /papi: True, False,
        or None while "auto" has not found out yet. Never on the testnet (it has no /papi) nor
        for an account without futures."""
        if self.testnet or not any(MARKETS[m].futures for m in self.markets):
            return False
        if self.portfolio_margin == "auto":
            return None
        return bool(self.portfolio_margin)

    @property
    def hosts(self) -> tuple[str, ...]:
        """The rows this account is read through: its markets, and Portfolio Margin's /papi
        when it is (or may be) under Portfolio Margin."""
        return self.markets + (() if self.pm is False else (PM_HOST,))

    def runs(self, check_id: str) -> bool:
        """Given a check id, return whether this account runs that check."""
        return self.checks is None or check_id in self.checks

    def symbols_for(self, market: str) -> tuple[str, ...]:
        return self.symbols.get(market, ())

    def order_size_for(self, symbol: str) -> Decimal | None:
        return self.order_size.get(symbol, self.order_size.get("default"))
