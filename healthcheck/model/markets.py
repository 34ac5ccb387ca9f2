"""Markets and weight pools: the one table that says what differs between Binance's products.

A market (``spot``, ``usdm``, ``coinm``) is where a bot trades; a host row (``papi``, Portfolio
Margin) is where an account's futures are read when the account is under Portfolio Margin. A row
has a base URL (production, testnet, or the user's own, under its ``url_setting`` key), one or
more weight pools (spot's host serves ``/api`` and ``/sapi``, each with its own per-minute IP
limit and header), the endpoint it offers for each *role* a check needs (server time,
exchangeInfo, position mode, positions, ...), the unit of an order's quantity, its margin asset(s)
and the error codes its filters answer with. Checks ask a row for a role or a property and never
compare market ids: a market without a role is a market the check does not apply to.

Adding a market is a row here (with its endpoints in :mod:`healthcheck.exchange.endpoints`); no
check changes. ``tests/model/test_markets.py`` proves it with a fake row.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType


@dataclass(frozen=True)
class Pool:
    """A request-weight pool: requests under one path prefix of one host share one IP limit."""

    id: str  # "api", "sapi", "fapi", "dapi", "papi"
    market: str  # the row whose base URL serves it
    prefix: str  # URL path prefix, e.g. "/api"
    header: str  # the used-weight header Binance sends (lower case)
    default_limit: int  # documented per-minute IP limit, until exchangeInfo says otherwise
    error_product: str  # namespace of its error codes in healthcheck.exchange.catalogue
    client_url_attr: str  # python-binance client attribute holding this pool's URL
    fallback_header: str | None = None
    word: str = ""  # how a person names it: "spot", "wallet", "USD-M futures"
    on_testnet: bool = True  # the testnet serves this pool (it has no /sapi)
    limit_confirmed: bool = True  # False: default_limit is a guess (no exchangeInfo says it)


@dataclass(frozen=True)
class FilterCodes:
    """What a market's order filters answer with: (code, text) per failure."""

    min_qty: tuple[int, str]
    max_qty: tuple[int, str]
    min_notional: tuple[int, str]
    max_notional: tuple[int, str]
    closed: tuple[int, str]  # symbol not TRADING
    max_orders: tuple[int, str]
    max_algo_orders: tuple[int, str]


def _roles(**kw: str) -> Mapping[str, str]:
    return MappingProxyType(dict(kw))


# Roles a row may offer (endpoint names of healthcheck.exchange.endpoints):
#   time, exchange_info, test_order   server time, symbols and filters, a validated test order
#   key_probe                         a signed call that proves the key works on this product
#   position_mode                     an answer with ``dualSidePosition``
#   can_trade                         an answer with ``canTrade``
#   trading_rules                     futures quantitative-rules indicators (apiTradingStatus)
#   api_lock                          spot API trading lock (sapi apiTradingStatus)
#   balance                           margin and available balance (shape: ``balance_shape``)
#   wallet_balance                    spot free balances from the wallet (/sapi, cheaper)
#   price                             the price an order is sized at (field: ``price_field``)
#   open_orders, algo_orders          open orders of one symbol; open conditional orders
#   order_count                       the account's unfilled-order counts
#   positions                         positions with leverage (positionRisk)
#   leverage_caps                     the position cap at the current leverage (symbolConfig)
#   leverage_brackets                 leverage brackets (the cap is read from them)
#   margin_types                      each symbol's ``marginType`` (a bot's margin mode, -4048)
#   delist_schedule                   announced delistings
#   unified_account                   Portfolio Margin's account (uniMMR, accountStatus)
ROLES = (
    "time",
    "exchange_info",
    "test_order",
    "key_probe",
    "position_mode",
    "can_trade",
    "trading_rules",
    "api_lock",
    "balance",
    "wallet_balance",
    "price",
    "open_orders",
    "algo_orders",
    "order_count",
    "positions",
    "leverage_caps",
    "leverage_brackets",
    "margin_types",
    "delist_schedule",
    "unified_account",
)


