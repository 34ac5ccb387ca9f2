"""Named faults the simulator can inject: transport/HTTP misbehaviour (answered instead of the
normal response, optionally limited to a path prefix, an account and a number of hits) and
account/state presets (changes to account knobs or simulator settings that ``clear_fault`` undoes).
``FAULTS`` maps every name to a one-line description for ``--fault`` help and error messages.
"""

from __future__ import annotations

import copy
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from healthcheck.simulator.accounts import SimAccount
    from healthcheck.simulator.venue import Venue

TRANSPORT_FAULTS: dict[str, str] = {
    "http_500": "HTTP 500 with Binance's -1000 unknown-error JSON",
    "http_502": "HTTP 502 with a CDN's HTML 'Bad Gateway' page",
    "http_503": "HTTP 503; param kind=busy (-1008 JSON, default)|unknown|internal|unavailable",
    "http_504": "HTTP 504 with a CDN's HTML 'Gateway Timeout' page",
    "waf_403": "HTTP 403 with an HTML WAF 'Request blocked' page",
    "timeout": "hold the request unanswered for `seconds` (default 60) or until cleared/stopped",
    "slow": "delay `seconds` (default 2) before answering normally",
    "close": "close the connection without any response",
    "reset": "abort the connection with a TCP RST",
    "truncated": "send a Content-Length larger than the body, then close",
    "malformed_json": 'HTTP 200 with cut-off JSON: {"serverTime": 12',
    "html_200": "HTTP 200 with an HTML page instead of JSON",
    "empty_body": "HTTP 200 with an empty body",
    "bad_schema": "HTTP 200 with valid JSON of the wrong shape (numbers as text, lists null)",
    "rate_limited": "HTTP 429 -1003 with Retry-After `retry_after` (default 30; None = no header)",
    "banned": "HTTP 418 -1003 IP ban; Retry-After `retry_after` (default ban_seconds; None = none)",
}

PRESET_FAULTS: dict[str, str] = {
    "clock_ahead": "simulator clock 1500 ms behind: clients look 1.5 s ahead (-1021 'ahead')",
    "clock_behind": "simulator clock 7000 ms ahead: clients' timestamps are outside recvWindow",
    "clock_warn": "simulator clock 700 ms behind: clients look 0.7 s ahead (still accepted)",
    "bad_signature": "server verifies with a different secret: -1022",
    "unknown_key": "API key deleted: -2015",
    "ip_not_whitelisted": "key restricted to 10.9.9.9: -2015 from 127.0.0.1",
    "no_futures_permission": "key without enableFutures: /fapi signed calls get -2015",
    "no_spot_trading": "key without enableSpotAndMarginTrading: spot orders get -2015",
    "no_reading": "key without enableReading: every signed call gets -2015",
    "withdrawals_enabled": "key has enableWithdrawals true (a security risk)",
    "no_ip_restriction": "key not IP-restricted (ipRestrict false)",
    "trading_authority_expired": "tradingAuthorityExpirationTime one day in the past",
    "trading_authority_expiring": "tradingAuthorityExpirationTime in 3 days",
    "hedge_mode": "futures dualSidePosition true (Hedge mode): one-way orders get -4061",
    "multi_assets": "futures multiAssetsMargin true",
    "reduce_only": "futures account restricted to reduce-only orders: -4189",
    "quant_locked": "futures BTCUSDT UFR indicator locked for 2 h: -4400",
    "quant_near": "futures BTCUSDT UFR indicator at 90% of its trigger value, not locked",
    "spot_locked": "spot API trading status isLocked true for 1 h",
    "account_restricted": "sapi account status is not Normal",
    "cannot_trade": "spot and futures canTrade false",
    "margin_warning": "futures maint margin / margin balance = 0.6",
    "margin_critical": "futures maint margin / margin balance = 0.85",
    "low_balance": "futures USDT availableBalance 10",
    "spot_low_balance": "spot USDT free 5",
    "weight_high": "other processes on this IP used 75% of every weight limit",
    "weight_critical": "other processes on this IP used 92% of every weight limit",
    "maintenance": "sapi system status 1 (system maintenance)",
    "symbol_closed": "BTCUSDT not trading: spot BREAK (-1013 'Market is closed.'), usdm CLOSE "
    "(-4141); params market, symbol, status",
    "delist_announced": "BTCUSDT delist in 3 days: usdm deliveryDate and spot delist-schedule; "
    "params symbol, days",
    "open_orders_near_limit": "195 resting BTCUSDT orders of MAX_NUM_ORDERS 200, spot and usdm",
    "algo_orders_near_limit": "9 usdm BTCUSDT stop orders of MAX_NUM_ALGO_ORDERS 10",
    "over_leverage": "usdm BTCUSDT leverage 125 with a 1 BTC long (60000 > cap 50000): -2027",
    "unfilled_orders_high": "spot rateLimit/order count 95 of 100 per 10 s, 190000 of 200000 a day",
    # COIN-M and Portfolio Margin (healthcheck.simulator.coinm, .papi)
    "coinm_hedge_mode": "COIN-M in Hedge mode (its own mode; USD-M keeps its own)",
    "coinm_margin_warning": "COIN-M BTC maint margin / margin balance = 0.6",
    "coinm_margin_critical": "COIN-M BTC maint margin / margin balance = 0.9",
    "portfolio_margin": "the account is under Portfolio Margin: /fapi and /dapi refuse its "
    "signed calls with -2015, /papi answers",
    "uni_mmr_low": "Portfolio Margin uniMMR 1.35 (margin-call band)",
    "uni_mmr_critical": "Portfolio Margin uniMMR 1.15 (new orders refused)",
    "pm_reduce_only": "Portfolio Margin accountStatus REDUCE_ONLY",
}

