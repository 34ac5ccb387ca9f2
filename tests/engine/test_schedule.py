"""The daemon's schedule (healthcheck/engine/schedule.py, pure): a fleet on one IP fits the weight
budget by stretching intervals, slow reads first, the same for every account, and the accounts
are spread across each interval."""

from __future__ import annotations

from pathlib import Path

import pytest
from support.configs import write_config

from healthcheck.config import load_config
from healthcheck.engine.schedule import (
    FILL,
    LAST,
    MAX_SLOW_STRETCH,
    SLOW_FIRST,
    budget_for,
    build_schedule,
)
from healthcheck.exchange.weights import WeightBook
from healthcheck.model.markets import POOLS

URL = "http://127.0.0.1:9"  # never contacted: the schedule is computed from the config


def fleet(tmp_path: Path, n: int, symbols: int = 2, daemon: dict | None = None):
    """n accounts on one host, both markets, `symbols` symbols each, every setting default."""
    accounts = [
        {
            "name": f"bot{i}",
            "api_key": f"k{i:063d}",
            "api_secret": f"s{i:063d}",
            "symbols": ["BTCUSDT", "ETHUSDT", "BNBUSDT", "SOLUSDT", "XRPUSDT"][:symbols],
        }
        for i in range(n)
    ]
    path = tmp_path / f"fleet{n}.toml"
    # write_config speeds the tests' checks up; the fleet keeps Binance's defaults
    text = write_config(
        path,
        sim_url=URL,
        accounts=accounts,
        sections={"daemon": {"weight_budget_share": 0.1, **(daemon or {})}},
    )
    return _with_defaults(text)


def _with_defaults(text: Path):
    """The config written by write_config with Binance's default intervals (its fast test
    intervals removed), loaded."""
    path = text
    lines = [ln for ln in text.read_text().splitlines()]
    out, skip = [], False
    for ln in lines:
        if ln.startswith("[checks"):
            skip = True
        elif ln.startswith("["):
            skip = False
        if not skip and not ln.startswith(("interval", "request_timeout")):
            out.append(ln)
    path.write_text("\n".join(out))
    return load_config(path)


def test_one_account_fits_and_nothing_is_said(tmp_path):
    s = build_schedule(fleet(tmp_path, 1))
    assert not s.stretched
    assert s.lines() == []
    # every pool of the market table is exported (1.0: not stretched)
    assert s.stretch_by_pool() == {p: 1.0 for p in POOLS}
    assert s.intervals["position_mode"] == 60 and s.intervals["trading_status"] == 120


def test_twelve_accounts_stretch_only_the_slow_reads(tmp_path):
    s = build_schedule(fleet(tmp_path, 12))
    assert s.stretched
    for c in LAST:
        assert s.intervals[c] == s.configured[c], c
    assert s.intervals["trading_status"] > 120 and s.intervals["open_orders"] > 120
    for ld in s.loads:
        assert ld.planned_per_minute <= ld.budget * FILL + 1e-6, ld


def test_twenty_accounts_fit_the_budget_and_say_so(tmp_path):
    s = build_schedule(fleet(tmp_path, 20))
    fapi = [ld for ld in s.loads if ld.pool == "fapi"][0]
    assert fapi.budget == 240
    assert fapi.need_per_minute > 240  # the configured intervals do not fit
    assert fapi.planned_per_minute <= 240 * FILL + 1e-6
    assert s.stretch_by_pool()["fapi"] == pytest.approx(
        fapi.need_per_minute / fapi.planned_per_minute
    )
    # slow reads went to their maximum before the last ones moved; the last ones are stretched
    # the same, and never more than the slow ones
    for c in SLOW_FIRST:
        assert s.intervals[c] >= s.configured[c] * MAX_SLOW_STRETCH - 1e-6 or c in (
            "symbols",
            "system_status",
        ), c
    f = s.intervals["position_mode"] / 60
    assert f > 1
    for c in LAST:
        assert s.intervals[c] == pytest.approx(s.configured[c] * f), c
    text = "\n".join(s.lines())
    assert "20 accounts need 381 weight/min on /fapi" in text
    assert "the budget is 240 (weight_budget_share 0.1)" in text
    assert f"position_mode runs every {s.intervals['position_mode']:.0f} s instead of 60" in text
    assert "weight_budget_share" in text and "another IP" in text
    assert "network" not in text


def test_fair_every_account_gets_the_same_intervals_and_its_own_phase(tmp_path):
    s = build_schedule(fleet(tmp_path, 20))
    phases = [s.phase(f"bot{i}") for i in range(20)]
    assert len(set(phases)) == 20 and all(0 <= p < 1 for p in phases)
    firsts = sorted(s.first_due(f"bot{i}", "position_mode", 0.0) for i in range(20))
    every = s.intervals["position_mode"]
    assert firsts[0] == 0 and firsts[-1] < every  # spread over one interval, not at its top
    gaps = [b - a for a, b in zip(firsts, firsts[1:], strict=False)]
    assert max(gaps) == pytest.approx(min(gaps))
    assert s.tick_seconds() <= every / 20 + 1e-9


