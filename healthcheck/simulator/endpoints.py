"""Binance REST endpoints the simulator serves: the route table (method, path, security type,
request weight, weight group) and one handler per endpoint that answers from a
:class:`~healthcheck.simulator.accounts.SimAccount` in Binance's real JSON shapes (amounts as
decimal strings where Binance uses strings), including the order-validation rules whose error
codes the health checks try to predict.
"""

from __future__ import annotations

import json
import secrets
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import TYPE_CHECKING, Any

from healthcheck.binance_errors import ERRORS
from healthcheck.simulator.accounts import (
    ALNUM,
    DEFAULT_LEVERAGE,
    MARK_PRICES,
    SimAccount,
    d,
    s8,
)

if TYPE_CHECKING:
    from healthcheck.simulator.server import Simulator

# Security types, as Binance names them. Every type but NONE/MARKET_DATA is signed.
NONE = "NONE"
USER_DATA = "USER_DATA"
TRADE = "TRADE"
SIGNED = frozenset({USER_DATA, TRADE})

MSG_AHEAD = "Timestamp for this request was 1000ms ahead of the server's time."
MSG_OUTSIDE = "Timestamp for this request is outside of the recvWindow."
MSG_DISABLED = "This action is disabled on this account."


class ApiError(Exception):
    """A Binance error answer: HTTP status plus the {"code", "msg"} body."""

    def __init__(self, status: int, code: int, msg: str | None = None) -> None:
        self.status = status
        self.code = code
        self.msg = msg if msg is not None else ERRORS[code].msg
        super().__init__(f"{status} {code} {self.msg}")


def mandatory(name: str) -> ApiError:
    return ApiError(400, -1102, ERRORS[-1102].msg % name)


@dataclass
class Ctx:
    """Everything a handler needs about one request."""

    sim: Simulator
    method: str
    path: str
    group: str
    params: dict[str, str]
    client_ip: str
    now_ms: int
    account: SimAccount | None = None
    extra_headers: dict[str, str] = field(default_factory=dict)
    refund_weight: bool = False  # successful orders cost 0 weight


Handler = Callable[[Ctx], Any]
Weight = int | Callable[[dict[str, str]], int]


@dataclass(frozen=True)
class Endpoint:
    method: str
    path: str
    security: str
    weight: Weight
    handler: Handler
    zero_weight_on_success: bool = False

    def weight_for(self, params: dict[str, str]) -> int:
        return self.weight(params) if callable(self.weight) else self.weight


def _bool(params: dict[str, str], name: str) -> bool:
    return params.get(name, "").lower() == "true"


def _dec(params: dict[str, str], name: str) -> Decimal | None:
    raw = params.get(name)
    if raw is None or raw == "":
        return None
    try:
        return Decimal(raw)
    except InvalidOperation:
        raise ApiError(
            400, -1100, ERRORS[-1100].msg % (name, "^([0-9]{1,20})(\\.[0-9]{1,20})?$")
        ) from None


def _client_order_id() -> str:
    return "".join(secrets.choice(ALNUM) for _ in range(22))


# ---------------------------------------------------------------------------------------------
# Market data (public)
# ---------------------------------------------------------------------------------------------
SPOT_SYMBOLS: dict[str, dict[str, str]] = {
    "BTCUSDT": {
        "base": "BTC",
        "quote": "USDT",
        "tick": "0.01000000",
        "step": "0.00001000",
        "minQty": "0.00001000",
        "maxQty": "9000.00000000",
    },
    "ETHUSDT": {
        "base": "ETH",
        "quote": "USDT",
        "tick": "0.01000000",
        "step": "0.00010000",
        "minQty": "0.00010000",
        "maxQty": "9000.00000000",
    },
}
FUTURES_SYMBOLS: dict[str, dict[str, str]] = {
    "BTCUSDT": {
        "base": "BTC",
        "tick": "0.10",
        "step": "0.001",
        "minPrice": "261.10",
        "maxPrice": "809484",
        "maxQty": "1000",
        "mktMaxQty": "120",
        "pp": "2",
        "qp": "3",
    },
    "ETHUSDT": {
        "base": "ETH",
        "tick": "0.01",
        "step": "0.001",
        "minPrice": "39.86",
        "maxPrice": "306177",
        "maxQty": "10000",
        "mktMaxQty": "2000",
        "pp": "2",
        "qp": "3",
    },
}
SPOT_MIN_NOTIONAL = Decimal("5")
FUTURES_MIN_NOTIONAL = Decimal("5.0")


