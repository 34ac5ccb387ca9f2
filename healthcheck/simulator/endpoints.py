"""Binance REST endpoints the simulator serves: the route table (method, path, security type,
request weight) and one handler per endpoint that answers from the simulator's market state
(:mod:`~healthcheck.simulator.market`) and a :class:`~healthcheck.simulator.accounts.SimAccount`
in Binance's real JSON shapes, with order validation from :mod:`~healthcheck.simulator.trading`.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from healthcheck.exchange.catalogue import quote
from healthcheck.simulator import trading
from healthcheck.simulator.accounts import SimAccount, d, s8
from healthcheck.simulator.market import (
    INTERVALS_MS,
    SymbolState,
    kline_rows,
    leverage_brackets,
    max_notional,
)
from healthcheck.simulator.trading import ApiError, mandatory

if TYPE_CHECKING:
    from healthcheck.simulator.venue import Venue

__all__ = ["ApiError", "mandatory"]

# Security types, as Binance names them. Every type but NONE/MARKET_DATA is signed.
NONE = "NONE"
USER_DATA = "USER_DATA"
TRADE = "TRADE"
SIGNED = frozenset({USER_DATA, TRADE})

MSG_AHEAD = "Timestamp for this request was 1000ms ahead of the server's time."
MSG_OUTSIDE = "Timestamp for this request is outside of the recvWindow."
MSG_DISABLED = "This action is disabled on this account."


@dataclass
class Ctx:
    """Everything a handler needs about one request."""

    sim: Venue
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


def _acct(ctx: Ctx) -> SimAccount:
    assert ctx.account is not None, "signed endpoint reached without an account"
    return ctx.account


def _market(ctx: Ctx) -> str:
    return "usdm" if ctx.group == "fapi" else "spot"


def _int(params: dict[str, str], name: str, default: int) -> int:
    raw = params.get(name)
    if raw is None or raw == "":
        return default
    try:
        return int(raw)
    except ValueError:
        raise ApiError(
            400,
            -1100,
            f"Illegal characters found in parameter '{name}'; legal range is '^[0-9]{{1,20}}$'.",
        ) from None


# ---------------------------------------------------------------------------------------------
# Market data (public)
# ---------------------------------------------------------------------------------------------
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
                quote(
                    -1100,
                    "spot",
                    param="symbols",
                    legal_range='^\\[("[A-Z0-9-_.]{1,20}"(,"[A-Z0-9-_.]{1,20}"){0,}){0,1}\\]$',
                ),
            ) from None
    else:
        return list(known)
    for sym in wanted:
        if sym not in known:
            raise ApiError(400, -1121, "Invalid symbol.")
    return [str(s) for s in wanted]


def _symbols(ctx: Ctx) -> list[SymbolState]:
    known = ctx.sim.markets[_market(ctx)]
    params = (
        ctx.params
        if _market(ctx) == "spot"
        else {k: v for k, v in ctx.params.items() if k == "symbol"}
    )
    return [known[s] for s in _wanted_symbols(params, known)]


def _spot_symbol(st: SymbolState) -> dict[str, Any]:
    return {
        "symbol": st.symbol,
        "status": st.status,
        "baseAsset": st.base,
        "baseAssetPrecision": 8,
        "quoteAsset": st.quote,
        "quotePrecision": 8,
        "quoteAssetPrecision": 8,
        "baseCommissionPrecision": 8,
        "quoteCommissionPrecision": 8,
        "orderTypes": list(trading.SPOT_TYPES),
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
        "filters": copy.deepcopy(st.filters),
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
    syms = _symbols(ctx)
    status = ctx.params.get("symbolStatus")
    if status is not None:
        if status not in ("TRADING", "HALT", "BREAK"):
            raise ApiError(
                400,
                -1100,
                "Illegal characters found in parameter 'symbolStatus'; "
                "legal range is 'TRADING, HALT, BREAK'.",
            )
        syms = [s for s in syms if s.status == status]
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


def _futures_symbol(st: SymbolState) -> dict[str, Any]:
    return {
        "symbol": st.symbol,
        "pair": st.symbol,
        "contractType": "PERPETUAL",
        "deliveryDate": st.delivery_date_ms,
        "onboardDate": 1569398400000,
        "status": st.status,
        "maintMarginPercent": "2.5000",
        "requiredMarginPercent": "5.0000",
        "baseAsset": st.base,
        "quoteAsset": st.quote,
        "marginAsset": "USDT",
        "pricePrecision": st.price_precision,
        "quantityPrecision": st.quantity_precision,
        "baseAssetPrecision": 8,
        "quotePrecision": 8,
        "underlyingType": "COIN",
        "underlyingSubType": ["PoW"],
        "settlePlan": 0,
        "triggerProtect": "0.0500",
        "liquidationFee": "0.012500",
        "marketTakeBound": "0.05",
        "maxMoveOrderLimit": 10000,
        "filters": copy.deepcopy(st.filters),
        "orderTypes": list(trading.USDM_TYPES),
        "timeInForce": ["GTC", "IOC", "FOK", "GTX", "GTD"],
        "permissionSets": ["GRID", "COPY"],
    }


def futures_exchange_info(ctx: Ctx) -> Any:
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
        "symbols": [_futures_symbol(s) for s in _symbols(ctx)],
    }


def coinm_exchange_info(ctx: Ctx) -> Any:
    """COIN-M is out of scope: its start-up call answers, with no symbols."""
    return {
        "timezone": "UTC",
        "serverTime": ctx.now_ms,
        "rateLimits": [
            {
                "rateLimitType": "REQUEST_WEIGHT",
                "interval": "MINUTE",
                "intervalNum": 1,
                "limit": ctx.sim.limits["dapi"],
            },
        ],
        "exchangeFilters": [],
        "symbols": [],
    }


def _px(st: SymbolState, value: Decimal) -> str:
    places = min(st.price_precision, 8)
    return f"{value:.{places}f}"


def _one_or_all(ctx: Ctx, row: Callable[[SymbolState], dict[str, Any]]) -> Any:
    rows = [row(st) for st in _symbols(ctx)]
    return rows[0] if "symbol" in ctx.params else rows


def ticker_price(ctx: Ctx) -> Any:
    def row(st: SymbolState) -> dict[str, Any]:
        out: dict[str, Any] = {"symbol": st.symbol, "price": _px(st, st.price_at(ctx.now_ms))}
        if ctx.group == "fapi":
            out["time"] = ctx.now_ms
        return out

    status = ctx.params.get("symbolStatus")
    if status is not None and ctx.group == "api":
        for st in _symbols(ctx):
            if st.status != status:
                raise ApiError(
                    400, -1220, "The symbol's status does not match the requested symbolStatus."
                )
    return _one_or_all(ctx, row)


def book_ticker(ctx: Ctx) -> Any:
    def row(st: SymbolState) -> dict[str, Any]:
        p = st.price_at(ctx.now_ms)
        tick = Decimal(str((st.filter("PRICE_FILTER") or {"tickSize": "0.01"})["tickSize"]))
        out: dict[str, Any] = {
            "symbol": st.symbol,
            "bidPrice": _px(st, p - tick),
            "bidQty": "3.20000000" if ctx.group == "api" else "3.200",
            "askPrice": _px(st, p + tick),
            "askQty": "1.70000000" if ctx.group == "api" else "1.700",
        }
        if ctx.group == "fapi":
            out["time"] = ctx.now_ms
            out["lastUpdateId"] = ctx.now_ms
        return out

    return _one_or_all(ctx, row)


def ticker_24hr(ctx: Ctx) -> Any:
    def row(st: SymbolState) -> dict[str, Any]:
        p = st.price_at(ctx.now_ms)
        open_ = st.price_at(ctx.now_ms - 86_400_000)
        out: dict[str, Any] = {
            "symbol": st.symbol,
            "priceChange": _px(st, p - open_),
            "priceChangePercent": f"{(p - open_) / open_ * 100:.3f}",
            "weightedAvgPrice": _px(st, p),
            "lastPrice": _px(st, p),
            "lastQty": "0.01000000",
            "openPrice": _px(st, open_),
            "highPrice": _px(st, max(p, open_) * Decimal("1.01")),
            "lowPrice": _px(st, min(p, open_) * Decimal("0.99")),
            "volume": "12345.00000000",
            "quoteVolume": _px(st, p * 12345),
            "openTime": ctx.now_ms - 86_400_000,
            "closeTime": ctx.now_ms,
            "firstId": 1,
            "lastId": 1000,
            "count": 1000,
        }
        if ctx.group == "api":
            book = book_ticker(
                Ctx(
                    ctx.sim,
                    ctx.method,
                    ctx.path,
                    ctx.group,
                    {"symbol": st.symbol},
                    ctx.client_ip,
                    ctx.now_ms,
                )
            )
            out.update(
                {
                    "prevClosePrice": _px(st, open_),
                    "bidPrice": book["bidPrice"],
                    "bidQty": book["bidQty"],
                    "askPrice": book["askPrice"],
                    "askQty": book["askQty"],
                }
            )
        return out

    return _one_or_all(ctx, row)


def avg_price(ctx: Ctx) -> Any:
    if not ctx.params.get("symbol"):
        raise mandatory("symbol")
    st = _symbols(ctx)[0]
    return {"mins": 5, "price": _px(st, st.price_at(ctx.now_ms)), "closeTime": ctx.now_ms}


def reference_price(ctx: Ctx) -> Any:
    if not ctx.params.get("symbol"):
        raise mandatory("symbol")
    st = _symbols(ctx)[0]
    if st.status != "TRADING":
        raise ApiError(400, -2043, "This symbol doesn't have a reference price.")
    return {
        "symbol": st.symbol,
        "referencePrice": _px(st, st.price_at(ctx.now_ms)),
        "timestamp": ctx.now_ms,
    }


def premium_index(ctx: Ctx) -> Any:
    def row(st: SymbolState) -> dict[str, Any]:
        p = st.price_at(ctx.now_ms)
        eight_h = 8 * 3_600_000
        return {
            "symbol": st.symbol,
            "markPrice": f"{p:.8f}",
            "indexPrice": f"{p:.8f}",
            "estimatedSettlePrice": f"{p:.8f}",
            "lastFundingRate": "0.00010000",
            "interestRate": "0.00010000",
            "nextFundingTime": ctx.now_ms - ctx.now_ms % eight_h + eight_h,
            "time": ctx.now_ms,
        }

    return _one_or_all(ctx, row)


def klines(ctx: Ctx) -> Any:
    p = ctx.params
    if not p.get("symbol"):
        raise mandatory("symbol")
    if not p.get("interval"):
        raise mandatory("interval")
    interval = INTERVALS_MS.get(p["interval"])
    if interval is None:
        raise ApiError(400, -1120, "Invalid interval.")
    st = _symbols(ctx)[0]
    limit = _int(p, "limit", 500)
    if not 1 <= limit <= 1500:
        limit = 500
    end = _int(p, "endTime", ctx.now_ms)
    start = p.get("startTime")
    if start and not p.get("endTime"):
        end = min(ctx.now_ms, int(start) + interval * limit)
    rows = kline_rows(st, interval, limit, ctx.now_ms, end)
    if start:
        rows = [r for r in rows if r[0] >= int(start)]
    return rows


def depth(ctx: Ctx) -> Any:
    if not ctx.params.get("symbol"):
        raise mandatory("symbol")
    st = _symbols(ctx)[0]
    limit = max(1, min(_int(ctx.params, "limit", 100), 50))
    p = st.price_at(ctx.now_ms)
    tick = Decimal(str((st.filter("PRICE_FILTER") or {"tickSize": "0.01"})["tickSize"]))
    out: dict[str, Any] = {
        "lastUpdateId": ctx.now_ms,
        "bids": [[_px(st, p - tick * (i + 1)), "1.00000000"] for i in range(limit)],
        "asks": [[_px(st, p + tick * (i + 1)), "1.00000000"] for i in range(limit)],
    }
    if ctx.group == "fapi":
        out.update({"E": ctx.now_ms, "T": ctx.now_ms})
    return out


def _depth_weight_spot(params: dict[str, str]) -> int:
    limit = int(params.get("limit") or 100) if (params.get("limit") or "1").isdigit() else 100
    return 5 if limit <= 100 else 25 if limit <= 500 else 50 if limit <= 1000 else 250


def _depth_weight_fapi(params: dict[str, str]) -> int:
    limit = int(params.get("limit") or 500) if (params.get("limit") or "1").isdigit() else 500
    return 2 if limit <= 50 else 5 if limit <= 100 else 10 if limit <= 500 else 20


def _klines_weight_fapi(params: dict[str, str]) -> int:
    limit = int(params.get("limit") or 500) if (params.get("limit") or "1").isdigit() else 500
    return 1 if limit < 100 else 2 if limit < 500 else 5 if limit <= 1000 else 10


def _per_symbol(one: int, many: int) -> Callable[[dict[str, str]], int]:
    return lambda params: one if params.get("symbol") else many


def _spot_ticker_weight(params: dict[str, str]) -> int:
    return 2 if params.get("symbol") else 4


def _spot_24hr_weight(params: dict[str, str]) -> int:
    if params.get("symbol"):
        return 2
    if params.get("symbols"):
        n = params["symbols"].count(",") + 1
        return 2 if n <= 20 else 40 if n <= 100 else 80
    return 80


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


def _order_counts_headers(ctx: Ctx, group: str) -> None:
    c10s, clong = ctx.sim.count_order(_acct(ctx).name, group, ctx.now_ms)
    long_name = "X-MBX-ORDER-COUNT-1D" if group == "api" else "X-MBX-ORDER-COUNT-1M"
    ctx.extra_headers.update({"X-MBX-ORDER-COUNT-10S": str(c10s), long_name: str(clong)})


def spot_test_order(ctx: Ctx) -> Any:
    # Validated like a real order (filters, status, precision) except the balance, which
    # Binance's test endpoint does not check (user reports).
    trading.validate_spot(ctx.sim, _acct(ctx), ctx.params, ctx.now_ms, check_balance=False)
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


def _test_order_weight(params: dict[str, str]) -> int:
    return 20 if _bool(params, "computeCommissionRates") else 1


def spot_order(ctx: Ctx) -> Any:
    a = _acct(ctx)
    with ctx.sim.lock:
        o = trading.validate_spot(ctx.sim, a, ctx.params, ctx.now_ms, check_balance=True)
        _order_counts_headers(ctx, "api")
        ctx.refund_weight = True
        rec = trading.new_record(
            "spot",
            o["symbol"],
            o["side"],
            o["type"],
            o["price"],
            o["qty"],
            ctx.now_ms,
            algo=o["algo"],
            params=ctx.params,
        )
        a.orders[rec["orderId"]] = rec
        _execute_spot(ctx, a, o, rec)
    resp_type = ctx.params.get("newOrderRespType", "").upper() or (
        "FULL" if o["type"] in ("MARKET", "LIMIT") else "ACK"
    )
    return _spot_order_answer(ctx, rec, resp_type)


def _execute_spot(ctx: Ctx, a: SimAccount, o: dict[str, Any], rec: dict[str, Any]) -> None:
    """Given a new spot order on the book, fill it if it crosses (a MARKET at once), expire an
    IOC/FOK that does not, refuse a LIMIT_MAKER that would take, lock what a resting one may
    spend."""
    cur, price = o["current"], o["price"]
    crosses = price is not None and (
        (o["side"] == "BUY" and cur <= price) or (o["side"] == "SELL" and cur >= price)
    )
    if o["type"] == "MARKET":
        trading.fill(ctx.sim, a, rec, cur, ctx.now_ms)
    elif o["type"] == "LIMIT_MAKER" and crosses:
        del a.orders[rec["orderId"]]
        raise ApiError(400, -2010, "Order would immediately match and take.")
    elif o["type"] == "LIMIT":
        if crosses:
            trading.fill(ctx.sim, a, rec, cur, ctx.now_ms)
        elif ctx.params.get("timeInForce") in ("IOC", "FOK"):
            rec["status"] = "EXPIRED"
    if rec["status"] == "NEW":  # resting (stops included): what it may spend is locked
        trading.lock_spot(ctx.sim, a, rec)


def _spot_order_answer(ctx: Ctx, rec: dict[str, Any], resp_type: str) -> dict[str, Any]:
    """Given a placed spot order and newOrderRespType, return Binance's ACK, RESULT or FULL."""
    base = {
        "symbol": rec["symbol"],
        "orderId": rec["orderId"],
        "orderListId": -1,
        "clientOrderId": rec["clientOrderId"],
        "transactTime": ctx.now_ms,
    }
    if resp_type == "ACK":
        return base
    body = trading.spot_order_json(rec)
    result = {
        **base,
        **{
            k: body[k]
            for k in (
                "price",
                "origQty",
                "executedQty",
                "origQuoteOrderQty",
                "cummulativeQuoteQty",
                "status",
                "timeInForce",
                "type",
                "side",
                "workingTime",
                "selfTradePreventionMode",
            )
        },
    }
    if resp_type == "FULL":
        st = ctx.sim.symbol("spot", rec["symbol"])
        result["fills"] = (
            [
                {
                    "price": s8(rec["avgPrice"]),
                    "qty": s8(rec["executedQty"]),
                    "commission": s8(rec["executedQty"] * Decimal("0.001")),
                    "commissionAsset": st.base,
                    "tradeId": rec["orderId"],
                }
            ]
            if rec["status"] == "FILLED"
            else []
        )
    return result


