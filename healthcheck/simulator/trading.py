"""Orders, positions and their validation for the simulator: Binance's order rules per market
(mandatory parameters, enums, precision, symbol status, every exchangeInfo filter, open-order
caps, leverage caps, margin), resting LIMIT orders that fill when the price path crosses them,
MARKET orders that fill at the current price, and the JSON shapes Binance returns for them.
Errors are raised as :class:`ApiError` with Binance's codes and texts for that market.
"""

from __future__ import annotations

import itertools
import secrets
import string
from decimal import Decimal, InvalidOperation
from typing import TYPE_CHECKING, Any

from healthcheck.exchange.catalogue import quote
from healthcheck.simulator.market import SymbolState, maint_margin, max_notional

if TYPE_CHECKING:
    from healthcheck.simulator.accounts import SimAccount
    from healthcheck.simulator.venue import Venue


class ApiError(Exception):
    """A Binance error answer: HTTP status plus the {"code", "msg"} body."""

    def __init__(self, status: int, code: int, msg: str | None = None) -> None:
        self.status = status
        self.code = code
        self.msg = msg if msg is not None else quote(code, None)
        super().__init__(f"{status} {code} {self.msg}")


def mandatory(name: str) -> ApiError:
    return ApiError(
        400, -1102, f"Mandatory parameter '{name}' was not sent, was empty/null, or malformed."
    )


SIDES = ("BUY", "SELL")
SPOT_TYPES = (
    "LIMIT",
    "LIMIT_MAKER",
    "MARKET",
    "STOP_LOSS",
    "STOP_LOSS_LIMIT",
    "TAKE_PROFIT",
    "TAKE_PROFIT_LIMIT",
)
SPOT_ALGO_TYPES = frozenset({"STOP_LOSS", "STOP_LOSS_LIMIT", "TAKE_PROFIT", "TAKE_PROFIT_LIMIT"})
USDM_TYPES = (
    "LIMIT",
    "MARKET",
    "STOP",
    "STOP_MARKET",
    "TAKE_PROFIT",
    "TAKE_PROFIT_MARKET",
    "TRAILING_STOP_MARKET",
)
USDM_ALGO_TYPES = frozenset(USDM_TYPES[2:])
TIME_IN_FORCE = ("GTC", "IOC", "FOK", "GTX", "GTD")

MSG_CLOSED_SPOT = "Market is closed."
MSG_CLOSED_USDM = "Symbol is closed"
MSG_PRECISION_USDM = "Precision is over the maximum defined for this asset."
MSG_SWITCH_ALGO = (
    "Order type not supported for this endpoint. Please use the Algo Order API endpoints instead."
)
USDM_FILTER_MSGS = {
    -4013: "Price less than min price.",
    -4002: "Price greater than max price.",
    -4014: "Price not increased by tick size.",
    -4004: "Quantity less than min quantity.",
    -4005: "Quantity greater than max quantity.",
    -4023: "Qty not increased by step size.",
    -4016: "Price is higher than mark price multiplier cap.",
    -4024: "Price is lower than mark price multiplier floor.",
    -2025: "Reach max open order limit.",
    -4045: "Reach max stop order limit.",
    -2027: "Exceeded the maximum allowable position at current leverage.",
    -2013: "Order does not exist.",
    -2011: "Unknown order sent.",
}

_ids = itertools.count(4_000_000_001)
_ALNUM = string.ascii_letters + string.digits


def next_order_id() -> int:
    return next(_ids)


def client_order_id() -> str:
    return "".join(secrets.choice(_ALNUM) for _ in range(22))


def dec(params: dict[str, str], name: str) -> Decimal | None:
    raw = params.get(name)
    if raw is None or raw == "":
        return None
    try:
        out = Decimal(raw)
        if not out.is_finite():
            raise InvalidOperation
    except InvalidOperation:
        raise ApiError(
            400,
            -1100,
            f"Illegal characters found in parameter '{name}'; legal range is "
            "'^([0-9]{1,20})(\\.[0-9]{1,20})?$'.",
        ) from None
    return out


def decimals(raw: str) -> int:
    raw = raw.strip()
    if "." not in raw:
        return 0
    return len(raw.split(".", 1)[1].rstrip("0"))


def _fmt(x: Decimal, places: int = 8) -> str:
    return f"{x:.{places}f}"


def _is_multiple(value: Decimal, step: Decimal, base: Decimal = Decimal(0)) -> bool:
    return step == 0 or (value - base) % step == 0