FAULTS: dict[str, str] = {**TRANSPORT_FAULTS, **PRESET_FAULTS}

HOUR_MS = 3_600_000
DAY_MS = 24 * HOUR_MS


def _now_ms() -> int:
    return int(time.time() * 1000)


def _futures_usdt_available(acct: SimAccount, _sim: Venue) -> dict[str, dict[str, Any]]:
    assets = copy.deepcopy(acct.futures_assets)
    usdt = assets.setdefault("USDT", {"walletBalance": "10", "marginBalance": "10"})
    usdt["availableBalance"] = "10"
    return assets


def _spot_usdt_5(acct: SimAccount, _sim: Venue) -> dict[str, tuple[Any, Any]]:
    bal = dict(acct.spot_balances)
    bal["USDT"] = ("5", bal.get("USDT", ("0", "0"))[1])
    return bal


def _indicator(value: float, locked: bool, recover_ms: int) -> list[dict[str, Any]]:
    return [
        {
            "symbol": "BTCUSDT",
            "indicator": "UFR",
            "value": value,
            "triggerValue": 0.99,
            "isLocked": locked,
            "plannedRecoverTime": recover_ms,
        }
    ]


# Account presets: attribute -> value, or a callable (account, simulator) -> value evaluated
# when the fault is set (so "in 3 days" means 3 days from then).
AccountChanges = dict[str, Any]
ACCOUNT_PRESETS: dict[str, AccountChanges] = {
    "bad_signature": {"secret_mismatch": True},
    "unknown_key": {"key_deleted": True},
    "ip_not_whitelisted": {"ip_whitelist": ["10.9.9.9"]},
    "no_futures_permission": {"enable_futures": False},
    "no_spot_trading": {"enable_spot_trading": False},
    "no_reading": {"enable_reading": False},
    "withdrawals_enabled": {"enable_withdrawals": True},
    "no_ip_restriction": {"ip_whitelist": None},
    "trading_authority_expired": {
        "trading_authority_expiration_ms": lambda a, s: int(s.now_ms()) - DAY_MS
    },
    "trading_authority_expiring": {
        "trading_authority_expiration_ms": lambda a, s: int(s.now_ms()) + 3 * DAY_MS
    },
    "hedge_mode": {"dual_side_position": True},
    "multi_assets": {"multi_assets_margin": True},
    "reduce_only": {"reduce_only": True},
    "quant_locked": {
        "futures_indicators": lambda a, s: _indicator(0.995, True, int(s.now_ms()) + 2 * HOUR_MS)
    },
    "quant_near": {"futures_indicators": lambda a, s: _indicator(0.891, False, 0)},
    "spot_locked": {
        "spot_locked": True,
        "spot_planned_recover_ms": lambda a, s: int(s.now_ms()) + HOUR_MS,
    },
    "account_restricted": {"account_status": "Account is temporarily restricted."},
    "cannot_trade": {"can_trade_spot": False, "can_trade_futures": False},
    "margin_warning": {"futures_maint_margin": "3000", "futures_margin_balance": "5000"},
    "margin_critical": {"futures_maint_margin": "4250", "futures_margin_balance": "5000"},
    "low_balance": {"futures_assets": _futures_usdt_available},
    "spot_low_balance": {"spot_balances": _spot_usdt_5},
    "coinm_hedge_mode": {"coinm_dual_side": True},
    "coinm_margin_warning": {"coinm_assets": lambda a, s: _coinm_btc_maint(a, "0.3")},
    "coinm_margin_critical": {"coinm_assets": lambda a, s: _coinm_btc_maint(a, "0.45")},
    "portfolio_margin": {
        "portfolio_margin": True,
        "enable_pm_trading": True,
        "enable_futures": False,
    },
    "uni_mmr_low": {"uni_mmr": "1.35"},
    "uni_mmr_critical": {"uni_mmr": "1.15"},
    "pm_reduce_only": {"pm_account_status": "REDUCE_ONLY"},
}


def _coinm_btc_maint(a: SimAccount, maint: str) -> dict[str, dict[str, Any]]:
    """COIN-M assets with BTC's maintenance margin at ``maint`` of a 0.5 BTC margin balance."""
    assets = {k: dict(v) for k, v in a.coinm_assets.items()}
    assets.setdefault("BTC", {}).update({"maintMargin": maint, "marginBalance": "0.5"})
    return assets


