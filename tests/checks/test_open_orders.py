"""open_orders: open and stop orders vs MAX_NUM_ORDERS / MAX_NUM_ALGO_ORDERS, spot unfilled."""

from __future__ import annotations

import pytest

from healthcheck.checks.open_orders import OpenOrdersCheck, OpenOrdersSettings
from healthcheck.exchange.fetch import Request
from healthcheck.model.result import Status
from tests.checks.factbook import account, api_error, facts, spot_symbol, usdm_symbol

CHECK = OpenOrdersCheck(OpenOrdersSettings())


def orders(n: int, kind: str = "LIMIT") -> list[dict]:
    return [{"orderId": i, "symbol": "BTCUSDT", "type": kind, "status": "NEW"} for i in range(n)]


def usdm_facts(normal: int, algo: int, **sym):
    acc = account(markets=("usdm",), symbols={"usdm": ("BTCUSDT",)})
    return facts(
        acc,
        {
            Request.of("fapi.openOrders", symbol="BTCUSDT"): orders(normal),
            Request.of("fapi.openAlgoOrders", symbol="BTCUSDT"): [
                {"algoId": i, "orderType": "STOP_MARKET"} for i in range(algo)
            ],
        },
        exchange={"usdm": {"BTCUSDT": usdm_symbol(**sym)}},
    )


def test_needs_per_symbol_requests_with_the_cheap_symbol_weight():
    acc = account(symbols={"spot": ("ETHUSDT",), "usdm": ("BTCUSDT",)})
    eps = [r.endpoint for r in CHECK.needs(acc)]
    assert eps.count("fapi.openOrders") == 1 and eps.count("fapi.openAlgoOrders") == 1
    assert "spot.openOrders" in eps and "spot.rateLimitOrder" in eps
    rl = next(r for r in CHECK.needs(acc) if r.endpoint == "spot.rateLimitOrder")
    assert rl.reuse_seconds >= 600  # weight 40: not every run


@pytest.mark.parametrize(
    "normal, algo, status, codes, risk",
    [
        (10, 0, Status.OK, [], []),
        (160, 0, Status.WARNING, [], [-2025]),
        (195, 5, Status.CRITICAL, [-2025], []),
        (0, 8, Status.WARNING, [], [-4045]),
        (0, 10, Status.CRITICAL, [-4045], []),
    ],
)
def test_futures_open_and_stop_orders_against_their_limits(normal, algo, status, codes, risk):
    r = CHECK.evaluate(usdm_facts(normal, algo))
    assert r.status is status, r.summary
    assert r.codes == codes
    assert set(risk) <= set(r.risk_codes)


def test_spot_open_orders_at_limit_are_critical_with_2010_max_num_orders():
    acc = account(markets=("spot",), symbols={"spot": ("ETHUSDT",)})
    r = CHECK.evaluate(
        facts(
            acc,
            {
                Request.of("spot.openOrders", symbol="ETHUSDT"): orders(200),
                Request("spot.rateLimitOrder"): [],
            },
            exchange={"spot": {"ETHUSDT": spot_symbol()}},
        )
    )
    assert r.status is Status.CRITICAL and r.codes == [-2010]
    assert "MAX_NUM_ORDERS" in r.summary


def test_spot_stop_orders_count_toward_max_num_algo_orders():
    acc = account(markets=("spot",), symbols={"spot": ("ETHUSDT",)})
    r = CHECK.evaluate(
        facts(
            acc,
            {
                Request.of("spot.openOrders", symbol="ETHUSDT"): orders(5, "STOP_LOSS_LIMIT"),
                Request("spot.rateLimitOrder"): [],
            },
            exchange={"spot": {"ETHUSDT": spot_symbol(max_algo=5)}},
        )
    )
    assert r.status is Status.CRITICAL and "MAX_NUM_ALGO_ORDERS" in r.summary


@pytest.mark.parametrize(
    "count, status", [(100, Status.OK), (170_000, Status.WARNING), (200_000, Status.CRITICAL)]
)
def test_spot_unfilled_order_count_vs_its_limit(count, status):
    acc = account(markets=("spot",), symbols={"spot": ("ETHUSDT",)})
    r = CHECK.evaluate(
        facts(
            acc,
            {
                Request.of("spot.openOrders", symbol="ETHUSDT"): [],
                Request("spot.rateLimitOrder"): [
                    {
                        "rateLimitType": "ORDERS",
                        "interval": "SECOND",
                        "intervalNum": 10,
                        "limit": 50,
                        "count": 0,
                    },
                    {
                        "rateLimitType": "ORDERS",
                        "interval": "DAY",
                        "intervalNum": 1,
                        "limit": 200000,
                        "count": count,
                    },
                ],
            },
            exchange={"spot": {"ETHUSDT": spot_symbol()}},
        )
    )
    assert r.status is status
    if status is Status.CRITICAL:
        assert r.codes == [-1015]


def test_failed_open_orders_request_is_unknown():
    acc = account(markets=("usdm",), symbols={"usdm": ("BTCUSDT",)})
    r = CHECK.evaluate(
        facts(
            acc,
            {Request.of("fapi.openOrders", symbol="BTCUSDT"): api_error(-2015, "Invalid API-key")},
            exchange={"usdm": {"BTCUSDT": usdm_symbol()}},
        )
    )
    assert r.status is Status.UNKNOWN