# ---------------------------------------------------------------------------------------------
# Order book of an account (orders live on the account: acct.orders[orderId] = record)
# ---------------------------------------------------------------------------------------------
def open_orders(
    acct: SimAccount, market: str, symbol: str | None = None, *, algo: bool | None = None
) -> list[dict[str, Any]]:
    return [
        o
        for o in acct.orders.values()
        if o["market"] == market
        and o["status"] == "NEW"
        and (symbol is None or o["symbol"] == symbol)
        and (algo is None or o["algo"] == algo)
    ]


def new_record(
    market: str,
    symbol: str,
    side: str,
    otype: str,
    price: Decimal | None,
    qty: Decimal,
    now_ms: int,
    *,
    algo: bool,
    params: dict[str, str] | None = None,
) -> dict[str, Any]:
    p = params or {}
    return {
        "market": market,
        "symbol": symbol,
        "orderId": next_order_id(),
        "clientOrderId": p.get("newClientOrderId") or p.get("clientAlgoId") or client_order_id(),
        "side": side,
        "type": otype,
        "price": price if price is not None else Decimal(0),
        "stopPrice": dec(p, "stopPrice") or dec(p, "triggerPrice") or Decimal(0),
        "origQty": qty,
        "executedQty": Decimal(0),
        "avgPrice": Decimal(0),
        "status": "NEW",
        "timeInForce": p.get("timeInForce", "GTC")
        if otype in ("LIMIT", "STOP", "TAKE_PROFIT", "STOP_LOSS_LIMIT", "TAKE_PROFIT_LIMIT")
        else "GTC",
        "time": now_ms,
        "updateTime": now_ms,
        "algo": algo,
        "reduceOnly": p.get("reduceOnly", "").lower() == "true",
        "closePosition": p.get("closePosition", "").lower() == "true",
        "positionSide": p.get("positionSide", "BOTH").upper() or "BOTH",
        "workingType": p.get("workingType", "CONTRACT_PRICE"),
    }


def _move_locked(acct: SimAccount, asset: str, amount: Decimal) -> None:
    free, locked = acct.spot_balances.get(asset, ("0", "0"))
    acct.spot_balances[asset] = (
        str(Decimal(str(free)) - amount),
        str(Decimal(str(locked)) + amount),
    )


def lock_spot(sim: Venue, acct: SimAccount, o: dict[str, Any]) -> None:
    """A resting spot order holds what it may spend, as Binance does: the quote asset of a BUY
    (quantity x price), the base asset of a SELL; it shows as ``locked`` until filled or
    cancelled."""
    st = sim.symbol("spot", o["symbol"])
    asset, amount = (
        (st.quote, o["origQty"] * o["price"]) if o["side"] == "BUY" else (st.base, o["origQty"])
    )
    _move_locked(acct, asset, amount)
    o["locked"] = (asset, amount)


def unlock_spot(acct: SimAccount, o: dict[str, Any]) -> None:
    """Give back what a spot order held (on cancel, or before its fill moves the balances)."""
    held = o.pop("locked", None)
    if held is not None:
        _move_locked(acct, held[0], -held[1])


def fill(sim: Venue, acct: SimAccount, o: dict[str, Any], price: Decimal, now_ms: int) -> None:
    """Mark ``o`` filled at ``price`` and move balances (spot) or the position (usdm)."""
    if o["market"] == "spot":
        unlock_spot(acct, o)
    o["status"] = "FILLED"
    o["executedQty"] = o["origQty"]
    o["avgPrice"] = price
    o["updateTime"] = now_ms
    qty = o["origQty"]
    signed = qty if o["side"] == "BUY" else -qty
    if o["market"] == "usdm":
        pos = acct.usdm_position(o["symbol"])
        old_amt, old_entry = pos["amt"], pos["entry"]
        new_amt = old_amt + signed
        if new_amt == 0:
            entry = Decimal(0)
        elif old_amt == 0 or (old_amt > 0) != (new_amt > 0):
            entry = price
        elif abs(new_amt) > abs(old_amt):
            entry = (old_entry * abs(old_amt) + price * qty) / abs(new_amt)
        else:
            entry = old_entry
        acct.positions[o["symbol"]] = {"amt": new_amt, "entry": entry}
    else:
        st = sim.symbol("spot", o["symbol"])
        base_free, base_locked = acct.spot_balances.get(st.base, ("0", "0"))
        quote_free, quote_locked = acct.spot_balances.get(st.quote, ("0", "0"))
        acct.spot_balances[st.base] = (str(Decimal(str(base_free)) + signed), base_locked)
        acct.spot_balances[st.quote] = (
            str(Decimal(str(quote_free)) - signed * price),
            quote_locked,
        )