def ping(ctx: Ctx) -> Any:
    return {}


def server_time(ctx: Ctx) -> Any:
    return {"serverTime": ctx.now_ms}


def _wanted_symbols(params: dict[str, str], known: dict[str, Any]) -> list[str]:
    if "symbol" in params:
        wanted = [params["symbol"]]
    elif "symbols" in params:
        try:
            wanted = json.loads(params["symbols"])
            if not isinstance(wanted, list):
                raise ValueError
        except ValueError:
            raise ApiError(
                400,
                -1100,
                ERRORS[-1100].msg
                % ("symbols", '^\\[("[A-Z0-9-_.]{1,20}"(,"[A-Z0-9-_.]{1,20}"){0,}){0,1}\\]$'),
            ) from None
    else:
        return list(known)
    for sym in wanted:
        if sym not in known:
            raise ApiError(400, -1121)
    return [str(s) for s in wanted]


def _spot_symbol(sym: str) -> dict[str, Any]:
    info = SPOT_SYMBOLS[sym]
    return {
        "symbol": sym,
        "status": "TRADING",
        "baseAsset": info["base"],
        "baseAssetPrecision": 8,
        "quoteAsset": info["quote"],
        "quotePrecision": 8,
        "quoteAssetPrecision": 8,
        "baseCommissionPrecision": 8,
        "quoteCommissionPrecision": 8,
        "orderTypes": [
            "LIMIT",
            "LIMIT_MAKER",
            "MARKET",
            "STOP_LOSS",
            "STOP_LOSS_LIMIT",
            "TAKE_PROFIT",
            "TAKE_PROFIT_LIMIT",
        ],
        "icebergAllowed": True,
        "ocoAllowed": True,
        "otoAllowed": True,
        "quoteOrderQtyMarketAllowed": True,
        "allowTrailingStop": True,
        "cancelReplaceAllowed": True,
        "amendAllowed": True,
        "pegInstructionsAllowed": True,
        "isSpotTradingAllowed": True,
        "isMarginTradingAllowed": True,
        "filters": [
            {
                "filterType": "PRICE_FILTER",
                "minPrice": info["tick"],
                "maxPrice": "1000000.00000000",
                "tickSize": info["tick"],
            },
            {
                "filterType": "LOT_SIZE",
                "minQty": info["minQty"],
                "maxQty": info["maxQty"],
                "stepSize": info["step"],
            },
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
                "minNotional": s8(SPOT_MIN_NOTIONAL),
                "applyMinToMarket": True,
                "maxNotional": "9000000.00000000",
                "applyMaxToMarket": False,
                "avgPriceMins": 5,
            },
            {"filterType": "MAX_NUM_ORDERS", "maxNumOrders": 200},
            {"filterType": "MAX_NUM_ALGO_ORDERS", "maxNumAlgoOrders": 5},
        ],
        "permissions": [],
        "permissionSets": [["SPOT", "MARGIN"]],
        "defaultSelfTradePreventionMode": "EXPIRE_MAKER",
        "allowedSelfTradePreventionModes": [
            "NONE",
            "EXPIRE_TAKER",
            "EXPIRE_MAKER",
            "EXPIRE_BOTH",
            "DECREMENT",
        ],
    }


def spot_exchange_info(ctx: Ctx) -> Any:
    syms = _wanted_symbols(ctx.params, SPOT_SYMBOLS)
    return {
        "timezone": "UTC",
        "serverTime": ctx.now_ms,
        "rateLimits": [
            {
                "rateLimitType": "REQUEST_WEIGHT",
                "interval": "MINUTE",
                "intervalNum": 1,
                "limit": ctx.sim.limits["api"],
            },
            {"rateLimitType": "ORDERS", "interval": "SECOND", "intervalNum": 10, "limit": 100},
            {"rateLimitType": "ORDERS", "interval": "DAY", "intervalNum": 1, "limit": 200000},
            {
                "rateLimitType": "RAW_REQUESTS",
                "interval": "MINUTE",
                "intervalNum": 5,
                "limit": 300000,
            },
        ],
        "exchangeFilters": [],
        "symbols": [_spot_symbol(s) for s in syms],
    }


