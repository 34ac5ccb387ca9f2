"""The Binance error catalogue: one entry per (product, code), the only table of Binance errors.

Each entry holds Binance's own texts (with ``{placeholders}`` where Binance puts a figure), what
the code means, its usual causes, the fix and the check that predicts it. Alerts, ``explain``,
the metrics, the checks, the bot-log watcher and the simulator all read it.

Codes collide across products (-4004 is "you are not logged in" on /sapi and "quantity below
minimum" on /fapi), so every lookup names the product:
  spot  = /api (spot and margin orders)    sapi  = /sapi (wallet, capital, sub-accounts)
  usdm  = /fapi (USD-M futures)            coinm = /dapi (COIN-M futures)
  http  = an HTTP status without a Binance code (403, 418, 429)
Under Portfolio Margin the bot's futures orders go through /papi; a finding read there names the
product of the futures row it stands for (usdm or coinm, see checks.base.row_product), so no
entry is keyed by "papi".
Texts are Binance's own (binance-spot-api-docs errors.md and the futures error pages, see
../shared/order-facts.md); meanings, causes and fixes are ours.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

PRODUCTS = ("spot", "sapi", "usdm", "coinm")
PRODUCT_NAMES = {
    "spot": "spot /api",
    "sapi": "wallet /sapi",
    "usdm": "USD-M futures /fapi",
    "coinm": "COIN-M futures /dapi",
    "http": "HTTP status, no Binance code",
}
ALL = PRODUCTS
FUT = ("usdm", "coinm")
ONLY_LOG = ""  # predicted_by for codes no read endpoint can foresee


# What a quote says where the caller does not know Binance's figure: never a made-up number.
UNKNOWN_FIGURES = {
    "limit": "the IP's limit in",
    "interval": "minute",
    "until": "the time Binance names",
    "ip": "this server's IP",
    "filter": "one of the symbol's filters",
    "param": "a parameter",
    "legal_range": "the documented range",
    "min_notional": "the symbol's minimum",
}
_PLACEHOLDER = re.compile(r"\{([a-z_]+)\}")


def head(text: str) -> str:
    """Given a catalogue text, return the part before its first placeholder (all if none)."""
    m = _PLACEHOLDER.search(text)
    return text[: m.start()] if m else text


@dataclass(frozen=True)
class CatalogueEntry:
    """One meaning of one code on one or more products."""

    code: int  # negative Binance code, or a positive HTTP status for the "http" product
    products: tuple[str, ...]
    name: str
    texts: tuple[str, ...]  # Binance's msg texts; {name} stands for a figure (UNKNOWN_FIGURES)
    meaning: str
    causes: str
    fix: str
    predicted_by: str = ONLY_LOG  # a check id, or "" when only the bot's log shows it

    def quote(self, variant: int = 0, **figures: object) -> str:
        """Given the figures known (min_notional=100, ip=...), return Binance's text number
        ``variant`` with them filled in, and readable words where a figure is unknown."""
        text = self.texts[min(variant, len(self.texts) - 1)]

        def fill(m: re.Match[str]) -> str:
            value = figures.get(m.group(1))
            if value is None or value == "":
                return UNKNOWN_FIGURES.get(m.group(1), "...")
            return str(value)

        return _PLACEHOLDER.sub(fill, text)

    def to_json(self) -> dict[str, object]:
        return {
            "code": self.code,
            "products": list(self.products),
            "name": self.name,
            "texts": list(self.texts),
            "meaning": self.meaning,
            "causes": self.causes,
            "fix": self.fix,
            "predicted_by": self.predicted_by or None,
        }


_E = CatalogueEntry

_CATALOGUE: list[CatalogueEntry] = [
    # ---- request limits and server state
    _E(
        -1003,
        ("spot", "sapi"),
        "TOO_MANY_REQUESTS",
        (
            "Too much request weight used; current limit is {limit} request weight per {interval}. Please use "
            "WebSocket Streams for live updates to avoid polling the API.",
            "Way too much request weight used; IP banned until {until}. Please use WebSocket Streams for "
            "live updates to avoid bans.",
            "Too many requests queued.",
        ),
        "this IP spent its request-weight budget; Binance refuses requests (HTTP 429) and, if the "
        "client keeps going, bans the IP (HTTP 418) for 2 minutes up to 3 days",
        "several bots or tools on one IP sharing the budget; polling order books or klines instead "
        "of using WebSocket streams; a retry loop without backoff",
        "slow the polling, move live data to WebSocket streams, and send nothing until Retry-After "
        "has passed (a ban grows with every request sent during it)",
        "rate_limit",
    ),
    _E(
        -1003,
        FUT,
        "TOO_MANY_REQUESTS",
        (
            "Too many requests; current limit is {limit} requests per minute. Please use the websocket "
            "for live updates to avoid polling the API.",
            "Way too many requests; IP banned until {until}. Please use the websocket for live updates to "
            "avoid bans.",
        ),
        "this IP spent its futures request-weight budget (2400 per minute on USD-M); requests are "
        "refused (429) and repeated violations ban the IP (418)",
        "polling positionRisk/openOrders without a symbol (weight 5-40 each), several bots on one "
        "IP, retry loops",
        "poll less, pass a symbol where the endpoint allows it, use the user-data stream, and wait "
        "for Retry-After",
        "rate_limit",
    ),
    _E(
        -1008,
        ("spot",),
        "SERVER_BUSY",
        ("Server is currently overloaded with other requests. Please try again in a few minutes.",),
        "Binance's spot servers were overloaded and dropped the request; nothing is wrong with the "
        "account",
        "market-wide spikes (big moves, listings)",
        "retry with backoff; if it lasts, reduce order traffic until the market calms",
    ),
    _E(
        -1008,
        ("sapi",),
        "SERVER_BUSY",
        (
            "Spot server is currently overloaded with other requests. Please try again in a few "
            "minutes.",
        ),
        "Binance's wallet/spot back end was overloaded and dropped the request",
        "market-wide spikes",
        "retry later with backoff",
    ),
    _E(
        -1008,
        FUT,
        "REQUEST_THROTTLED",
        (
            "Server is currently overloaded with other requests. Please try again in a few minutes.",
            "Request throttled by system-level protection. Reduce-only/close-position orders are "
            "exempt. Please try again.",
        ),
        "the futures matching system is throttling new orders during a load spike; orders that "
        "only reduce or close a position still go through",
        "volatile markets; many accounts sending orders at the same moment",
        "retry with backoff; mark closing orders reduceOnly/closePosition so they are exempt",
    ),
    _E(
        -1015,
        ("spot", "sapi"),
        "TOO_MANY_ORDERS",
        (
            "Too many new orders.",
            "Too many new orders; current limit is {limit} orders per {interval}.",
        ),
        "the account placed more new orders than its order-count limit (per 10 s or per day)",
        "a bot re-placing orders in a loop; grid bots with many levels; a bug re-sending on "
        "timeouts",
        "slow down order placement; the limit resets with its interval (GET /api/v3/rateLimit/order "
        "shows the counts)",
        "open_orders",
    ),
    _E(
        -1015,
        FUT,
        "TOO_MANY_ORDERS",
        (
            "Too many new orders.",
            "Too many new orders; current limit is {limit} orders per {interval}.",
        ),
        "the futures account placed more new orders than allowed per 10 s or per minute",
        "a bot amending by cancel+new in a tight loop; too many grid levels",
        "place fewer orders; read X-MBX-ORDER-COUNT-* headers and stay below the limit; "
        "no read endpoint shows the futures count",
    ),
    _E(
        -1000,
        ALL,
        "UNKNOWN",
        ("An unknown error occurred while processing the request.",),
        "Binance failed while handling the request; the order may or may not exist",
        "internal trouble at Binance",
        "query the order by clientOrderId before re-sending it, then retry",
        "system_status",
    ),
    _E(
        -1001,
        ALL,
        "DISCONNECTED",
        ("Internal error; unable to process your request. Please try again.",),
        "Binance had an internal error; the request failed",
        "internal trouble at Binance",
        "retry with backoff; check the order status before re-sending",
        "system_status",
    ),
    # ---- signing and keys
    _E(
        -1021,
        ALL,
        "INVALID_TIMESTAMP",
        (
            "Timestamp for this request is outside of the recvWindow.",
            "Timestamp for this request was 1000ms ahead of the server's time.",
        ),
        "the request's timestamp was too far from Binance's clock: 1 s or more ahead, or older "
        "than recvWindow; every signed call fails the same way",
        "the machine's clock drifted (no NTP, a VM resumed from suspend), a large recvWindow "
        "hiding a slow clock, or a congested network delaying requests",
        "sync the machine's clock (chrony or systemd-timesyncd: `timedatectl set-ntp true`, "
        "`chronyc makestep`), and keep recvWindow at 5000 ms or less",
        "clock",
    ),
    _E(
        -1022,
        ALL,
        "INVALID_SIGNATURE",
        ("Signature for this request is not valid.",),
        "the signature does not match: the secret does not belong to the key, or the signed text "
        "differs from what was sent",
        "wrong or rotated API secret; parameters re-ordered or re-encoded after signing",
        "check that the API secret (or private key) belongs to this API key; re-create the key if"
        " the secret was lost",
        "api_key",
    ),
    _E(
        -2014,
        ALL,
        "BAD_API_KEY_FMT",
        ("API-key format invalid.",),
        "the API key is not shaped like a Binance key",
        "stray spaces, quotes or a newline around the key; an empty environment variable",
        "copy the 64-character key again without spaces, quotes or line breaks",
        "api_key",
    ),
    _E(
        -2015,
        ALL,
        "REJECTED_MBX_KEY",
        (
            "Invalid API-key, IP, or permissions for action.",
            "Invalid API-key, IP, or permissions for action, request ip: {ip}",
        ),
        "Binance refused the key for this call: unknown key, IP not whitelisted, or the key lacks "
        "the permission (spot trading, futures, margin)",
        "the server's public IP changed; the key was deleted or its permissions edited; a testnet "
        "key used on production or the reverse",
        "check the key in Binance API Management: that it exists, that this server's IP is "
        "whitelisted and that the needed permissions are ticked",
        "api_key",
    ),
    _E(
        -1125,
        ("spot",),
        "INVALID_LISTEN_KEY",
        ("This listenKey does not exist.",),
        "the user-data stream key expired or was closed, so the bot stops seeing its fills",
        "no keep-alive sent for 60 minutes; the bot restarted and uses an old key",
        "create a new listenKey and send a keep-alive every 30 minutes",
    ),
    _E(
        -1125,
        FUT,
        "INVALID_LISTEN_KEY",
        (
            "This listenKey does not exist. Please use `POST /fapi/v1/listenKey` to recreate "
            "`listenKey`",
        ),
        "the futures user-data stream key expired; the bot no longer receives order and position "
        "updates",
        "no keep-alive within 60 minutes; a reconnect that reused a closed key",
        "POST a new listenKey and PUT a keep-alive every 30 minutes",
    ),
    # ---- filters and order validity, spot
    _E(
        -1013,
        ("spot",),
        "INVALID_MESSAGE",
        ("Filter failure: {filter}", "Market is closed."),
        "the order broke one of the symbol's rules before reaching the matching engine: price "
        "tick/range (PRICE_FILTER, PERCENT_PRICE), quantity step/range (LOT_SIZE), order value "
        '(NOTIONAL, MIN_NOTIONAL), or the symbol is not trading ("Market is closed.")',
        "rounding with floats instead of the symbol's tick and step; an order too small after a "
        "price drop; a limit price too far from the average price; a halted or delisted symbol",
        "read exchangeInfo for the symbol, round price to tickSize and quantity to stepSize, keep "
        "price x quantity above minNotional, and stop trading symbols that are not TRADING",
        "symbols",
    ),
    _E(
        -1013,
        FUT,
        "INVALID_MESSAGE",
        ("INVALID_MESSAGE.",),
        "the futures order was malformed; futures filter failures use their own -40xx codes",
        "a parameter combination the endpoint does not accept",
        "log the full request and compare it with the endpoint's documentation",
    ),
    _E(
        -1111,
        ("spot",),
        "BAD_PRECISION",
        ("Parameter '{param}' has too much precision.",),
        "a price or quantity had more decimals than the asset allows",
        "float artefacts such as 0.34999999999999",
        "round with Decimal to tickSize/stepSize",
        "symbols",
    ),
    _E(
        -1111,
        ("sapi", "usdm", "coinm"),
        "BAD_PRECISION",
        ("Precision is over the maximum defined for this asset.",),
        "a price or quantity had more decimals than the symbol allows",
        "float artefacts such as 0.34999999999999",
        "round with Decimal to tickSize/stepSize",
        "symbols",
    ),
    _E(
        -1121,
        ALL,
        "BAD_SYMBOL",
        ("Invalid symbol.",),
        "the symbol does not exist on this market",
        "a typo, a delisted symbol, a spot symbol sent to futures or the reverse",
        "use a symbol listed in this market's exchangeInfo",
        "symbols",
    ),
    _E(
        -1100,
        ALL,
        "ILLEGAL_CHARS",
        ("Illegal characters found in parameter '{param}'; legal range is '{legal_range}'.",),
        "a parameter held characters Binance does not accept",
        "a bug in the bot's request",
        "fix the request parameters",
    ),
    _E(
        -1102,
        ALL,
        "MANDATORY_PARAM_EMPTY_OR_MALFORMED",
        ("Mandatory parameter '{param}' was not sent, was empty/null, or malformed.",),
        "a required parameter was missing or empty",
        "a bug or an outdated client",
        "update the client and fix the request",
    ),
    _E(
        -1131,
        ALL,
        "BAD_RECV_WINDOW",
        ("recvWindow must be less than 60000",),
        "recvWindow is above Binance's maximum",
        "a misconfigured client",
        "use a recvWindow of 60000 ms or less (5000 is the sane value)",
    ),
    _E(
        -2010,
        ("spot", "sapi"),
        "NEW_ORDER_REJECTED",
        (
            "Account has insufficient balance for requested action.",
            "Market is closed.",
            "This symbol is not permitted for this account.",
            "Filter failure: MAX_NUM_ORDERS",
            "Filter failure: MAX_NUM_ALGO_ORDERS",
            "Filter failure: MAX_POSITION",
        ),
        "the matching engine refused the new spot order; the message says why: not enough free "
        "balance, the market closed, the account may not trade the symbol, or an account-level "
        "filter (too many open orders on the symbol, too many stop orders, position cap)",
        "funds locked in other open orders; a transfer to another wallet; too many grid orders; "
        "trading permission missing for the symbol",
        "read the message: top up or free the balance, cancel stale orders, or enable the symbol "
        "for this account",
        "balance",
    ),
    _E(
        -2010,
        FUT,
        "NEW_ORDER_REJECTED",
        ("NEW_ORDER_REJECTED",),
        "the futures order was rejected without a specific reason (rare)",
        "unusual account states",
        "look at the account in the web UI; contact support if it lasts",
        "trading_status",
    ),
    _E(
        -2011,
        ("spot", "sapi"),
        "CANCEL_REJECTED",
        ("Unknown order sent.",),
        "the cancel was refused: the order is no longer open",
        "the order filled or was cancelled already",
        "refresh open orders before cancelling",
    ),
    _E(
        -2011,
        FUT,
        "CANCEL_REJECTED",
        (
            "CANCEL_REJECTED",
            "Cancel request failure as open order not found in the orderbook: "
            '"Unknown order sent".',
        ),
        "the futures cancel was refused: the order is no longer open",
        "the order filled or was cancelled already",
        "refresh open orders before cancelling",
    ),
    _E(
        -2013,
        ALL,
        "NO_SUCH_ORDER",
        ("Order does not exist.",),
        "the order queried or cancelled is not known (never existed, or long archived)",
        "the bot asked too soon after placing it, used the wrong symbol or id, or the order was "
        "archived; often harmless noise",
        "check that the bot tracks orders by clientOrderId and symbol; repeated bursts point to a "
        "state mismatch between the bot and the exchange",
    ),
    _E(
        -2021,
        ("spot",),
        "CANCEL_REPLACE_PARTIAL",
        ("Order cancel-replace partially failed.",),
        "a cancel-replace did only half its job: the cancel or the new order failed",
        "the old order filled meanwhile, or the new order broke a filter",
        "read both parts of the answer and re-sync open orders",
    ),
    _E(
        -2021,
        FUT,
        "ORDER_WOULD_IMMEDIATELY_TRIGGER",
        ("Order would immediately trigger.",),
        "a stop or take-profit order's trigger price is already crossed, so Binance refuses it",
        "the market moved past the stop before the order arrived; the stop is on the wrong side "
        "of the price; MARK_PRICE vs CONTRACT_PRICE working type confusion",
        "place the trigger beyond the current mark/last price (per workingType), or send a market "
        "order if execution is intended",
    ),
    _E(
        -2018,
        FUT,
        "BALANCE_NOT_SUFFICIENT",
        ("Balance is insufficient.",),
        "the futures wallet holds too little of the margin asset for this order",
        "funds still in the spot wallet; losses; margin tied up in other positions",
        "transfer funds to the futures wallet or reduce the order size",
        "balance",
    ),
    _E(
        -2019,
        FUT,
        "MARGIN_NOT_SUFFICIEN",
        ("Margin is insufficient.",),
        "available margin is below the initial margin this order needs",
        "open positions and orders use the margin; leverage lowered; unrealised losses",
        "add margin to the futures wallet, reduce positions or leverage",
        "balance",
    ),
    _E(
        -2022,
        FUT,
        "REDUCE_ONLY_REJECT",
        ("ReduceOnly Order is rejected.",),
        "a reduce-only order would not reduce the position (none open, or wrong side)",
        "the position already closed; a hedge-mode position side mix-up",
        "re-read the position before sending reduce-only orders",
    ),
    _E(
        -2024,
        FUT,
        "POSITION_NOT_SUFFICIENT",
        ("Position is not sufficient.",),
        "the order would close more than the open position (or the position is already gone)",
        "the position was closed by a stop, liquidation or by hand; quantity rounding up",
        "read positionRisk before closing and use closePosition or reduceOnly",
    ),
    _E(
        -2025,
        FUT,
        "MAX_OPEN_ORDER_EXCEEDED",
        ("Reach max open order limit.",),
        "the symbol already has the maximum number of open orders (MAX_NUM_ORDERS, often 200)",
        "grid bots with many levels; orders never cancelled",
        "cancel stale orders or use fewer grid levels",
        "open_orders",
    ),
    _E(
        -2027,
        FUT,
        "MAX_LEVERAGE_RATIO",
        ("Exceeded the maximum allowable position at current leverage.",),
        "the position after this order would exceed the cap of the current leverage bracket "
        "(a notional on USD-M, a quantity of the coin on COIN-M)",
        "leverage set high while the position grew; a large order on a small-cap symbol",
        "lower the leverage (higher brackets allow larger positions) or reduce the order",
        "leverage",
    ),
    _E(
        -2026,
        FUT,
        "REDUCE_ONLY_ORDER_TYPE_NOT_SUPPORTED",
        ("This OrderType is not supported when reduceOnly.",),
        "this order type cannot be reduce-only",
        "a bot sending reduceOnly on an unsupported type",
        "drop reduceOnly for that type or use closePosition",
    ),
    # ---- futures filters
    _E(
        -4003,
        FUT,
        "QTY_LESS_THAN_ZERO",
        ("Quantity less than zero.",),
        "the order quantity was zero or negative",
        "rounding a small size down to zero",
        "size orders above the symbol's minQty",
        "symbols",
    ),
    _E(
        -4004,
        FUT,
        "QTY_LESS_THAN_MIN_QTY",
        ("Quantity less than min quantity.",),
        "the order quantity is below the symbol's LOT_SIZE minQty",
        "a small balance split across many orders; rounding down",
        "size the order at or above minQty (exchangeInfo LOT_SIZE)",
        "symbols",
    ),
    _E(
        -4004,
        ("sapi",),
        "CAPITAL_UA",
        ("You don't login or auth.",),
        "a wallet (/sapi) call was not authorised",
        "the key lacks the permission for that wallet endpoint",
        "enable the needed permission on the key, or stop calling that endpoint",
        "api_key",
    ),
    _E(
        -4005,
        FUT,
        "QTY_GREATER_THAN_MAX_QTY",
        ("Quantity greater than max quantity.",),
        "the order quantity is above LOT_SIZE maxQty (MARKET_LOT_SIZE for market orders)",
        "a big market order; MARKET_LOT_SIZE is much smaller than LOT_SIZE",
        "split the order below maxQty",
        "symbols",
    ),
    _E(
        -4005,
        ("sapi",),
        "CAPAITAL_TOO_MANY_REQUEST",
        ("Too many new requests.",),
        "too many wallet requests in a short time",
        "polling wallet endpoints in a loop",
        "call wallet endpoints less often",
        "rate_limit",
    ),
    _E(
        -4007,
        FUT,
        "STOP_PRICE_GREATER_THAN_MAX_PRICE",
        ("Stop price greater than max price.",),
        "the stop price is above PRICE_FILTER maxPrice",
        "a mis-scaled stop price",
        "keep stop prices inside the symbol's price range",
        "symbols",
    ),
    _E(
        -4007,
        ("sapi",),
        "CAPITAL_ADDRESS_VERIFICATION_NOT_PASS",
        ("Address validation is not passed.",),
        "a withdrawal address failed validation",
        "wrong network or address format",
        "check the address and network",
    ),
    _E(
        -4013,
        FUT,
        "PRICE_LESS_THAN_MIN_PRICE",
        ("Price less than min price.",),
        "the price is below PRICE_FILTER minPrice",
        "a mis-scaled price or a sign bug",
        "keep prices inside the symbol's range",
        "symbols",
    ),
    _E(
        -4013,
        ("sapi",),
        "CAPITAL_WITHDRAW_2FA_VERIFY",
        ("2FA is not opened.",),
        "withdrawal needs two-factor authentication",
        "2FA not enabled on the account",
        "enable 2FA in the Binance account",
    ),
    _E(
        -4014,
        FUT,
        "PRICE_NOT_INCREASED_BY_TICK_SIZE",
        ("Price not increased by tick size.",),
        "the price is not a multiple of the symbol's tickSize",
        "floats instead of Decimal; a tickSize changed by Binance",
        "round prices to tickSize from exchangeInfo (re-read it daily)",
        "symbols",
    ),
    _E(
        -4014,
        ("sapi",),
        "CAPITAL_WITHDRAW_LOGIN_DELAY",
        ("Withdraw is not allowed within 2 min login.",),
        "withdrawals are blocked right after a login",
        "a login less than 2 minutes ago",
        "wait and retry",
    ),
    _E(
        -4016,
        FUT,
        "PRICE_HIGHTER_THAN_MULTIPLIER_UP",
        ("Price is higher than mark price multiplier cap.",),
        "a buy price is above mark price x PERCENT_PRICE multiplierUp",
        "a limit price far from the market; a fast market move",
        "keep limit prices within the multipliers around the mark price",
    ),
    _E(
        -4016,
        ("sapi",),
        "CAPITAL_WITHDRAW_RESTRICTED_PASSWORD",
        ("Within 24 hours after password modification, withdrawal is prohibited.",),
        "withdrawals are locked after a password change",
        "a recent password change",
        "wait 24 hours",
    ),
    _E(
        -4023,
        FUT,
        "QTY_NOT_INCREASED_BY_STEP_SIZE",
        ("Qty not increased by step size.",),
        "the quantity is not a multiple of the symbol's stepSize",
        "floats instead of Decimal; a stepSize changed by Binance",
        "round quantities to stepSize from exchangeInfo",
        "symbols",
    ),
    _E(
        -4023,
        ("sapi",),
        "CAPITAL_WITHDRAW_MAX_AMOUNT",
        ("Within 24 hours, the withdrawal exceeds the maximum amount.",),
        "the 24-hour withdrawal limit is reached",
        "large withdrawals",
        "wait or raise the limit",
    ),
    _E(
        -4024,
        FUT,
        "PRICE_LOWER_THAN_MULTIPLIER_DOWN",
        ("Price is lower than mark price multiplier floor.",),
        "a sell price is below mark price x PERCENT_PRICE multiplierDown",
        "a limit price far from the market; a fast market move",
        "keep limit prices within the multipliers around the mark price",
    ),
    _E(
        -4024,
        ("sapi",),
        "CAPITAL_WITHDRAW_USER_NO_ASSET",
        ("You don't have this asset.",),
        "the wallet holds none of the asset asked for",
        "wrong asset or wallet",
        "check the asset and wallet",
    ),
    _E(
        -4045,
        FUT,
        "MAX_STOP_ORDER_EXCEEDED",
        ("Reach max stop order limit.",),
        "the symbol already has the maximum number of open stop/take-profit orders",
        "stops never cancelled after the position closed; too many layered stops",
        "cancel stale conditional orders",
        "open_orders",
    ),
    _E(
        -4045,
        ("sapi",),
        "CAPITAL_GET_ASSET_ERROR",
        ("Failure to acquire assets.",),
        "the wallet could not load the assets",
        "a Binance-side problem",
        "retry later",
    ),
    _E(
        -4046,
        FUT,
        "NO_NEED_TO_CHANGE_MARGIN_TYPE",
        ("No need to change margin type.",),
        "the margin type is already the one requested; harmless",
        "a bot setting it every start",
        "nothing to do",
    ),
    # -4067/-4068/-4168: texts as ccxt 4.5.90 python/ccxt/binance.py quotes them
    # beside its exceptions map (linear section)
    _E(
        -4067,
        ("usdm",),
        "POSITION_SIDE_CHANGE_EXISTS_OPEN_ORDERS",
        ("Position side cannot be changed if there exists open orders.",),
        "the position mode (One-way/Hedge) cannot change while open orders exist",
        "a bot (hummingbot sets it at start) asking for the other position mode",
        "cancel all open futures orders, or set the bot to the account's current mode",
        "position_mode",
    ),
    _E(
        -4068,
        ("usdm",),
        "POSITION_SIDE_CHANGE_EXISTS_POSITION",
        ("Position side cannot be changed if there exists position.",),
        "the position mode (One-way/Hedge) cannot change while positions are open",
        "a bot (hummingbot sets it at start) asking for the other position mode",
        "close all futures positions, or set the bot to the account's current mode",
        "position_mode",
    ),
    _E(
        -4168,
        ("usdm",),
        "ISOLATED_UNDER_MULTI_ASSETS",
        ("Unable to adjust to isolated-margin mode under the Multi-Assets mode.",),
        "the account is in Multi-Assets Mode, where no symbol can use isolated margin",
        "Multi-Assets Mode switched on while the bot trades isolated margin (freqtrade refuses "
        "to start in this case: 'Multi-Asset Mode is not supported by freqtrade')",
        "switch Asset Mode to Single-Asset, or trade cross margin",
        "position_mode",
    ),
    _E(
        -4047,
        FUT,
        "MARGIN_TYPE_CANNOT_BE_CHANGED_IF_THERE_EXISTS_OPEN_ORDERS",
        ("Margin type cannot be changed if there exists open orders.",),
        "the symbol has open orders, so its margin type (isolated/cross) cannot be changed",
        "a bot (freqtrade sets its margin_mode before every futures entry) asking for the other "
        "margin type while orders are open on the symbol",
        "cancel the symbol's open orders, or make the bot use the margin type the symbol has",
    ),
    _E(
        -4048,
        FUT,
        "MARGIN_TYPE_CANNOT_BE_CHANGED_IF_THERE_EXISTS_POSITION",
        ("Margin type cannot be changed if there exists position.",),
        "the symbol holds a position, so its margin type (isolated/cross) cannot be changed",
        "a bot (freqtrade sets its margin_mode before every futures entry) asking for the other "
        "margin type than the one a position was opened in, by hand or by another bot",
        "close the symbol's position, or make the bot use the margin type the symbol has",
        "leverage",
    ),
    _E(
        -4059,
        FUT,
        "NO_NEED_TO_CHANGE_POSITION_SIDE",
        ("No need to change position side.",),
        "the position mode is already the one requested; harmless",
        "a bot setting it every start",
        "nothing to do",
    ),
    _E(
        -4061,
        FUT,
        "POSITION_SIDE_NOT_MATCH",
        ("Order's position side does not match user's setting.",),
        "the futures position mode (One-way/Hedge) differs from what the bot sends",
        "the mode was switched in the web UI or by another bot on the same account",
        "switch the position mode back in Binance (Futures > Preferences > Position Mode; needs "
        "no open positions or orders) or reconfigure the bot",
        "position_mode",
    ),
    _E(
        -4087,
        FUT,
        "REDUCE_ONLY_ORDER_PERMISSION",
        ("User can only place reduce only order.",),
        "the account may only reduce positions",
        "a restriction set by Binance",
        "close positions only; read Binance's notifications and contact support",
        "trading_status",
    ),
    _E(
        -4088,
        FUT,
        "NO_PLACE_ORDER_PERMISSION",
        ("User can not place order currently.",),
        "the futures account may not place orders at all (canTrade is false)",
        "a restriction set by Binance; an unfinished questionnaire",
        "contact Binance support; check account notifications and restrictions",
        "trading_status",
    ),
    _E(
        -4113,
        ("coinm",),
        "MARKET_ORDER_REJECT",
        ("The counterparty's best price does not meet the PERCENT_PRICE filter limit.",),
        "COIN-M refused a market order because the best opposite price is outside the "
        "PERCENT_PRICE band around the mark price (the USD-M equivalent is -4131)",
        "a thin order book; a fast market",
        "use a limit order, split the order, or wait for liquidity",
    ),
    _E(
        -4120,
        ("usdm",),
        "STOP_ORDER_SWITCH_ALGO",
        (
            "Order type not supported for this endpoint. Please use the Algo Order API endpoints "
            "instead.",
        ),
        "stop and take-profit orders must now go through the Algo Order endpoints",
        "a client not updated for Binance's conditional-order migration (December 2025)",
        "update the bot or its exchange library",
    ),
    _E(
        -4131,
        ("usdm",),
        "MARKET_ORDER_REJECT",
        ("The counterparty's best price does not meet the PERCENT_PRICE filter limit",),
        "USD-M refused a market order because the best opposite price is outside the "
        "PERCENT_PRICE band around the mark price",
        "a thin order book; a fast market; a large market order",
        "use a limit order, split the order, or wait for liquidity",
    ),
    _E(
        -4140,
        FUT,
        "INVALID_OPENING_POSITION_STATUS",
        ("Invalid symbol status for opening position",),
        "the symbol does not accept orders that open a position (settling or delisting)",
        "a contract being delivered or delisted",
        "only close positions on this symbol",
        "symbols",
    ),
    _E(
        -4141,
        FUT,
        "SYMBOL_ALREADY_CLOSED",
        ("Symbol is closed",),
        "the contract is closed (delisted or delivered); no orders are accepted",
        "a delisting announced by Binance; a quarterly contract past delivery",
        "remove the symbol from the bot's pair list",
        "symbols",
    ),
    _E(
        -4142,
        FUT,
        "STRATEGY_INVALID_TRIGGER_PRICE",
        ("REJECT: take profit or stop order will be triggered immediately",),
        "a take-profit or stop order's trigger is already crossed",
        "the price moved past the trigger before the order arrived; wrong side of the market",
        "place triggers beyond the current price (mark or last, per workingType)",
    ),
    _E(
        -4164,
        ("usdm",),
        "MIN_NOTIONAL",
        (
            "Order's notional must be no smaller than {min_notional} (unless you choose reduce only).",
        ),
        "the order's value (price x quantity) is below the symbol's minimum notional (5 on most "
        "symbols, 20 on ETHUSDT, 100 on BTCUSDT at times)",
        "a small stake per trade; a price drop shrinking a fixed quantity; a partial exit",
        "raise the stake per trade above MIN_NOTIONAL, or mark exits reduceOnly (exempt)",
        "symbols",
    ),
    _E(
        -4178,
        ("coinm",),
        "MIN_NOTIONAL",
        ("Order's notional must be no smaller than one (unless you choose reduce only)",),
        "the COIN-M order is smaller than one contract's minimum notional",
        "a tiny order",
        "size orders larger or mark exits reduceOnly",
        "symbols",
    ),
    _E(
        -4189,
        FUT,
        "ACCOUNT_REDUCE_ONLY",
        ("Restricted account permission: can only place reduceOnly order on the symbol.",),
        "Binance restricted the account to reduce-only orders on this symbol",
        "a risk-control action by Binance (compliance, region, or symbol restrictions)",
        "only closing orders go through; check Binance notifications and contact support",
        "trading_status",  # its test order on the symbol gets -4189
    ),
    # -4105 and -4192: texts as binance-facts.md §3.5 quotes the futures error page (2026-05-28)
    _E(
        -4105,
        FUT,
        "SYMBOL_REDUCE_ONLY",
        ("Symbol is under position risk control, only reduce-only order is allowed.",),
        "Binance put the symbol under position risk control: only reduce-only orders pass",
        "a risk-control action by Binance on the symbol",
        "close positions on this symbol only, or trade another symbol until Binance lifts it",
        "trading_status",  # its test order on the symbol gets it
    ),
    _E(
        -4192,
        FUT,
        "COOLING_OFF_PERIOD",
        ("Trade forbidden due to Cooling-off Period.",),
        "the account is in a cooling-off period and may not trade futures",
        "a cooling-off period the user set (or Binance applied) in the futures settings",
        "wait for the cooling-off period to end (see the futures account settings)",
        "trading_status",
    ),
    _E(
        -4400,
        FUT,
        "TRADING_QUANTITATIVE_RULE",
        (
            "Futures Trading Quantitative Rules violated, only reduceOnly order is allowed, please "
            "try again later.",
        ),
        "the account broke the futures quantitative trading rules (e.g. too many unfilled or "
        "cancelled orders) and is locked to reduce-only orders until the recover time",
        "too many orders cancelled unfilled, too high an order-to-fill ratio, or very small orders",
        "stop placing new orders until the planned recover time, then lower the bot's "
        "order/cancel rate (UFR, IFER, GCR, DR indicators)",
        "trading_status",
    ),
    _E(
        -4401,
        FUT,
        "LARGE_POSITION_SYM_RULE",
        (
            "Futures Trading Risk Control Rules of large position holding violated, only reduceOnly "
            "order is allowed, please reduce the position. .",
        ),
        "the position is too large under the risk-control rules; reduce-only until reduced",
        "a position large compared with the market",
        "reduce the position",
        "trading_status",
    ),
    # ---- HTTP statuses without a code
    _E(
        403,
        ("http",),
        "WAF_FORBIDDEN",
        (
            "403 ERROR",
            "The request could not be satisfied.",
            "Request blocked.",
            "Access to the requested resource is forbidden.",
        ),
        "Binance's web application firewall (CloudFront) blocked the request before it reached the "
        "API; the body is an HTML page, not a Binance error",
        "a request pattern the WAF flags (SQL-like words in parameters, request floods), a "
        "restricted country or data-centre IP range",
        "check the server's region and IP reputation, slow the request rate, and look for odd "
        "parameters; a geo block needs another server location",
    ),
    _E(
        418,
        ("http",),
        "IP_BANNED",
        ("Way too much request weight used; IP banned until {until}.",),
        "this IP is banned for ignoring 429 answers; every request fails until the ban ends",
        "a client that kept sending after 429 Too Many Requests",
        "stop every process on this IP until the time in the message (or Retry-After), then poll "
        "less; the ban doubles with each repeat",
        "rate_limit",
    ),
    _E(
        429,
        ("http",),
        "TOO_MANY_REQUESTS",
        ("Too Many Requests",),
        "this IP went over a request-weight or order-rate limit; requests are refused until the "
        "interval resets",
        "several bots on one IP; polling without WebSocket streams",
        "back off until Retry-After and poll less; keep going and the IP gets banned (418)",
        "rate_limit",
    ),
]

CATALOGUE: dict[tuple[str, int], CatalogueEntry] = {}
for _entry in _CATALOGUE:
    for _p in _entry.products:
        if (_p, _entry.code) in CATALOGUE:
            raise AssertionError(f"{_entry.code} is catalogued twice for {_p}")
        CATALOGUE[(_p, _entry.code)] = _entry
HTTP_STATUSES = (403, 418, 429)


def entry(product: str, code: int) -> CatalogueEntry | None:
    """Given a product and a code, return the code's entry on that product (None if not there)."""
    return CATALOGUE.get((product, code))