STOP_KINDS = frozenset({"STOP", "STOP_MARKET", "STOP_LOSS", "STOP_LOSS_LIMIT"})
MARKET_KINDS = frozenset({"STOP_MARKET", "TAKE_PROFIT_MARKET", "STOP_LOSS", "TAKE_PROFIT"})


def _triggered(o: dict[str, Any], lo: Decimal, hi: Decimal) -> bool:
    """A stop sells when the price falls to its trigger (buys when it rises); a take-profit the
    other way round."""
    falls = (o["type"] in STOP_KINDS) == (o["side"] == "SELL")
    return lo <= o["stopPrice"] if falls else hi >= o["stopPrice"]


def _trigger(sim: Venue, acct: SimAccount, o: dict[str, Any], now_ms: int) -> None:
    """Fire the conditional order ``o``: spot stops become working orders under their own id;
    a USD-M algo order places its actual order (``actualOrderId``) and is TRIGGERED, then
    FINISHED once that order is done (as Binance's algo orders do)."""
    cur = sim.symbol(o["market"], o["symbol"]).price_at(now_ms)
    market = o["type"] in MARKET_KINDS
    o["triggerTime"] = now_ms
    if o["market"] == "spot":
        o["working"] = True
        o["updateTime"] = now_ms
        if market or (o["side"] == "SELL") == (cur >= o["price"]):
            fill(sim, acct, o, cur, now_ms)  # marketable when it fires: it takes
        return
    qty = o["origQty"]
    if o["closePosition"]:
        qty = abs(acct.usdm_position(o["symbol"])["amt"])
    actual = new_record(
        "usdm",
        o["symbol"],
        o["side"],
        "MARKET" if market else "LIMIT",
        None if market else o["price"],
        qty,
        now_ms,
        algo=False,
    )
    actual["reduceOnly"], actual["positionSide"] = o["reduceOnly"], o["positionSide"]
    actual["origType"] = o["type"]
    actual["stopPrice"] = o["stopPrice"]
    acct.orders[actual["orderId"]] = actual
    o["actualOrderId"] = actual["orderId"]
    o["status"], o["updateTime"] = "TRIGGERED", now_ms
    if market or (o["side"] == "SELL") == (cur >= o["price"]):
        fill(sim, acct, actual, cur, now_ms)


def match(sim: Venue, acct: SimAccount, now_ms: int) -> None:
    """Fill every resting LIMIT order of ``acct`` whose price the current price has crossed,
    and fire every stop/take-profit order whose trigger price it has reached."""
    for o in list(acct.orders.values()):
        if o["status"] not in ("NEW", "TRIGGERED"):
            continue
        lo, hi = sim.symbol(o["market"], o["symbol"]).range_between(o["time"], now_ms)
        if o["status"] == "TRIGGERED":  # a USD-M algo order whose actual order may be done
            done = acct.orders.get(o.get("actualOrderId", 0))
            if done is not None and done["status"] != "NEW":
                o["status"], o["updateTime"] = "FINISHED", done["updateTime"]
                o["actualPrice"] = done["avgPrice"]
            continue
        if o["type"] == "TRAILING_STOP_MARKET":
            continue
        if (o["algo"] or o["type"] in SPOT_ALGO_TYPES) and not o.get("working"):
            if _triggered(o, lo, hi):
                _trigger(sim, acct, o, now_ms)
            continue
        if (o["side"] == "BUY" and lo <= o["price"]) or (o["side"] == "SELL" and hi >= o["price"]):
            fill(sim, acct, o, o["price"], now_ms)


# ---------------------------------------------------------------------------------------------
# Validation
# ---------------------------------------------------------------------------------------------
def _common(
    sim: Venue, market: str, p: dict[str, str], types: tuple[str, ...]
) -> tuple[SymbolState, str, str]:
    for name in ("symbol", "side", "type"):
        if not p.get(name):
            raise mandatory(name)
    st = sim.markets[market].get(p["symbol"])
    if st is None:
        raise ApiError(400, -1121, "Invalid symbol.")
    side = p["side"]
    if side not in SIDES:
        raise ApiError(400, -1117, "Invalid side.")
    otype = p["type"]
    if otype not in types:
        raise ApiError(400, -1116, "Invalid orderType.")
    tif = p.get("timeInForce")
    if tif is not None and tif not in TIME_IN_FORCE:
        raise ApiError(400, -1115, "Invalid timeInForce.")
    return st, side, otype