def _futures_symbol(sym: str) -> dict[str, Any]:
    info = FUTURES_SYMBOLS[sym]
    return {
        "symbol": sym,
        "pair": sym,
        "contractType": "PERPETUAL",
        "deliveryDate": 4133404800000,
        "onboardDate": 1569398400000,
        "status": "TRADING",
        "maintMarginPercent": "2.5000",
        "requiredMarginPercent": "5.0000",
        "baseAsset": info["base"],
        "quoteAsset": "USDT",
        "marginAsset": "USDT",
        "pricePrecision": int(info["pp"]),
        "quantityPrecision": int(info["qp"]),
        "baseAssetPrecision": 8,
        "quotePrecision": 8,
        "underlyingType": "COIN",
        "underlyingSubType": ["PoW"],
        "settlePlan": 0,
        "triggerProtect": "0.0500",
        "liquidationFee": "0.012500",
        "marketTakeBound": "0.05",
        "maxMoveOrderLimit": 10000,
        "filters": [
            {
                "filterType": "PRICE_FILTER",
                "minPrice": info["minPrice"],
                "maxPrice": info["maxPrice"],
                "tickSize": info["tick"],
            },
            {
                "filterType": "LOT_SIZE",
                "minQty": info["step"],
                "maxQty": info["maxQty"],
                "stepSize": info["step"],
            },
            {
                "filterType": "MARKET_LOT_SIZE",
                "minQty": info["step"],
                "maxQty": info["mktMaxQty"],
                "stepSize": info["step"],
            },
            {"filterType": "MAX_NUM_ORDERS", "limit": 200},
            {"filterType": "MAX_NUM_ALGO_ORDERS", "limit": 10},
            {"filterType": "MIN_NOTIONAL", "notional": str(FUTURES_MIN_NOTIONAL)},
            {
                "filterType": "PERCENT_PRICE",
                "multiplierUp": "1.0500",
                "multiplierDown": "0.9500",
                "multiplierDecimal": "4",
            },
        ],
        "orderTypes": [
            "LIMIT",
            "MARKET",
            "STOP",
            "STOP_MARKET",
            "TAKE_PROFIT",
            "TAKE_PROFIT_MARKET",
            "TRAILING_STOP_MARKET",
        ],
        "timeInForce": ["GTC", "IOC", "FOK", "GTX", "GTD"],
        "permissionSets": ["GRID", "COPY"],
    }


def futures_exchange_info(ctx: Ctx) -> Any:
    syms = (
        _wanted_symbols({k: v for k, v in ctx.params.items() if k == "symbol"}, FUTURES_SYMBOLS)
        if "symbol" in ctx.params
        else list(FUTURES_SYMBOLS)
    )
    return {
        "timezone": "UTC",
        "serverTime": ctx.now_ms,
        "futuresType": "U_MARGINED",
        "rateLimits": [
            {
                "rateLimitType": "REQUEST_WEIGHT",
                "interval": "MINUTE",
                "intervalNum": 1,
                "limit": ctx.sim.limits["fapi"],
            },
            {"rateLimitType": "ORDERS", "interval": "MINUTE", "intervalNum": 1, "limit": 1200},
            {"rateLimitType": "ORDERS", "interval": "SECOND", "intervalNum": 10, "limit": 300},
        ],
        "exchangeFilters": [],
        "assets": [
            {"asset": "USDT", "marginAvailable": True, "autoAssetExchange": "-10000"},
            {"asset": "BTC", "marginAvailable": True, "autoAssetExchange": "-0.10000000"},
        ],
        "symbols": [_futures_symbol(s) for s in syms],
    }


# ---------------------------------------------------------------------------------------------
# Spot account and orders
# ---------------------------------------------------------------------------------------------
def spot_account(ctx: Ctx) -> Any:
    a = _acct(ctx)
    balances = [
        {"asset": asset, "free": s8(free), "locked": s8(locked)}
        for asset, (free, locked) in a.spot_balances.items()
    ]
    if _bool(ctx.params, "omitZeroBalances"):
        balances = [b for b in balances if d(b["free"]) != 0 or d(b["locked"]) != 0]
    return {
        "makerCommission": 10,
        "takerCommission": 10,
        "buyerCommission": 0,
        "sellerCommission": 0,
        "commissionRates": {
            "maker": "0.00100000",
            "taker": "0.00100000",
            "buyer": "0.00000000",
            "seller": "0.00000000",
        },
        "canTrade": a.can_trade_spot,
        "canWithdraw": True,
        "canDeposit": True,
        "brokered": False,
        "requireSelfTradePrevention": False,
        "preventSor": False,
        "updateTime": ctx.now_ms - 86_400_000,
        "accountType": "SPOT",
        "balances": balances,
        "permissions": ["SPOT"],
        "uid": a.uid,
    }


