"""COIN-M futures (/dapi) for the simulator: symbols with ``contractSize`` and
``contractStatus``, an account margined per coin, positions and orders in contracts, leverage
brackets capped in base-asset quantity (``qtyCap``), and the position mode (USD-M's unless the
account sets its own: Binance's "CM migration" may share one mode, unconfirmed).

Shapes follow Binance's COIN-M docs and binance-futures-connector-python; weights the
connector's docstrings. Registered into the route table by :func:`register`.
"""

from __future__ import annotations

import copy
from decimal import ROUND_FLOOR, Decimal
from typing import Any

from healthcheck.simulator.accounts import SimAccount, d, s8
from healthcheck.simulator.endpoints import NONE, TRADE, USER_DATA, ApiError, Ctx, Endpoint
from healthcheck.simulator.market import PERPETUAL_DELIVERY_MS, SymbolState

QUARTER_MS = 1798272000000  # 2026-12-26 08:00 UTC: BTCUSD_261226's delivery
STATUSES = ("PENDING_TRADING", "TRADING", "PRE_DELIVERING", "DELIVERING", "DELIVERED", "SETTLING")
# symbol -> (base, price, tick, contractSize, contractType, delivery)
DEFAULTS: dict[str, tuple[str, str, str, int, str, int]] = {
    "BTCUSD_PERP": ("BTC", "60000", "0.1", 100, "PERPETUAL", PERPETUAL_DELIVERY_MS),
    "ETHUSD_PERP": ("ETH", "3000", "0.01", 10, "PERPETUAL", PERPETUAL_DELIVERY_MS),
    "BTCUSD_261226": ("BTC", "60500", "0.1", 100, "CURRENT_QUARTER", QUARTER_MS),
}
# (initialLeverage, qtyCap in the base asset, maintMarginRatio), lowest bracket first
BRACKETS: list[tuple[int, int, str]] = [
    (125, 5, "0.004"),
    (100, 10, "0.005"),
    (50, 20, "0.01"),
    (20, 50, "0.025"),
    (10, 100, "0.05"),
    (5, 200, "0.1"),
    (4, 300, "0.125"),
    (3, 500, "0.15"),
    (2, 1000, "0.25"),
    (1, 2000, "0.5"),
]
DEFAULT_LEVERAGE = 20


def default_symbols() -> dict[str, SymbolState]:
    out = {}
    for sym, (base, price, tick, _size, _ctype, delivery) in DEFAULTS.items():
        out[sym] = SymbolState(
            "coinm",
            sym,
            base,
            "USD",
            Decimal(price),
            [
                {
                    "filterType": "PRICE_FILTER",
                    "minPrice": tick,
                    "maxPrice": "4529764",
                    "tickSize": tick,
                },
                {"filterType": "LOT_SIZE", "minQty": "1", "maxQty": "1000000", "stepSize": "1"},
                {
                    "filterType": "MARKET_LOT_SIZE",
                    "minQty": "1",
                    "maxQty": "60000",
                    "stepSize": "1",
                },
                {"filterType": "MAX_NUM_ORDERS", "limit": 200},
                {"filterType": "MAX_NUM_ALGO_ORDERS", "limit": 20},
                {
                    "filterType": "PERCENT_PRICE",
                    "multiplierUp": "1.0500",
                    "multiplierDown": "0.9500",
                    "multiplierDecimal": "4",
                },
            ],
            delivery_date_ms=delivery,
            price_precision=1 if tick == "0.1" else 2,
            quantity_precision=0,
        )
    return copy.deepcopy(out)


def contract_size(sym: str) -> int:
    return DEFAULTS[sym][3] if sym in DEFAULTS else 10


def brackets(sym: str) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    floor, cum, prev = 0, Decimal(0), Decimal(0)
    scale = 1 if sym.startswith("BTC") else 20
    for i, (lev, cap, mmr) in enumerate(BRACKETS, start=1):
        ratio = Decimal(mmr)
        cum += Decimal(floor) * (ratio - prev)
        out.append(
            {
                "bracket": i,
                "initialLeverage": lev,
                "qtyCap": cap * scale,
                "qtylFloor": floor,
                "maintMarginRatio": float(ratio),
                "cum": float(cum),
            }
        )
        floor, prev = cap * scale, ratio
    return out


def max_qty(sym: str, leverage: int) -> int:
    caps = [b["qtyCap"] for b in brackets(sym) if b["initialLeverage"] >= leverage]
    return max(caps) if caps else 0


def _symbols(ctx: Ctx) -> dict[str, SymbolState]:
    syms: dict[str, SymbolState] = ctx.sim.markets.setdefault("coinm", default_symbols())
    return syms