def _find_order(ctx: Ctx, market: str, *, algo: bool = False) -> dict[str, Any]:
    p = ctx.params
    if not p.get("symbol") and not algo:
        raise mandatory("symbol")
    id_key, client_key = ("algoId", "clientAlgoId") if algo else ("orderId", "origClientOrderId")
    if not p.get(id_key) and not p.get(client_key):
        raise mandatory(id_key if algo else "orderId")
    a = _acct(ctx)
    ctx.sim.match_all()
    for o in a.orders.values():
        # spot stop orders are ordinary orders for lookup; usdm ones live on the algo book
        if o["market"] != market or (market == "usdm" and o["algo"] != algo):
            continue
        if not algo and o["symbol"] != p["symbol"]:
            continue
        if (p.get(id_key) and str(o["orderId"]) == p[id_key]) or (
            p.get(client_key) and o["clientOrderId"] == p[client_key]
        ):
            return o
    raise ApiError(400, -2013, "Order does not exist.")


def spot_get_order(ctx: Ctx) -> Any:
    return trading.spot_order_json(_find_order(ctx, "spot"))


def spot_cancel_order(ctx: Ctx) -> Any:
    try:
        o = _find_order(ctx, "spot")
    except ApiError:
        raise ApiError(400, -2011, "Unknown order sent.") from None
    if o["status"] != "NEW":
        raise ApiError(400, -2011, "Unknown order sent.")
    o["status"], o["updateTime"] = "CANCELED", ctx.now_ms
    trading.unlock_spot(_acct(ctx), o)
    return {
        **trading.spot_order_json(o),
        "origClientOrderId": o["clientOrderId"],
        "transactTime": ctx.now_ms,
    }