def _spot_order_checks(ctx: Ctx, *, check_balance: bool) -> tuple[str, Decimal, Decimal, Decimal]:
    p = ctx.params
    a = _acct(ctx)
    for name in ("symbol", "side", "type"):
        if not p.get(name):
            raise mandatory(name)
    sym = p["symbol"]
    if sym not in SPOT_SYMBOLS:
        raise ApiError(400, -1121)
    if not a.can_trade_spot:
        raise ApiError(400, -2010, MSG_DISABLED)
    price = _dec(p, "price") if p["type"].upper() != "MARKET" else None
    if p["type"].upper() != "MARKET" and price is None:
        raise mandatory("price")
    price = price or MARK_PRICES[sym]
    qty = _dec(p, "quantity")
    if qty is None:
        quote_qty = _dec(p, "quoteOrderQty")
        if quote_qty is None:
            raise mandatory("quantity")
        qty = quote_qty / price
    if qty < d(SPOT_SYMBOLS[sym]["minQty"]):
        raise ApiError(400, -1013, "Filter failure: LOT_SIZE")
    if qty * price < SPOT_MIN_NOTIONAL:
        raise ApiError(400, -1013, "Filter failure: NOTIONAL")
    if check_balance:
        info = SPOT_SYMBOLS[sym]
        side = p["side"].upper()
        asset, needed = (info["quote"], qty * price) if side == "BUY" else (info["base"], qty)
        free = d(a.spot_balances.get(asset, ("0", "0"))[0])
        if free < needed:
            raise ApiError(400, -2010)
    return sym, qty, price, MARK_PRICES[sym]


def spot_test_order(ctx: Ctx) -> Any:
    # Binance's test endpoint validates the order but, by user reports, not the balance.
    _spot_order_checks(ctx, check_balance=False)
    if _bool(ctx.params, "computeCommissionRates"):
        return {
            "standardCommissionForOrder": {"maker": "0.00100000", "taker": "0.00100000"},
            "specialCommissionForOrder": {"maker": "0.00000000", "taker": "0.00000000"},
            "taxCommissionForOrder": {"maker": "0.00000000", "taker": "0.00000000"},
            "discount": {
                "enabledForAccount": True,
                "enabledForSymbol": True,
                "discountAsset": "BNB",
                "discount": "0.25000000",
            },
        }
    return {}


def spot_order(ctx: Ctx) -> Any:
    sym, qty, price, _ = _spot_order_checks(ctx, check_balance=True)
    p = ctx.params
    count10s, count1d = ctx.sim._count_order(_acct(ctx).name, "api", ctx.now_ms)
    ctx.extra_headers.update(
        {"X-MBX-ORDER-COUNT-10S": str(count10s), "X-MBX-ORDER-COUNT-1D": str(count1d)}
    )
    ctx.refund_weight = True
    order_id = ctx.sim._next_order_id()
    base = {
        "symbol": sym,
        "orderId": order_id,
        "orderListId": -1,
        "clientOrderId": p.get("newClientOrderId") or _client_order_id(),
        "transactTime": ctx.now_ms,
    }
    resp_type = p.get("newOrderRespType", "").upper() or (
        "FULL" if p["type"].upper() in ("MARKET", "LIMIT") else "ACK"
    )
    if resp_type == "ACK":
        return base
    is_market = p["type"].upper() == "MARKET"
    filled = qty if is_market else Decimal(0)
    result = {
        **base,
        "price": s8(0 if is_market else price),
        "origQty": s8(qty),
        "executedQty": s8(filled),
        "origQuoteOrderQty": s8(0),
        "cummulativeQuoteQty": s8(filled * price),
        "status": "FILLED" if is_market else "NEW",
        "timeInForce": p.get("timeInForce", "GTC"),
        "type": p["type"].upper(),
        "side": p["side"].upper(),
        "workingTime": ctx.now_ms,
        "selfTradePreventionMode": "EXPIRE_MAKER",
    }
    if resp_type == "FULL":
        result["fills"] = (
            [
                {
                    "price": s8(price),
                    "qty": s8(qty),
                    "commission": s8(qty * Decimal("0.001")),
                    "commissionAsset": SPOT_SYMBOLS[sym]["base"],
                    "tradeId": order_id,
                }
            ]
            if is_market
            else []
        )
    return result