def validate_spot(
    sim: Venue, acct: SimAccount, p: dict[str, str], now_ms: int, *, check_balance: bool
) -> dict[str, Any]:
    """Binance's spot new-order rules; return the parsed order or raise ApiError."""
    st, side, otype = _common(sim, "spot", p, SPOT_TYPES)
    qty, quote_qty, price = _spot_amounts(p, otype)
    if not acct.can_trade_spot:
        raise ApiError(400, -2010, "This action is disabled on this account.")
    if st.status != "TRADING":
        raise ApiError(400, -1013, MSG_CLOSED_SPOT)
    cur = st.price_at(now_ms)
    if qty is None:
        assert quote_qty is not None
        lot_size = st.filter("LOT_SIZE")
        step = Decimal(str(lot_size["stepSize"])) if lot_size else Decimal(0)
        qty = (quote_qty / cur).quantize(step.normalize() if step else Decimal("0.00000001"))
    ref = price if price is not None else cur
    # Binance's order of the filters: the first one that fails answers.
    _spot_price_filter(st, price, dec(p, "stopPrice"))
    _spot_lot_filters(st, otype, qty)
    _spot_percent_price(st, side, price, cur)
    _spot_notional_filters(st, otype, qty * ref)
    _spot_order_limits(acct, st, otype)
    if check_balance:
        asset, needed = (st.quote, qty * ref) if side == "BUY" else (st.base, qty)
        free = Decimal(str(acct.spot_balances.get(asset, ("0", "0"))[0]))
        if free < needed:
            raise ApiError(400, -2010, "Account has insufficient balance for requested action.")
    return {
        "symbol": st.symbol,
        "side": side,
        "type": otype,
        "qty": qty,
        "price": price,
        "current": cur,
        "algo": otype in SPOT_ALGO_TYPES,
    }


def _spot_amounts(
    p: dict[str, str], otype: str
) -> tuple[Decimal | None, Decimal | None, Decimal | None]:
    """Given a spot order's parameters, return (quantity, quoteOrderQty, price); raise the
    ApiError for a missing or over-precise one."""
    needs_price = otype in ("LIMIT", "LIMIT_MAKER", "STOP_LOSS_LIMIT", "TAKE_PROFIT_LIMIT")
    if otype in ("LIMIT", "STOP_LOSS_LIMIT", "TAKE_PROFIT_LIMIT") and not p.get("timeInForce"):
        raise mandatory("timeInForce")
    qty = dec(p, "quantity")
    quote_qty = dec(p, "quoteOrderQty") if otype == "MARKET" else None
    if qty is None and quote_qty is None:
        raise mandatory("quantity")
    price = dec(p, "price") if needs_price else None
    if needs_price and price is None:
        raise mandatory("price")
    if otype in SPOT_ALGO_TYPES and dec(p, "stopPrice") is None and not p.get("trailingDelta"):
        raise mandatory("stopPrice")
    for name in ("price", "quantity", "stopPrice"):
        if p.get(name) and decimals(p[name]) > 8:
            raise ApiError(400, -1111, f"Parameter '{name}' has too much precision.")
    return qty, quote_qty, price


def _spot_fail(name: str, code: int = -1013) -> ApiError:
    return ApiError(400, code, f"Filter failure: {name}")


def _spot_price_filter(st: SymbolState, price: Decimal | None, stop: Decimal | None) -> None:
    """PRICE_FILTER on the price and the stop price."""
    for px in (price, stop):
        f = st.filter("PRICE_FILTER")
        if px is None or f is None:
            continue
        lo, hi, tick = (Decimal(str(f[k])) for k in ("minPrice", "maxPrice", "tickSize"))
        if (lo and px < lo) or (hi and px > hi) or not _is_multiple(px, tick):
            raise _spot_fail("PRICE_FILTER")


def _spot_lot_filters(st: SymbolState, otype: str, qty: Decimal) -> None:
    """LOT_SIZE, and MARKET_LOT_SIZE for a MARKET order, on the quantity."""
    is_market = otype == "MARKET"
    lot = st.filter("MARKET_LOT_SIZE" if is_market else "LOT_SIZE")
    for name, f in (
        ("LOT_SIZE", st.filter("LOT_SIZE")),
        ("MARKET_LOT_SIZE", lot if is_market else None),
    ):
        if f is None:
            continue
        lo, hi, step = (Decimal(str(f[k])) for k in ("minQty", "maxQty", "stepSize"))
        if (lo and qty < lo) or (hi and qty > hi) or not _is_multiple(qty, step):
            raise _spot_fail(name)