def _wanted(ctx: Ctx) -> list[SymbolState]:
    syms = _symbols(ctx)
    sym = ctx.params.get("symbol")
    if sym is not None:
        if sym not in syms:
            raise ApiError(400, -1121, "Invalid symbol.")
        return [syms[sym]]
    pair = ctx.params.get("pair") or ctx.params.get("marginAsset")
    return [st for st in syms.values() if pair is None or st.symbol.startswith(pair)]


def _acct(ctx: Ctx) -> SimAccount:
    assert ctx.account is not None
    return ctx.account


def dual_side(a: SimAccount) -> bool:
    return a.dual_side_position if a.coinm_dual_side is None else a.coinm_dual_side


# ------------------------------------------------------------------------------ market data
def exchange_info(ctx: Ctx) -> Any:
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
            {"rateLimitType": "ORDERS", "interval": "MINUTE", "intervalNum": 1, "limit": 1200},
        ],
        "exchangeFilters": [],
        "symbols": [_symbol_json(st) for st in _symbols(ctx).values()],
    }


def _symbol_json(st: SymbolState) -> dict[str, Any]:
    ctype = DEFAULTS.get(st.symbol, ("", "", "", 10, "PERPETUAL", 0))[4]
    return {
        "symbol": st.symbol,
        "pair": st.symbol.split("_")[0],
        "contractType": ctype,
        "deliveryDate": st.delivery_date_ms,
        "onboardDate": 1597042800000,
        "contractStatus": st.status,
        "contractSize": contract_size(st.symbol),
        "marginAsset": st.base,
        "maintMarginPercent": "2.5000",
        "requiredMarginPercent": "5.0000",
        "baseAsset": st.base,
        "quoteAsset": "USD",
        "pricePrecision": st.price_precision,
        "quantityPrecision": 0,
        "baseAssetPrecision": 8,
        "quotePrecision": 8,
        "equalQtyPrecision": 4,
        "triggerProtect": "0.0500",
        "maxMoveOrderLimit": 10000,
        "liquidationFee": "0.015000",
        "marketTakeBound": "0.05",
        "underlyingType": "COIN",
        "underlyingSubType": [],
        "filters": copy.deepcopy(st.filters),
        "orderTypes": ["LIMIT", "MARKET", "STOP", "STOP_MARKET", "TAKE_PROFIT"],
        "timeInForce": ["GTC", "IOC", "FOK", "GTX"],
    }


def premium_index(ctx: Ctx) -> Any:
    rows = [
        {
            "symbol": st.symbol,
            "pair": st.symbol.split("_")[0],
            "markPrice": f"{st.price_at(ctx.now_ms):.8f}",
            "indexPrice": f"{st.price_at(ctx.now_ms):.8f}",
            "estimatedSettlePrice": f"{st.price_at(ctx.now_ms):.8f}",
            "lastFundingRate": "0.00010000",
            "interestRate": "0.00010000",
            "nextFundingTime": ctx.now_ms - ctx.now_ms % 28_800_000 + 28_800_000,
            "time": ctx.now_ms,
        }
        for st in _wanted(ctx)
    ]
    return rows  # COIN-M answers a list even for one symbol


def ticker_price(ctx: Ctx) -> Any:
    return [
        {
            "symbol": st.symbol,
            "ps": st.symbol.split("_")[0],
            "price": f"{st.price_at(ctx.now_ms)}",
            "time": ctx.now_ms,
        }
        for st in _wanted(ctx)
    ]


# ------------------------------------------------------------------------------ account
def _position(a: SimAccount, sym: str, side: str) -> dict[str, Any]:
    return a.coinm_positions.get(f"{sym}:{side}") or {"amt": Decimal(0), "entry": Decimal(0)}


def _sides(a: SimAccount) -> tuple[str, ...]:
    return ("LONG", "SHORT") if dual_side(a) else ("BOTH",)


def position_rows(ctx: Ctx, a: SimAccount, states: list[SymbolState]) -> list[dict[str, Any]]:
    rows = []
    for st in states:
        mark = st.price_at(ctx.now_ms)
        lev = int(a.leverage.get(st.symbol, DEFAULT_LEVERAGE))
        for side in _sides(a):
            pos = _position(a, st.symbol, side)
            amt = d(pos["amt"])
            size = contract_size(st.symbol)
            value = amt * size / mark if mark else Decimal(0)  # in the coin
            entry = d(pos["entry"])
            pnl = amt * size * (1 / entry - 1 / mark) if amt and entry and mark else Decimal(0)
            rows.append(
                {
                    "symbol": st.symbol,
                    "positionAmt": str(amt),
                    "entryPrice": s8(entry),
                    "breakEvenPrice": s8(entry),
                    "markPrice": s8(mark),
                    "unRealizedProfit": s8(pnl),
                    "liquidationPrice": "0",
                    "leverage": str(lev),
                    "maxQty": str(max_qty(st.symbol, lev)),
                    "marginType": "cross",
                    "isolatedMargin": "0.00000000",
                    "isAutoAddMargin": "false",
                    "positionSide": side,
                    "notionalValue": s8(value),
                    "isolatedWallet": "0",
                    "updateTime": 0,
                }
            )
    return rows


