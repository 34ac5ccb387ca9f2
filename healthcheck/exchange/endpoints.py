"""Every Binance endpoint the tool reads: path, pool, weight, whether it is signed, and which
python-binance method sends it. Pure data (no third-party import), so the planner can price a
plan and ``binance-healthcheck plan`` can show it without touching the network.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from healthcheck.model.markets import POOLS, Market


@dataclass(frozen=True)
class Endpoint:
    name: str
    pool: (
        str  # weight pool (healthcheck.model.markets.POOLS): "api", "sapi", "fapi", "dapi", "papi"
    )
    method: str
    path: str
    signed: bool
    weight: int  # with the parameters we send (e.g. with a symbol)
    client_method: str
    kwargs: tuple[tuple[str, Any], ...] = ()
    weight_all_symbols: int | None = None  # weight when no symbol parameter is sent
    # an endpoint whose answer describes the account only slowly changes (permissions, ...):
    # persisted between runs so a one-shot check can reuse it
    role: str = ""  # "time": server-time samples; "exchange_info": cached reference data
    # signed, but the answer is the same for every account (Binance's MARKET_DATA security
    # type): one account sends it for every account on the host
    per_host: bool = False

    @property
    def market(self) -> str:
        """The market whose base URL serves this endpoint ("spot" serves /api and /sapi)."""
        return POOLS[self.pool].market

    @property
    def error_product(self) -> str:
        """The product (namespace in healthcheck.exchange.catalogue) of its answers' codes."""
        return POOLS[self.pool].error_product

    def weight_for(self, params: dict[str, Any] | tuple[tuple[str, str], ...] | None) -> int:
        """Given the parameters sent, return the request weight Binance charges."""
        keys = {k for k, _ in params} if isinstance(params, tuple) else set(params or {})
        if self.weight_all_symbols is not None and "symbol" not in keys:
            return self.weight_all_symbols
        return self.weight