def spot_open_orders(ctx: Ctx) -> Any:
    sym = ctx.params.get("symbol")
    if sym is not None:
        _symbols(ctx)
    ctx.sim.match_all()
    return [trading.spot_order_json(o) for o in trading.open_orders(_acct(ctx), "spot", sym)]


def spot_cancel_open_orders(ctx: Ctx) -> Any:
    if not ctx.params.get("symbol"):
        raise mandatory("symbol")
    _symbols(ctx)
    out = []
    for o in trading.open_orders(_acct(ctx), "spot", ctx.params["symbol"]):
        o["status"], o["updateTime"] = "CANCELED", ctx.now_ms
        trading.unlock_spot(_acct(ctx), o)
        out.append({**trading.spot_order_json(o), "origClientOrderId": o["clientOrderId"]})
    if not out:
        raise ApiError(400, -2011, "Unknown order sent.")
    return out


def spot_all_orders(ctx: Ctx) -> Any:
    if not ctx.params.get("symbol"):
        raise mandatory("symbol")
    _symbols(ctx)
    ctx.sim.match_all()
    sym = ctx.params["symbol"]
    return [
        trading.spot_order_json(o)
        for o in _acct(ctx).orders.values()
        if o["market"] == "spot" and o["symbol"] == sym
    ]


