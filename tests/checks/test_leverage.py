"""leverage: each position's notional vs the cap of its leverage (-2027)."""

from __future__ import annotations

from decimal import Decimal

import pytest

from healthcheck.checks.leverage import LeverageCheck, LeverageSettings
from healthcheck.model.result import Status
from tests.checks.factbook import account, api_error, facts

CHECK = LeverageCheck(LeverageSettings())


def position(symbol: str, amt: str, notional: str, side: str = "BOTH") -> dict:
    return {
        "symbol": symbol,
        "positionSide": side,
        "positionAmt": amt,
        "notional": notional,
        "markPrice": "60000",
    }


def config(symbol: str, leverage: int, cap: str) -> dict:
    return {
        "symbol": symbol,
        "marginType": "CROSSED",
        "isAutoAddMargin": "false",
        "leverage": leverage,
        "maxNotionalValue": cap,
    }


def run(positions, configs, **acc_kw):
    acc = account(markets=("usdm",), **acc_kw)
    return CHECK.evaluate(
        facts(acc, {"fapi.positionRisk": positions, "fapi.symbolConfig": configs})
    )


def test_spot_only_account_has_no_leverage_result():
    assert CHECK.evaluate(facts(account(markets=("spot",)))) is None


@pytest.mark.parametrize(
    "notional, status",
    [("100000", Status.OK), ("-210000", Status.WARNING), ("250000", Status.CRITICAL)],
)
def test_position_notional_against_the_cap_of_its_leverage(notional, status):
    r = run([position("BTCUSDT", "1", notional)], [config("BTCUSDT", 20, "250000")])
    assert r.status is status, r.summary
    if status is Status.WARNING:
        assert r.risk_codes == [-2027] and "84 %" in r.summary
    if status is Status.CRITICAL:
        assert r.codes == [-2027]


def test_one_more_order_over_the_cap_is_critical():
    r = run(
        [position("BTCUSDT", "1", "200000")],
        [config("BTCUSDT", 20, "250000")],
        order_size={"default": Decimal(60000)},
    )
    assert r.status is Status.CRITICAL and r.codes == [-2027]
    assert "plus one order of 60000" in r.summary


def test_configured_symbol_whose_single_order_is_over_the_cap_is_critical():
    r = run(
        [],
        [config("ETHUSDT", 125, "50000")],
        symbols={"usdm": ("ETHUSDT",)},
        order_size={"ETHUSDT": Decimal(80000)},
    )
    assert r.status is Status.CRITICAL and "ETHUSDT" in r.summary


def test_flat_positions_are_ignored():
    r = run([position("BTCUSDT", "0", "0")], [config("BTCUSDT", 125, "50000")])
    assert r.status is Status.OK


def test_unavailable_positions_are_unknown():
    acc = account(markets=("usdm",))
    r = CHECK.evaluate(
        facts(acc, {"fapi.positionRisk": api_error(-1021, "ts"), "fapi.symbolConfig": []})
    )
    assert r.status is Status.UNKNOWN and "-1021" in r.summary


# ---- a freqtrade account: its margin_mode against the margin type of held positions (-4048)


def freqtrade_link(margin_mode: str):
    from pathlib import Path

    from healthcheck.bots.derived import Derived
    from healthcheck.bots.link import BotLink

    path = Path("/etc/freqtrade/config.json")
    return BotLink(
        "freqtrade", path, frozenset(), Derived("freqtrade", path, (path,), margin_mode=margin_mode)
    )


@pytest.mark.parametrize(
    "margin_mode, held, symbols, status",
    [
        ("isolated", "CROSSED", ("BTCUSDT",), Status.CRITICAL),
        ("cross", "ISOLATED", ("BTCUSDT",), Status.CRITICAL),
        ("isolated", "ISOLATED", ("BTCUSDT",), Status.OK),
        ("isolated", "CROSSED", ("ETHUSDT",), Status.OK),  # a position the bot does not trade
        ("isolated", "CROSSED", (), Status.WARNING),  # the bot's pairs unknown
    ],
)
def test_freqtrade_margin_mode_against_a_position_in_the_other_type_predicts_4048(
    margin_mode, held, symbols, status
):
    cfg = config("BTCUSDT", 5, "1000000") | {"marginType": held}
    r = run(
        [position("BTCUSDT", "0.01", "600")],
        [cfg],
        bot=freqtrade_link(margin_mode),
        symbols={"usdm": symbols} if symbols else {},
    )
    assert r.status is status, r.summary
    if status is Status.CRITICAL:
        assert r.codes == [-4048] and "freqtrade sets the margin type" in r.summary
    if status is Status.WARNING:
        assert r.risk_codes == [-4048]


def test_margin_type_without_a_position_is_not_a_problem():
    """freqtrade changes it itself before its first entry (no position: Binance accepts)."""
    cfg = config("BTCUSDT", 5, "1000000") | {"marginType": "CROSSED"}
    r = run([], [cfg], bot=freqtrade_link("isolated"), symbols={"usdm": ("BTCUSDT",)})
    assert r.status is Status.OK
