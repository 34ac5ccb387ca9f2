"""exchangeInfo as the checks read it: the 1-minute weight limit and the wanted symbols' filters.

The whole answer is megabytes; the runner keeps only what the checks read, per host and market,
for ``[daemon] exchange_info_ttl``. A malformed answer falls back to the last good one, and the
weight limit it tells goes to the weight book (the schedule fits itself to it).
"""

from __future__ import annotations

import time
from typing import Any

from healthcheck.checks.base import ExchangeLimits
from healthcheck.engine.cache import AnswerCache, host_id
from healthcheck.engine.plan import ExchangeNeed
from healthcheck.exchange.fetch import FetchError, FetchErrorKind, Outcome
from healthcheck.exchange.gateway import WeightBook
from healthcheck.model.markets import MARKETS

# symbol fields the checks read (the whole exchangeInfo is megabytes; the cache keeps these)
_SYMBOL_FIELDS = (
    "status",
    "contractStatus",  # COIN-M's status field
    "contractSize",  # COIN-M: USD per contract
    "marginAsset",
    "contractType",
    "deliveryDate",
    "onboardDate",
    "baseAsset",
    "quoteAsset",
    "pricePrecision",
    "quantityPrecision",
    "baseAssetPrecision",
    "quotePrecision",
)


def _whole(value: Any) -> int:
    """int(value), but an infinite float raises ValueError (which the runner catches) too."""
    try:
        return int(value)
    except OverflowError:
        raise ValueError(f"exchangeInfo: {value!r} is not a whole number") from None


def parse_exchange_info(data: Any, wanted: set[str]) -> dict[str, Any]:
    """Given an exchangeInfo answer, return the 1-minute weight limit and the filters of the
    wanted symbols; raise ValueError (or TypeError/KeyError) if it has the wrong shape."""
    if not isinstance(data, dict) or not isinstance(data.get("rateLimits"), list):
        raise ValueError("exchangeInfo: field 'rateLimits' is missing")
    limit = None
    for rl in data["rateLimits"]:
        if (
            isinstance(rl, dict)
            and rl.get("rateLimitType") == "REQUEST_WEIGHT"
            and rl.get("interval") == "MINUTE"
            and _whole(rl.get("intervalNum", 1)) == 1
        ):
            limit = _whole(rl["limit"])
    symbols: dict[str, Any] = {}
    for sym in data.get("symbols") or []:
        if isinstance(sym, dict) and sym.get("symbol") in wanted:
            filters = {
                f.get("filterType"): f for f in sym.get("filters", []) if isinstance(f, dict)
            }
            entry = {k: sym[k] for k in _SYMBOL_FIELDS if k in sym}
            entry["filters"] = filters
            symbols[sym["symbol"]] = entry
    return {"weight_limit": limit, "symbols": symbols, "missing": sorted(wanted - set(symbols))}


class ExchangeInfoReader:
    """Turns kept or fresh exchangeInfo answers into the checks' ExchangeLimits."""

    def __init__(self, cache: AnswerCache, book: WeightBook) -> None:
        self.cache = cache
        self.book = book

    def kept(self, need: ExchangeNeed, ttl_seconds: float) -> ExchangeLimits | None:
        """Given a host's need, return the kept limits if they are fresh and name every wanted
        symbol (found or missing), else None (ask again)."""
        cached = self.cache.fresh(f"exinfo:{need.market}:{host_id(need.base)}", ttl_seconds)
        if cached is None:
            return None
        known = set(cached[1].get("symbols", {})) | set(cached[1].get("missing", []))
        if not need.symbols <= known:
            return None
        return self._limits_from(cached, need.base, need.market)

    def from_answer(self, out: Outcome, base: str, market: str, wanted: set[str]) -> ExchangeLimits:
        """Given an exchangeInfo answer, keep and return its limits; if it failed or is
        malformed, return the last good ones (or the error)."""
        ckey = f"exinfo:{market}:{host_id(base)}"
        if out.ok:
            try:
                parsed = parse_exchange_info(out.data, wanted)
                self.cache.put(ckey, parsed, time.time())
                return self._limits_from((time.time(), parsed), base, market)
            except (ValueError, TypeError, KeyError) as exc:
                out.error = FetchError(FetchErrorKind.MALFORMED, f"exchangeInfo: {exc}")
        stale = self.cache.get(ckey)
        if stale is not None:
            return self._limits_from(stale, base, market)
        return ExchangeLimits(error=out.error)

    def _limits_from(
        self, cached: tuple[float, dict[str, Any]], base: str, market: str
    ) -> ExchangeLimits:
        fetched_at, value = cached
        limit = value.get("weight_limit")
        if isinstance(limit, int) and limit > 0:
            self.book.limits[(base, MARKETS[market].weight_pool)] = limit
        return ExchangeLimits(
            weight_limit=limit, symbols=value.get("symbols", {}), fetched_at=fetched_at
        )