def _preload(fraction: float) -> Callable[[Venue], dict[str, int]]:
    return lambda s: {g: int(lim * fraction) for g, lim in s.limits.items()}


# Simulator-wide presets: simulator attribute -> value or callable(simulator).
GLOBAL_PRESETS: dict[str, dict[str, Any]] = {
    "clock_ahead": {"clock_offset_ms": -1500.0},
    "clock_behind": {"clock_offset_ms": 7000.0},
    "clock_warn": {"clock_offset_ms": -700.0},
    "weight_high": {"preload_weight": _preload(0.75)},
    "weight_critical": {"preload_weight": _preload(0.92)},
    "maintenance": {"maintenance": True},
}


Change = tuple[Any, str, Any]


def _symbol_closed(sim: Venue, accts: list[SimAccount], p: dict[str, Any]) -> list[Change]:
    sym = str(p.get("symbol", "BTCUSDT"))
    markets = [str(p["market"])] if "market" in p else ["spot", "usdm"]
    out: list[Change] = []
    for m in markets:
        status = str(p.get("status") or ("BREAK" if m == "spot" else "CLOSE"))
        out.append((sim.symbol(m, sym), "status", status))
    return out


def _delist(sim: Venue, accts: list[SimAccount], p: dict[str, Any]) -> list[Change]:
    sym = str(p.get("symbol", "BTCUSDT"))
    when = sim.now_ms() + int(float(p.get("days", 3)) * DAY_MS)
    out: list[Change] = []
    if sym in sim.markets["usdm"]:
        out.append((sim.symbol("usdm", sym), "delivery_date_ms", when))
    if sym in sim.markets["spot"]:
        out.append((sim, "spot_delist", [*sim.spot_delist, {"delistTime": when, "symbols": [sym]}]))
    return out


def _with_orders(market_types: list[tuple[str, str, int]]) -> Callable[..., list[Change]]:
    def changes(sim: Venue, accts: list[SimAccount], p: dict[str, Any]) -> list[Change]:
        out: list[Change] = []
        for acct in accts:
            saved = acct.orders
            acct.orders = dict(saved)
            for market, otype, n in market_types:
                for _ in range(n):
                    sim.add_open_order(acct, market, "BTCUSDT", type=otype)
            new = acct.orders
            acct.orders = saved
            out.append((acct, "orders", new))
        return out

    return changes


def _over_leverage(sim: Venue, accts: list[SimAccount], p: dict[str, Any]) -> list[Change]:
    from decimal import Decimal

    out: list[Change] = []
    for acct in accts:
        out.append((acct, "leverage", {**acct.leverage, "BTCUSDT": 125}))
        entry = sim.symbol("usdm", "BTCUSDT").price_at(sim.now_ms())
        out.append(
            (acct, "positions", {**acct.positions, "BTCUSDT": {"amt": Decimal(1), "entry": entry}})
        )
    return out


def _unfilled(sim: Venue, accts: list[SimAccount], p: dict[str, Any]) -> list[Change]:
    return [(a, "unfilled_counts", {"SECOND": 95, "DAY": 190000}) for a in accts]


# Presets on market state or per-account books: callable(simulator, target accounts, params)
# -> [(object, attribute, new value)]; the old values are saved and restored on clear.
STATE_PRESETS: dict[str, Callable[[Venue, list[SimAccount], dict[str, Any]], list[Change]]] = {
    "symbol_closed": _symbol_closed,
    "delist_announced": _delist,
    "open_orders_near_limit": _with_orders([("spot", "LIMIT", 195), ("usdm", "LIMIT", 195)]),
    "algo_orders_near_limit": _with_orders([("usdm", "STOP_MARKET", 9)]),
    "over_leverage": _over_leverage,
    "unfilled_orders_high": _unfilled,
}

assert set(ACCOUNT_PRESETS) | set(GLOBAL_PRESETS) | set(STATE_PRESETS) == set(PRESET_FAULTS)


@dataclass
class ActiveFault:
    """One fault as set: for presets, ``saved`` holds (target, attribute, old value) to restore."""

    name: str
    scope: str | None = None
    account: str | None = None
    count: int | None = None
    params: dict[str, Any] = field(default_factory=dict)
    saved: list[tuple[Any, str, Any]] = field(default_factory=list)
    applied: list[tuple[Any, str, Any]] = field(default_factory=list)
    # Set by clear_fault, so a request held by a 'timeout' fault is released at once.
    cleared: threading.Event = field(default_factory=threading.Event, compare=False)

    @property
    def is_transport(self) -> bool:
        return self.name in TRANSPORT_FAULTS

    def describe(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "scope": self.scope,
            "account": self.account,
            "count": self.count,
            "params": dict(self.params),
        }

    def touches(self) -> set[tuple[int, str]]:
        return {(id(target), attr) for target, attr, _ in self.applied}

    def restore(self) -> None:
        # Restore in reverse so a preset that set one attribute twice ends at the original.
        for target, attr, old in reversed(self.saved):
            setattr(target, attr, old)