def test_a_larger_share_or_longer_intervals_remove_the_stretch(tmp_path):
    assert not build_schedule(fleet(tmp_path, 20, daemon={"weight_budget_share": 0.2})).stretched
    cfg = fleet(tmp_path, 20)
    slower = {c: v * 2.5 for c, v in build_schedule(cfg).configured.items()}
    assert not build_schedule(cfg, slower).stretched


def test_more_symbols_cost_more(tmp_path):
    two = build_schedule(fleet(tmp_path, 10, symbols=2))
    five = build_schedule(fleet(tmp_path, 10, symbols=5))
    need = {ld.pool: ld.need_per_minute for ld in two.loads}
    need5 = {ld.pool: ld.need_per_minute for ld in five.loads}
    assert need5["fapi"] > need["fapi"]


def test_budget_rule_is_the_weight_books():
    book = WeightBook(budget_share=0.1)
    assert book.reserve("http://x", "fapi", budget_for(2400, 0.1)) is None
    assert book.reserve("http://x", "fapi", 1) is not None
    assert budget_for(100, 0.1) == 60


def _derivatives_fleet(tmp_path: Path, n: int, portfolio_margin: bool):
    accounts = [
        {
            "name": f"cm{i}",
            "api_key": f"k{i:063d}",
            "api_secret": f"s{i:063d}",
            "markets": ["usdm", "coinm"],
            "symbols": {"usdm": ["BTCUSDT"], "coinm": ["BTCUSD_PERP", "ETHUSD_PERP"]},
            "portfolio_margin": portfolio_margin,
            # COIN-M has no test-order role: the schedule prices USD-M's test orders only
            "test_order_symbols": ["BTCUSDT"],
        }
        for i in range(n)
    ]
    path = tmp_path / f"derivatives{n}.toml"
    return _with_defaults(
        write_config(
            path, sim_url=URL, accounts=accounts, sections={"daemon": {"weight_budget_share": 0.1}}
        )
    )


@pytest.mark.parametrize("pm", [False, True])
def test_coinm_and_portfolio_margin_pools_are_priced_from_the_market_table(tmp_path, pm):
    s = build_schedule(_derivatives_fleet(tmp_path, 20, pm))
    loads = {ld.pool: ld for ld in s.loads}
    # COIN-M's public reads (time, exchangeInfo) stay on /dapi; under Portfolio Margin the
    # signed futures reads move to /papi, each pool with its own limit from the table
    assert "dapi" in loads
    assert ("papi" in loads) is pm
    for pool, ld in loads.items():
        assert ld.budget == budget_for(POOLS[pool].default_limit, 0.1), pool
        assert ld.label == POOLS[pool].prefix
        assert ld.planned_per_minute <= ld.budget * FILL + 1e-6, pool
    if pm:
        # 20 accounts' /papi reads need more than its share of the 6000 limit: stretched
        assert loads["papi"].stretch > 1.0
        assert any("on /papi (" in line for line in s.lines()), s.lines()
        assert loads["dapi"].need_per_minute < loads["papi"].need_per_minute / 100
    else:
        assert loads["dapi"].need_per_minute > 100  # COIN-M's signed reads are on /dapi
    assert set(s.stretch_by_pool()) == set(POOLS)


def test_no_budget_at_all_stretches_nothing(tmp_path: Path) -> None:
    """weight_budget_share None (bench/soak.py drives a daemon flat out) is WeightBook's "no
    budget": 40 accounts at second-long intervals keep their intervals."""
    from dataclasses import replace

    cfg = fleet(tmp_path, 40)
    cfg = replace(cfg, daemon=replace(cfg.daemon, weight_budget_share=None))
    s = build_schedule(cfg, {c: 1.0 for c in SLOW_FIRST + LAST})
    assert set(s.intervals.values()) == {1.0}


def test_a_daemon_with_second_long_intervals_is_not_behind_after_3_seconds() -> None:
    """The daemon's own WARNING counts at least 3 x 10 s: one slow run of a check that runs every
    second (tests, a busy machine) is not "behind"; 3 x its interval beyond that is."""
    from healthcheck.engine.schedule import Schedule
    from healthcheck.model.result import Status
    from healthcheck.service.pacing import behind_result
    from healthcheck.storage.state import CheckState

    s = Schedule({"balance": 1.0}, {"balance": 1.0}, (), ("a",), 0.1, ())
    now = 1_000_000.0
    slow = {("a", "balance"): CheckState(Status.OK, last_run_ts=now - 5)}
    assert behind_result(s, slow, {"a": {"balance"}}, now, 600).status is Status.OK
    late = {("a", "balance"): CheckState(Status.OK, last_run_ts=now - 31)}
    r = behind_result(s, late, {"a": {"balance"}}, now, 600)
    assert r.status is Status.WARNING and "weight_budget_share" in (r.fix or "")
