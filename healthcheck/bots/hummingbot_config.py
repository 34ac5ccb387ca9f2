"""hummingbot's strategy and controller files: which Binance market, pair and order size they use.

Two shapes (hummingbot/hummingbot, ``hummingbot/templates/`` and ``strategy_v2/controllers``):

* V1 strategy files (``conf/strategies/*.yml``): ``exchange`` (spot strategies) or
  ``derivative`` (perpetual ones) with ``market`` (``BTC-USDT``) and ``order_amount`` in the
  *base* asset, whose notional a run takes at the current price; ``perpetual_market_making``
  adds ``position_mode`` (``One-way`` | ``Hedge``); ``spot_perpetual_arbitrage`` names
  ``spot_connector``/``spot_market`` and ``perpetual_connector``/``perpetual_market``.
* V2 controller files (``conf/controllers/*.yml``): ``connector_name``, ``trading_pair``,
  ``total_amount_quote`` and ``position_mode`` (``HEDGE`` | ``ONEWAY``, pydantic default
  ``HEDGE``). A market-making controller splits ``total_amount_quote`` over its
  ``buy_spreads``/``sell_spreads`` levels by ``buy_amounts_pct``/``sell_amounts_pct`` (equal
  when empty): the smallest level is the order size judged.

Connectors ``binance`` (spot) and ``binance_perpetual`` / ``binance_perpetual_testnet``
(USD-M futures) are Binance; any other is refused. API keys never live in these files
(hummingbot keeps them encrypted in ``conf/connectors``) and none would be read.
"""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

import yaml

from healthcheck.bots.derived import (
    BOT_CONFIG_MAX_BYTES,
    BotConfigError,
    Derived,
    Stake,
    pair_to_symbol,
)
from healthcheck.model.markets import MARKETS
from healthcheck.storage import files

CONNECTORS = {
    "binance": "spot",
    "binance_perpetual": "usdm",
    "binance_perpetual_testnet": "usdm",
}
V1_PAIRS = (  # (connector key, pair key) in the V1 strategies that name their markets this way
    ("exchange", "market"),
    ("derivative", "market"),
    ("spot_connector", "spot_market"),
    ("perpetual_connector", "perpetual_market"),
)


def _show(value: Any) -> str:
    if isinstance(value, str):
        return repr(value) if len(value) <= 40 else repr(value[:37] + "...")
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    return repr(value)


def read_yaml(path: Path) -> dict[str, Any]:
    """Given a hummingbot YAML file, return its mapping; raise BotConfigError naming the file."""
    try:
        text = files.read_text(path, max_bytes=BOT_CONFIG_MAX_BYTES, what="bot config")
    except files.FileRefused as exc:
        raise BotConfigError(str(exc)) from None
    where = f"bot config {str(path)!r}"
    if "\0" in text:
        raise BotConfigError(f"{where} is binary, not YAML")
    try:
        data = yaml.safe_load(text)  # safe_load: no Python objects, no code
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark
        at = f" at line {mark.line + 1} column {mark.column + 1}" if mark else ""
        raise BotConfigError(f"{where}: invalid YAML{at}: {exc.problem}") from None
    except (yaml.YAMLError, RecursionError, ValueError) as exc:
        raise BotConfigError(f"{where}: invalid YAML: {str(exc).splitlines()[0][:80]}") from None
    if not isinstance(data, dict):
        raise BotConfigError(f"{where}: must hold a mapping of keys, not {_show(data)}")
    return data


def _market(path: Path, key: str, connector: Any) -> str:
    if not isinstance(connector, str) or connector not in CONNECTORS:
        raise BotConfigError(
            f"bot config {path}: {key}: {_show(connector)} is not a Binance connector "
            f"({', '.join(CONNECTORS)})"
        )
    return CONNECTORS[connector]


def _symbol(path: Path, key: str, pair: Any) -> str:
    sym = pair_to_symbol(pair) if isinstance(pair, str) else ""
    if not isinstance(pair, str) or "-" not in pair or not re.fullmatch(r"[A-Z0-9]{2,30}", sym):
        raise BotConfigError(f"bot config {path}: {key}: {_show(pair)} is not a pair like BTC-USDT")
    return sym


def _decimal(path: Path, key: str, value: Any) -> Decimal:
    if isinstance(value, bool) or not isinstance(value, int | float | str | Decimal):
        raise BotConfigError(f"bot config {path}: {key}: must be a number, not {_show(value)}")
    try:
        dec = Decimal(str(value).strip())
    except InvalidOperation:
        raise BotConfigError(
            f"bot config {path}: {key}: must be a number, not {_show(value)}"
        ) from None
    if not dec.is_finite() or dec <= 0 or not -30 <= dec.adjusted() <= 30:
        raise BotConfigError(f"bot config {path}: {key}: must be a number above 0, not {value!r}")
    return dec