def position_risk(ctx: Ctx) -> Any:
    return position_rows(ctx, _acct(ctx), _wanted(ctx))


def account(ctx: Ctx) -> Any:
    a = _acct(ctx)
    assets = []
    for coin, v in a.coinm_assets.items():
        assets.append(
            {
                "asset": coin,
                "walletBalance": s8(v.get("walletBalance", 0)),
                "unrealizedProfit": s8(v.get("unrealizedProfit", 0)),
                "marginBalance": s8(v.get("marginBalance", 0)),
                "maintMargin": s8(v.get("maintMargin", 0)),
                "initialMargin": s8(v.get("initialMargin", 0)),
                "positionInitialMargin": s8(v.get("initialMargin", 0)),
                "openOrderInitialMargin": "0.00000000",
                "maxWithdrawAmount": s8(v.get("availableBalance", 0)),
                "crossWalletBalance": s8(v.get("walletBalance", 0)),
                "crossUnPnl": s8(v.get("unrealizedProfit", 0)),
                "availableBalance": s8(v.get("availableBalance", 0)),
                # ccxt skips an asset whose updateTime is 0 (never used)
                "updateTime": ctx.now_ms - 60_000,
            }
        )
    positions = [
        {
            k: r[k]
            for k in (
                "symbol",
                "positionAmt",
                "unRealizedProfit",
                "leverage",
                "positionSide",
                "entryPrice",
                "breakEvenPrice",
                "maxQty",
                "notionalValue",
                "isolatedWallet",
                "updateTime",
            )
        }
        | {"initialMargin": "0", "maintMargin": "0", "isolated": False}
        for r in position_rows(ctx, a, list(_symbols(ctx).values()))
    ]
    return {
        "feeTier": a.fee_tier,
        "canTrade": a.can_trade_futures,
        "canDeposit": True,
        "canWithdraw": True,
        "updateTime": 0,
        "assets": assets,
        "positions": positions,
    }


def balance(ctx: Ctx) -> Any:
    a = _acct(ctx)
    return [
        {
            "accountAlias": "SgsR",
            "asset": coin,
            "balance": s8(v.get("walletBalance", 0)),
            "withdrawAvailable": s8(v.get("availableBalance", 0)),
            "crossWalletBalance": s8(v.get("walletBalance", 0)),
            "crossUnPnl": s8(v.get("unrealizedProfit", 0)),
            "availableBalance": s8(v.get("availableBalance", 0)),
            "updateTime": 0,
        }
        for coin, v in a.coinm_assets.items()
    ]


def get_position_mode(ctx: Ctx) -> Any:
    return {"dualSidePosition": dual_side(_acct(ctx))}


def set_position_mode(ctx: Ctx) -> Any:
    raw = (ctx.params.get("dualSidePosition") or "").lower()
    if raw not in ("true", "false"):
        raise ApiError(400, -1102, "Mandatory parameter 'dualSidePosition' was not sent.")
    a = _acct(ctx)
    want = raw == "true"
    if want == dual_side(a):
        raise ApiError(400, -4059)
    if a.coinm_dual_side is None:
        a.dual_side_position = want
    else:
        a.coinm_dual_side = want
    return {"code": 200, "msg": "success"}


def leverage_bracket(ctx: Ctx) -> Any:
    _acct(ctx)
    return [
        {"symbol": st.symbol, "notionalCoef": 1.5, "brackets": brackets(st.symbol)}
        for st in _wanted(ctx)
    ]


def leverage_bracket_v1(ctx: Ctx) -> Any:
    _acct(ctx)
    pairs = sorted({st.symbol.split("_")[0] for st in _wanted(ctx)})
    return [{"pair": p, "brackets": brackets(p + "_PERP")} for p in pairs]


