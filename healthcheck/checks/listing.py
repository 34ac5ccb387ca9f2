"""Whether a symbol can be traded at all: it exists on Binance (-1121), it is ``TRADING`` (-4141,
spot "Market is closed."), and no delisting is announced for it (a perpetual's ``deliveryDate``
moved from its far-future default; the spot delist schedule). An announced delisting is a WARNING
with the date and a countdown, CRITICAL within ``delist_critical_hours``.
"""

from __future__ import annotations

from typing import Any

from healthcheck.checks.base import (
    Facts,
    Finding,
    SymbolView,
    fmt_duration,
    fmt_ts,
    ms_timestamp,
    unavailable_reason,
)
from healthcheck.model.markets import MARKETS
from healthcheck.model.result import Status

PERPETUAL_DEFAULT_DELIVERY_MS = 4133404800000  # 2100-12-25 08:00 UTC: no delisting announced


def spot_delist_times(facts: Facts, endpoint: str, details: dict[str, Any]) -> dict[str, float]:
    """Given the delist schedule's endpoint, return when each listed symbol is delisted (Unix
    time, the earliest); an unreadable schedule is a note in ``details``, not UNKNOWN."""
    out = facts.get(endpoint)
    if out is None:
        return {}
    if not out.ok or not isinstance(out.data, list):
        # the status check still works without it: a note, not UNKNOWN
        details["delist_schedule"] = (
            unavailable_reason(out, "spot delist schedule") if not out.ok else "unexpected answer"
        )
        return {}
    when: dict[str, float] = {}
    for item in out.data:
        if not isinstance(item, dict) or not isinstance(item.get("symbols"), list):
            continue
        ts = ms_timestamp(item.get("delistTime"))
        if ts is None:
            continue
        for s in item["symbols"]:
            if isinstance(s, str):
                when[s] = min(ts, when.get(s, ts))
    return when


def delist_time(
    market: str, sym: str, entry: dict[str, Any], spot_delist: dict[str, float]
) -> float | None:
    """Given a symbol's exchangeInfo entry and the spot schedule, return when it is delisted
    (Unix time), or None if no delisting is announced."""
    if MARKETS[market].delisting == "schedule":
        return spot_delist.get(sym)
    if MARKETS[market].delisting != "delivery_date":
        return None
    if entry.get("contractType") != "PERPETUAL":
        return None  # a delivery contract's date is its normal expiry
    raw = entry.get("deliveryDate")
    if not isinstance(raw, int) or isinstance(raw, bool) or raw == PERPETUAL_DEFAULT_DELIVERY_MS:
        return None
    return ms_timestamp(raw)


def listing_findings(
    v: SymbolView,
    spot_delist: dict[str, float],
    delist_critical_hours: float,
    metrics: dict[str, Any],
) -> tuple[bool, list[Finding]]:
    """Given a symbol, return whether its orders can be sized further (it exists and trades)
    and the findings about its listing; the seconds left before a delisting go in ``metrics``."""
    entry = v.exchange.symbol(v.symbol)
    if entry is None:
        if v.exchange.fetched_at is None:
            v.unknown.append(
                f"{v.label}: exchangeInfo unavailable"
                + (f" ({v.exchange.error.message})" if v.exchange.error else "")
            )
            return False, []
        v.row["status"] = "missing"
        return False, [
            Finding(
                Status.CRITICAL,
                f"{v.label} does not exist on Binance: orders fail with -1121 (invalid symbol)",
                [-1121],
                "check the symbol's spelling in the bot and in `symbols`",
            )
        ]
    mrow = MARKETS[v.market]
    status = str(entry.get(mrow.status_field, "?"))
    v.row["status"] = status
    closed_code, text = mrow.codes.closed if mrow.codes else (0, "")
    if status != "TRADING":
        return False, [
            Finding(
                Status.CRITICAL,
                f"{v.label} is {status}, not TRADING: new orders fail with {closed_code} ({text})",
                [closed_code],
                "stop trading this symbol in the bot (remove it from its pair "
                "list) until Binance reopens it; close what is left on it",
                quotes={closed_code: text},
            )
        ]
    delist_at = delist_time(v.market, v.symbol, entry, spot_delist)
    if delist_at is None:
        return True, []
    v.row["delist_at"] = fmt_ts(delist_at)
    left = delist_at - v.facts.now
    metrics[f"delist_seconds_{v.market}_{v.symbol}"] = int(left)
    crit = left <= delist_critical_hours * 3600
    return True, [
        Finding(
            Status.CRITICAL if crit else Status.WARNING,
            f"{v.label} is being delisted on {fmt_ts(delist_at)} (in {fmt_duration(left)}): "
            f"orders fail with {closed_code} from then",
            [],
            "move the bot to another "
            "symbol and close positions and orders on this one before the delisting",
            risk_codes=[closed_code],
        )
    ]
