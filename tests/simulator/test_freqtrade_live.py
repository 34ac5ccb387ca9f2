"""A real freqtrade (the pinned version in its cached venv, tests/support/freqtrade.py) trades live
against the simulator, unchanged but for the URLs: spot, USD-M futures isolated and cross. Its
whole trade life is checked on both sides: what freqtrade logged and what the simulator holds
(orders created, filled, cancelled; stoploss on the exchange placed, cancelled, or fired when
the price falls; margin type). Then the start-up and
entry refusals freqtrade itself makes (hedge mode, multi-assets mode, a stake below its minimum,
-4048). Marked ``freqtrade``: ``pytest -m freqtrade`` runs only these; they skip, naming the
reason, where the venv cannot be built.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from support import freqtrade as ft

from healthcheck.simulator import SimAccount, Simulator
from healthcheck.simulator.trading import usdm_position_json

pytestmark = [pytest.mark.freqtrade, pytest.mark.slow]

# what must never show in a working bot's log; "404" alone would match a millisecond field
BAD_LOG = re.compile(r"404 Not Found|NotSupported|ExchangeNotAvailable|Traceback| - ERROR - ")
SPOT = ("BTC/USDT", "ETH/USDT")
FUT = ("BTC/USDT:USDT", "ETH/USDT:USDT")


@pytest.fixture
def acct(sim: Simulator) -> SimAccount:
    a = sim.add_account("ft")
    a.futures_maint_margin = "0"  # flat: no derived BTCUSDT position on this account
    return a


def _cfg(sim: Simulator, a: SimAccount, **kw: Any) -> dict[str, Any]:
    cfg = ft.config(sim.url, a.api_key, a.api_secret, **kw)
    # short waits: unfilled entries cancelled after 4 s, filled trades exited after 4 s
    cfg["unfilledtimeout"] = {"entry": 4, "exit": 10, "exit_timeout_count": 0, "unit": "seconds"}
    cfg["bhc_exit_after_seconds"] = 4
    cfg["internals"]["heartbeat_interval"] = 5
    return cfg


def _orders(a: SimAccount, symbol: str, **match: Any) -> list[dict[str, Any]]:
    return [
        o
        for o in list(a.orders.values())
        if o["symbol"] == symbol and all(o[k] == v for k, v in match.items())
    ]


def _has(a: SimAccount, symbol: str, **match: Any) -> Callable[[], bool]:
    return lambda: bool(_orders(a, symbol, **match))


def _assert_clean(sim: Simulator, log: str, allowed: set[tuple[str, int]] | None = None) -> None:
    bad = BAD_LOG.findall(log)
    assert not bad, f"freqtrade logged {sorted(set(bad))}:\n{log[-4000:]}"
    allowed = allowed or set()
    refused = [
        (r.method, r.path, r.status)
        for r in sim.requests
        if r.status >= 400 and (r.path, r.status) not in allowed
    ]
    assert not refused, f"the simulator refused freqtrade's calls: {refused[:10]}"


def _symbol(pair: str) -> str:
    return pair.split(":")[0].replace("/", "")


def _trade_life(run: ft.FreqtradeRun, a: SimAccount, pair: str, unfilled: str | None) -> str:
    """Wait for one whole trade on ``pair`` (and one entry on ``unfilled`` cancelled on
    freqtrade's unfilled timeout); return the log."""
    sym = _symbol(pair)
    trade = r"for Trade\(id=\d+, pair=" + re.escape(pair)
    run.wait_for(r"Bot heartbeat", 90)
    run.wait_for(_has(a, sym, side="BUY", status="FILLED"), 60)
    run.wait_for(r"(LIMIT|MARKET)_BUY has been fulfilled " + trade, 30)
    run.wait_for(r"stoploss (limit|market) order added for " + re.escape(pair), 30)
    run.wait_for(r"Exit for " + re.escape(pair) + r" detected\. Reason: custom_exit", 30)
    run.wait_for(_has(a, sym, side="SELL", status="FILLED", algo=False), 60)
    run.wait_for(r"(LIMIT|MARKET)_SELL has been fulfilled " + trade, 30)
    if unfilled is not None:
        cancelled = r"Buy order cancelled due to timeout for Trade\(id=\d+, pair="
        run.wait_for(cancelled + re.escape(unfilled), 30)
    return run.wait_for(r"Cancelling stoploss on exchange " + trade, 30)


def test_spot_trade_life_limit_fill_stoploss_exit_and_unfilled_cancel(
    sim: Simulator, acct: SimAccount, tmp_path: Path
) -> None:
    cfg = _cfg(sim, acct, pairs=SPOT, stake_amount=100, bhc_unfilled_pairs=["ETH/USDT"])
    usdt_before = acct.spot_balances["USDT"][0]
    with ft.FreqtradeRun(tmp_path, cfg) as run:
        log = _trade_life(run, acct, "BTC/USDT", "ETH/USDT")
    buys = _orders(acct, "BTCUSDT", side="BUY", type="LIMIT", status="FILLED")
    stops = _orders(acct, "BTCUSDT", type="STOP_LOSS_LIMIT")
    sells = _orders(acct, "BTCUSDT", side="SELL", type="LIMIT", status="FILLED")
    assert buys and sells, acct.orders
    # the stop-loss-limit rested on the exchange 10 % below the entry, then was cancelled first
    assert stops and stops[0]["stopPrice"] == 54000 and stops[0]["status"] == "CANCELED"
    assert _orders(acct, "ETHUSDT", side="BUY", status="CANCELED")  # the unfilled-timeout cancel
    assert sells[0]["origQty"] <= buys[0]["origQty"]  # sold what was bought, less the fee
    assert acct.spot_balances["USDT"][0] != usdt_before  # the fills moved the balance
    _assert_clean(sim, log)


def _futures_trade_life(
    sim: Simulator,
    acct: SimAccount,
    tmp_path: Path,
    margin_mode: str,
    *,
    market: bool = False,
    **kw: Any,
) -> tuple[str, dict[str, Any]]:
    cfg = _cfg(sim, acct, trading_mode="futures", margin_mode=margin_mode, pairs=FUT,
               stake_amount=200, bhc_unfilled_pairs=["ETH/USDT:USDT"], **kw)  # fmt: skip
    with ft.FreqtradeRun(tmp_path, cfg) as run:
        run.wait_for(r"stoploss (limit|market) order added for BTC/USDT:USDT", 90)
        # while the trade is open the position is the simulator's, in the margin mode asked for
        open_position = usdm_position_json(sim, acct, "BTCUSDT", sim.now_ms(), v2=True)
        assert open_position is not None
        # a market entry cannot rest: then nothing is cancelled on the unfilled timeout
        log = _trade_life(run, acct, "BTC/USDT:USDT", None if market else "ETH/USDT:USDT")
    assert acct.usdm_position("BTCUSDT")["amt"] == 0  # the exit closed it
    return log, open_position


def test_futures_isolated_trade_life(sim: Simulator, acct: SimAccount, tmp_path: Path) -> None:
    log, pos = _futures_trade_life(sim, acct, tmp_path, "isolated")
    assert acct.margin_type_for("BTCUSDT") == acct.margin_type_for("ETHUSDT") == "ISOLATED"
    assert pos["marginType"] == "isolated" and pos["isolated"] is True
    assert float(pos["positionAmt"]) > 0 and float(pos["isolatedWallet"]) > 0
    assert acct.leverage_for("BTCUSDT") == 1  # freqtrade set the leverage it trades at
    stops = _orders(acct, "BTCUSDT", algo=True)
    assert stops and stops[0]["type"] == "STOP" and stops[0]["status"] == "CANCELED"
    assert _orders(acct, "ETHUSDT", side="BUY", status="CANCELED")
    # the first entry per symbol switched the margin type; later ones got -4046, which ccxt and
    # freqtrade treat as "already set"
    switched = [r for r in sim.requests if r.path == "/fapi/v1/marginType" and r.status == 200]
    assert len(switched) == 2
    _assert_clean(sim, log, allowed={("/fapi/v1/marginType", 400)})


def test_futures_cross_market_entry_and_exit(
    sim: Simulator, acct: SimAccount, tmp_path: Path
) -> None:
    order_types = {"entry": "market", "exit": "market", "stoploss": "market",
                   "stoploss_on_exchange": True}  # fmt: skip
    log, pos = _futures_trade_life(
        sim, acct, tmp_path, "cross", market=True, order_types=order_types
    )
    assert acct.margin_type_for("BTCUSDT") == "CROSSED"
    assert pos["marginType"] == "cross" and pos["isolatedWallet"] == "0"
    assert _orders(acct, "BTCUSDT", side="BUY", type="MARKET", status="FILLED")
    assert _orders(acct, "BTCUSDT", side="SELL", type="MARKET", status="FILLED")
    stops = _orders(acct, "BTCUSDT", algo=True)
    assert stops and stops[0]["type"] == "STOP_MARKET"
    # cross is the account's default: every marginType call is answered -4046, none switches
    margin_calls = [r.status for r in sim.requests if r.path == "/fapi/v1/marginType"]
    assert margin_calls and set(margin_calls) == {400}
    _assert_clean(sim, log, allowed={("/fapi/v1/marginType", 400)})


@pytest.mark.parametrize(
    ("market", "pair", "hit"),
    [("spot", "BTC/USDT", "LIMIT"), ("usdm", "BTC/USDT:USDT", "STOPLOSS")],
)
def test_stoploss_on_exchange_fires_when_the_price_falls(
    sim: Simulator, acct: SimAccount, tmp_path: Path, market: str, pair: str, hit: str
) -> None:
    kw: dict[str, Any] = {"pairs": (pair,), "stake_amount": 100}
    if market == "usdm":
        kw.update(trading_mode="futures", margin_mode="isolated", stake_amount=200)
    cfg = _cfg(sim, acct, **kw)
    cfg["bhc_exit_after_seconds"] = 3600  # only the stoploss may end this trade
    with ft.FreqtradeRun(tmp_path, cfg) as run:
        run.wait_for(r"stoploss limit order added for " + re.escape(pair) +
                     r"\. stop price: 54000\.0\. limit: 53460\.0", 90)  # fmt: skip
        sim.set_price(market, "BTCUSDT", "53900")  # through the stop, above its limit
        log = run.wait_for(hit + r" is hit for Trade\(id=1, pair=" + re.escape(pair), 30)
    [stop] = _orders(acct, "BTCUSDT", type="STOP_LOSS_LIMIT" if market == "spot" else "STOP")
    if market == "spot":
        assert stop["status"] == "FILLED" and stop["avgPrice"] == 53900
    else:  # the algo order placed its actual order, which filled
        assert stop["status"] == "FINISHED"
        assert acct.orders[stop["actualOrderId"]]["status"] == "FILLED"
        assert acct.usdm_position("BTCUSDT")["amt"] == 0
    _assert_clean(sim, log, allowed={("/fapi/v1/marginType", 400)})


# ---------------------------------------------------------------------------------------------
# freqtrade's own refusals, provoked by the simulator (the log lines a watcher must understand)
# ---------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("fault", "margin_mode", "line"),
    [
        ("hedge_mode", "isolated", r"Hedge Mode is not supported by freqtrade\. Please change "
                                   r"'Position Mode' on your binance futures account\."),
        ("multi_assets", "isolated", r"Multi-Asset Mode is not supported by freqtrade\. Please "
                                     r"change 'Asset Mode' on your binance futures account\."),
    ],
)  # fmt: skip
def test_freqtrade_refuses_to_start(
    sim: Simulator, acct: SimAccount, tmp_path: Path, fault: str, margin_mode: str, line: str
) -> None:
    sim.set_fault(fault, account="ft")
    cfg = _cfg(sim, acct, trading_mode="futures", margin_mode=margin_mode, pairs=FUT)
    with ft.FreqtradeRun(tmp_path, cfg) as run:
        log = run.wait_for(line, 90)
        run.wait_for(lambda: run.proc is not None and run.proc.poll() is not None, 30)
    assert re.search(r" - ERROR - \n" + line, log)  # an empty ERROR message, the text below
    assert not acct.orders


