"""trading_status: locks, canTrade, account status, test orders (-4400, -4088, ...)."""

from __future__ import annotations

from decimal import Decimal

from healthcheck.checks.trading_status import (
    TradingStatusCheck,
    TradingStatusSettings,
    build_test_order,
)
from healthcheck.exchange.fetch import Request
from healthcheck.model.result import Status
from tests.checks.factbook import account, api_error, facts, usdm_symbol

CHECK = TradingStatusCheck(TradingStatusSettings())


def test_futures_rule_lock_is_critical_4400():
    acc = account(markets=("usdm",))
    r = CHECK.evaluate(
        facts(
            acc,
            {
                "fapi.apiTradingStatus": {
                    "indicators": {
                        "BTCUSDT": [
                            {
                                "isLocked": True,
                                "plannedRecoverTime": 1790003600000,
                                "indicator": "UFR",
                                "value": 0.99,
                                "triggerValue": 0.99,
                            }
                        ]
                    },
                    "updateTime": 0,
                },
                "fapi.accountConfig": {"canTrade": True},
                "sapi.accountStatus": {"data": "Normal"},
            },
        )
    )
    assert r.status is Status.CRITICAL and r.codes == [-4400]


def test_test_order_is_sized_to_pass_the_minimum_notional():
    acc = account(markets=("usdm",), test_order_symbols=("BTCUSDT",))
    ex = facts(acc, exchange={"usdm": {"BTCUSDT": usdm_symbol()}}).exchange["usdm"]
    params = build_test_order(acc, "usdm", "BTCUSDT", ex, Decimal(60000))
    assert Decimal(params["quantity"]) * 60000 >= 100
    assert params["positionSide"] == "BOTH"


def test_test_order_rejected_for_the_account_is_critical_with_its_code():
    acc = account(
        markets=("usdm",),
        test_order_symbols=("BTCUSDT",),
        test_order_quantity={"BTCUSDT": Decimal("0.002")},
    )
    f = facts(
        acc,
        {
            "fapi.apiTradingStatus": {"indicators": {}},
            "fapi.accountConfig": {"canTrade": True},
            "sapi.accountStatus": {"data": "Normal"},
        },
        exchange={"usdm": {"BTCUSDT": usdm_symbol()}},
    )
    (req,) = CHECK.followups(acc, f)
    assert req.endpoint == "fapi.orderTest" and dict(req.params)["quantity"] == "0.002"
    f.outcomes[req.key] = facts(acc, {req: api_error(-4061, "side")}).outcomes[req.key]
    r = CHECK.evaluate(f)
    assert r.status is Status.CRITICAL and r.codes == [-4061]


def test_price_request_only_for_symbols_without_a_configured_quantity():
    acc = account(
        markets=("usdm",),
        test_order_symbols=("BTCUSDT", "ETHUSDT"),
        test_order_quantity={"BTCUSDT": Decimal("0.002")},
    )
    prices = [r for r in CHECK.needs(acc) if r.endpoint == "fapi.markPrice"]
    assert prices == [Request.of("fapi.markPrice", symbol="ETHUSDT")]
