"""Binance error codes this tool predicts: exact texts (as Binance sends them), meaning and fix.

The simulator answers with these texts, and alerts quote them, so one table serves both.
Codes collide across products (-4004 means different things on /sapi and /fapi), so entries are
keyed by code for the products we talk to: spot /api, wallet /sapi and USD-M futures /fapi.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class BinanceError:
    code: int
    name: str
    msg: str
    meaning: str
    fix: str


_ERRORS = [
    BinanceError(-1003, "TOO_MANY_REQUESTS",
                 "Too much request weight used; current limit is %s request weight per %s. "
                 "Please use WebSocket Streams for live updates to avoid polling the API.",
                 "this IP used too much request weight; requests are refused (HTTP 429) and repeated "
                 "violations get the IP banned (HTTP 418) for 2 minutes up to 3 days",
                 "reduce polling on this IP (all processes share the budget), use WebSocket streams, "
                 "and send nothing until the Retry-After time has passed"),
    BinanceError(-1021, "INVALID_TIMESTAMP",
                 "Timestamp for this request is outside of the recvWindow.",
                 "the request timestamp is 1000 ms or more ahead of Binance's clock, or older than "
                 "recvWindow",
                 "sync the machine's clock (chrony or systemd-timesyncd: `timedatectl set-ntp true`, "
                 "`chronyc makestep`), and keep recvWindow at 5000 ms or less"),
    BinanceError(-1022, "INVALID_SIGNATURE",
                 "Signature for this request is not valid.",
                 "the request signature does not match the API key: wrong secret or private key",
                 "check that the API secret (or private key) belongs to this API key; re-create the "
                 "key if the secret was lost"),
    BinanceError(-2014, "BAD_API_KEY_FMT", "API-key format invalid.",
                 "the API key is not a well-formed Binance key (wrong length, stray whitespace or "
                 "quotes)",
                 "copy the 64-character key again without spaces, quotes or line breaks"),
    BinanceError(-2015, "REJECTED_MBX_KEY", "Invalid API-key, IP, or permissions for action.",
                 "Binance rejected the key: it does not exist, this IP is not on its whitelist, or "
                 "it lacks the permission for this endpoint",
                 "check the key in Binance API Management: that it exists, that this server's IP "
                 "is whitelisted and that the needed permissions are ticked"),
    BinanceError(-2010, "NEW_ORDER_REJECTED", "Account has insufficient balance for requested action.",
                 "the spot order was rejected (insufficient balance, or trading disabled)",
                 "top up the spot wallet, or check that the account may trade"),
    BinanceError(-2018, "BALANCE_NOT_SUFFICIENT", "Balance is insufficient.",
                 "the futures wallet balance is too low for the order",
                 "transfer funds to the USD-M futures wallet or reduce order size"),
    BinanceError(-2019, "MARGIN_NOT_SUFFICIEN", "Margin is insufficient.",
                 "there is not enough available margin for the order",
                 "add margin to the futures wallet, reduce positions or leverage"),
    BinanceError(-4061, "POSITION_SIDE_NOT_MATCH",
                 "Order's position side does not match user's setting.",
                 "the futures position mode (One-way/Hedge) differs from what the bot sends",
                 "switch the position mode back in Binance (Futures > Preferences > Position Mode; "
                 "needs no open positions or orders) or reconfigure the bot"),
    BinanceError(-4088, "NO_PLACE_ORDER_PERMISSION", "User can not place order currently.",
                 "the futures account may not place orders at all (canTrade is false)",
                 "contact Binance support; check account notifications and restrictions"),
    BinanceError(-4189, "ACCOUNT_REDUCE_ONLY",
                 "Restricted account permission: can only place reduceOnly order on the symbol.",
                 "the account is restricted to reduce-only orders",
                 "only closing orders go through; check Binance notifications and contact support"),
    BinanceError(-4400, "TRADING_QUANTITATIVE_RULE",
                 "Futures Trading Quantitative Rules violated, only reduceOnly order is allowed, "
                 "please try again later.",
                 "the account broke the futures quantitative trading rules (e.g. too many unfilled "
                 "or cancelled orders) and is locked to reduce-only orders until the recover time",
                 "stop placing new orders until the planned recover time, then lower the bot's "
                 "order/cancel rate (UFR, IFER, GCR, DR indicators)"),
    BinanceError(-4401, "LARGE_POSITION_SYM_RULE",
                 "Futures Trading Risk Control Rules of large position holding violated, only "
                 "reduceOnly order is allowed, please reduce the position. .",
                 "the position is too large under the risk-control rules; reduce-only until reduced",
                 "reduce the position"),
    BinanceError(-4087, "REDUCE_ONLY_ORDER_PERMISSION", "User can only place reduce only order.",
                 "the user may only place reduce-only orders", "contact Binance support"),
    BinanceError(-4164, "MIN_NOTIONAL",
                 "Order's notional must be no smaller than 5.0 (unless you choose reduce only).",
                 "the test order is below the symbol's minimum notional",
                 "raise test_order_quantity for this symbol"),
    BinanceError(-1013, "INVALID_MESSAGE", "Filter failure: LOT_SIZE",
                 "the test order failed a symbol filter", "adjust test_order_quantity"),
    BinanceError(-1121, "BAD_SYMBOL", "Invalid symbol.", "the symbol does not exist on this market",
                 "fix test_order_symbols"),
    BinanceError(-1131, "BAD_RECV_WINDOW", "recvWindow must be less than 60000",
                 "recvWindow is above Binance's maximum", "use recvWindow_ms of 60000 or less"),
    BinanceError(-1102, "MANDATORY_PARAM_EMPTY_OR_MALFORMED",
                 "Mandatory parameter '%s' was not sent, was empty/null, or malformed.",
                 "a required parameter was missing", "fix the request"),
    BinanceError(-1100, "ILLEGAL_CHARS", "Illegal characters found in parameter '%s'; legal range is '%s'.",
                 "a parameter had illegal characters", "fix the request"),
    BinanceError(-1008, "SERVER_BUSY",
                 "Server is currently overloaded with other requests. Please try again in a few minutes.",
                 "Binance is overloaded", "retry with backoff"),
    BinanceError(-4059, "NO_NEED_TO_CHANGE_POSITION_SIDE", "No need to change position side.",
                 "the requested futures position mode is already set",
                 "nothing to do"),
    BinanceError(-1001, "DISCONNECTED",
                 "Internal error; unable to process your request. Please try again.",
                 "Binance had an internal error; the request failed", "retry with backoff"),
    BinanceError(-1000, "UNKNOWN", "An unknown error occurred while processing the request.",
                 "Binance had an internal error", "retry later"),
]

ERRORS: dict[int, BinanceError] = {e.code: e for e in _ERRORS}


def describe(code: int) -> str:
    """Given a Binance error code, return "-4061 POSITION_SIDE_NOT_MATCH (meaning)" for humans."""
    err = ERRORS.get(code)
    if err is None:
        return f"{code}"
    return f"{code} {err.name} ({err.meaning})"


def fix_for(code: int) -> str:
    err = ERRORS.get(code)
    return err.fix if err else ""