def spot_open_order_list(ctx: Ctx) -> Any:
    _acct(ctx)
    return []  # OCO/OTO order lists are not simulated


def spot_my_trades(ctx: Ctx) -> Any:
    if not ctx.params.get("symbol"):
        raise mandatory("symbol")
    _symbols(ctx)
    out = []
    for o in _acct(ctx).orders.values():
        if o["market"] != "spot" or o["symbol"] != ctx.params["symbol"] or not o["executedQty"]:
            continue
        st = ctx.sim.symbol("spot", o["symbol"])
        out.append(
            {
                "symbol": o["symbol"],
                "id": o["orderId"],
                "orderId": o["orderId"],
                "orderListId": -1,
                "price": s8(o["avgPrice"]),
                "qty": s8(o["executedQty"]),
                "quoteQty": s8(o["executedQty"] * o["avgPrice"]),
                "commission": s8(o["executedQty"] * Decimal("0.001")),
                "commissionAsset": st.base,
                "time": o["updateTime"],
                "isBuyer": o["side"] == "BUY",
                "isMaker": o["type"] != "MARKET",
                "isBestMatch": True,
            }
        )
    return out


def spot_commission(ctx: Ctx) -> Any:
    if not ctx.params.get("symbol"):
        raise mandatory("symbol")
    st = _symbols(ctx)[0]
    return {
        "symbol": st.symbol,
        "standardCommission": {
            "maker": "0.00100000",
            "taker": "0.00100000",
            "buyer": "0.00000000",
            "seller": "0.00000000",
        },
        "specialCommission": {
            "maker": "0.00000000",
            "taker": "0.00000000",
            "buyer": "0.00000000",
            "seller": "0.00000000",
        },
        "taxCommission": {
            "maker": "0.00000000",
            "taker": "0.00000000",
            "buyer": "0.00000000",
            "seller": "0.00000000",
        },
        "discount": {
            "enabledForAccount": True,
            "enabledForSymbol": True,
            "discountAsset": "BNB",
            "discount": "0.25000000",
        },
    }