def spot_rate_limit_order(ctx: Ctx) -> Any:
    count10s, count1d = ctx.sim._order_counts(_acct(ctx).name, "api", ctx.now_ms)
    return [
        {
            "rateLimitType": "ORDERS",
            "interval": "SECOND",
            "intervalNum": 10,
            "limit": 100,
            "count": count10s,
        },
        {
            "rateLimitType": "ORDERS",
            "interval": "DAY",
            "intervalNum": 1,
            "limit": 200000,
            "count": count1d,
        },
    ]


# ---------------------------------------------------------------------------------------------
# Wallet /sapi
# ---------------------------------------------------------------------------------------------
def system_status(ctx: Ctx) -> Any:
    if ctx.sim.maintenance:
        return {"status": 1, "msg": "system maintenance"}
    return {"status": 0, "msg": "normal"}


def api_restrictions(ctx: Ctx) -> Any:
    a = _acct(ctx)
    out: dict[str, Any] = {
        "ipRestrict": a.ip_whitelist is not None,
        "createTime": a.create_time_ms,
        "enableReading": a.enable_reading,
        "enableWithdrawals": a.enable_withdrawals,
        "enableInternalTransfer": a.enable_internal_transfer,
        "enableMargin": a.enable_margin,
        "enableFutures": a.enable_futures,
        "permitsUniversalTransfer": False,
        "enableVanillaOptions": False,
        "enableFixApiTrade": False,
        "enableFixReadOnly": False,
        "enableSpotAndMarginTrading": a.enable_spot_trading,
        "enablePortfolioMarginTrading": False,
    }
    if a.trading_authority_expiration_ms is not None:
        out["tradingAuthorityExpirationTime"] = a.trading_authority_expiration_ms
    return out


def account_status(ctx: Ctx) -> Any:
    return {"data": _acct(ctx).account_status}


def spot_api_trading_status(ctx: Ctx) -> Any:
    a = _acct(ctx)
    return {
        "data": {
            "isLocked": a.spot_locked,
            "plannedRecoverTime": a.spot_planned_recover_ms if a.spot_locked else 0,
            "triggerCondition": {"GCR": 150, "IFER": 150, "UFR": 300},
            "indicators": {
                "BTCUSDT": [
                    {"i": "UFR", "c": 20, "v": 0.05, "t": 0.995},
                    {"i": "IFER", "c": 20, "v": 0.99, "t": 0.99},
                    {"i": "GCR", "c": 20, "v": 0.05, "t": 0.99},
                ]
            },
            "updateTime": ctx.now_ms - 60_000,
        }
    }


# ---------------------------------------------------------------------------------------------
# USD-M futures /fapi
# ---------------------------------------------------------------------------------------------
def account_config(ctx: Ctx) -> Any:
    a = _acct(ctx)
    return {
        "feeTier": a.fee_tier,
        "canTrade": a.can_trade_futures,
        "canDeposit": True,
        "canWithdraw": True,
        "dualSidePosition": a.dual_side_position,
        "updateTime": 0,
        "multiAssetsMargin": a.multi_assets_margin,
        "tradeGroupId": -1,
    }


def get_position_mode(ctx: Ctx) -> Any:
    return {"dualSidePosition": _acct(ctx).dual_side_position}


def set_position_mode(ctx: Ctx) -> Any:
    raw = ctx.params.get("dualSidePosition")
    if raw is None or raw.lower() not in ("true", "false"):
        raise mandatory("dualSidePosition")
    want = raw.lower() == "true"
    a = _acct(ctx)
    if want == a.dual_side_position:
        raise ApiError(400, -4059)
    a.dual_side_position = want
    return {"code": 200, "msg": "success"}


def multi_assets_mode(ctx: Ctx) -> Any:
    return {"multiAssetsMargin": _acct(ctx).multi_assets_margin}


