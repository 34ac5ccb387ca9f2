"""What the leverage check reads from Binance: the open positions (positionRisk) and the notional
cap at each symbol's current leverage (USD-M's symbolConfig ``maxNotionalValue``, or the leverage
brackets at the position's leverage; COIN-M's ``qtyCap`` is in the base asset), and one order of
``order_size`` in the cap's unit.
"""

from __future__ import annotations

from decimal import ROUND_FLOOR, Decimal, InvalidOperation
from typing import TYPE_CHECKING, Any, NamedTuple

from healthcheck.checks.base import ExchangeLimits, SchemaError, number
from healthcheck.model.markets import MARKETS

if TYPE_CHECKING:
    from healthcheck.exchange.account import AccountConfig


class Position(NamedTuple):
    """One open position: its size is the notional, or for COIN-M the base-asset quantity."""

    symbol: str
    side: str
    amount: Decimal
    mark: Decimal | None


class Cap(NamedTuple):
    """The most a symbol's position may be at its current leverage, in ``unit`` ("notional" or
    "quantity", the base asset)."""

    leverage: int
    max_amount: Decimal
    unit: str


def order_amount(
    acc: AccountConfig,
    market: str,
    sym: str,
    unit: str,
    mark: Decimal | None,
    ex: ExchangeLimits | None,
) -> Decimal:
    """One order of ``order_size`` in the cap's unit: its notional, or (a cap in base-asset
    quantity, COIN-M) its contracts' USD value at the mark price."""
    size = acc.order_size_for(sym)
    if size is None:
        return Decimal(0)
    if unit == "notional":
        return size
    entry = ex.symbol(sym) if ex else None
    contract = _dec((entry or {}).get("contractSize"))
    if MARKETS[market].quantity_unit == "contracts" and contract:
        size = (size / contract).to_integral_value(ROUND_FLOOR) * contract
    if not mark or mark <= 0:
        return Decimal(0)
    return size / mark


def symbol_config_caps(data: Any) -> dict[str, Cap]:
    if not isinstance(data, list):
        raise SchemaError("symbolConfig: expected a list")
    out: dict[str, Cap] = {}
    for item in data:
        if not isinstance(item, dict) or not isinstance(item.get("symbol"), str):
            continue
        leverage = int(number(item, "leverage", f"symbolConfig {item['symbol']}"))
        cap = number(item, "maxNotionalValue", f"symbolConfig {item['symbol']}")
        out[item["symbol"]] = Cap(leverage, cap, "notional")
    return out


def leverages(data: Any) -> dict[str, int]:
    if not isinstance(data, list):
        raise SchemaError("positionRisk: expected a list")
    out: dict[str, int] = {}
    for item in data:
        if isinstance(item, dict) and isinstance(item.get("symbol"), str) and "leverage" in item:
            out[item["symbol"]] = int(number(item, "leverage", f"positionRisk {item['symbol']}"))
    return out


def bracket_caps(data: Any, leverages: dict[str, int]) -> dict[str, Cap]:
    """The cap at each symbol's leverage from its brackets: the largest cap whose
    ``initialLeverage`` is at least it; ``qtyCap`` (COIN-M) is in the base asset."""
    if not isinstance(data, list):
        raise SchemaError("leverageBracket: expected a list")
    out: dict[str, Cap] = {}
    for item in data:
        if not isinstance(item, dict):
            continue
        sym = item.get("symbol") or item.get("pair")
        if not isinstance(sym, str) or sym not in leverages:
            continue
        brackets = item.get("brackets")
        if not isinstance(brackets, list):
            raise SchemaError(f"leverageBracket {sym}: field 'brackets' is not a list")
        lev = leverages[sym]
        caps: list[tuple[Decimal, str]] = []
        for b in brackets:
            where = f"leverageBracket {sym}"
            unit_field = "qtyCap" if isinstance(b, dict) and "qtyCap" in b else "notionalCap"
            if number(b, "initialLeverage", where) >= lev:
                caps.append((number(b, unit_field, where), unit_field))
        if caps:
            cap, unit_field = max(caps)
            out[sym] = Cap(lev, cap, "quantity" if unit_field == "qtyCap" else "notional")
    return out


def positions(data: Any) -> list[Position]:
    """(symbol, side, size, mark price) of each open position: size is the notional, or
    for COIN-M the base-asset quantity (``notionalValue`` is in the coin)."""
    if not isinstance(data, list):
        raise SchemaError("positionRisk: expected a list")
    out: list[Position] = []
    for item in data:
        if not isinstance(item, dict) or not isinstance(item.get("symbol"), str):
            continue
        where = f"positionRisk {item['symbol']}"
        if number(item, "positionAmt", where) == 0:
            continue
        key = "notional" if "notional" in item else "notionalValue"
        amount = abs(number(item, key, where))
        mark = _dec(item.get("markPrice"))
        out.append(Position(item["symbol"], str(item.get("positionSide", "BOTH")), amount, mark))
    return out


def fmt_amount(amount: Decimal, unit: str) -> str:
    return f"{amount:f}" if unit == "notional" else f"{amount.normalize():f} (base asset)"


def _dec(value: Any) -> Decimal | None:
    try:
        d = Decimal(str(value))
    except (InvalidOperation, ValueError):
        return None
    return d if d.is_finite() else None
