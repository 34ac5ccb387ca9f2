"""Markets and weight pools: the one table that says what differs between Binance's products.

A market (``spot``, ``usdm``) is where a bot trades; it has a base URL (production, testnet, or
the user's own), one or more weight pools (spot's host serves ``/api`` and ``/sapi``, each with
its own per-minute IP limit and header), the python-binance client attributes that point at it,
and the namespace its error codes live in (-4004 means one thing on ``/fapi`` and another on
``/sapi``). Adding COIN-M or portfolio margin is a new row here, a client attribute in the gateway
and endpoints in :mod:`healthcheck.endpoints`; no check changes.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Pool:
    """A request-weight pool: requests under one path prefix of one host share one IP limit."""

    id: str  # "api", "sapi", "fapi"
    market: str
    prefix: str  # URL path prefix, e.g. "/api"
    header: str  # the used-weight header Binance sends (lower case)
    default_limit: int  # documented per-minute IP limit, until exchangeInfo says otherwise
    error_product: str  # namespace of its error codes in healthcheck.binance_errors
    client_url_attr: str  # python-binance client attribute holding this pool's URL
    fallback_header: str | None = None


@dataclass(frozen=True)
class Market:
    """One Binance product a bot trades on."""

    id: str
    title: str
    url_setting: str  # the account key that overrides the base URL
    default_url: str
    testnet_url: str
    pools: tuple[str, ...]
    time_endpoint: str
    exchange_info_endpoint: str
    order_test_endpoint: str
    weight_pool: str  # the pool whose REQUEST_WEIGHT limit exchangeInfo reports

    @property
    def error_product(self) -> str:
        return POOLS[self.weight_pool].error_product


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
        ),
        Pool("sapi", "spot", "/sapi", "x-sapi-used-ip-weight-1m", 12000, "sapi", "MARGIN_API_URL"),
        Pool("fapi", "usdm", "/fapi", "x-mbx-used-weight-1m", 2400, "usdm", "FUTURES_URL"),
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
            "spot.time",
            "spot.exchangeInfo",
            "spot.orderTest",
            "api",
        ),
        Market(
            "usdm",
            "USD-M futures",
            "futures_url",
            "https://fapi.binance.com",
            "https://demo-fapi.binance.com",
            ("fapi",),
            "fapi.time",
            "fapi.exchangeInfo",
            "fapi.orderTest",
            "fapi",
        ),
    )
}

MARKET_IDS: tuple[str, ...] = tuple(MARKETS)


def market_of_pool(pool: str) -> Market:
    return MARKETS[POOLS[pool].market]


def host_key(base_url: str, pool: str) -> str:
    """The ban key of a host's pool: ``spot:https://api.binance.com`` style (a ban on /api does
    not stop /sapi in our books only where Binance says so; bans are per market and host)."""
    return f"{POOLS[pool].market}:{base_url}"


_POOL_WORDS = {"api": "spot", "sapi": "wallet", "fapi": "futures"}


def pool_name(pool: str) -> str:
    """Given a pool id, return how a person names it ("spot /api")."""
    return f"{_POOL_WORDS.get(pool, market_of_pool(pool).title)} {POOLS[pool].prefix}"
