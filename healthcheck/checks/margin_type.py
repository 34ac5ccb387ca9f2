"""freqtrade's margin type (-4048): before each entry freqtrade sets the symbol's margin type to
its ``margin_mode``; Binance refuses the change while a position is held in the other type, and
the entry fails with it (CRITICAL on the bot's symbols, WARNING on others while its pairs are
unknown). Read from a row's ``margin_types`` answer (USD-M's symbolConfig ``marginType``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from healthcheck.checks.base import Finding
from healthcheck.checks.leverage_caps import Position
from healthcheck.model.result import Status

if TYPE_CHECKING:
    from healthcheck.exchange.account import AccountConfig


def margin_type_findings(
    acc: AccountConfig,
    market: str,
    config: Any,
    positions: list[Position],
) -> list[Finding]:
    """Given one market's margin-type answer (a list of ``symbol``/``marginType``, e.g.
    symbolConfig) and its positions, return what makes freqtrade's margin-type call before
    an entry fail (-4048)."""
    bot = acc.bot
    if bot is None or bot.derived.margin_mode is None:
        return []
    want = bot.derived.margin_mode  # "isolated" | "cross"
    if not isinstance(config, list):
        return []
    types = {
        item["symbol"]: str(item.get("marginType", "")).upper()
        for item in config
        if isinstance(item, dict) and isinstance(item.get("symbol"), str)
    }
    wanted_type = "ISOLATED" if want == "isolated" else "CROSSED"
    bot_symbols = acc.symbols_for(market)
    out: list[Finding] = []
    for sym in dict.fromkeys(s for s, _side, _amount, _mark in positions):
        have = types.get(sym)
        if not have or have == wanted_type or have not in ("ISOLATED", "CROSSED"):
            continue
        if bot_symbols and sym not in bot_symbols:
            continue  # a position the bot does not trade: its margin type is not asked
        shown = "isolated" if have == "ISOLATED" else "cross"
        text = (
            f"{sym} holds a position in {shown} margin, but the bot's margin_mode is "
            f"{want!r} (in {bot.config}): freqtrade sets "
            "the margin type before each entry and Binance refuses with -4048 (margin type "
            "cannot be changed if there exists position), so its entries on "
            f"{sym} fail"
        )
        fix = (
            f"close the {sym} position opened in {shown} margin (or switch the symbol by "
            f"hand once it is flat), or set margin_mode to {shown!r} in the bot's config"
        )
        if bot_symbols:
            out.append(Finding(Status.CRITICAL, text, [-4048], fix))
        else:
            out.append(
                Finding(
                    Status.WARNING,
                    text + " if the bot trades it",
                    [],
                    fix,
                    risk_codes=[-4048],
                )
            )
    return out
