"""What a bot's config says about its account, in our own terms, and where each value came from.

A reader (:mod:`healthcheck.bots.freqtrade_config`, :mod:`healthcheck.bots.hummingbot_config`)
turns a bot's file into a :class:`Derived`: values for our ``[[accounts]]`` keys (``markets``,
``symbols``, ``order_size``, ``position_mode``, ``multi_assets_margin``), each with the file and
key it came from, plus what only a run can resolve: a stake sized from the balance
(freqtrade's ``"unlimited"``) or an amount in the base asset (hummingbot's ``order_amount``),
and freqtrade's own minimum-stake rule. Nothing here reads a file or talks to Binance.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any, Literal

# the [[accounts]] keys a bot config can fill; a key written in our config wins
DERIVABLE_KEYS = ("markets", "symbols", "order_size", "position_mode", "multi_assets_margin")
BOT_KINDS = ("freqtrade", "hummingbot")
BOT_CONFIG_MAX_BYTES = 1024 * 1024  # a freqtrade config with a long whitelist is tens of KB


class BotConfigError(Exception):
    """The bot's config cannot be used; ``str()`` is one line naming the file and the key."""


@dataclass(frozen=True)
class Stake:
    """How big one order of the bot is, as far as only a run can tell (price, balance).

    ``quote``: ``amount`` in the quote asset; ``base``: ``amount`` in the base asset, its notional
    taken at the current price; ``unlimited`` (freqtrade): the free ``currency`` balance x
    ``ratio`` / ``max_open_trades`` (``available_capital`` instead of the balance when set).
    """

    kind: Literal["quote", "base", "unlimited"]
    source: str  # "FILE: KEY", for messages
    amount: Decimal | None = None
    currency: str | None = None
    ratio: Decimal = Decimal("0.99")
    max_open_trades: int | None = None
    available_capital: Decimal | None = None

    def describe(self) -> str:
        if self.kind == "base":
            return f"{self.amount} of the base asset x the current price"
        if self.kind == "quote":
            return f"{self.amount} {self.currency or '(quote asset)'}"
        base = (
            f"available_capital {self.available_capital}"
            if self.available_capital is not None
            else f"free {self.currency} x tradable_balance_ratio {self.ratio}"
        )
        return f"unlimited: {base} / max_open_trades {self.max_open_trades}, read each run"

    def unlimited_size(self, free: Decimal) -> Decimal:
        """Given the free balance of the stake currency, return freqtrade's stake for a first
        trade (``wallets.py``: ``_calculate_unlimited_stake_amount``, no trade open)."""
        if not self.max_open_trades:
            return Decimal(0)
        total = self.available_capital if self.available_capital is not None else free * self.ratio
        available = min(total, free)
        return max(Decimal(0), min(total / self.max_open_trades, available))


@dataclass(frozen=True)
class MinStakeRule:
    """freqtrade's own minimum stake (``exchange.py`` ``_get_stake_amount_limit``, 2026.9).

    ``min_stake = max(min_cost x stoploss_reserve, min_amount x price x margin_reserve) / leverage``
    with ``margin_reserve = 1 + amount_reserve_percent`` and ``stoploss_reserve =
    clamp(margin_reserve / (1 - |stoploss|), 1, 1.5)``; a stake more than 30 % below it is
    ignored (``wallets.py`` ``validate_stake_amount``), a stake below it but within 30 % is raised
    to it.
    """

    stoploss: Decimal | None  # None: neither the config nor the strategy's source says: the cap
    stoploss_source: str
    amount_reserve_percent: Decimal = Decimal("0.05")
    leverage: Decimal = Decimal(1)

    def stoploss_reserve(self) -> Decimal:
        margin_reserve = 1 + self.amount_reserve_percent
        if self.stoploss is None or abs(self.stoploss) == 1:
            return Decimal("1.5")
        reserve = margin_reserve / (1 - abs(self.stoploss))
        return max(min(reserve, Decimal("1.5")), Decimal(1))

    def min_stake(self, min_cost: Decimal, min_amount: Decimal, price: Decimal) -> Decimal:
        """Given a market's minimum notional and quantity and the price, return the stake below
        which freqtrade adjusts (or, 30 % below, ignores) a trade."""
        margin_reserve = 1 + self.amount_reserve_percent
        limits = [min_cost * self.stoploss_reserve(), min_amount * price * margin_reserve]
        return max(limits) / (self.leverage or 1)

    def describe_stoploss(self) -> str:
        if self.stoploss is None:
            return (
                "no stoploss in the bot's config or its strategy's source: freqtrade's 1.5 "
                "reserve cap is assumed (write `stoploss` in the bot's config to be exact)"
            )
        return f"stoploss {self.stoploss} from {self.stoploss_source}"


@dataclass(frozen=True)
class Derived:
    """What one bot config says, in our terms. ``values`` holds our keys (see DERIVABLE_KEYS);
    ``sources`` says for each which file and key it came from."""

    bot: str
    path: Path
    files: tuple[Path, ...]  # every file read (add_config_files too): watched for changes
    values: dict[str, Any] = field(default_factory=dict)
    sources: dict[str, str] = field(default_factory=dict)
    stake: Stake | None = None
    min_stake: MinStakeRule | None = None  # freqtrade only
    margin_mode: str | None = None  # futures: "isolated" | "cross" (freqtrade sets it per entry)
    symbols_unknown: str | None = None  # why the pairs cannot be known from the file
    notes: tuple[str, ...] = ()


def pair_to_symbol(pair: str) -> str:
    """Given a bot's pair (``BTC/USDT:USDT``, ``BTC/USDT``, ``BTC-USDT``), return ``BTCUSDT``."""
    base_quote = pair.split(":", 1)[0]
    return base_quote.replace("/", "").replace("-", "").strip().upper()


Fingerprint = tuple[tuple[str, int, int, int, int], ...]


def fingerprint(paths: tuple[Path, ...]) -> Fingerprint:
    """Given the files of a bot config, return what changes when one is edited or replaced:
    (path, device, inode, size, mtime in ns) each; a missing file gives zeros."""
    out = []
    for p in paths:
        try:
            st = os.stat(p)
            out.append((str(p), st.st_dev, st.st_ino, st.st_size, st.st_mtime_ns))
        except OSError:
            out.append((str(p), 0, 0, -1, 0))
        except ValueError:  # a NUL in the path
            out.append((str(p), 0, 0, -1, 0))
    return tuple(out)