def test_multi_assets_mode_is_fine_with_cross(
    sim: Simulator, acct: SimAccount, tmp_path: Path
) -> None:
    sim.set_fault("multi_assets", account="ft")
    cfg = _cfg(sim, acct, trading_mode="futures", margin_mode="cross", pairs=FUT[:1])
    with ft.FreqtradeRun(tmp_path, cfg) as run:
        log = run.wait_for(r"LIMIT_BUY has been fulfilled", 90)
    assert "Multi-Asset Mode" not in log


def test_position_in_the_other_margin_type_fails_every_entry_with_4048(
    sim: Simulator, acct: SimAccount, tmp_path: Path
) -> None:
    acct.set_position("BTCUSDT", "0.01", margin_type="CROSSED")
    cfg = _cfg(sim, acct, trading_mode="futures", margin_mode="isolated", pairs=FUT[:1])
    with ft.FreqtradeRun(tmp_path, cfg) as run:
        log = run.wait_for(
            r"Unable to create trade for BTC/USDT:USDT: Could not set margin mode due to "
            r'OperationRejected\. Message: binance \{"code":-4048,"msg":"Margin type cannot be '
            r'changed if there exists position\."\}',
            90,
        )
    assert "Giving up." in log  # after freqtrade's retries
    assert not acct.orders and acct.margin_type_for("BTCUSDT") == "CROSSED"


def test_stake_below_freqtrades_minimum_is_ignored_without_an_order(
    sim: Simulator, acct: SimAccount, tmp_path: Path
) -> None:
    # BTCUSDT futures: Binance's minimum notional is 100; freqtrade's minimum stake adds 5 % and
    # the stoploss reserve: 100 * 1.05 / (1 - 0.10) = 116.67. 60 * 1.3 < 116.67: ignored.
    cfg = _cfg(sim, acct, trading_mode="futures", margin_mode="isolated", pairs=FUT[:1],
               stake_amount=60)  # fmt: skip
    with ft.FreqtradeRun(tmp_path, cfg) as run:
        log = run.wait_for(
            r"Stake amount for pair BTC/USDT:USDT is too small \(60 < 116\.6666\d*\)(?s:.*)"
            r"more than 30% bigger than the desired stake amount of \(60\.00000000 \* 1\.3 = "
            r"78\.00000000\) < 116\.6666\d*\), ignoring trade\.(?s:.*)Bot heartbeat",
            90,
        )
    assert not acct.orders
    assert not [r for r in sim.requests if r.path == "/fapi/v1/order"]
    _assert_clean(sim, log)