_ENDPOINTS = [
    # -- spot /api
    Endpoint("spot.time", "api", "GET", "/api/v3/time", False, 1, "get_server_time", role="time"),
    Endpoint(
        "spot.exchangeInfo",
        "api",
        "GET",
        "/api/v3/exchangeInfo",
        False,
        20,
        "get_exchange_info",
        role="exchange_info",
    ),
    Endpoint(
        "spot.account",
        "api",
        "GET",
        "/api/v3/account",
        True,
        20,
        "get_account",
        (("omitZeroBalances", "true"),),
    ),
    Endpoint("spot.orderTest", "api", "POST", "/api/v3/order/test", True, 1, "create_test_order"),
    Endpoint(
        "spot.tickerPrice",
        "api",
        "GET",
        "/api/v3/ticker/price",
        False,
        2,
        "get_symbol_ticker",
        weight_all_symbols=4,
    ),
    Endpoint(
        "spot.openOrders",
        "api",
        "GET",
        "/api/v3/openOrders",
        True,
        6,
        "get_open_orders",
        weight_all_symbols=80,
    ),
    Endpoint(
        "spot.rateLimitOrder",
        "api",
        "GET",
        "/api/v3/rateLimit/order",
        True,
        40,
        "get_current_order_count",
    ),
    # -- spot /sapi
    Endpoint(
        "sapi.systemStatus", "sapi", "GET", "/sapi/v1/system/status", False, 1, "get_system_status"
    ),
    Endpoint(
        "sapi.apiRestrictions",
        "sapi",
        "GET",
        "/sapi/v1/account/apiRestrictions",
        True,
        1,
        "get_account_api_permissions",
    ),
    Endpoint(
        "sapi.accountStatus",
        "sapi",
        "GET",
        "/sapi/v1/account/status",
        True,
        1,
        "get_account_status",
    ),
    Endpoint(
        "sapi.apiTradingStatus",
        "sapi",
        "GET",
        "/sapi/v1/account/apiTradingStatus",
        True,
        1,
        "get_account_api_trading_status",
    ),
    Endpoint(
        "sapi.userAsset", "sapi", "POST", "/sapi/v3/asset/getUserAsset", True, 5, "get_user_asset"
    ),
    # signed, as Binance's page lists `timestamp` as mandatory (the connector SDK sends it
    # unsigned; unconfirmed which is needed). Not python-binance's get_spot_delist_schedule: it
    # requests "/sapi/v1//spot/delist-schedule" (a doubled slash). Its security type is
    # MARKET_DATA ("Get symbols delist schedule for spot (MARKET_DATA)", developers.binance.com
    # /docs/wallet/others/delist-schedule): the list is Binance's, not the account's, so one
    # read per host serves every account.
    Endpoint(
        "sapi.delistSchedule",
        "sapi",
        "GET",
        "/sapi/v1/spot/delist-schedule",
        True,
        100,
        "margin_v1_get_spot_delist_schedule",
        per_host=True,
    ),
    # -- USD-M futures /fapi
    Endpoint("fapi.time", "fapi", "GET", "/fapi/v1/time", False, 1, "futures_time", role="time"),
    Endpoint(
        "fapi.exchangeInfo",
        "fapi",
        "GET",
        "/fapi/v1/exchangeInfo",
        False,
        1,
        "futures_exchange_info",
        role="exchange_info",
    ),
    Endpoint(
        "fapi.accountConfig",
        "fapi",
        "GET",
        "/fapi/v1/accountConfig",
        True,
        5,
        "futures_account_config",
    ),
    Endpoint(
        "fapi.account",
        "fapi",
        "GET",
        "/fapi/v3/account",
        True,
        5,
        "futures_account",
        (("version", 3),),
    ),
    Endpoint(
        "fapi.apiTradingStatus",
        "fapi",
        "GET",
        "/fapi/v1/apiTradingStatus",
        True,
        10,
        "futures_api_trading_status",
    ),
    Endpoint(
        "fapi.orderTest",
        "fapi",
        "POST",
        "/fapi/v1/order/test",
        True,
        1,
        "futures_create_test_order",
    ),
    Endpoint(
        "fapi.markPrice",
        "fapi",
        "GET",
        "/fapi/v1/premiumIndex",
        False,
        1,
        "futures_mark_price",
        weight_all_symbols=10,
    ),
    Endpoint(
        "fapi.openOrders",
        "fapi",
        "GET",
        "/fapi/v1/openOrders",
        True,
        1,
        "futures_get_open_orders",
        weight_all_symbols=40,
    ),
    Endpoint(
        "fapi.openAlgoOrders",
        "fapi",
        "GET",
        "/fapi/v1/openAlgoOrders",
        True,
        1,
        "futures_get_open_algo_orders",
        weight_all_symbols=40,
    ),
    Endpoint(
        "fapi.positionRisk",
        "fapi",
        "GET",
        "/fapi/v3/positionRisk",
        True,
        5,
        "futures_position_information",
    ),
    Endpoint(
        "fapi.symbolConfig",
        "fapi",
        "GET",
        "/fapi/v1/symbolConfig",
        True,
        5,
        "futures_symbol_config",
    ),
    Endpoint(
        "fapi.leverageBracket",
        "fapi",
        "GET",
        "/fapi/v1/leverageBracket",
        True,
        1,
        "futures_leverage_bracket",
    ),
    # -- COIN-M futures /dapi (weights: binance-futures-connector-python docstrings)
    Endpoint(
        "dapi.time", "dapi", "GET", "/dapi/v1/time", False, 1, "futures_coin_time", role="time"
    ),
    Endpoint(
        "dapi.exchangeInfo",
        "dapi",
        "GET",
        "/dapi/v1/exchangeInfo",
        False,
        1,
        "futures_coin_exchange_info",
        role="exchange_info",
    ),
    Endpoint("dapi.account", "dapi", "GET", "/dapi/v1/account", True, 5, "futures_coin_account"),
    Endpoint(
        "dapi.positionSideDual",
        "dapi",
        "GET",
        "/dapi/v1/positionSide/dual",
        True,
        30,
        "futures_coin_get_position_mode",
    ),
    Endpoint(
        "dapi.positionRisk",
        "dapi",
        "GET",
        "/dapi/v1/positionRisk",
        True,
        1,
        "futures_coin_position_information",
    ),
    Endpoint(
        "dapi.leverageBracket",
        "dapi",
        "GET",
        "/dapi/v2/leverageBracket",
        True,
        1,
        "futures_coin_leverage_bracket",
    ),
    Endpoint(
        "dapi.openOrders",
        "dapi",
        "GET",
        "/dapi/v1/openOrders",
        True,
        1,
        "futures_coin_get_open_orders",
        weight_all_symbols=40,
    ),
    # -- Portfolio Margin /papi (no time or exchangeInfo there: those come from /fapi, /dapi)
    Endpoint("papi.account", "papi", "GET", "/papi/v1/account", True, 20, "papi_get_account"),
    Endpoint("papi.balance", "papi", "GET", "/papi/v1/balance", True, 20, "papi_get_balance"),
    Endpoint(
        "papi.rateLimitOrder",
        "papi",
        "GET",
        "/papi/v1/rateLimit/order",
        True,
        1,
        "papi_get_rate_limit",
    ),
    Endpoint(
        "papi.umPositionSideDual",
        "papi",
        "GET",
        "/papi/v1/um/positionSide/dual",
        True,
        30,
        "papi_get_um_position_side_dual",
    ),
    Endpoint(
        "papi.cmPositionSideDual",
        "papi",
        "GET",
        "/papi/v1/cm/positionSide/dual",
        True,
        30,
        "papi_get_cm_position_side_dual",
    ),
    Endpoint(
        "papi.umPositionRisk",
        "papi",
        "GET",
        "/papi/v1/um/positionRisk",
        True,
        5,
        "papi_get_um_position_risk",
    ),
    Endpoint(
        "papi.cmPositionRisk",
        "papi",
        "GET",
        "/papi/v1/cm/positionRisk",
        True,
        1,
        "papi_get_cm_position_risk",
    ),
    Endpoint(
        "papi.umLeverageBracket",
        "papi",
        "GET",
        "/papi/v1/um/leverageBracket",
        True,
        1,
        "papi_get_um_leverage_bracket",
    ),
    Endpoint(
        "papi.cmLeverageBracket",
        "papi",
        "GET",
        "/papi/v1/cm/leverageBracket",
        True,
        1,
        "papi_get_cm_leverage_bracket",
    ),
    Endpoint(
        "papi.umOpenOrders",
        "papi",
        "GET",
        "/papi/v1/um/openOrders",
        True,
        1,
        "papi_get_um_open_orders",
        weight_all_symbols=40,
    ),
    Endpoint(
        "papi.cmOpenOrders",
        "papi",
        "GET",
        "/papi/v1/cm/openOrders",
        True,
        1,
        "papi_get_cm_open_orders",
        weight_all_symbols=40,
    ),
    Endpoint(
        "papi.umApiTradingStatus",
        "papi",
        "GET",
        "/papi/v1/um/apiTradingStatus",
        True,
        1,
        "papi_get_um_api_trading_status",
        weight_all_symbols=10,
    ),
]
ENDPOINTS: dict[str, Endpoint] = {e.name: e for e in _ENDPOINTS}


def endpoint_for(row: Market, role: str, pm: bool = False) -> str | None:
    """Given a market's row, a role and whether the account is under Portfolio Margin, return
    the endpoint that plays it, or None when this market has none."""
    if pm and row.futures:
        if role in row.pm_roles:
            return row.pm_roles[role]
        name = row.roles.get(role)
        if name is not None and ENDPOINTS[name].signed:
            return None  # refused under Portfolio Margin and not offered on /papi
        return name
    return row.roles.get(role)