def _spot_percent_price(st: SymbolState, side: str, price: Decimal | None, cur: Decimal) -> None:
    """PERCENT_PRICE_BY_SIDE: a limit price within the side's multipliers of the price."""
    f = st.filter("PERCENT_PRICE_BY_SIDE")
    if f is not None and price is not None:
        up, down = (
            ("bidMultiplierUp", "bidMultiplierDown")
            if side == "BUY"
            else ("askMultiplierUp", "askMultiplierDown")
        )
        if price > cur * Decimal(str(f[up])) or price < cur * Decimal(str(f[down])):
            raise _spot_fail("PERCENT_PRICE_BY_SIDE")


def _spot_notional_filters(st: SymbolState, otype: str, notional: Decimal) -> None:
    """NOTIONAL (min and max) and MIN_NOTIONAL on quantity x price."""
    is_market = otype == "MARKET"
    f = st.filter("NOTIONAL")
    if f is not None:
        if (not is_market or f.get("applyMinToMarket", True)) and notional < Decimal(
            str(f["minNotional"])
        ):
            raise _spot_fail("NOTIONAL")
        if (not is_market or f.get("applyMaxToMarket", False)) and notional > Decimal(
            str(f["maxNotional"])
        ):
            raise _spot_fail("NOTIONAL")
    f = st.filter("MIN_NOTIONAL")
    if f is not None and (not is_market or f.get("applyToMarket", True)):
        if notional < Decimal(str(f["minNotional"])):
            raise _spot_fail("MIN_NOTIONAL")


def _spot_order_limits(acct: SimAccount, st: SymbolState, otype: str) -> None:
    """MAX_NUM_ORDERS for a resting order, MAX_NUM_ALGO_ORDERS for a stop (-2010)."""
    opened = open_orders(acct, "spot", st.symbol)
    f = st.filter("MAX_NUM_ORDERS")
    if f is not None and otype != "MARKET" and len(opened) >= int(f["maxNumOrders"]):
        raise _spot_fail("MAX_NUM_ORDERS", -2010)
    f = st.filter("MAX_NUM_ALGO_ORDERS")
    if f is not None and otype in SPOT_ALGO_TYPES:
        if sum(1 for o in opened if o["algo"]) >= int(f["maxNumAlgoOrders"]):
            raise _spot_fail("MAX_NUM_ALGO_ORDERS", -2010)


def validate_usdm(
    sim: Venue, acct: SimAccount, p: dict[str, str], now_ms: int, *, algo_endpoint: bool = False
) -> dict[str, Any]:
    """Binance's USD-M new-order rules; return the parsed order or raise ApiError."""
    if algo_endpoint:
        p = dict(p)
        p.setdefault("stopPrice", p.get("triggerPrice", ""))
    st, side, otype = _common(sim, "usdm", p, USDM_TYPES)
    is_algo = otype in USDM_ALGO_TYPES
    if is_algo and not algo_endpoint:
        raise ApiError(400, -4120, MSG_SWITCH_ALGO)
    if algo_endpoint and not is_algo:
        raise ApiError(400, -1116, "Invalid orderType.")
    side_pos = p.get("positionSide", "").upper()
    if acct.dual_side_position and side_pos not in ("LONG", "SHORT"):
        raise ApiError(400, -4061)
    if not acct.dual_side_position and side_pos not in ("", "BOTH"):
        raise ApiError(400, -4061)
    close_position = p.get("closePosition", "").lower() == "true"
    reduce_only = p.get("reduceOnly", "").lower() == "true" or close_position
    qty, price = _usdm_amounts(st, p, otype, algo_endpoint=algo_endpoint)
    _usdm_account_gates(acct, st, reduce_only, now_ms)
    # Binance's order of the filters: the first one that fails answers.
    _usdm_price_filter(st, price, dec(p, "stopPrice"))
    if not close_position:
        _usdm_lot_filter(st, otype, qty)
    mark = st.price_at(now_ms)
    f = st.filter("PERCENT_PRICE")
    if f is not None and price is not None and otype == "LIMIT":
        if side == "BUY" and price > mark * Decimal(str(f["multiplierUp"])):
            raise _usdm_fail(-4016)
        if side == "SELL" and price < mark * Decimal(str(f["multiplierDown"])):
            raise _usdm_fail(-4024)
    ref = price if price is not None else mark
    f = st.filter("MIN_NOTIONAL")
    if f is not None and not reduce_only and qty * ref < Decimal(str(f["notional"])):
        raise ApiError(
            400,
            -4164,
            f"Order's notional must be no smaller than {f['notional']} "
            "(unless you choose reduce only).",
        )
    _usdm_order_limits(acct, st, otype)
    if not reduce_only:
        _usdm_margin(acct, st, qty if side == "BUY" else -qty, ref, mark)
    return {
        "symbol": st.symbol,
        "side": side,
        "type": otype,
        "qty": qty,
        "price": price,
        "current": mark,
        "algo": is_algo,
        "reduceOnly": reduce_only,
        "positionSide": side_pos or "BOTH",
    }


