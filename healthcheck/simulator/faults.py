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
    from healthcheck.simulator.server import Simulator

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
}

FAULTS: dict[str, str] = {**TRANSPORT_FAULTS, **PRESET_FAULTS}

HOUR_MS = 3_600_000
DAY_MS = 24 * HOUR_MS


def _now_ms() -> int:
    return int(time.time() * 1000)


def _futures_usdt_available(acct: SimAccount, _sim: Simulator) -> dict[str, dict[str, Any]]:
    assets = copy.deepcopy(acct.futures_assets)
    usdt = assets.setdefault("USDT", {"walletBalance": "10", "marginBalance": "10"})
    usdt["availableBalance"] = "10"
    return assets


def _spot_usdt_5(acct: SimAccount, _sim: Simulator) -> dict[str, tuple[Any, Any]]:
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
}


def _preload(fraction: float) -> Callable[[Simulator], dict[str, int]]:
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

assert set(ACCOUNT_PRESETS) | set(GLOBAL_PRESETS) == set(PRESET_FAULTS)


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