def change_leverage(ctx: Ctx) -> Any:
    a = _acct(ctx)
    st = _wanted(ctx)[0]
    try:
        lev = int(ctx.params.get("leverage", ""))
    except ValueError:
        raise ApiError(400, -1102, "Mandatory parameter 'leverage' was not sent.") from None
    if not 1 <= lev <= 125:
        raise ApiError(400, -4028, "Leverage is not valid")
    a.leverage[st.symbol] = lev
    return {"leverage": lev, "maxQty": str(max_qty(st.symbol, lev)), "symbol": st.symbol}


def commission_rate(ctx: Ctx) -> Any:
    _acct(ctx)
    sym = _wanted(ctx)[0].symbol
    return {"symbol": sym, "makerCommissionRate": "0.0001", "takerCommissionRate": "0.0005"}


# ------------------------------------------------------------------------------ orders
def _order_json(o: dict[str, Any]) -> dict[str, Any]:
    return dict(o)


def _next_id(ctx: Ctx) -> int:
    return int(ctx.sim.next_order_id())


def new_order(ctx: Ctx) -> Any:
    a = _acct(ctx)
    p = ctx.params
    for name in ("symbol", "side", "type"):
        if not p.get(name):
            raise ApiError(400, -1102, f"Mandatory parameter '{name}' was not sent.")
    st = _wanted(ctx)[0]
    if st.status != "TRADING":
        raise ApiError(400, -4141, "Symbol is closed.")
    side, otype = p["side"].upper(), p["type"].upper()
    pos_side = p.get("positionSide", "BOTH").upper()
    if dual_side(a) != (pos_side in ("LONG", "SHORT")):
        raise ApiError(400, -4061, "Order's position side does not match user's setting.")
    qty = _order_quantity(st, otype, p)
    mark = st.price_at(ctx.now_ms)
    price = Decimal(p["price"]) if p.get("price") else None
    if otype == "LIMIT" and price is None:
        raise ApiError(400, -1102, "Mandatory parameter 'price' was not sent.")
    fills = otype == "MARKET" or (
        price is not None
        and ((side == "BUY" and price >= mark) or (side == "SELL" and price <= mark))
    )
    order = _order_record(ctx, st, p, side, otype, pos_side, qty, price, mark, fills=fills)
    a.coinm_orders[order["orderId"]] = order
    if fills:
        key = f"{st.symbol}:{pos_side}"
        pos = a.coinm_positions.setdefault(key, {"amt": Decimal(0), "entry": Decimal(0)})
        signed = qty if side == "BUY" else -qty
        pos["amt"] = d(pos["amt"]) + signed
        pos["entry"] = mark
    ctx.refund_weight = True
    return _order_json(order)


def _order_quantity(st: SymbolState, otype: str, p: dict[str, str]) -> Decimal:
    """Given a COIN-M order's parameters, return its quantity in contracts; raise the ApiError
    for a missing one or one outside LOT_SIZE (MARKET_LOT_SIZE for a MARKET order)."""
    try:
        qty = Decimal(p.get("quantity", ""))
    except ArithmeticError:
        raise ApiError(400, -1102, "Mandatory parameter 'quantity' was not sent.") from None
    lot = st.filter("MARKET_LOT_SIZE" if otype == "MARKET" else "LOT_SIZE") or {}
    if qty <= 0 or qty < Decimal(str(lot.get("minQty", "1"))):
        raise ApiError(400, -4004, "Quantity less than min quantity.")
    if qty > Decimal(str(lot.get("maxQty", "1000000"))):
        raise ApiError(400, -4005, "Quantity greater than max quantity.")
    if qty % Decimal(str(lot.get("stepSize", "1"))) != 0:
        raise ApiError(400, -1111, "Precision is over the maximum defined for this asset.")
    return qty


def _order_record(
    ctx: Ctx,
    st: SymbolState,
    p: dict[str, str],
    side: str,
    otype: str,
    pos_side: str,
    qty: Decimal,
    price: Decimal | None,
    mark: Decimal,
    *,
    fills: bool,
) -> dict[str, Any]:
    """Return the new order as /dapi/v1/order stores it (filled at the mark, or resting)."""
    oid = _next_id(ctx)
    return {
        "orderId": oid,
        "symbol": st.symbol,
        "pair": st.symbol.split("_")[0],
        "status": "FILLED" if fills else "NEW",
        "clientOrderId": p.get("newClientOrderId") or f"sim{oid}",
        "price": str(price or 0),
        "avgPrice": str(mark if fills else 0),
        "origQty": str(qty),
        "executedQty": str(qty if fills else 0),
        "cumQty": str(qty if fills else 0),
        "cumBase": s8(qty * contract_size(st.symbol) / mark if fills else 0),
        "timeInForce": p.get("timeInForce", "GTC"),
        "type": otype,
        "origType": otype,
        "reduceOnly": p.get("reduceOnly", "false") == "true",
        "closePosition": False,
        "side": side,
        "positionSide": pos_side,
        "stopPrice": "0",
        "workingType": "CONTRACT_PRICE",
        "priceProtect": False,
        "updateTime": ctx.now_ms,
        "time": ctx.now_ms,
    }