def entries(code: int) -> list[CatalogueEntry]:
    """Given a code (or 403/418/429), return every distinct meaning it has, spot first."""
    seen: list[CatalogueEntry] = []
    for p in (*PRODUCTS, "http"):
        e = CATALOGUE.get((p, code))
        if e is not None and e not in seen:
            seen.append(e)
    return seen


def lookup(code: int, product: str | None = None) -> CatalogueEntry | None:
    """Given a code and the product it came from, return its meaning there.

    Only for codes whose product is not known (a bot's log line without a URL, the simulator's
    generic answers): without a product (or when the product does not define the code), return
    the code's only meaning if it has one, else the futures meaning for futures-style codes
    (-2011 and beyond) and the spot meaning otherwise; None if the code is not catalogued.
    """
    if code in HTTP_STATUSES:
        return CATALOGUE.get(("http", code))
    if product is not None:
        e = CATALOGUE.get((product, code))
        if e is not None:
            return e
    found = entries(code)
    if not found:
        return None
    if len(found) == 1:
        return found[0]
    # -2011 and beyond are mostly futures codes (-2021, -4004...); above, spot comes first
    for p in ("usdm", "coinm", "spot", "sapi") if code <= -2011 else PRODUCTS:
        e = CATALOGUE.get((p, code))
        if e is not None:
            return e
    return found[0]


def products_defining(code: int) -> tuple[str, ...]:
    """Given a code, return the products that define it."""
    return tuple(p for p in (*PRODUCTS, "http") if (p, code) in CATALOGUE)


def fix_for(code: int, product: str) -> str:
    """Given a code and the product the bot's orders get it from, return that product's fix
    ("" if the code is not catalogued)."""
    e = lookup(code, product)
    return e.fix if e else ""


def quote(code: int, product: str | None, variant: int = 0, **figures: object) -> str:
    """Given a code, its product and the figures known (see UNKNOWN_FIGURES), return Binance's
    text for it with them filled in ("" if the code is not catalogued)."""
    e = lookup(code, product)
    return e.quote(variant, **figures) if e else ""


def named_quote(code: int, product: str | None, text: str = "") -> tuple[str, str] | None:
    """Given a code, its product and the text a check quoted ("" for none), return the code's
    name and the text to show (the catalogue's, placeholders in words, when none was quoted);
    None if the code is not catalogued."""
    e = lookup(code, product)
    if e is None:
        return None
    return e.name, text or e.quote()