def _usdm_amounts(
    st: SymbolState, p: dict[str, str], otype: str, *, algo_endpoint: bool
) -> tuple[Decimal, Decimal | None]:
    """Given a USD-M order's parameters, return (quantity, price); raise the ApiError for a
    missing, over-precise or non-positive one."""
    close_position = p.get("closePosition", "").lower() == "true"
    needs_price = otype in ("LIMIT", "STOP", "TAKE_PROFIT")
    if otype == "LIMIT" and not p.get("timeInForce"):
        raise mandatory("timeInForce")
    price = dec(p, "price") if needs_price else None
    if needs_price and price is None and not p.get("priceMatch"):
        raise mandatory("price")
    is_algo = otype in USDM_ALGO_TYPES
    if is_algo and otype != "TRAILING_STOP_MARKET" and dec(p, "stopPrice") is None:
        raise mandatory("triggerPrice" if algo_endpoint else "stopPrice")
    qty = dec(p, "quantity")
    if qty is None and not close_position:
        raise mandatory("quantity")
    if p.get("price") and decimals(p["price"]) > st.price_precision:
        raise ApiError(400, -1111, MSG_PRECISION_USDM)
    if p.get("quantity") and decimals(p["quantity"]) > st.quantity_precision:
        raise ApiError(400, -1111, MSG_PRECISION_USDM)
    qty = qty or Decimal(0)
    if qty < 0 or (qty == 0 and not close_position):
        raise ApiError(400, -4003, "Quantity less than or equal to zero.")
    return qty, price


def _usdm_account_gates(acct: SimAccount, st: SymbolState, reduce_only: bool, now_ms: int) -> None:
    """The symbol trades, the account may trade futures, and (unless the order only reduces)
    no trading-quantitative-rules lock and no reduce-only mode."""
    if st.status != "TRADING":
        raise ApiError(400, -4141, MSG_CLOSED_USDM)
    if not acct.can_trade_futures:
        raise ApiError(400, -4088)
    if reduce_only:
        return
    for ind in acct.futures_indicators:
        recover = int(ind.get("plannedRecoverTime", 0))
        if (
            ind.get("isLocked")
            and ind.get("symbol") in (st.symbol, "ACCOUNT")
            and (recover == 0 or recover > now_ms)
        ):
            raise ApiError(400, -4400)
    if acct.reduce_only:
        raise ApiError(400, -4189)


def _usdm_fail(code: int) -> ApiError:
    return ApiError(400, code, USDM_FILTER_MSGS[code])


def _usdm_price_filter(st: SymbolState, price: Decimal | None, stop: Decimal | None) -> None:
    """PRICE_FILTER on the price (-4013, -4002, -4014) and the stop price (-4007)."""
    f = st.filter("PRICE_FILTER")
    if f is None:
        return
    lo, hi, tick = (Decimal(str(f[k])) for k in ("minPrice", "maxPrice", "tickSize"))
    if price is not None:
        if lo and price < lo:
            raise _usdm_fail(-4013)
        if hi and price > hi:
            raise _usdm_fail(-4002)
        if not _is_multiple(price, tick, lo):
            raise _usdm_fail(-4014)
    if stop is not None and hi and stop > hi:
        raise ApiError(400, -4007, "Stop price greater than max price.")


