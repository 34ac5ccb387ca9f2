"""The one Binance error catalogue, keyed by (product, code): every predicting check exists,
every code a check names is catalogued for the product it names, quotes carry the real figures
(the symbol's minimum notional, the IP limit) and alerts carry the product's own fix."""

from __future__ import annotations

import re

import pytest
from support.receivers import wait_until
from support.runs import result, run_once

from healthcheck.checks import REGISTRY
from healthcheck.exchange import catalogue
from healthcheck.logwatch import bots
from healthcheck.simulator.faults import FAULTS

CHECK_IDS = {c.id for c in REGISTRY}


def test_every_predicted_by_names_a_registered_check() -> None:
    named = {(k, e.predicted_by) for k, e in catalogue.CATALOGUE.items() if e.predicted_by}
    named |= {(("bot", w.bot), w.predicted_by) for w in bots.WORDS if w.predicted_by}
    unknown = sorted((k, p) for k, p in named if p not in CHECK_IDS)
    assert unknown == [], f"predicted_by names no registered check: {unknown}"


def test_reduce_only_account_is_predicted_by_the_test_order() -> None:
    for product in ("usdm", "coinm"):
        e = catalogue.entry(product, -4189)
        assert e is not None and e.predicted_by == "trading_status"


def test_quotes_fill_figures_and_say_words_where_none_is_known() -> None:
    assert catalogue.quote(-4164, "usdm", min_notional="100") == (
        "Order's notional must be no smaller than 100 (unless you choose reduce only)."
    )
    assert catalogue.quote(-4164, "usdm") == (
        "Order's notional must be no smaller than the symbol's minimum (unless you choose "
        "reduce only)."
    )
    assert catalogue.quote(418, "http", until=1790000000000) == (
        "Way too much request weight used; IP banned until 1790000000000."
    )
    assert catalogue.quote(-1021, "spot") == (
        "Timestamp for this request is outside of the recvWindow."
    )
    # no text shows a placeholder or a made-up figure when the figures are unknown
    for e in catalogue.CATALOGUE.values():
        for i, text in enumerate(e.texts):
            said = e.quote(i)
            assert "{" not in said and "%s" not in said, (e.code, said)
            if "{" in text:
                assert not set(re.findall(r"\d+", said)) - set(re.findall(r"\d+", text)), said


def test_fix_is_the_products_own() -> None:
    spot, fut = catalogue.fix_for(-1003, "spot"), catalogue.fix_for(-1003, "usdm")
    assert spot != fut and "pass a symbol" in fut
    assert catalogue.fix_for(-4004, "sapi") != catalogue.fix_for(-4004, "usdm")


# every fault but the two that only cost time (they make checks UNKNOWN, naming no code)
SWEEP = sorted(f for f in FAULTS if f not in ("timeout", "slow"))


@pytest.mark.parametrize("fault", SWEEP)
def test_every_code_a_check_names_is_catalogued_for_its_product(sim, make_config, fault) -> None:
    acct = sim.add_account("main")
    config = make_config(
        [
            {
                "name": "main",
                "api_key": acct.api_key,
                "api_secret": acct.api_secret,
                "symbols": ["BTCUSDT"],
                "test_order_symbols": ["BTCUSDT"],
                "order_size": 90,
                "min_available": {"USDT": 100},
            }
        ]
    )
    sim.set_fault(fault)
    _all_named_codes_catalogued(run_once(config), fault)


def _all_named_codes_catalogued(report, fault: str) -> set[tuple[str, int]]:
    """Assert every code the report's results name is catalogued for the product it names;
    return the (product, code) pairs seen."""
    seen: set[tuple[str, int]] = set()
    assert report.results
    for r in report.results:
        for code in dict.fromkeys(r.codes + r.risk_codes):
            refs = r.refs_for(code)
            assert refs, f"{fault}: {r.check} names {code} without its product"
            for ref in refs:
                assert (ref.product, code) in catalogue.CATALOGUE, (
                    f"{fault}: {r.check} names {code} on {ref.product}, not catalogued there"
                )
                seen.add((ref.product, code))
    return seen


