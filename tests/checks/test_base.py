"""checks.base: reading Binance's numbers and timestamps; a bad answer is one line naming it."""

from __future__ import annotations

from decimal import Decimal

import pytest

from healthcheck.checks.base import SchemaError, ms_timestamp, number


def test_number_reads_strings_and_ints_exactly():
    assert number({"notional": "100.10"}, "notional", "x") == Decimal("100.10")
    assert number({"leverage": 20}, "leverage", "x") == Decimal(20)


@pytest.mark.parametrize(
    "obj, message",
    [
        ({}, "positionRisk BTCUSDT: field 'notional' is missing"),
        ({"notional": True}, "field 'notional' is not a number (True)"),
        ({"notional": "abc"}, "field 'notional' is not a number ('abc')"),
        ({"notional": "NaN"}, "not a finite number"),
        ({"notional": "1e999999999"}, "not a plausible number"),
        ([], "expected an object, got list"),
    ],
)
def test_a_bad_number_is_one_line_naming_where_and_the_field(obj, message):
    with pytest.raises(SchemaError, match=message.replace("(", r"\(").replace(")", r"\)")):
        number(obj, "notional", "positionRisk BTCUSDT")


def test_ms_timestamp_accepts_only_plausible_times():
    assert ms_timestamp(1_790_000_000_000) == 1_790_000_000.0
    for bad in (0, -5, True, "1790000000000", 10**400, float("nan"), 10**16):
        assert ms_timestamp(bad) is None