def spot_rate_limit_order(ctx: Ctx) -> Any:
    a = _acct(ctx)
    count10s, count1d = ctx.sim.order_counts(a.name, "api", ctx.now_ms)
    return [
        {
            "rateLimitType": "ORDERS",
            "interval": "SECOND",
            "intervalNum": 10,
            "limit": 100,
            "count": count10s + a.unfilled_counts.get("SECOND", 0),
        },
        {
            "rateLimitType": "ORDERS",
            "interval": "DAY",
            "intervalNum": 1,
            "limit": 200000,
            "count": count1d + a.unfilled_counts.get("DAY", 0),
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
        "enablePortfolioMarginTrading": a.enable_pm_trading,
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


def spot_delist_schedule(ctx: Ctx) -> Any:
    return [dict(e, symbols=list(e["symbols"])) for e in ctx.sim.spot_delist]


def user_asset(ctx: Ctx) -> Any:
    a = _acct(ctx)
    want = ctx.params.get("asset")
    out = []
    for asset, (free, locked) in a.spot_balances.items():
        if want and asset != want:
            continue
        if d(free) + d(locked) <= 0:
            continue  # getUserAsset lists positive balances only
        out.append(
            {
                "asset": asset,
                "free": s8(free),
                "locked": s8(locked),
                "freeze": "0",
                "withdrawing": "0",
                "ipoable": "0",
                "btcValuation": "0",
            }
        )
    return out


_NETWORK = {
    "network": "BSC",
    "coin": "",
    "withdrawIntegerMultiple": "0.00000001",
    "isDefault": True,
    "depositEnable": True,
    "withdrawEnable": True,
    "depositDesc": "",
    "withdrawDesc": "",
    "specialTips": "",
    "name": "BNB Smart Chain (BEP20)",
    "resetAddressStatus": False,
    "addressRegex": "^(0x)[0-9A-Fa-f]{40}$",
    "memoRegex": "",
    "withdrawFee": "0.01",
    "withdrawMin": "0.02",
    "withdrawMax": "9999999999.99999999",
    "minConfirm": 15,
    "unLockConfirm": 0,
    "sameAddress": False,
    "estimatedArrivalTime": 1,
    "busy": False,
    "contractAddressUrl": "https://bscscan.com/token/",
    "contractAddress": "",
}


def capital_config(ctx: Ctx) -> Any:
    a = _acct(ctx)
    coins = sorted({*a.spot_balances, *(s.base for s in ctx.sim.markets["spot"].values()), "USDT"})
    out = []
    for coin in coins:
        free, locked = a.spot_balances.get(coin, ("0", "0"))
        out.append(
            {
                "coin": coin,
                "depositAllEnable": True,
                "withdrawAllEnable": True,
                "name": coin,
                "free": s8(free),
                "locked": s8(locked),
                "freeze": "0",
                "withdrawing": "0",
                "ipoing": "0",
                "ipoable": "0",
                "storage": "0",
                "isLegalMoney": False,
                "trading": True,
                "networkList": [dict(_NETWORK, coin=coin)],
            }
        )
    return out


def margin_all_pairs(ctx: Ctx) -> Any:
    return [
        {
            "id": 351637150141315861 + i,
            "symbol": st.symbol,
            "base": st.base,
            "quote": st.quote,
            "isMarginTrade": True,
            "isBuyAllowed": True,
            "isSellAllowed": True,
        }
        for i, st in enumerate(ctx.sim.markets["spot"].values())
    ]


def isolated_all_pairs(ctx: Ctx) -> Any:
    _acct(ctx)
    return [
        {
            "symbol": st.symbol,
            "base": st.base,
            "quote": st.quote,
            "isMarginTrade": True,
            "isBuyAllowed": True,
            "isSellAllowed": True,
        }
        for st in ctx.sim.markets["spot"].values()
    ]


def trade_fee(ctx: Ctx) -> Any:
    _acct(ctx)
    return [
        {"symbol": st.symbol, "makerCommission": "0.001", "takerCommission": "0.001"}
        for st in _symbols(ctx)
    ]


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


def _usdm_rows(ctx: Ctx, *, v2: bool) -> list[dict[str, Any]]:
    a = _acct(ctx)
    sym = ctx.params.get("symbol")
    symbols = [s.symbol for s in _symbols(ctx)] if sym else list(ctx.sim.markets["usdm"])
    rows = [trading.usdm_position_json(ctx.sim, a, s, ctx.now_ms, v2=v2) for s in symbols]
    return [r for r in rows if r is not None]


def position_risk(ctx: Ctx) -> Any:
    return _usdm_rows(ctx, v2="/v2/" in ctx.path)


def _account_positions(ctx: Ctx, *, v2: bool) -> list[dict[str, Any]]:
    a = _acct(ctx)
    out = []
    for sym in ctx.sim.markets["usdm"]:
        r = trading.usdm_position_json(ctx.sim, a, sym, ctx.now_ms, v2=False)
        if r is None:
            continue
        p: dict[str, Any] = {
            k: r[k]
            for k in (
                "symbol",
                "positionSide",
                "positionAmt",
                "unrealizedProfit",
                "isolatedMargin",
                "notional",
                "isolatedWallet",
                "initialMargin",
                "maintMargin",
                "updateTime",
            )
            if k in r
        }
        p["unrealizedProfit"] = r["unRealizedProfit"]
        if v2:
            lev = a.leverage_for(sym)
            p.update(
                {
                    "positionInitialMargin": r["positionInitialMargin"],
                    "openOrderInitialMargin": "0",
                    "leverage": str(lev),
                    "isolated": a.margin_type_for(sym) == "ISOLATED",
                    "entryPrice": r["entryPrice"],
                    "breakEvenPrice": r["breakEvenPrice"],
                    "maxNotional": str(max_notional(sym, lev)),
                    "bidNotional": "0",
                    "askNotional": "0",
                }
            )
        out.append(p)
    return out


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
        "positions": _account_positions(ctx, v2=v2),
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


def leverage_bracket(ctx: Ctx) -> Any:
    _acct(ctx)
    rows = [{"symbol": st.symbol, "brackets": leverage_brackets(st.symbol)} for st in _symbols(ctx)]
    return rows[0] if "symbol" in ctx.params else rows


def symbol_config(ctx: Ctx) -> Any:
    a = _acct(ctx)
    return [
        {
            "symbol": st.symbol,
            "marginType": a.margin_type_for(st.symbol),
            "isAutoAddMargin": False,
            "leverage": a.leverage_for(st.symbol),
            "maxNotionalValue": str(max_notional(st.symbol, a.leverage_for(st.symbol))),
        }
        for st in _symbols(ctx)
    ]


MARGIN_TYPE_MSGS = {
    -4047: "Margin type cannot be changed if there exists open orders.",
    -4048: "Margin type cannot be changed if there exists position.",
    -4168: "Unable to adjust to isolated-margin mode under the Multi-Assets mode.",
}


def change_margin_type(ctx: Ctx) -> Any:
    """POST /fapi/v1/marginType: the symbol's margin type, refused as Binance refuses it."""
    a = _acct(ctx)
    if not ctx.params.get("symbol"):
        raise mandatory("symbol")
    want = ctx.params.get("marginType", "")
    if want not in ("ISOLATED", "CROSSED"):
        # Binance's answer to a missing or unknown value (lower case "isolated" included), with
        # the parameter's name in lower case, as users have reported it
        raise mandatory("margintype")
    st = _symbols(ctx)[0]
    with ctx.sim.lock:
        if a.margin_type_for(st.symbol) == want:
            raise ApiError(400, -4046, "No need to change margin type.")
        if want == "ISOLATED" and a.multi_assets_margin:
            raise ApiError(400, -4168, MARGIN_TYPE_MSGS[-4168])
        if a.usdm_position(st.symbol)["amt"] != 0:
            raise ApiError(400, -4048, MARGIN_TYPE_MSGS[-4048])
        if trading.open_orders(a, "usdm", st.symbol):
            raise ApiError(400, -4047, MARGIN_TYPE_MSGS[-4047])
        a.margin_types = {**a.margin_types, st.symbol: want}
    return {"code": 200, "msg": "success"}


def change_leverage(ctx: Ctx) -> Any:
    a = _acct(ctx)
    if not ctx.params.get("symbol"):
        raise mandatory("symbol")
    if not ctx.params.get("leverage"):
        raise mandatory("leverage")
    st = _symbols(ctx)[0]
    lev = _int(ctx.params, "leverage", 0)
    if not 1 <= lev <= 125:
        raise ApiError(400, -4028, f"Leverage {lev} is not valid")
    pos = a.usdm_position(st.symbol)
    if abs(pos["amt"] * st.price_at(ctx.now_ms)) > max_notional(st.symbol, lev):
        raise ApiError(400, -2027, trading.USDM_FILTER_MSGS[-2027])
    a.leverage = {**a.leverage, st.symbol: lev}
    return {
        "leverage": lev,
        "maxNotionalValue": str(max_notional(st.symbol, lev)),
        "symbol": st.symbol,
    }


def commission_rate(ctx: Ctx) -> Any:
    _acct(ctx)
    if not ctx.params.get("symbol"):
        raise mandatory("symbol")
    st = _symbols(ctx)[0]
    return {
        "symbol": st.symbol,
        "makerCommissionRate": "0.000200",
        "takerCommissionRate": "0.000500",
        "rpiCommissionRate": "0.00010",
    }


def futures_rate_limit_order(ctx: Ctx) -> Any:
    _acct(ctx)
    return [
        {"rateLimitType": "ORDERS", "interval": "SECOND", "intervalNum": 10, "limit": 300},
        {"rateLimitType": "ORDERS", "interval": "MINUTE", "intervalNum": 1, "limit": 1200},
    ]


def futures_test_order(ctx: Ctx) -> Any:
    o = trading.validate_usdm(ctx.sim, _acct(ctx), ctx.params, ctx.now_ms)
    rec = trading.new_record(
        "usdm",
        o["symbol"],
        o["side"],
        o["type"],
        o["price"],
        o["qty"],
        ctx.now_ms,
        algo=False,
        params=ctx.params,
    )
    rec["orderId"] = 0
    rec["positionSide"], rec["reduceOnly"] = o["positionSide"], o["reduceOnly"]
    return trading.usdm_order_json(rec)


def futures_order(ctx: Ctx) -> Any:
    a = _acct(ctx)
    with ctx.sim.lock:
        o = trading.validate_usdm(ctx.sim, a, ctx.params, ctx.now_ms)
        _order_counts_headers(ctx, "fapi")
        ctx.refund_weight = True
        rec = trading.new_record(
            "usdm",
            o["symbol"],
            o["side"],
            o["type"],
            o["price"],
            o["qty"],
            ctx.now_ms,
            algo=False,
            params=ctx.params,
        )
        rec["positionSide"] = o["positionSide"]
        rec["reduceOnly"] = o["reduceOnly"]
        a.orders[rec["orderId"]] = rec
        body = trading.usdm_order_json(rec)  # the answer shows the order as placed (NEW)
        cur = o["current"]
        if o["type"] == "MARKET":
            trading.fill(ctx.sim, a, rec, cur, ctx.now_ms)
        elif (o["side"] == "BUY" and cur <= o["price"]) or (
            o["side"] == "SELL" and cur >= o["price"]
        ):
            if ctx.params.get("timeInForce") == "GTX":
                rec["status"] = "EXPIRED"  # post-only would take
            else:
                trading.fill(ctx.sim, a, rec, cur, ctx.now_ms)
        elif ctx.params.get("timeInForce") in ("IOC", "FOK"):
            rec["status"] = "EXPIRED"
    if ctx.params.get("newOrderRespType", "ACK").upper() == "RESULT":
        return trading.usdm_order_json(rec)
    return body


def futures_get_order(ctx: Ctx) -> Any:
    return trading.usdm_order_json(_find_order(ctx, "usdm"))


def futures_query_open_order(ctx: Ctx) -> Any:
    o = _find_order(ctx, "usdm")
    if o["status"] != "NEW":
        raise ApiError(400, -2013, "Order does not exist.")
    return trading.usdm_order_json(o)


def futures_cancel_order(ctx: Ctx) -> Any:
    try:
        o = _find_order(ctx, "usdm")
    except ApiError:
        raise ApiError(400, -2011, "Unknown order sent.") from None
    if o["status"] != "NEW":
        raise ApiError(400, -2011, "Unknown order sent.")
    o["status"], o["updateTime"] = "CANCELED", ctx.now_ms
    return trading.usdm_order_json(o)


def futures_open_orders(ctx: Ctx) -> Any:
    sym = ctx.params.get("symbol")
    if sym is not None:
        _symbols(ctx)
    ctx.sim.match_all()
    return [
        trading.usdm_order_json(o) for o in trading.open_orders(_acct(ctx), "usdm", sym, algo=False)
    ]


def futures_cancel_all(ctx: Ctx) -> Any:
    if not ctx.params.get("symbol"):
        raise mandatory("symbol")
    _symbols(ctx)
    for o in trading.open_orders(_acct(ctx), "usdm", ctx.params["symbol"], algo=False):
        o["status"], o["updateTime"] = "CANCELED", ctx.now_ms
    return {"code": 200, "msg": "The operation of cancel all open order is done."}


def futures_all_orders(ctx: Ctx) -> Any:
    if not ctx.params.get("symbol"):
        raise mandatory("symbol")
    _symbols(ctx)
    ctx.sim.match_all()
    return [
        trading.usdm_order_json(o)
        for o in _acct(ctx).orders.values()
        if o["market"] == "usdm" and not o["algo"] and o["symbol"] == ctx.params["symbol"]
    ]


def futures_user_trades(ctx: Ctx) -> Any:
    if not ctx.params.get("symbol"):
        raise mandatory("symbol")
    _symbols(ctx)
    out = []
    for o in _acct(ctx).orders.values():
        if o["market"] != "usdm" or o["symbol"] != ctx.params["symbol"] or not o["executedQty"]:
            continue
        out.append(
            {
                "buyer": o["side"] == "BUY",
                "commission": f"{o['executedQty'] * o['avgPrice'] * Decimal('0.0005'):.8f}",
                "commissionAsset": "USDT",
                "id": o["orderId"],
                "maker": False,
                "orderId": o["orderId"],
                "price": str(o["avgPrice"]),
                "qty": str(o["executedQty"]),
                "quoteQty": str(o["executedQty"] * o["avgPrice"]),
                "realizedPnl": "0",
                "side": o["side"],
                "positionSide": o["positionSide"],
                "symbol": o["symbol"],
                "time": o["updateTime"],
            }
        )
    return out


INCOME_TYPES = (
    "TRANSFER",
    "WELCOME_BONUS",
    "REALIZED_PNL",
    "FUNDING_FEE",
    "COMMISSION",
    "INSURANCE_CLEAR",
    "REFERRAL_KICKBACK",
    "COMMISSION_REBATE",
    "API_REBATE",
    "CONTEST_REWARD",
    "CROSS_COLLATERAL_TRANSFER",
    "OPTIONS_PREMIUM_FEE",
    "OPTIONS_SETTLE_PROFIT",
    "INTERNAL_TRANSFER",
    "AUTO_EXCHANGE",
    "DELIVERED_SETTELMENT",
    "COIN_SWAP_DEPOSIT",
    "COIN_SWAP_WITHDRAW",
    "POSITION_LIMIT_INCREASE_FEE",
    "STRATEGY_UMFUTURES_TRANSFER",
    "FEE_RETURN",
    "BFUSD_REWARD",
)


def futures_income(ctx: Ctx) -> Any:
    """GET /fapi/v1/income: the commission of every fill (the simulator charges no funding, so a
    FUNDING_FEE query is answered with an empty list, as Binance does within 8 hours)."""
    a = _acct(ctx)
    p = ctx.params
    sym = p.get("symbol")
    if sym is not None:
        _symbols(ctx)
    kind = p.get("incomeType")
    if kind is not None and kind not in INCOME_TYPES:  # the code for this is UNCONFIRMED
        raise ApiError(
            400,
            -1100,
            "Illegal characters found in parameter 'incomeType'; legal range is "
            f"'{', '.join(INCOME_TYPES)}'.",
        )
    start = _int(p, "startTime", ctx.now_ms - 7 * 86_400_000)
    end = _int(p, "endTime", ctx.now_ms)
    limit = max(1, min(_int(p, "limit", 100), 1000))
    rows: list[dict[str, Any]] = []
    for o in sorted(a.orders.values(), key=lambda o: o["updateTime"]):
        if o["market"] != "usdm" or not o["executedQty"] or (sym and o["symbol"] != sym):
            continue
        if kind not in (None, "COMMISSION") or not start <= o["updateTime"] <= end:
            continue
        fee = o["executedQty"] * o["avgPrice"] * Decimal("0.0005")
        rows.append(
            {
                "symbol": o["symbol"],
                "incomeType": "COMMISSION",
                "income": f"{-fee:.8f}",
                "asset": "USDT",
                "info": "COMMISSION",
                "time": o["updateTime"],
                "tranId": o["orderId"] * 10,
                "tradeId": str(o["orderId"]),
            }
        )
    return rows[:limit]


def algo_order(ctx: Ctx) -> Any:
    a = _acct(ctx)
    p = ctx.params
    if not p.get("algoType"):
        raise mandatory("algoType")
    if p["algoType"] != "CONDITIONAL":
        raise ApiError(
            400,
            -1100,
            "Illegal characters found in parameter 'algoType'; legal range is 'CONDITIONAL'.",
        )
    with ctx.sim.lock:
        o = trading.validate_usdm(ctx.sim, a, p, ctx.now_ms, algo_endpoint=True)
        rec = trading.new_record(
            "usdm",
            o["symbol"],
            o["side"],
            o["type"],
            o["price"],
            o["qty"],
            ctx.now_ms,
            algo=True,
            params=p,
        )
        a.orders[rec["orderId"]] = rec
    return trading.usdm_algo_json(rec)


def get_algo_order(ctx: Ctx) -> Any:
    return trading.usdm_algo_json(_find_order(ctx, "usdm", algo=True))


def cancel_algo_order(ctx: Ctx) -> Any:
    try:
        o = _find_order(ctx, "usdm", algo=True)
    except ApiError:
        raise ApiError(400, -2011, "Unknown order sent.") from None
    if o["status"] != "NEW":
        raise ApiError(400, -2011, "Unknown order sent.")
    o["status"], o["updateTime"] = "CANCELED", ctx.now_ms
    return {
        "algoId": o["orderId"],
        "clientAlgoId": o["clientOrderId"],
        "code": "200",
        "msg": "success",
    }


def open_algo_orders(ctx: Ctx) -> Any:
    sym = ctx.params.get("symbol")
    if sym is not None:
        _symbols(ctx)
    return [
        trading.usdm_algo_json(o) for o in trading.open_orders(_acct(ctx), "usdm", sym, algo=True)
    ]


def _trading_status_weight(params: dict[str, str]) -> int:
    return 1 if params.get("symbol") else 10


ENDPOINTS: list[Endpoint] = [
    # spot /api: market data
    Endpoint("GET", "/api/v3/ping", NONE, 1, ping),
    Endpoint("GET", "/api/v3/time", NONE, 1, server_time),
    Endpoint("GET", "/api/v3/exchangeInfo", NONE, 20, spot_exchange_info),
    Endpoint("GET", "/api/v3/ticker/price", NONE, _spot_ticker_weight, ticker_price),
    Endpoint("GET", "/api/v3/ticker/bookTicker", NONE, _spot_ticker_weight, book_ticker),
    Endpoint("GET", "/api/v3/ticker/24hr", NONE, _spot_24hr_weight, ticker_24hr),
    Endpoint("GET", "/api/v3/avgPrice", NONE, 2, avg_price),
    Endpoint("GET", "/api/v3/referencePrice", NONE, 2, reference_price),
    Endpoint("GET", "/api/v3/klines", NONE, 2, klines),
    Endpoint("GET", "/api/v3/uiKlines", NONE, 2, klines),
    Endpoint("GET", "/api/v3/depth", NONE, _depth_weight_spot, depth),
    # spot /api: account and orders
    Endpoint("GET", "/api/v3/account", USER_DATA, 20, spot_account),
    Endpoint("GET", "/api/v3/account/commission", USER_DATA, 20, spot_commission),
    Endpoint("POST", "/api/v3/order/test", TRADE, _test_order_weight, spot_test_order),
    Endpoint("POST", "/api/v3/order", TRADE, 1, spot_order, zero_weight_on_success=True),
    Endpoint("GET", "/api/v3/order", USER_DATA, 4, spot_get_order),
    Endpoint("DELETE", "/api/v3/order", TRADE, 1, spot_cancel_order),
    Endpoint("GET", "/api/v3/openOrders", USER_DATA, _per_symbol(6, 80), spot_open_orders),
    Endpoint("DELETE", "/api/v3/openOrders", TRADE, 1, spot_cancel_open_orders),
    Endpoint("GET", "/api/v3/allOrders", USER_DATA, 20, spot_all_orders),
    Endpoint("GET", "/api/v3/openOrderList", USER_DATA, 6, spot_open_order_list),
    Endpoint("GET", "/api/v3/myTrades", USER_DATA, 20, spot_my_trades),
    Endpoint("GET", "/api/v3/rateLimit/order", USER_DATA, 40, spot_rate_limit_order),
    # wallet /sapi
    Endpoint("GET", "/sapi/v1/system/status", NONE, 1, system_status),
    Endpoint("GET", "/sapi/v1/account/apiRestrictions", USER_DATA, 1, api_restrictions),
    Endpoint("GET", "/sapi/v1/account/status", USER_DATA, 1, account_status),
    Endpoint("GET", "/sapi/v1/account/apiTradingStatus", USER_DATA, 1, spot_api_trading_status),
    # Market data, so unsigned; a signed call is accepted too (the docs list a timestamp).
    Endpoint("GET", "/sapi/v1/spot/delist-schedule", NONE, 100, spot_delist_schedule),
    Endpoint("POST", "/sapi/v3/asset/getUserAsset", USER_DATA, 5, user_asset),
    Endpoint("GET", "/sapi/v1/capital/config/getall", USER_DATA, 10, capital_config),
    Endpoint("GET", "/sapi/v1/margin/allPairs", NONE, 1, margin_all_pairs),
    Endpoint("GET", "/sapi/v1/margin/isolated/allPairs", USER_DATA, 10, isolated_all_pairs),
    Endpoint("GET", "/sapi/v1/asset/tradeFee", USER_DATA, 1, trade_fee),
    # USD-M /fapi: market data
    Endpoint("GET", "/fapi/v1/ping", NONE, 1, ping),
    Endpoint("GET", "/fapi/v1/time", NONE, 1, server_time),
    Endpoint("GET", "/fapi/v1/exchangeInfo", NONE, 1, futures_exchange_info),
    Endpoint("GET", "/fapi/v1/ticker/price", NONE, _per_symbol(1, 2), ticker_price),
    Endpoint("GET", "/fapi/v2/ticker/price", NONE, _per_symbol(1, 2), ticker_price),
    Endpoint("GET", "/fapi/v1/ticker/bookTicker", NONE, _per_symbol(2, 5), book_ticker),
    Endpoint("GET", "/fapi/v1/ticker/24hr", NONE, _per_symbol(1, 40), ticker_24hr),
    Endpoint("GET", "/fapi/v1/premiumIndex", NONE, _per_symbol(1, 10), premium_index),
    Endpoint("GET", "/fapi/v1/klines", NONE, _klines_weight_fapi, klines),
    Endpoint("GET", "/fapi/v1/markPriceKlines", NONE, _klines_weight_fapi, klines),
    Endpoint("GET", "/fapi/v1/depth", NONE, _depth_weight_fapi, depth),
    # USD-M /fapi: account, positions, orders
    Endpoint("GET", "/fapi/v1/accountConfig", USER_DATA, 5, account_config),
    Endpoint("GET", "/fapi/v1/positionSide/dual", USER_DATA, 30, get_position_mode),
    Endpoint("POST", "/fapi/v1/positionSide/dual", TRADE, 1, set_position_mode),
    Endpoint("GET", "/fapi/v1/multiAssetsMargin", USER_DATA, 30, multi_assets_mode),
    Endpoint("GET", "/fapi/v3/account", USER_DATA, 5, futures_account),
    Endpoint("GET", "/fapi/v2/account", USER_DATA, 5, futures_account),
    Endpoint("GET", "/fapi/v3/balance", USER_DATA, 5, futures_balance),
    Endpoint("GET", "/fapi/v2/balance", USER_DATA, 5, futures_balance),
    Endpoint("GET", "/fapi/v3/positionRisk", USER_DATA, 5, position_risk),
    Endpoint("GET", "/fapi/v2/positionRisk", USER_DATA, 5, position_risk),
    Endpoint("GET", "/fapi/v1/leverageBracket", USER_DATA, 1, leverage_bracket),
    Endpoint("GET", "/fapi/v1/symbolConfig", USER_DATA, 5, symbol_config),
    Endpoint("POST", "/fapi/v1/leverage", TRADE, 1, change_leverage),
    Endpoint("POST", "/fapi/v1/marginType", TRADE, 1, change_margin_type),
    Endpoint("GET", "/fapi/v1/commissionRate", USER_DATA, 20, commission_rate),
    Endpoint("GET", "/fapi/v1/rateLimit/order", USER_DATA, 1, futures_rate_limit_order),
    Endpoint(
        "GET",
        "/fapi/v1/apiTradingStatus",
        USER_DATA,
        _trading_status_weight,
        futures_api_trading_status,
    ),
    Endpoint("POST", "/fapi/v1/order/test", TRADE, 1, futures_test_order),
    Endpoint("POST", "/fapi/v1/order", TRADE, 1, futures_order, zero_weight_on_success=True),
    Endpoint("GET", "/fapi/v1/order", USER_DATA, 1, futures_get_order),
    Endpoint("DELETE", "/fapi/v1/order", TRADE, 1, futures_cancel_order),
    Endpoint("GET", "/fapi/v1/openOrders", USER_DATA, _per_symbol(1, 40), futures_open_orders),
    Endpoint("GET", "/fapi/v1/openOrder", USER_DATA, 1, futures_query_open_order),
    Endpoint("DELETE", "/fapi/v1/allOpenOrders", TRADE, 1, futures_cancel_all),
    Endpoint("GET", "/fapi/v1/allOrders", USER_DATA, 5, futures_all_orders),
    Endpoint("GET", "/fapi/v1/userTrades", USER_DATA, 5, futures_user_trades),
    Endpoint("GET", "/fapi/v1/income", USER_DATA, 30, futures_income),
    Endpoint("POST", "/fapi/v1/algoOrder", TRADE, 0, algo_order),
    Endpoint("GET", "/fapi/v1/algoOrder", USER_DATA, 1, get_algo_order),
    Endpoint("DELETE", "/fapi/v1/algoOrder", TRADE, 1, cancel_algo_order),
    Endpoint("GET", "/fapi/v1/openAlgoOrders", USER_DATA, _per_symbol(1, 40), open_algo_orders),
    # COIN-M /dapi: only what clients call at start-up
    Endpoint("GET", "/dapi/v1/ping", NONE, 1, ping),
    Endpoint("GET", "/dapi/v1/time", NONE, 1, server_time),
    Endpoint("GET", "/dapi/v1/exchangeInfo", NONE, 1, coinm_exchange_info),
]

ROUTES: dict[tuple[str, str], Endpoint] = {(e.method, e.path): e for e in ENDPOINTS}
PATHS: frozenset[str] = frozenset(e.path for e in ENDPOINTS)
