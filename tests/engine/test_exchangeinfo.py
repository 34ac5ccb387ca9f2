"""exchangeInfo as the checks read it: the weight limit, the wanted symbols' filters, and the
last good answer when Binance's is malformed (healthcheck/engine/exchangeinfo.py)."""

from __future__ import annotations

import time
from typing import Any

import pytest

from healthcheck.engine.cache import AnswerCache
from healthcheck.engine.exchangeinfo import ExchangeInfoReader, parse_exchange_info
from healthcheck.engine.plan import ExchangeNeed
from healthcheck.exchange.fetch import FetchError, FetchErrorKind, Outcome
from healthcheck.exchange.weights import WeightBook

BASE = "https://fapi.binance.com"


def info(limit: Any = 2400, interval_num: Any = 1) -> dict[str, Any]:
    return {
        "rateLimits": [
            {"rateLimitType": "ORDERS", "interval": "MINUTE", "intervalNum": 1, "limit": 1200},
            {
                "rateLimitType": "REQUEST_WEIGHT",
                "interval": "MINUTE",
                "intervalNum": interval_num,
                "limit": limit,
            },
        ],
        "symbols": [
            {
                "symbol": "BTCUSDT",
                "status": "TRADING",
                "contractType": "PERPETUAL",
                "orderTypes": ["LIMIT", "MARKET"],
                "filters": [
                    {"filterType": "LOT_SIZE", "stepSize": "0.001", "minQty": "0.001"},
                    {"filterType": "MIN_NOTIONAL", "notional": "100"},
                ],
            },
            {"symbol": "ETHUSDT", "status": "TRADING", "filters": []},
        ],
    }


def test_weight_limit_and_wanted_filters_are_parsed_the_rest_dropped() -> None:
    got = parse_exchange_info(info(), {"BTCUSDT", "NOPEUSDT"})
    assert got["weight_limit"] == 2400
    assert set(got["symbols"]) == {"BTCUSDT"} and got["missing"] == ["NOPEUSDT"]
    btc = got["symbols"]["BTCUSDT"]
    assert btc["filters"]["MIN_NOTIONAL"]["notional"] == "100"
    assert btc["status"] == "TRADING" and "orderTypes" not in btc
    # a weight limit per 5 minutes is not the 1-minute one
    assert parse_exchange_info(info(interval_num=5), set())["weight_limit"] is None


@pytest.mark.parametrize(
    "data",
    [
        [],
        {"symbols": []},
        {"rateLimits": "none"},
        info(limit=float("inf")),
        info(limit="many"),
        {"rateLimits": [{"rateLimitType": "REQUEST_WEIGHT", "interval": "MINUTE"}]},
    ],
)
def test_malformed_answers_raise_what_the_reader_catches(data: Any) -> None:
    with pytest.raises((ValueError, TypeError, KeyError)):
        parse_exchange_info(data, {"BTCUSDT"})
    reader = ExchangeInfoReader(AnswerCache(None, time.time), WeightBook())
    limits = reader.from_answer(Outcome("fapi.exchangeInfo", data=data), BASE, "usdm", set())
    assert limits.error is not None and limits.error.kind is FetchErrorKind.MALFORMED


def test_a_malformed_answer_falls_back_to_the_last_good_one_and_the_limit_reaches_the_book() -> (
    None
):
    book = WeightBook()
    reader = ExchangeInfoReader(AnswerCache(None, time.time), book)
    good = reader.from_answer(
        Outcome("fapi.exchangeInfo", data=info(limit=3000)), BASE, "usdm", {"BTCUSDT"}
    )
    assert good.weight_limit == 3000 and good.symbol("BTCUSDT") is not None
    assert 3000 in book.limits.values()
    bad = Outcome("fapi.exchangeInfo", data={"rateLimits": None})
    again = reader.from_answer(bad, BASE, "usdm", {"BTCUSDT"})
    assert again.weight_limit == 3000 and again.symbol("BTCUSDT") is not None
    assert bad.error is not None and bad.error.kind is FetchErrorKind.MALFORMED
    down = Outcome("fapi.exchangeInfo", error=FetchError(FetchErrorKind.TIMEOUT, "slow"))
    assert reader.from_answer(down, BASE, "usdm", {"BTCUSDT"}).weight_limit == 3000


def test_kept_limits_serve_only_while_fresh_and_naming_every_wanted_symbol() -> None:
    reader = ExchangeInfoReader(AnswerCache(None, time.time), WeightBook())
    reader.from_answer(
        Outcome("fapi.exchangeInfo", data=info()), BASE, "usdm", {"BTCUSDT", "XUSDT"}
    )
    need = ExchangeNeed(BASE, "usdm", "main", symbols={"BTCUSDT", "XUSDT"})
    kept = reader.kept(need, 3600)
    assert kept is not None and kept.symbol("XUSDT") is None  # known to be missing
    assert reader.kept(ExchangeNeed(BASE, "usdm", "main", symbols={"ETHUSDT"}), 3600) is None
    assert reader.kept(need, 0) is None
