"""The bots' own words: freqtrade's and hummingbot's messages for an exchange rule they enforce
themselves, mapped to the Binance code the rule stands for and the check that predicts it.

freqtrade never sends an order it knows Binance would refuse: a stake below the symbol's minimum
is ignored at INFO level, Hedge Mode stops it at start-up. Those lines hold no Binance code, so
the code parser alone reads them as "no Binance errors". Every pattern below is a format string
of the bot's source (freqtrade 2026.9 ``wallets.py``, ``exchange/binance.py``; hummingbot
``connector/exchange_py_base.py`` + ``connector/client_order_tracker.py`` at 2bfaccc), filled in
as the code fills it; the fixtures in tests/fixtures/freqtrade/watch-*.log were captured from a
real freqtrade run against the simulator.

Lines where the bot reports a Binance error in its own words *with* the code inside (``Unable to
create trade for PAIR: ... binance {"code":-4164,...}``, ``Could not set margin mode ...
{"code":-4048,...}``) need no entry here: the code parser finds the code. :class:`RetryChain`
makes one freqtrade retry chain (``... Retrying still for N times.`` ... ``Giving up.`` and the
caller's ``Unable to ...`` line) count as one event.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from healthcheck.model.result import Status

# hummingbot's client order ids start with the connector's prefix (binance_constants.py
# HBOT_ORDER_ID_PREFIX, binance_perpetual_constants.py BROKER_ID): the only product hint a
# hummingbot order line carries, its pairs (BTC-USDT) being the same on spot and perpetual
HB_PREFIXES = {"x-MG43PCSN": "spot", "x-nbQe1H39": "usdm"}


@dataclass(frozen=True)
class BotWords:
    """One message a bot writes for a rule it enforces itself."""

    bot: str  # freqtrade | hummingbot
    key: str
    pattern: re.Pattern[str]
    codes: dict[str, int]  # product -> the Binance code this refusal stands for
    predicted_by: str  # the check that sees the cause before the bot does
    meaning: str  # what the bot did; {pair}, {stake}, {min} ... from the pattern's groups
    fix: str
    status: Status  # severity once it counts (the [[watch]] severity table still wins)

    def code_for(self, product: str | None) -> tuple[int, str]:
        """Given the line's product (None: unknown), return (code, product); an unknown product
        takes the first entry (freqtrade's default trading_mode is spot)."""
        if product in self.codes:
            return self.codes[product], product
        first = next(iter(self.codes))
        return self.codes[first], first

    def explain(self, text: str) -> str:
        """Given the matched text, return the meaning with the line's own figures."""
        m = self.pattern.search(text)
        groups = {k: v for k, v in (m.groupdict() if m else {}).items() if v is not None}
        try:
            return self.meaning.format(**groups)
        except (KeyError, IndexError):
            return self.meaning.split(" (")[0]


_NUM = r"[-+0-9.eE]+"
WORDS: tuple[BotWords, ...] = (
    BotWords(
        "freqtrade",
        "stake_ignored",
        # wallets.py validate_stake_amount (INFO): preceded by "Stake amount for pair {pair} is
        # too small ({stake} < {min}), adjusting to {min}." which alone is no failure (the trade
        # goes ahead at the minimum)
        re.compile(
            r"Adjusted stake amount for pair (?P<pair>\S+) is more than 30% bigger than the "
            r"desired stake amount of \((?P<stake>" + _NUM + r") \* 1\.3 = " + _NUM + r"\) < "
            r"(?P<min>" + _NUM + r")\), ignoring trade\."
        ),
        {"spot": -1013, "usdm": -4164, "coinm": -4178},
        "symbols",
        "freqtrade ignored the trade on {pair} itself: the stake {stake} is more than 30 % "
        "below its minimum stake {min} (the symbol's minimum notional or lot size plus "
        "freqtrade's stoploss reserve), so no order is sent and the pair never trades",
        "raise stake_amount to at least the minimum stake freqtrade printed (or lower "
        "max_open_trades for an unlimited stake), or remove the pair",
        Status.CRITICAL,
    ),
    BotWords(
        "freqtrade",
        "stake_over_balance",
        # wallets.py validate_stake_amount (WARNING)
        re.compile(
            r"Minimum stake amount > available balance\. (?P<min>" + _NUM + r") > "
            r"(?P<available>" + _NUM + r")"
        ),
        {"spot": -2010, "usdm": -2019},
        "balance",
        "freqtrade skipped the entry itself: its minimum stake {min} is more than the "
        "available balance {available}",
        "add funds to the wallet the bot trades from (spot or USD-M futures), or free balance "
        "held by open orders and positions",
        Status.CRITICAL,
    ),
    BotWords(
        "freqtrade",
        "balance_below_stake",
        # wallets.py _check_available_stake_amount (DependencyException), logged by
        # freqtradebot.py as "Unable to create trade for {pair}: {exception}" (WARNING)
        re.compile(
            r"Available balance \((?P<available>" + _NUM + r") (?P<currency>\w+)\) is lower than "
            r"stake amount \((?P<stake>" + _NUM + r") \w+\)"
        ),
        {"spot": -2010, "usdm": -2019},
        "balance",
        "freqtrade skipped the entry itself: the available balance {available} {currency} is "
        "below the stake {stake} {currency}",
        "add funds to the wallet the bot trades from (spot or USD-M futures), lower "
        "stake_amount, or free balance held by open orders and positions",
        Status.CRITICAL,
    ),
    BotWords(
        "freqtrade",
        "hedge_mode",
        # exchange/binance.py additional_exchange_init (OperationalException, logged at ERROR by
        # main.py; the text starts with a newline, so it is a line of its own)
        re.compile(r"Hedge Mode is not supported by freqtrade\."),
        {"usdm": -4061},
        "position_mode",
        "freqtrade refused to start: the USD-M futures account is in Hedge Mode and freqtrade "
        "trades One-way only (its orders would get -4061)",
        "switch Binance Futures > Preferences > Position Mode to One-way (no open positions or "
        "orders allowed), then restart the bot",
        Status.CRITICAL,
    ),
    BotWords(
        "freqtrade",
        "multi_assets",
        # exchange/binance.py additional_exchange_init (only when margin_mode is not cross)
        re.compile(r"Multi-Asset Mode is not supported by freqtrade\."),
        {"usdm": -4168},
        "position_mode",
        "freqtrade refused to start: the USD-M futures account is in Multi-Assets Mode, where "
        "isolated margin cannot be set (Binance answers -4168); freqtrade allows it only with "
        "margin_mode cross",
        "switch Binance Futures > Preferences > Asset Mode to Single-Asset, or set freqtrade's "
        'margin_mode to "cross"',
        Status.CRITICAL,
    ),
    BotWords(
        "freqtrade",
        "clock_offset",
        # exchange/exchange.py check_time_offset (WARNING, at start-up, when |offset| > 1.5 s)
        re.compile(
            r"Your system time deviates by (?P<offset>" + _NUM + r")s from the time of "
            r"(?P<exchange>\w+)\. This can cause failing requests"
        ),
        {"spot": -1021, "usdm": -1021, "coinm": -1021},
        "clock",
        "freqtrade measured this machine's clock {offset} s off {exchange}'s at start-up; signed "
        "requests fail with -1021 once it is 1 s ahead or further behind than recvWindow",
        "sync the machine's clock (chrony or systemd-timesyncd: `timedatectl set-ntp true`, "
        "`chronyc makestep`), then restart the bot",
        Status.WARNING,
    ),
    BotWords(
        "hummingbot",
        "notional_below_min",
        # connector/exchange_py_base.py _create_order: ValueError in the order's failure update,
        # logged by client_order_tracker.py "Order {id} has failed. Order Update: {update}"
        re.compile(
            r"Order notional (?P<notional>" + _NUM + r") is lower than minimum notional size "
            r"(?P<min>" + _NUM + r") for the pair (?P<pair>[A-Z0-9]+-[A-Z0-9]+)\. The order will "
            r"not be created\."
        ),
        {"spot": -1013, "usdm": -4164},
        "symbols",
        "hummingbot did not send the order on {pair}: its notional {notional} is below the "
        "symbol's minimum notional {min}",
        "raise order_amount (or total_amount_quote) so each order is worth more than the "
        "symbol's minimum notional",
        Status.WARNING,
    ),
    BotWords(
        "hummingbot",
        "amount_below_min",
        re.compile(
            r"Order amount (?P<amount>" + _NUM + r") is lower than minimum order size "
            r"(?P<min>" + _NUM + r") for the pair (?P<pair>[A-Z0-9]+-[A-Z0-9]+)\. The order will "
            r"not be created\."
        ),
        {"spot": -1013, "usdm": -4004},
        "symbols",
        "hummingbot did not send the order on {pair}: its amount {amount} is below the "
        "symbol's minimum quantity {min} (LOT_SIZE)",
        "raise order_amount above the symbol's minimum quantity",
        Status.WARNING,
    ),
)

# literal fragments for the cheap candidate scan (parse.CANDIDATE)
CANDIDATE_WORDS = (
    r"ignoring trade\.",
    r"Minimum stake amount > ",
    r"is lower than stake amount",
    r"Your system time deviates by",
    r"Mode is not supported by freqtrade",
    r"The order will not be created",
)


def find(line: str) -> tuple[BotWords, str] | None:
    """Given a line, return the bot message it holds and the matched text, if any."""
    for w in WORDS:
        m = w.pattern.search(line)
        if m:
            return w, m.group(0)
    return None


def words_for(msg: str) -> BotWords | None:
    """Given an occurrence's msg (the matched text, as stored), return its bot message."""
    found = find(msg)
    return found[0] if found else None


def hummingbot_product(line: str) -> str | None:
    for prefix, product in HB_PREFIXES.items():
        if prefix in line:
            return product
    return None


# freqtrade exchange/common.py retrier: f'{f.__name__}() returned exception: "{ex}". ' + either
# f"Retrying still for {count} times." or "Giving up."
_RETRY = re.compile(
    r"(\w+)\(\) returned exception: \"(.*)\"\. (?:Retrying still for (\d+) times\.|(Giving up\.))"
)
CHAIN_LINES = 8  # candidate lines after "Giving up." in which the caller's line is looked for


@dataclass
class RetryChain:
    """Counts one freqtrade retry chain once: the first ``Retrying still`` line counts; the
    following retries of the same call and text, the ``Giving up.`` line and the caller's line
    that repeats the same exception text (``Unable to create trade for ...: <text>``) do not.
    A count that does not go down starts a new chain (the bot's next attempt)."""

    text: str = ""
    left: int = -1
    after_give_up: int = 0  # candidate lines left in which the caller's line may follow
    skipped: int = field(default=0)

    def counts(self, line: str) -> bool:
        """Given a line holding an error, return False if it repeats the current chain."""
        m = _RETRY.search(line)
        if m is None:
            if self.after_give_up > 0:
                self.after_give_up -= 1
                if self.text and self.text in line:
                    self.after_give_up = 0
                    self.skipped += 1
                    return False
            return True
        text = m.group(2)
        if m.group(4):  # Giving up.
            same = text == self.text and self.left >= 0
            self.text, self.left, self.after_give_up = text, -1, CHAIN_LINES
            if same:
                self.skipped += 1
            return not same
        left = int(m.group(3))
        if text == self.text and 0 <= left < self.left:
            self.left = left
            self.skipped += 1
            return False
        self.text, self.left, self.after_give_up = text, left, 0
        return True
