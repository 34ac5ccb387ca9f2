"""checks.leverage_caps: positions and the notional cap at each symbol's leverage."""

from __future__ import annotations

from decimal import Decimal

import pytest

from healthcheck.checks.base import SchemaError
from healthcheck.checks.leverage import LeverageCheck, LeverageSettings
from healthcheck.checks.leverage_caps import Cap, bracket_caps, positions, symbol_config_caps
from healthcheck.model.result import Status
from tests.checks.factbook import account, facts

RISK = [
    {
        "symbol": "BTCUSDT",
        "positionSide": "BOTH",
        "positionAmt": "3.5",
        "notional": "-210000",
        "markPrice": "60000",
        "leverage": "20",
    },
    {
        "symbol": "ETHUSDT",
        "positionSide": "BOTH",
        "positionAmt": "0",
        "notional": "0",
        "markPrice": "3000",
        "leverage": "10",
    },
]


def test_a_notional_over_80_percent_of_the_cap_is_a_warning():
    acc = account(markets=("usdm",))
    cfg = [
        {"symbol": "BTCUSDT", "marginType": "CROSSED", "leverage": 20, "maxNotionalValue": "250000"}
    ]
    r = LeverageCheck(LeverageSettings()).evaluate(
        facts(acc, {"fapi.positionRisk": RISK, "fapi.symbolConfig": cfg})
    )
    assert r.status is Status.WARNING and r.risk_codes == [-2027] and "84 %" in r.summary


def test_positions_skip_flat_ones_and_take_the_absolute_notional():
    (p,) = positions(RISK)
    assert (p.symbol, p.amount, p.mark) == ("BTCUSDT", Decimal(210000), Decimal(60000))


def test_the_cap_is_the_largest_bracket_allowed_at_the_leverage():
    brackets = [
        {
            "symbol": "BTCUSDT",
            "brackets": [
                {"bracket": 1, "initialLeverage": 125, "notionalCap": "50000"},
                {"bracket": 2, "initialLeverage": 20, "notionalCap": "250000"},
                {"bracket": 3, "initialLeverage": 10, "notionalCap": "1000000"},
            ],
        }
    ]
    assert bracket_caps(brackets, {"BTCUSDT": 20}) == {
        "BTCUSDT": Cap(20, Decimal(250000), "notional")
    }
    coinm = [{"pair": "BTCUSD", "brackets": [{"initialLeverage": 20, "qtyCap": "50"}]}]
    assert bracket_caps(coinm, {"BTCUSD": 20})["BTCUSD"].unit == "quantity"


def test_an_answer_that_is_not_a_list_is_a_schema_error():
    with pytest.raises(SchemaError, match="symbolConfig"):
        symbol_config_caps({"code": -1000})
    with pytest.raises(SchemaError, match="positionRisk"):
        positions("oops")
