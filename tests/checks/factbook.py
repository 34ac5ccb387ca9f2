"""Hand-built facts for the checks' unit tests: an account, answers keyed by request, and
exchangeInfo entries shaped as the runner digests them (filters keyed by type)."""

from __future__ import annotations

import time
from decimal import Decimal
from typing import Any

from healthcheck.checks.base import ExchangeLimits, Facts, TimeMeasurement
from healthcheck.exchange.account import AccountConfig
from healthcheck.exchange.fetch import FetchError, FetchErrorKind, Outcome, Request
from healthcheck.exchange.weights import WeightBook
from healthcheck.storage.secrets import Secret

NOW = 1_790_000_000.0  # 2026-09-21


def account(**kw: Any) -> AccountConfig:
    kw.setdefault("markets", ("spot", "usdm"))
    return AccountConfig(
        name="main",
        api_key=Secret("A" * 64, "api key"),
        api_secret=Secret("s" * 64, "api secret"),
        **kw,
    )


def api_error(code: int, message: str = "", status: int = 400) -> FetchError:
    return FetchError(
        FetchErrorKind.API, message or f"Binance error {code}", code=code, http_status=status
    )


def facts(
    acc: AccountConfig,
    answers: dict[Request | str, Any] | None = None,
    *,
    exchange: dict[str, dict[str, Any]] | None = None,
    now: float = NOW,
    times: dict[str, TimeMeasurement] | None = None,
    book: WeightBook | None = None,
) -> Facts:
    outcomes = {}
    for req, value in (answers or {}).items():
        key = (req, ()) if isinstance(req, str) else req.key
        if isinstance(value, FetchError):
            outcomes[key] = Outcome(key[0], error=value)
        else:
            outcomes[key] = Outcome(key[0], data=value)
    ex = {
        m: ExchangeLimits(weight_limit=6000 if m == "spot" else 2400, symbols=syms, fetched_at=now)
        for m, syms in (exchange or {}).items()
    }
    for m in acc.markets:
        ex.setdefault(m, ExchangeLimits(weight_limit=None, symbols={}, fetched_at=now))
    return Facts(
        account=acc,
        outcomes=outcomes,
        time=times or {},
        ntp=None,
        exchange=ex,
        book=book or WeightBook(clock=lambda: now),
        now=now,
    )


def usdm_symbol(
    symbol: str = "BTCUSDT",
    *,
    status: str = "TRADING",
    min_notional: str = "100",
    step: str = "0.001",
    min_qty: str = "0.001",
    max_qty: str = "1000",
    market_max_qty: str = "120",
    delivery: int = 4133404800000,
    max_orders: int = 200,
    max_algo: int = 10,
) -> dict[str, Any]:
    return {
        "status": status,
        "contractType": "PERPETUAL",
        "deliveryDate": delivery,
        "filters": {
            "LOT_SIZE": {
                "filterType": "LOT_SIZE",
                "minQty": min_qty,
                "maxQty": max_qty,
                "stepSize": step,
            },
            "MARKET_LOT_SIZE": {
                "filterType": "MARKET_LOT_SIZE",
                "minQty": min_qty,
                "maxQty": market_max_qty,
                "stepSize": step,
            },
            "MIN_NOTIONAL": {"filterType": "MIN_NOTIONAL", "notional": min_notional},
            "MAX_NUM_ORDERS": {"filterType": "MAX_NUM_ORDERS", "limit": max_orders},
            "MAX_NUM_ALGO_ORDERS": {"filterType": "MAX_NUM_ALGO_ORDERS", "limit": max_algo},
        },
    }


def spot_symbol(
    symbol: str = "ETHUSDT",
    *,
    status: str = "TRADING",
    min_notional: str = "5",
    max_notional: str = "9000000",
    step: str = "0.0001",
    min_qty: str = "0.0001",
    max_qty: str = "9000",
    max_orders: int = 200,
    max_algo: int = 5,
) -> dict[str, Any]:
    return {
        "status": status,
        "filters": {
            "LOT_SIZE": {
                "filterType": "LOT_SIZE",
                "minQty": min_qty,
                "maxQty": max_qty,
                "stepSize": step,
            },
            "NOTIONAL": {
                "filterType": "NOTIONAL",
                "minNotional": min_notional,
                "applyMinToMarket": True,
                "maxNotional": max_notional,
                "applyMaxToMarket": False,
                "avgPriceMins": 5,
            },
            "MAX_NUM_ORDERS": {"filterType": "MAX_NUM_ORDERS", "maxNumOrders": max_orders},
            "MAX_NUM_ALGO_ORDERS": {
                "filterType": "MAX_NUM_ALGO_ORDERS",
                "maxNumAlgoOrders": max_algo,
            },
        },
    }


def D(x: Any) -> Decimal:  # noqa: N802 - a short name for tables of figures
    return Decimal(str(x))


__all__ = ["NOW", "account", "api_error", "facts", "usdm_symbol", "spot_symbol", "D", "time"]