@dataclass(frozen=True)
class Market:
    """One Binance product a bot trades on (or, not ``selectable``, a host an account is read
    through)."""

    id: str
    title: str
    url_setting: str  # the account key that overrides the base URL
    default_url: str
    testnet_url: str | None  # None: no testnet (the row is not used for testnet accounts)
    pools: tuple[str, ...]
    weight_pool: str  # the pool whose REQUEST_WEIGHT limit exchangeInfo reports
    roles: Mapping[str, str] = field(default_factory=lambda: _roles())
    # Under Portfolio Margin the classic signed endpoints are refused: these replace them (a
    # signed role without a replacement is not available there; public roles stay).
    pm_roles: Mapping[str, str] = field(default_factory=lambda: _roles())
    selectable: bool = True  # may be named in an account's ``markets``
    quantity_unit: str = "base"  # "base": base asset; "contracts": contracts of contractSize
    margin: str = "quote"  # "quote" (USDT...), "base" (the coin itself), "none" (spot)
    futures: bool = False  # positions, margin, position mode: Portfolio Margin applies to it
    balance_shape: str = ""  # "spot" | "totals" | "per_asset" | "unified"
    status_field: str = "status"  # exchangeInfo's trading-status field of a symbol
    price_field: str = ""
    notional_filter: str = ""  # "NOTIONAL" (spot), "MIN_NOTIONAL" (USD-M), "" (none)
    order_limit_fields: tuple[str, str] = ("limit", "limit")  # MAX_NUM_ORDERS, ..._ALGO_ORDERS
    delisting: str = ""  # "schedule" (spot delist schedule) | "delivery_date" (perpetuals)
    position_side: bool = False  # orders carry positionSide (BOTH / LONG / SHORT)
    permission: tuple[str, str] = ("", "")  # apiRestrictions field, its name in the UI
    pm_permission: tuple[str, str] = ("enablePortfolioMarginTrading", "Portfolio Margin Trading")
    codes: FilterCodes | None = None
    pm_pool: str = "papi"

    @property
    def error_product(self) -> str:
        return POOLS[self.weight_pool].error_product

    @property
    def time_endpoint(self) -> str | None:
        return self.roles.get("time")

    @property
    def exchange_info_endpoint(self) -> str | None:
        return self.roles.get("exchange_info")

    @property
    def order_test_endpoint(self) -> str | None:
        return self.roles.get("test_order")

    def url(self, testnet: bool) -> str:
        """The default base URL (the testnet's when ``testnet`` and there is one)."""
        if testnet and self.testnet_url:
            return self.testnet_url
        return self.default_url


_FUTURES_CODES = FilterCodes(
    min_qty=(-4004, "quantity less than min quantity"),
    max_qty=(-4005, "quantity greater than max quantity"),
    min_notional=(-4164, "order's notional too small"),
    max_notional=(-4164, ""),
    closed=(-4141, "Symbol is closed"),
    max_orders=(-2025, "Reach max open order limit"),
    max_algo_orders=(-4045, "Reach max stop order limit"),
)

POOLS: dict[str, Pool] = {
    p.id: p
    for p in (
        Pool(
            "api",
            "spot",
            "/api",
            "x-mbx-used-weight-1m",
            6000,
            "spot",
            "API_URL",
            fallback_header="x-mbx-used-weight",
            word="spot",
        ),
        Pool(
            "sapi",
            "spot",
            "/sapi",
            "x-sapi-used-ip-weight-1m",
            12000,
            "sapi",
            "MARGIN_API_URL",
            word="wallet",
            on_testnet=False,
        ),
        Pool(
            "fapi",
            "usdm",
            "/fapi",
            "x-mbx-used-weight-1m",
            2400,
            "usdm",
            "FUTURES_URL",
            word="futures",
        ),
        Pool(
            "dapi",
            "coinm",
            "/dapi",
            "x-mbx-used-weight-1m",
            2400,
            "coinm",
            "FUTURES_COIN_URL",
            word="COIN-M",
        ),
        # no exchangeInfo on /papi: 6000 per one library's tables, 3000 per another's
        # (UNCONFIRMED); the used weight comes from the header of every answer
        Pool(
            "papi",
            "papi",
            "/papi",
            "x-mbx-used-weight-1m",
            6000,
            "papi",
            "PAPI_URL",
            word="Portfolio Margin",
            on_testnet=False,
            limit_confirmed=False,
        ),
    )
}