def _futures_assets(a: SimAccount, now_ms: int) -> list[dict[str, Any]]:
    out = []
    for asset, v in a.futures_assets.items():
        wallet = d(v.get("walletBalance", "0"))
        upnl = d(v.get("unrealizedProfit", "0"))
        avail = d(v.get("availableBalance", wallet))
        out.append(
            {
                "asset": asset,
                "walletBalance": s8(wallet),
                "unrealizedProfit": s8(upnl),
                "marginBalance": s8(v.get("marginBalance", wallet + upnl)),
                "maintMargin": s8(v.get("maintMargin", "0")),
                "initialMargin": s8(v.get("initialMargin", "0")),
                "positionInitialMargin": s8(v.get("initialMargin", "0")),
                "openOrderInitialMargin": s8(0),
                "crossWalletBalance": s8(wallet),
                "crossUnPnl": s8(upnl),
                "availableBalance": s8(avail),
                "maxWithdrawAmount": s8(avail),
                "updateTime": now_ms - 3_600_000,
            }
        )
    return out


def _positions(a: SimAccount, now_ms: int, *, v2: bool) -> list[dict[str, Any]]:
    pos = a.futures_position()
    if pos is None:
        return []
    side = "LONG" if a.dual_side_position else "BOTH"
    p: dict[str, Any] = {
        "symbol": "BTCUSDT",
        "positionSide": side,
        "positionAmt": f"{pos['amt']:.3f}",
        "unrealizedProfit": s8(0),
        "isolatedMargin": s8(0),
        "notional": f"{pos['notional']:.8f}",
        "isolatedWallet": "0",
        "initialMargin": s8(pos["initial"]),
        "maintMargin": s8(pos["maint"]),
        "updateTime": now_ms - 3_600_000,
    }
    if v2:
        p.update(
            {
                "positionInitialMargin": s8(pos["initial"]),
                "openOrderInitialMargin": "0",
                "leverage": str(DEFAULT_LEVERAGE),
                "isolated": False,
                "entryPrice": f"{pos['price']:.1f}",
                "breakEvenPrice": f"{pos['price']:.1f}",
                "maxNotional": "10000000",
                "bidNotional": "0",
                "askNotional": "0",
            }
        )
    return [p]


def futures_account(ctx: Ctx) -> Any:
    a = _acct(ctx)
    v2 = "/v2/" in ctx.path
    assets = _futures_assets(a, ctx.now_ms)
    wallet = sum((d(x["walletBalance"]) for x in assets), Decimal(0))
    upnl = sum((d(x["unrealizedProfit"]) for x in assets), Decimal(0))
    avail = a.futures_available("USDT")
    pos = a.futures_position()
    initial = pos["initial"] if pos else Decimal(0)
    out: dict[str, Any] = {
        "totalInitialMargin": s8(initial),
        "totalMaintMargin": s8(a.futures_maint_margin),
        "totalWalletBalance": s8(wallet),
        "totalUnrealizedProfit": s8(upnl),
        "totalMarginBalance": s8(a.futures_margin_balance),
        "totalPositionInitialMargin": s8(initial),
        "totalOpenOrderInitialMargin": s8(0),
        "totalCrossWalletBalance": s8(wallet),
        "totalCrossUnPnl": s8(upnl),
        "availableBalance": s8(avail),
        "maxWithdrawAmount": s8(avail),
        "assets": assets,
        "positions": _positions(a, ctx.now_ms, v2=v2),
    }
    if v2:
        for x in assets:
            x["marginAvailable"] = True
        out = {
            "feeTier": a.fee_tier,
            "feeBurn": True,
            "canTrade": a.can_trade_futures,
            "canDeposit": True,
            "canWithdraw": True,
            "updateTime": 0,
            "multiAssetsMargin": a.multi_assets_margin,
            "tradeGroupId": -1,
            **out,
        }
    return out


def futures_balance(ctx: Ctx) -> Any:
    a = _acct(ctx)
    alias = "Sg" + a.api_key[:2]
    out = []
    for x in _futures_assets(a, ctx.now_ms):
        out.append(
            {
                "accountAlias": alias,
                "asset": x["asset"],
                "balance": x["walletBalance"],
                "crossWalletBalance": x["crossWalletBalance"],
                "crossUnPnl": x["crossUnPnl"],
                "availableBalance": x["availableBalance"],
                "maxWithdrawAmount": x["maxWithdrawAmount"],
                "marginAvailable": True,
                "updateTime": x["updateTime"],
            }
        )
    return out


