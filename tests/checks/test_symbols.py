"""symbols: status, delistings, and an order of order_size vs lot size and notional."""

from __future__ import annotations

from decimal import Decimal

import pytest

from healthcheck.checks.symbols import SymbolsCheck, SymbolsSettings
from healthcheck.exchange.fetch import Request
from healthcheck.model.result import Status
from tests.checks.factbook import NOW, account, api_error, facts, spot_symbol, usdm_symbol

CHECK = SymbolsCheck(SymbolsSettings())


def mark(symbol: str, price: str) -> tuple[Request, dict]:
    return Request.of("fapi.markPrice", symbol=symbol), {"symbol": symbol, "markPrice": price}


def ticker(symbol: str, price: str) -> tuple[Request, dict]:
    return Request.of("spot.tickerPrice", symbol=symbol), {"symbol": symbol, "price": price}


def usdm_account(**kw):
    kw.setdefault("symbols", {"usdm": ("BTCUSDT",)})
    return account(markets=("usdm",), **kw)


def test_symbols_check_applies_only_with_configured_symbols():
    assert not CHECK.applies(account())
    assert CHECK.applies(usdm_account())


def test_symbols_needs_exchange_info_prices_and_a_daily_delist_schedule():
    acc = account(
        symbols={"spot": ("ETHUSDT",), "usdm": ("BTCUSDT",)}, order_size={"default": Decimal(50)}
    )
    needs = {r.endpoint: r for r in CHECK.needs(acc)}
    assert needs["spot.tickerPrice"].params == (("symbol", "ETHUSDT"),)
    assert needs["fapi.markPrice"].params == (("symbol", "BTCUSDT"),)
    assert needs["sapi.delistSchedule"].reuse_seconds == 86400
    assert dict(needs["fapi.exchangeInfo"].params)["symbols"] == "BTCUSDT"


def test_closed_futures_symbol_is_critical_with_4141():
    acc = usdm_account()
    r = CHECK.evaluate(facts(acc, exchange={"usdm": {"BTCUSDT": usdm_symbol(status="SETTLING")}}))
    assert r.status is Status.CRITICAL and r.codes == [-4141]
    assert "SETTLING" in r.summary


def test_closed_spot_symbol_is_critical_with_market_is_closed():
    acc = account(markets=("spot",), symbols={"spot": ("ETHUSDT",)})
    r = CHECK.evaluate(facts(acc, exchange={"spot": {"ETHUSDT": spot_symbol(status="BREAK")}}))
    assert r.status is Status.CRITICAL and r.codes == [-1013]
    assert "Market is closed." in r.summary


def test_unknown_symbol_is_critical_with_invalid_symbol():
    acc = usdm_account(symbols={"usdm": ("NOPEUSDT",)})
    r = CHECK.evaluate(facts(acc, exchange={"usdm": {}}))
    assert r.status is Status.CRITICAL and r.codes == [-1121]


def test_exchange_info_unavailable_is_unknown_not_ok():
    from healthcheck.checks.base import ExchangeLimits

    acc = usdm_account()
    f = facts(acc)
    f.exchange["usdm"] = ExchangeLimits(error=api_error(-1000, "boom"))
    r = CHECK.evaluate(f)
    assert r.status is Status.UNKNOWN


@pytest.mark.parametrize("days_left, status", [(10, Status.WARNING), (0.5, Status.CRITICAL)])
def test_announced_perpetual_delisting_warns_then_is_critical_in_the_last_day(days_left, status):
    acc = usdm_account()
    when_ms = int((NOW + days_left * 86400) * 1000)
    r = CHECK.evaluate(facts(acc, exchange={"usdm": {"BTCUSDT": usdm_symbol(delivery=when_ms)}}))
    assert r.status is status
    assert r.risk_codes == [-4141] and r.codes == []
    assert "delisted on" in r.summary and ("days" in r.summary or " h" in r.summary)


def test_spot_delist_schedule_entry_warns_with_the_date():
    acc = account(markets=("spot",), symbols={"spot": ("ETHUSDT",)})
    when_ms = int((NOW + 5 * 86400) * 1000)
    r = CHECK.evaluate(
        facts(
            acc,
            {"sapi.delistSchedule": [{"delistTime": when_ms, "symbols": ["ETHUSDT", "XYZUSDT"]}]},
            exchange={"spot": {"ETHUSDT": spot_symbol()}},
        )
    )
    assert r.status is Status.WARNING and r.risk_codes == [-1013]
    assert "5.0 days" in r.summary