def _usdm_lot_filter(st: SymbolState, otype: str, qty: Decimal) -> None:
    """LOT_SIZE, or MARKET_LOT_SIZE for a market kind, on the quantity."""
    is_market = otype in ("MARKET", "STOP_MARKET", "TAKE_PROFIT_MARKET", "TRAILING_STOP_MARKET")
    f = st.filter("MARKET_LOT_SIZE" if is_market else "LOT_SIZE")
    if f is None:
        return
    lo, hi, step = (Decimal(str(f[k])) for k in ("minQty", "maxQty", "stepSize"))
    if lo and qty < lo:
        raise _usdm_fail(-4004)
    if hi and qty > hi:
        raise _usdm_fail(-4005)
    if not _is_multiple(qty, step, lo):
        raise _usdm_fail(-4023)


def _usdm_order_limits(acct: SimAccount, st: SymbolState, otype: str) -> None:
    """MAX_NUM_ORDERS (-2025) for all but MARKET, MAX_NUM_ALGO_ORDERS (-4045) for stops."""
    opened = open_orders(acct, "usdm", st.symbol)
    f = st.filter("MAX_NUM_ORDERS")
    if f is not None and otype != "MARKET" and len(opened) >= int(f["limit"]):
        raise _usdm_fail(-2025)
    f = st.filter("MAX_NUM_ALGO_ORDERS")
    is_algo = otype in USDM_ALGO_TYPES
    if f is not None and is_algo and sum(1 for o in opened if o["algo"]) >= int(f["limit"]):
        raise _usdm_fail(-4045)


def _usdm_margin(
    acct: SimAccount, st: SymbolState, signed_qty: Decimal, ref: Decimal, mark: Decimal
) -> None:
    """The position after the order within the leverage bracket (-2027), and enough available
    margin for it (-2019)."""
    pos = acct.usdm_position(st.symbol)
    after = abs((pos["amt"] + signed_qty) * mark)
    cap = max_notional(st.symbol, acct.leverage_for(st.symbol))
    if after > abs(pos["amt"] * mark) and after > cap:
        raise _usdm_fail(-2027)
    if acct.futures_available("USDT") < abs(signed_qty) * ref / acct.leverage_for(st.symbol):
        raise ApiError(400, -2019)


# ---------------------------------------------------------------------------------------------
# JSON shapes
# ---------------------------------------------------------------------------------------------
def spot_order_json(o: dict[str, Any]) -> dict[str, Any]:
    return {
        "symbol": o["symbol"],
        "orderId": o["orderId"],
        "orderListId": -1,
        "clientOrderId": o["clientOrderId"],
        "price": _fmt(o["price"]),
        "origQty": _fmt(o["origQty"]),
        "executedQty": _fmt(o["executedQty"]),
        "cummulativeQuoteQty": _fmt(o["executedQty"] * o["avgPrice"]),
        "status": o["status"],
        "timeInForce": o["timeInForce"],
        "type": o["type"],
        "side": o["side"],
        "stopPrice": _fmt(o["stopPrice"]),
        "icebergQty": _fmt(Decimal(0)),
        "time": o["time"],
        "updateTime": o["updateTime"],
        "isWorking": o["type"] not in SPOT_ALGO_TYPES or bool(o.get("working")),
        "workingTime": o.get("triggerTime", -1) if o["type"] in SPOT_ALGO_TYPES else o["time"],
        "origQuoteOrderQty": _fmt(Decimal(0)),
        "selfTradePreventionMode": "EXPIRE_MAKER",
    }


def usdm_order_json(o: dict[str, Any]) -> dict[str, Any]:
    return {
        "avgPrice": f"{o['avgPrice']:.2f}" if o["avgPrice"] else "0",
        "clientOrderId": o["clientOrderId"],
        "cumQuote": f"{o['executedQty'] * o['avgPrice']:.5f}",
        "executedQty": str(o["executedQty"]),
        "orderId": o["orderId"],
        "origQty": str(o["origQty"]),
        "origType": o.get("origType", o["type"]),
        "price": str(o["price"]),
        "reduceOnly": o["reduceOnly"],
        "side": o["side"],
        "positionSide": o["positionSide"],
        "status": o["status"],
        "stopPrice": str(o["stopPrice"]),
        "closePosition": o["closePosition"],
        "symbol": o["symbol"],
        "time": o["time"],
        "timeInForce": o["timeInForce"],
        "type": o["type"],
        "updateTime": o["updateTime"],
        "workingType": o["workingType"],
        "priceProtect": False,
        "priceMatch": "NONE",
        "selfTradePreventionMode": "EXPIRE_MAKER",
        "goodTillDate": 0,
    }