def position_risk(ctx: Ctx) -> Any:
    a = _acct(ctx)
    pos = a.futures_position()
    sym = ctx.params.get("symbol")
    if sym is not None and sym not in FUTURES_SYMBOLS:
        raise ApiError(400, -1121)
    if pos is None or (sym is not None and sym != "BTCUSDT"):
        return []
    return [
        {
            "symbol": "BTCUSDT",
            "positionSide": "LONG" if a.dual_side_position else "BOTH",
            "positionAmt": f"{pos['amt']:.3f}",
            "entryPrice": f"{pos['price']:.1f}",
            "breakEvenPrice": f"{pos['price']:.1f}",
            "markPrice": s8(pos["price"]),
            "unRealizedProfit": s8(0),
            "liquidationPrice": "0",
            "isolatedMargin": "0",
            "notional": s8(pos["notional"]),
            "marginAsset": "USDT",
            "isolatedWallet": "0",
            "initialMargin": s8(pos["initial"]),
            "maintMargin": s8(pos["maint"]),
            "positionInitialMargin": s8(pos["initial"]),
            "openOrderInitialMargin": "0",
            "adl": 1,
            "bidNotional": "0",
            "askNotional": "0",
            "updateTime": ctx.now_ms - 3_600_000,
        }
    ]


def futures_api_trading_status(ctx: Ctx) -> Any:
    a = _acct(ctx)
    sym = ctx.params.get("symbol")
    indicators: dict[str, list[dict[str, Any]]] = {}
    for ind in a.futures_indicators:
        if sym is not None and ind.get("symbol") != sym:
            continue
        indicators.setdefault(ind.get("symbol", "ACCOUNT"), []).append(
            {
                "isLocked": bool(ind.get("isLocked", False)),
                "plannedRecoverTime": int(ind.get("plannedRecoverTime", 0)),
                "indicator": ind.get("indicator", "UFR"),
                "value": ind.get("value", 0),
                "triggerValue": ind.get("triggerValue", 0),
            }
        )
    return {"indicators": indicators, "updateTime": ctx.now_ms - 60_000}


def _futures_order_checks(ctx: Ctx) -> dict[str, Any]:
    p = ctx.params
    a = _acct(ctx)
    for name in ("symbol", "side", "type"):
        if not p.get(name):
            raise mandatory(name)
    sym = p["symbol"]
    if sym not in FUTURES_SYMBOLS:
        raise ApiError(400, -1121)
    side_pos = p.get("positionSide", "").upper()
    if a.dual_side_position and side_pos not in ("LONG", "SHORT"):
        raise ApiError(400, -4061)
    if not a.dual_side_position and side_pos not in ("", "BOTH"):
        raise ApiError(400, -4061)
    reduce_only = _bool(p, "reduceOnly") or _bool(p, "closePosition")
    if not a.can_trade_futures:
        raise ApiError(400, -4088)
    if not reduce_only:
        for ind in a.futures_indicators:
            recover = int(ind.get("plannedRecoverTime", 0))
            if (
                ind.get("isLocked")
                and ind.get("symbol") in (sym, "ACCOUNT")
                and (recover == 0 or recover > ctx.now_ms)
            ):
                raise ApiError(400, -4400)
        if a.reduce_only:
            raise ApiError(400, -4189)
    otype = p["type"].upper()
    price = _dec(p, "price") if otype != "MARKET" else None
    if otype == "LIMIT" and price is None:
        raise mandatory("price")
    price = price or MARK_PRICES[sym]
    qty = _dec(p, "quantity")
    if qty is None and not _bool(p, "closePosition"):
        raise mandatory("quantity")
    qty = qty or Decimal(0)
    if qty <= 0 and not _bool(p, "closePosition"):
        raise ApiError(400, -4003, "Quantity less than or equal to zero.")
    if not reduce_only:
        if qty * price < FUTURES_MIN_NOTIONAL:
            raise ApiError(400, -4164)
        if a.futures_available("USDT") < qty * price / DEFAULT_LEVERAGE:
            raise ApiError(400, -2019)
    return {
        "symbol": sym,
        "qty": qty,
        "price": price,
        "reduceOnly": reduce_only,
        "positionSide": side_pos or "BOTH",
        "type": otype,
    }


def _futures_order_body(ctx: Ctx, o: dict[str, Any], order_id: int) -> dict[str, Any]:
    p = ctx.params
    return {
        "clientOrderId": p.get("newClientOrderId") or _client_order_id(),
        "cumQty": "0",
        "cumQuote": "0.00000",
        "executedQty": "0",
        "orderId": order_id,
        "avgPrice": "0.00",
        "origQty": str(o["qty"]),
        "price": str(p.get("price", "0.00")),
        "reduceOnly": o["reduceOnly"],
        "side": p["side"].upper(),
        "positionSide": o["positionSide"],
        "status": "NEW",
        "stopPrice": "0.00",
        "closePosition": _bool(p, "closePosition"),
        "symbol": o["symbol"],
        "timeInForce": p.get("timeInForce", "GTC"),
        "type": o["type"],
        "origType": o["type"],
        "updateTime": ctx.now_ms,
        "workingType": "CONTRACT_PRICE",
        "priceProtect": False,
        "priceMatch": "NONE",
        "selfTradePreventionMode": "EXPIRE_MAKER",
        "goodTillDate": 0,
    }