MARKETS: dict[str, Market] = {
    m.id: m
    for m in (
        Market(
            "spot",
            "spot",
            "spot_url",
            "https://api.binance.com",
            "https://testnet.binance.vision",
            ("api", "sapi"),
            "api",
            roles=_roles(
                time="spot.time",
                exchange_info="spot.exchangeInfo",
                test_order="spot.orderTest",
                key_probe="spot.account",
                can_trade="spot.account",
                api_lock="sapi.apiTradingStatus",
                balance="spot.account",
                wallet_balance="sapi.userAsset",
                price="spot.tickerPrice",
                open_orders="spot.openOrders",
                order_count="spot.rateLimitOrder",
                delist_schedule="sapi.delistSchedule",
            ),
            margin="none",
            balance_shape="spot",
            price_field="price",
            notional_filter="NOTIONAL",
            order_limit_fields=("maxNumOrders", "maxNumAlgoOrders"),
            delisting="schedule",
            permission=("enableSpotAndMarginTrading", "Enable Spot & Margin Trading"),
            codes=FilterCodes(
                min_qty=(-1013, "Filter failure: LOT_SIZE"),
                max_qty=(-1013, "Filter failure: LOT_SIZE"),
                min_notional=(-1013, "Filter failure: NOTIONAL"),
                max_notional=(-1013, "Filter failure: NOTIONAL"),
                closed=(-1013, "Market is closed."),
                max_orders=(-2010, "Filter failure: MAX_NUM_ORDERS"),
                max_algo_orders=(-2010, "Filter failure: MAX_NUM_ALGO_ORDERS"),
            ),
        ),
        Market(
            "usdm",
            "USD-M futures",
            "futures_url",
            "https://fapi.binance.com",
            "https://demo-fapi.binance.com",
            ("fapi",),
            "fapi",
            roles=_roles(
                time="fapi.time",
                exchange_info="fapi.exchangeInfo",
                test_order="fapi.orderTest",
                key_probe="fapi.accountConfig",
                position_mode="fapi.accountConfig",
                can_trade="fapi.accountConfig",
                trading_rules="fapi.apiTradingStatus",
                balance="fapi.account",
                price="fapi.markPrice",
                open_orders="fapi.openOrders",
                algo_orders="fapi.openAlgoOrders",
                positions="fapi.positionRisk",
                leverage_caps="fapi.symbolConfig",
                margin_types="fapi.symbolConfig",
            ),
            pm_roles=_roles(
                key_probe="papi.account",
                position_mode="papi.umPositionSideDual",
                trading_rules="papi.umApiTradingStatus",
                balance="papi.account",
                open_orders="papi.umOpenOrders",
                positions="papi.umPositionRisk",
                leverage_brackets="papi.umLeverageBracket",
                unified_account="papi.account",
            ),
            futures=True,
            balance_shape="totals",
            price_field="markPrice",
            notional_filter="MIN_NOTIONAL",
            delisting="delivery_date",
            position_side=True,
            permission=("enableFutures", "Enable Futures"),
            codes=_FUTURES_CODES,
        ),
        Market(
            "coinm",
            "COIN-M futures",
            "coinm_url",
            "https://dapi.binance.com",
            "https://testnet.binancefuture.com",
            ("dapi",),
            "dapi",
            roles=_roles(
                time="dapi.time",
                exchange_info="dapi.exchangeInfo",
                key_probe="dapi.account",
                position_mode="dapi.positionSideDual",
                can_trade="dapi.account",
                balance="dapi.account",
                open_orders="dapi.openOrders",
                positions="dapi.positionRisk",
                leverage_brackets="dapi.leverageBracket",
            ),
            pm_roles=_roles(
                key_probe="papi.account",
                position_mode="papi.cmPositionSideDual",
                balance="papi.account",
                open_orders="papi.cmOpenOrders",
                positions="papi.cmPositionRisk",
                leverage_brackets="papi.cmLeverageBracket",
                unified_account="papi.account",
            ),
            quantity_unit="contracts",
            margin="base",
            futures=True,
            balance_shape="per_asset",
            status_field="contractStatus",
            delisting="delivery_date",
            position_side=True,
            permission=("enableFutures", "Enable Futures"),
            codes=FilterCodes(
                min_qty=(-4004, "quantity less than min quantity"),
                max_qty=(-4005, "quantity greater than max quantity"),
                min_notional=(-4178, "order's notional must be no smaller than one"),
                max_notional=(-4178, ""),
                closed=(-4141, "Symbol is closed"),
                max_orders=(-2025, "Reach max open order limit"),
                max_algo_orders=(-4045, "Reach max stop order limit"),
            ),
        ),
        Market(
            "papi",
            "Portfolio Margin",
            "papi_url",
            "https://papi.binance.com",
            None,
            ("papi",),
            "papi",
            roles=_roles(unified_account="papi.account", order_count="papi.rateLimitOrder"),
            selectable=False,
            margin="quote",
            balance_shape="unified",
        ),
    )
}

MARKET_IDS: tuple[str, ...] = tuple(m.id for m in MARKETS.values() if m.selectable)
PM_HOST = "papi"  # the row an account under Portfolio Margin is read through


def market_of_pool(pool: str) -> Market:
    return MARKETS[POOLS[pool].market]


def host_key(base_url: str, pool: str) -> str:
    """The ban key of a host's pool: ``spot:https://api.binance.com`` style (a ban on /api does
    not stop /sapi in our books only where Binance says so; bans are per market and host)."""
    return f"{POOLS[pool].market}:{base_url}"


def pool_name(pool: str) -> str:
    """Given a pool id, return how a person names it ("spot /api")."""
    p = POOLS[pool]
    return f"{p.word or market_of_pool(pool).title} {p.prefix}"


def pool_ids() -> tuple[str, ...]:
    """Every weight pool, in table order (metrics and plan list them all)."""
    return tuple(POOLS)