def usdm_algo_json(o: dict[str, Any]) -> dict[str, Any]:
    return {
        "algoId": o["orderId"],
        "clientAlgoId": o["clientOrderId"],
        "algoType": "CONDITIONAL",
        "orderType": o["type"],
        "symbol": o["symbol"],
        "side": o["side"],
        "positionSide": o["positionSide"],
        "timeInForce": o["timeInForce"],
        "quantity": str(o["origQty"]),
        "algoStatus": o["status"],
        "triggerPrice": str(o["stopPrice"]),
        "price": str(o["price"]),
        "icebergQuantity": None,
        "selfTradePreventionMode": "EXPIRE_MAKER",
        "workingType": o["workingType"],
        "priceMatch": "NONE",
        "closePosition": o["closePosition"],
        "priceProtect": False,
        "reduceOnly": o["reduceOnly"],
        "activatePrice": "",
        "callbackRate": "",
        "createTime": o["time"],
        "updateTime": o["updateTime"],
        "triggerTime": o.get("triggerTime", 0),
        "goodTillDate": 0,
        "actualOrderId": str(o.get("actualOrderId", "")),
        "actualPrice": f"{o.get('actualPrice', Decimal(0)):.5f}",
    }


def usdm_position_json(
    sim: Venue, acct: SimAccount, symbol: str, now_ms: int, *, v2: bool
) -> dict[str, Any] | None:
    """positionRisk row for ``symbol``, or None when flat (v3 omits flat symbols)."""
    pos = acct.usdm_position(symbol)
    mark = sim.symbol("usdm", symbol).price_at(now_ms)
    amt = pos["amt"]
    lev = acct.leverage_for(symbol)
    notional, maint, initial = _position_margins(pos, symbol, mark, lev)
    upnl = (mark - pos["entry"]) * amt if amt else Decimal(0)
    isolated = acct.margin_type_for(symbol) == "ISOLATED"
    # an isolated position holds its own margin: the entry cost at its leverage (plus uPnL)
    iso_wallet = abs(pos["entry"] * amt) / lev if isolated and amt else Decimal(0)
    row: dict[str, Any] = {
        "symbol": symbol,
        "positionSide": "LONG" if acct.dual_side_position else "BOTH",
        "positionAmt": f"{amt:.3f}",
        "entryPrice": f"{pos['entry']:.1f}",
        "breakEvenPrice": f"{pos['entry']:.1f}",
        "markPrice": _fmt(mark),
        "unRealizedProfit": _fmt(upnl),
        "liquidationPrice": "0",
        "isolatedMargin": _fmt(iso_wallet + upnl if isolated and amt else Decimal(0)),
        "notional": _fmt(notional),
        "marginAsset": "USDT",
        "isolatedWallet": _fmt(iso_wallet) if isolated else "0",
        "initialMargin": _fmt(initial),
        "maintMargin": _fmt(maint),
        "positionInitialMargin": _fmt(initial),
        "openOrderInitialMargin": "0",
        "adl": 1 if amt else 0,
        "bidNotional": "0",
        "askNotional": "0",
        "updateTime": now_ms - 3_600_000 if amt else 0,
    }
    if v2:
        return _position_row_v2(row, symbol, lev, isolated)
    return row if amt else None


def _position_margins(
    pos: dict[str, Decimal], symbol: str, mark: Decimal, lev: int
) -> tuple[Decimal, Decimal, Decimal]:
    """Given a USD-M position, its mark price and leverage, return (notional, maintenance
    margin, initial margin)."""
    if "notional" in pos:  # the balance check's derived position keeps its exact figures
        return pos["notional"], pos["maint"], pos["initial"]
    amt = pos["amt"]
    notional = amt * mark
    maint = maint_margin(symbol, notional) if amt else Decimal(0)
    return notional, maint, abs(notional) / lev


def _position_row_v2(row: dict[str, Any], symbol: str, lev: int, isolated: bool) -> dict[str, Any]:
    """Given a v3 positionRisk row, return the v2 row: no margin breakdown, with leverage,
    bracket cap and margin type."""
    for k in (
        "breakEvenPrice",
        "initialMargin",
        "maintMargin",
        "positionInitialMargin",
        "openOrderInitialMargin",
        "adl",
        "bidNotional",
        "askNotional",
        "marginAsset",
    ):
        row.pop(k, None)
    row.update(
        {
            "leverage": str(lev),
            "maxNotionalValue": str(max_notional(symbol, lev)),
            "marginType": "isolated" if isolated else "cross",
            "isAutoAddMargin": "false",
            "isolated": isolated,
        }
    )
    return row