def test_delist_schedule_failure_is_a_note_not_unknown():
    acc = account(markets=("spot",), symbols={"spot": ("ETHUSDT",)})
    r = CHECK.evaluate(
        facts(
            acc,
            {"sapi.delistSchedule": api_error(-1102, "mandatory")},
            exchange={"spot": {"ETHUSDT": spot_symbol()}},
        )
    )
    assert r.status is Status.OK
    assert "delist schedule" in r.details["delist_schedule"]


def test_order_below_futures_min_notional_is_critical_with_4164():
    # BTCUSDT's real minimum notional is 100: a bot sending 50 USDT orders gets -4164
    acc = usdm_account(order_size={"default": Decimal(50)})
    req, data = mark("BTCUSDT", "40000")  # 50 / 40000 = 0.00125 -> 0.001 = 40 notional
    r = CHECK.evaluate(facts(acc, {req: data}, exchange={"usdm": {"BTCUSDT": usdm_symbol()}}))
    assert r.status is Status.CRITICAL and r.codes == [-4164]
    assert "below the minimum 100" in r.summary


def test_order_below_min_quantity_is_critical_with_4004():
    acc = usdm_account(order_size={"BTCUSDT": Decimal(30)})
    req, data = mark("BTCUSDT", "60000")  # 30 / 60000 = 0.0005 -> rounds to 0
    r = CHECK.evaluate(
        facts(acc, {req: data}, exchange={"usdm": {"BTCUSDT": usdm_symbol(min_notional="5")}})
    )
    assert r.status is Status.CRITICAL and r.codes == [-4004]


def test_order_above_market_max_quantity_is_critical_with_4005():
    acc = usdm_account(order_size={"default": Decimal(10_000_000)})
    req, data = mark("BTCUSDT", "60000")  # 166 BTC > MARKET_LOT_SIZE maxQty 120
    r = CHECK.evaluate(facts(acc, {req: data}, exchange={"usdm": {"BTCUSDT": usdm_symbol()}}))
    assert r.status is Status.CRITICAL and r.codes == [-4005]


def test_spot_order_below_notional_is_critical_with_1013_filter_failure():
    acc = account(
        markets=("spot",), symbols={"spot": ("ETHUSDT",)}, order_size={"default": Decimal(4)}
    )
    req, data = ticker("ETHUSDT", "3000")
    r = CHECK.evaluate(facts(acc, {req: data}, exchange={"spot": {"ETHUSDT": spot_symbol()}}))
    assert r.status is Status.CRITICAL and r.codes == [-1013]
    assert "Filter failure: NOTIONAL" in r.summary


def test_order_that_fails_after_a_price_rise_warns_and_names_the_price():
    # 150 USDT at 60000: qty 0.002 (120 notional). At 75000 it rounds to 0.002 = 150 still, but
    # past 75000 the quantity drops to 0.001 (75 notional) < 100: a +25 % move. With a 30 %
    # margin that is a WARNING naming that price.
    acc = usdm_account(order_size={"default": Decimal(150)})
    check = SymbolsCheck(SymbolsSettings(price_margin=0.30))
    req, data = mark("BTCUSDT", "60000")
    r = check.evaluate(facts(acc, {req: data}, exchange={"usdm": {"BTCUSDT": usdm_symbol()}}))
    assert r.status is Status.WARNING and r.risk_codes == [-4164] and r.codes == []
    assert "rises to 75000" in r.summary and "+25.0 %" in r.summary
    # the default margin (10 %) does not reach it
    r = CHECK.evaluate(facts(acc, {req: data}, exchange={"usdm": {"BTCUSDT": usdm_symbol()}}))
    assert r.status is Status.OK


def test_order_size_per_symbol_overrides_the_default():
    acc = usdm_account(
        symbols={"usdm": ("BTCUSDT", "ETHUSDT")},
        order_size={"BTCUSDT": Decimal(500), "default": Decimal(10)},
    )
    reqs = dict([mark("BTCUSDT", "60000"), mark("ETHUSDT", "3000")])
    r = CHECK.evaluate(
        facts(
            acc,
            reqs,
            exchange={
                "usdm": {
                    "BTCUSDT": usdm_symbol(),
                    "ETHUSDT": usdm_symbol("ETHUSDT", min_notional="20"),
                }
            },
        )
    )
    assert r.status is Status.CRITICAL and r.codes == [-4164]
    assert "ETHUSDT" in r.summary and "BTCUSDT" not in r.summary


def test_price_unavailable_is_unknown_for_the_size_part():
    acc = usdm_account(order_size={"default": Decimal(500)})
    r = CHECK.evaluate(
        facts(
            acc,
            {Request.of("fapi.markPrice", symbol="BTCUSDT"): api_error(-1121, "Invalid symbol")},
            exchange={"usdm": {"BTCUSDT": usdm_symbol()}},
        )
    )
    assert r.status is Status.UNKNOWN