def _position_mode(path: Path, key: str, value: Any) -> str:
    norm = re.sub(r"[^a-z]", "", str(value).lower()) if isinstance(value, str) else ""
    if norm == "oneway":
        return "one-way"
    if norm == "hedge":
        return "hedge"
    raise BotConfigError(
        f"bot config {path}: {key}: {_show(value)} is not a position mode (One-way/ONEWAY, "
        "Hedge/HEDGE)"
    )


def _pcts(path: Path, key: str, value: Any, levels: int) -> list[Decimal]:
    """A list of level shares, as hummingbot parses it (a list or "1,2"; empty: equal)."""
    if value is None or value == "":
        return [Decimal(1)] * levels
    items = value.split(",") if isinstance(value, str) else value
    if not isinstance(items, list):
        raise BotConfigError(f"bot config {path}: {key}: must be a list, not {_show(value)}")
    return [_decimal(path, key, v) for v in items]


def _levels(value: Any) -> int:
    if isinstance(value, str):
        return len([v for v in value.split(",") if v.strip()])
    return len(value) if isinstance(value, list) else 0


def derive(data: dict[str, Any], path: Path) -> Derived:
    """Given a hummingbot V1 strategy or V2 controller mapping, return what it says in our
    terms; raise BotConfigError naming the file and key."""
    if "connector_name" in data or "controller_name" in data:
        return _v2(data, path)
    return _v1(data, path)


def _v1(data: dict[str, Any], path: Path) -> Derived:
    strategy = data.get("strategy")
    symbols: dict[str, list[str]] = {}
    used: list[str] = []
    for ckey, pkey in V1_PAIRS:
        if ckey in data and data.get(ckey) is not None:
            market = _market(path, ckey, data[ckey])
            sym = _symbol(path, pkey, data.get(pkey))
            symbols.setdefault(market, [])
            if sym not in symbols[market]:
                symbols[market].append(sym)
            used += [ckey, pkey]
    if not symbols:
        return Derived(
            bot="hummingbot",
            path=path,
            files=(path,),
            symbols_unknown=(
                f"{path}: strategy {_show(strategy)} names no exchange/derivative and market "
                "this tool reads: set markets and symbols in this account of our config"
            ),
        )
    values: dict[str, Any] = {
        "markets": tuple(symbols),
        "symbols": {m: tuple(s) for m, s in symbols.items()},
    }
    src = {
        "markets": f"{path}: {', '.join(used[0::2])}",
        "symbols": f"{path}: {', '.join(used[1::2])}",
    }
    if any(MARKETS[m].futures for m in symbols):
        mode = data.get("position_mode")
        if mode is not None:
            values["position_mode"] = _position_mode(path, "position_mode", mode)
            src["position_mode"] = f"{path}: position_mode"
    stake = None
    if data.get("order_amount") is not None:
        amount = _decimal(path, "order_amount", data["order_amount"])
        stake = Stake("base", f"{path}: order_amount (in the base asset)", amount=amount)
    return Derived(
        bot="hummingbot",
        path=path,
        files=(path,),
        values=values,
        sources=src,
        stake=stake,
    )


def _v2(data: dict[str, Any], path: Path) -> Derived:
    market = _market(path, "connector_name", data.get("connector_name"))
    sym = _symbol(path, "trading_pair", data.get("trading_pair"))
    values: dict[str, Any] = {"markets": (market,), "symbols": {market: (sym,)}}
    src = {"markets": f"{path}: connector_name", "symbols": f"{path}: trading_pair"}
    if MARKETS[market].futures:
        # the controllers' pydantic default is HEDGE
        values["position_mode"] = _position_mode(
            path, "position_mode", data.get("position_mode") or "HEDGE"
        )
        src["position_mode"] = f"{path}: position_mode" + (
            "" if data.get("position_mode") else " (not set: hummingbot's default HEDGE)"
        )
    stake = None
    if data.get("total_amount_quote") is not None:
        total = _decimal(path, "total_amount_quote", data["total_amount_quote"])
        buys, sells = _levels(data.get("buy_spreads")), _levels(data.get("sell_spreads"))
        size = total
        how = "total_amount_quote"
        if buys or sells:
            shares = _pcts(path, "buy_amounts_pct", data.get("buy_amounts_pct"), buys) + _pcts(
                path, "sell_amounts_pct", data.get("sell_amounts_pct"), sells
            )
            size = total * min(shares) / sum(shares)
            how = "total_amount_quote x the smallest level's share of *_amounts_pct"
        stake = Stake("quote", f"{path}: {how}", amount=size)
        values["order_size"] = {"default": size}
        src["order_size"] = f"{path}: {how}"
    return Derived(
        bot="hummingbot",
        path=path,
        files=(path,),
        values=values,
        sources=src,
        stake=stake,
    )


def read(path: Path) -> Derived:
    """Given a hummingbot YAML file, return what it says; raise BotConfigError (one line)."""
    return derive(read_yaml(path), path)