def _find(ctx: Ctx) -> dict[str, Any]:
    a = _acct(ctx)
    oid = ctx.params.get("orderId")
    cid = ctx.params.get("origClientOrderId")
    for o in a.coinm_orders.values():
        if (oid and str(o["orderId"]) == oid) or (cid and o["clientOrderId"] == cid):
            return o
    raise ApiError(400, -2013, "Order does not exist.")


def get_order(ctx: Ctx) -> Any:
    return _order_json(_find(ctx))


def cancel_order(ctx: Ctx) -> Any:
    o = _find(ctx)
    if o["status"] != "NEW":
        raise ApiError(400, -2011, "Unknown order sent.")
    o["status"] = "CANCELED"
    o["updateTime"] = ctx.now_ms
    return _order_json(o)


def open_orders(ctx: Ctx) -> Any:
    a = _acct(ctx)
    sym = ctx.params.get("symbol")
    if sym is not None:
        _wanted(ctx)
    return [
        _order_json(o)
        for o in a.coinm_orders.values()
        if o["status"] == "NEW" and (sym is None or o["symbol"] == sym)
    ]


def add_open_order(a: SimAccount, symbol: str, quantity: int = 1, *, side: str = "BUY") -> int:
    """A resting LIMIT order at half the price (tests: MAX_NUM_ORDERS)."""
    oid = max([0, *a.coinm_orders]) + 1_000_000
    a.coinm_orders[oid] = {
        "orderId": oid,
        "symbol": symbol,
        "status": "NEW",
        "clientOrderId": f"sim{oid}",
        "type": "LIMIT",
        "side": side,
        "origQty": str(quantity),
        "price": "1000",
        "positionSide": "BOTH",
        "time": 0,
        "updateTime": 0,
    }
    return oid


def set_position(a: SimAccount, symbol: str, contracts: Any, *, entry: Any = None) -> None:
    """Set the COIN-M position of ``symbol`` in contracts (one-way mode: BOTH)."""
    side = "LONG" if dual_side(a) and d(contracts) > 0 else "SHORT" if dual_side(a) else "BOTH"
    price = d(entry) if entry is not None else Decimal(DEFAULTS.get(symbol, ("", "60000"))[1])
    a.coinm_positions[f"{symbol}:{side}"] = {"amt": d(contracts), "entry": price}


def _per_symbol(one: int, many: int) -> Any:
    return lambda params: one if params.get("symbol") else many


def contracts_for(size_usd: Decimal, sym: str) -> Decimal:
    return (size_usd / contract_size(sym)).to_integral_value(ROUND_FLOOR)


ENDPOINTS: list[Endpoint] = [
    Endpoint("GET", "/dapi/v1/exchangeInfo", NONE, 1, exchange_info),
    Endpoint("GET", "/dapi/v1/premiumIndex", NONE, 10, premium_index),
    Endpoint("GET", "/dapi/v1/ticker/price", NONE, _per_symbol(1, 2), ticker_price),
    Endpoint("GET", "/dapi/v1/account", USER_DATA, 5, account),
    Endpoint("GET", "/dapi/v1/balance", USER_DATA, 1, balance),
    Endpoint("GET", "/dapi/v1/positionSide/dual", USER_DATA, 30, get_position_mode),
    Endpoint("POST", "/dapi/v1/positionSide/dual", TRADE, 1, set_position_mode),
    Endpoint("GET", "/dapi/v1/positionRisk", USER_DATA, 1, position_risk),
    Endpoint("GET", "/dapi/v2/leverageBracket", USER_DATA, 1, leverage_bracket),
    Endpoint("GET", "/dapi/v1/leverageBracket", USER_DATA, 1, leverage_bracket_v1),
    Endpoint("POST", "/dapi/v1/leverage", TRADE, 1, change_leverage),
    Endpoint("GET", "/dapi/v1/commissionRate", USER_DATA, 20, commission_rate),
    Endpoint("POST", "/dapi/v1/order", TRADE, 1, new_order, zero_weight_on_success=True),
    Endpoint("GET", "/dapi/v1/order", USER_DATA, 1, get_order),
    Endpoint("DELETE", "/dapi/v1/order", TRADE, 1, cancel_order),
    Endpoint("GET", "/dapi/v1/openOrders", USER_DATA, _per_symbol(1, 40), open_orders),
]