def _futures_account(sim, make_config, pm: bool):
    acct = sim.add_account("main")
    if pm:
        sim.set_fault("portfolio_margin", account="main")
    return make_config(
        [
            {
                "name": "main",
                "api_key": acct.api_key,
                "api_secret": acct.api_secret,
                "markets": ["spot", "usdm", "coinm"],
                "symbols": {"spot": ["BTCUSDT"], "usdm": ["BTCUSDT"], "coinm": ["BTCUSD_PERP"]},
                "test_order_symbols": ["BTCUSDT"],
                "order_size": 300,
                "min_available": {"USDT": 100, "BTC": 0.01},
            }
        ]
    )


# every fault again on an account that trades COIN-M too, classic and under Portfolio Margin
# (the COIN-M and PM faults among them: coinm_hedge_mode, uni_mmr_critical, pm_reduce_only...)
@pytest.mark.parametrize("pm", [False, True], ids=["classic", "portfolio_margin"])
@pytest.mark.parametrize("fault", SWEEP)
def test_every_code_a_coinm_or_pm_check_names_is_catalogued(sim, make_config, fault, pm) -> None:
    config = _futures_account(sim, make_config, pm)
    sim.set_fault(fault)
    seen = _all_named_codes_catalogued(run_once(config), fault)
    assert all(p != "papi" for p, _ in seen), seen  # /papi reads stand for their futures row


@pytest.mark.parametrize(
    "fault, pm, check, ref",
    [
        ("coinm_hedge_mode", False, "position_mode", ("coinm", -4061)),
        ("coinm_margin_critical", False, "balance", ("coinm", -2019)),
        ("hedge_mode", True, "position_mode", ("usdm", -4061)),
        ("uni_mmr_critical", True, "balance", ("usdm", -2019)),
        ("uni_mmr_low", True, "balance", ("usdm", -2019)),
    ],
)
def test_coinm_and_pm_findings_name_their_rows_product(
    sim, make_config, fault, pm, check, ref
) -> None:
    config = _futures_account(sim, make_config, pm)
    sim.set_fault(fault, account="main")
    r = result(run_once(config, {check}), check)
    assert ref in {(x.product, x.code) for x in r.refs}, (r.summary, r.refs)
    assert catalogue.fix_for(ref[1], ref[0])


def test_check_quotes_the_symbols_own_minimum_notional(sim, make_config, cli) -> None:
    acct = sim.add_account("main")
    config = make_config(
        [
            {
                "name": "main",
                "api_key": acct.api_key,
                "api_secret": acct.api_secret,
                "markets": ["usdm"],
                "symbols": ["BTCUSDT"],
                "order_size": 90,
            }
        ]
    )
    r = cli("check", "--config", str(config), "--only", "symbols")
    assert r.returncode == 2, r.stdout + r.stderr
    assert "below the minimum 100" in r.stdout
    assert (
        "bot's orders fail with -4164 MIN_NOTIONAL: \"Order's notional must be no smaller "
        'than 100 (unless you choose reduce only)."'
    ) in r.stdout
    assert "5.0" not in r.stdout


def test_alert_carries_the_futures_fix_and_the_futures_text(
    sim, make_config, cli, json_receiver
) -> None:
    acct = sim.add_account("main")
    config = make_config(
        [
            {
                "name": "main",
                "api_key": acct.api_key,
                "api_secret": acct.api_secret,
                "markets": ["usdm"],
            }
        ],
        sections={
            "alerts": {"urls": [json_receiver.url], "failure_threshold": 1, "delivery_timeout": 5}
        },
    )
    sim.set_fault("weight_critical")
    r = cli("check", "--config", str(config), "--only", "rate_limit", "--notify")
    assert r.returncode == 2, r.stdout + r.stderr
    assert wait_until(lambda: len(json_receiver.messages) >= 1, 10)
    body = json_receiver.messages[0]["message"]
    futures_fix = catalogue.fix_for(-1003, "usdm")
    assert f"Fix: {futures_fix}" in body
    assert catalogue.fix_for(-1003, "spot") not in body
    assert (
        "At risk of Binance error: -1003 TOO_MANY_REQUESTS — Too many requests; current "
        "limit is 2400 requests per minute."
    ) in body