def futures_test_order(ctx: Ctx) -> Any:
    o = _futures_order_checks(ctx)
    return _futures_order_body(ctx, o, 0)


def futures_order(ctx: Ctx) -> Any:
    o = _futures_order_checks(ctx)
    c10s, c1m = ctx.sim._count_order(_acct(ctx).name, "fapi", ctx.now_ms)
    ctx.extra_headers.update({"X-MBX-ORDER-COUNT-10S": str(c10s), "X-MBX-ORDER-COUNT-1M": str(c1m)})
    ctx.refund_weight = True
    return _futures_order_body(ctx, o, ctx.sim._next_order_id())


def _acct(ctx: Ctx) -> SimAccount:
    assert ctx.account is not None, "signed endpoint reached without an account"
    return ctx.account


def _trading_status_weight(params: dict[str, str]) -> int:
    return 1 if params.get("symbol") else 10


ENDPOINTS: list[Endpoint] = [
    Endpoint("GET", "/api/v3/ping", NONE, 1, ping),
    Endpoint("GET", "/api/v3/time", NONE, 1, server_time),
    Endpoint("GET", "/api/v3/exchangeInfo", NONE, 20, spot_exchange_info),
    Endpoint("GET", "/api/v3/account", USER_DATA, 20, spot_account),
    Endpoint("POST", "/api/v3/order/test", TRADE, 1, spot_test_order),
    Endpoint("POST", "/api/v3/order", TRADE, 1, spot_order, zero_weight_on_success=True),
    Endpoint("GET", "/api/v3/rateLimit/order", USER_DATA, 40, spot_rate_limit_order),
    Endpoint("GET", "/sapi/v1/system/status", NONE, 1, system_status),
    Endpoint("GET", "/sapi/v1/account/apiRestrictions", USER_DATA, 1, api_restrictions),
    Endpoint("GET", "/sapi/v1/account/status", USER_DATA, 1, account_status),
    Endpoint("GET", "/sapi/v1/account/apiTradingStatus", USER_DATA, 1, spot_api_trading_status),
    Endpoint("GET", "/fapi/v1/ping", NONE, 1, ping),
    Endpoint("GET", "/fapi/v1/time", NONE, 1, server_time),
    Endpoint("GET", "/fapi/v1/exchangeInfo", NONE, 1, futures_exchange_info),
    Endpoint("GET", "/fapi/v1/accountConfig", USER_DATA, 5, account_config),
    Endpoint("GET", "/fapi/v1/positionSide/dual", USER_DATA, 30, get_position_mode),
    Endpoint("POST", "/fapi/v1/positionSide/dual", TRADE, 1, set_position_mode),
    Endpoint("GET", "/fapi/v1/multiAssetsMargin", USER_DATA, 30, multi_assets_mode),
    Endpoint("GET", "/fapi/v3/account", USER_DATA, 5, futures_account),
    Endpoint("GET", "/fapi/v2/account", USER_DATA, 5, futures_account),
    Endpoint("GET", "/fapi/v3/balance", USER_DATA, 5, futures_balance),
    Endpoint("GET", "/fapi/v2/balance", USER_DATA, 5, futures_balance),
    Endpoint("GET", "/fapi/v3/positionRisk", USER_DATA, 5, position_risk),
    Endpoint(
        "GET",
        "/fapi/v1/apiTradingStatus",
        USER_DATA,
        _trading_status_weight,
        futures_api_trading_status,
    ),
    Endpoint("POST", "/fapi/v1/order/test", TRADE, 1, futures_test_order),
    Endpoint("POST", "/fapi/v1/order", TRADE, 1, futures_order, zero_weight_on_success=True),
]

ROUTES: dict[tuple[str, str], Endpoint] = {(e.method, e.path): e for e in ENDPOINTS}
PATHS: frozenset[str] = frozenset(e.path for e in ENDPOINTS)
