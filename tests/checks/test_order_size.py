"""The rules one MARKET order must pass, from a symbol's filters, and the price at which an order
of a given size starts failing (healthcheck/checks/order_size.py)."""

from __future__ import annotations

from decimal import Decimal

from healthcheck.checks.order_size import first_failing_price, order_rules
from tests.checks.factbook import spot_symbol, usdm_symbol


def test_quantity_is_rounded_down_to_the_step_as_bots_do():
    rules = order_rules("usdm", usdm_symbol()["filters"])
    assert rules.quantity(Decimal(119.99), Decimal(60000)) == Decimal("0.001")
    assert rules.quantity(Decimal(120), Decimal(60000)) == Decimal("0.002")


def test_first_failing_price_finds_the_rounding_drop():
    rules = order_rules("usdm", usdm_symbol()["filters"])
    p = first_failing_price(rules, Decimal(150), Decimal(60000), Decimal("0.3"), +1)
    assert p is not None and Decimal(75000) < p < Decimal("75000.01")
    assert first_failing_price(rules, Decimal(150), Decimal(60000), Decimal("0.1"), +1) is None


def test_market_lot_size_tightens_lot_size_for_market_orders():
    rules = order_rules("usdm", usdm_symbol(max_qty="1000", market_max_qty="120")["filters"])
    assert rules.max_qty == Decimal(120)
    assert rules.failure(Decimal(121 * 100), Decimal(100)) == ("max_qty", Decimal(121))
    # spot's MARKET_LOT_SIZE of 0 sets no rule
    spot = spot_symbol()["filters"]
    spot["MARKET_LOT_SIZE"] = {"filterType": "MARKET_LOT_SIZE", "minQty": "0", "maxQty": "0"}
    assert order_rules("spot", spot).max_qty == Decimal(9000)


def test_spot_notional_filter_bounds_both_ways_unless_not_applied_to_market():
    filters = spot_symbol(min_notional="5", max_notional="1000")["filters"]
    filters["NOTIONAL"]["applyMaxToMarket"] = True
    rules = order_rules("spot", filters)
    assert rules.failure(Decimal(4), Decimal(2000)) == ("min_notional", Decimal(4))
    assert rules.failure(Decimal(2000), Decimal(2000)) == ("max_notional", Decimal(2000))
    assert rules.failure(Decimal(500), Decimal(2000)) is None
    filters["NOTIONAL"]["applyMaxToMarket"] = False  # as Binance ships most spot symbols
    assert order_rules("spot", filters).failure(Decimal(2000), Decimal(2000)) is None


def test_first_failing_price_looks_down_too():
    rules = order_rules("usdm", usdm_symbol(max_qty="1000", market_max_qty="2")["filters"])
    # 150 of notional is 2.5 BTC at 60, above the market max of 2 as the price falls below 75
    p = first_failing_price(rules, Decimal(150), Decimal(100), Decimal("0.5"), -1)
    assert p is not None and Decimal(74) < p <= Decimal(75)


def test_an_implausible_filter_figure_is_no_rule_not_an_overflow():
    """Hypothesis found these (CI): a step of 1E-999999 underflowed and a minimum quantity of
    1E+999999 overflowed the arithmetic; like number(), a figure beyond 1E+-100 is ignored."""
    filters = usdm_symbol()["filters"]
    filters["LOT_SIZE"] = {
        "filterType": "LOT_SIZE",
        "stepSize": "1E-999999",
        "minQty": "1E+999999",
        "maxQty": "1000",
    }
    rules = order_rules("usdm", filters)
    # no step; the minimum is MARKET_LOT_SIZE's (the implausible LOT_SIZE one is ignored)
    assert rules.step == 0 and rules.min_qty == Decimal("0.001")
    assert rules.quantity(Decimal(150), Decimal(60000)) == Decimal(150) / Decimal(60000)
    assert rules.failure(Decimal(150), Decimal(60000)) is None
