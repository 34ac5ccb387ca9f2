"""Every condition the one-shot check detects, end to end: real python-binance client, the
simulator over HTTP with a fault switched on, a real config file and a real SQLite state dir.
"""

from __future__ import annotations

import time

import pytest
from support.runs import result, run_once

from healthcheck.config import load_config
from healthcheck.model.result import Status
from healthcheck.storage.state import StateDB


@pytest.fixture
def account(sim):
    return sim.add_account("main")


@pytest.fixture
def config_for(make_config, account):
    def make(**extra):
        acc = {
            "name": "main",
            "api_key": account.api_key,
            "api_secret": account.api_secret,
            "min_available": {"USDT": 100},
        }
        acc.update(extra)
        return make_config([acc])

    return make


def test_healthy_account_is_ok_everywhere(config_for):
    report = run_once(config_for())
    assert [(r.check, r.status) for r in report.results if r.status != Status.OK] == []
    assert report.status == Status.OK
    # every check but the two that need `symbols`
    assert {r.check for r in report.results} == {
        "clock",
        "api_key",
        "position_mode",
        "trading_status",
        "balance",
        "leverage",
        "rate_limit",
        "system_status",
    }
    assert all(r.codes == [] for r in report.results)


# (fault, account-scoped?, check, status, codes, words in the summary)
CONDITIONS = [
    ("clock_ahead", False, "clock", Status.CRITICAL, [-1021], "ahead"),
    ("clock_behind", False, "clock", Status.CRITICAL, [-1021], "behind"),
    ("clock_warn", False, "clock", Status.WARNING, [], "ahead"),
    ("bad_signature", True, "api_key", Status.CRITICAL, [-1022], "secret"),
    ("unknown_key", True, "api_key", Status.CRITICAL, [-2015], "does not exist"),
    ("ip_not_whitelisted", True, "api_key", Status.CRITICAL, [-2015], "whitelist"),
    ("no_futures_permission", True, "api_key", Status.CRITICAL, [-2015], "Enable Futures"),
    ("no_spot_trading", True, "api_key", Status.CRITICAL, [-2015], "Spot & Margin Trading"),
    ("no_reading", True, "api_key", Status.CRITICAL, [-2015], "rejects the key"),
    ("withdrawals_enabled", True, "api_key", Status.WARNING, [], "withdraw"),
    ("no_ip_restriction", True, "api_key", Status.WARNING, [], "not restricted"),
    ("trading_authority_expired", True, "api_key", Status.CRITICAL, [-2015], "expired"),
    ("trading_authority_expiring", True, "api_key", Status.WARNING, [], "expires in"),
    ("hedge_mode", True, "position_mode", Status.CRITICAL, [-4061], "Hedge"),
    ("quant_locked", True, "trading_status", Status.CRITICAL, [-4400], "locked"),
    ("quant_near", True, "trading_status", Status.WARNING, [], "close to"),
    ("spot_locked", True, "trading_status", Status.CRITICAL, [], "spot API trading is locked"),
    ("account_restricted", True, "trading_status", Status.CRITICAL, [], "account status"),
    ("cannot_trade", True, "trading_status", Status.CRITICAL, [-4088, -2010], "canTrade"),
    ("margin_warning", True, "balance", Status.WARNING, [], "margin ratio 60"),
    ("margin_critical", True, "balance", Status.CRITICAL, [-2019], "margin ratio 85"),
    ("low_balance", True, "balance", Status.CRITICAL, [-2019], "futures available USDT"),
    ("spot_low_balance", True, "balance", Status.CRITICAL, [-2010], "spot free USDT"),
    ("weight_high", False, "rate_limit", Status.WARNING, [], "request weight"),
    ("weight_critical", False, "rate_limit", Status.CRITICAL, [], "request weight"),
    ("maintenance", False, "system_status", Status.WARNING, [], "maintenance"),
]


@pytest.mark.parametrize(
    "fault,scoped,check,status,codes,words", CONDITIONS, ids=[c[0] for c in CONDITIONS]
)
def test_condition_is_detected_with_its_binance_code(
    sim, config_for, fault, scoped, check, status, codes, words
):
    sim.set_fault(fault, account="main" if scoped else None)
    report = run_once(config_for())
    r = result(report, check)
    assert r.status == status, r.summary
    assert sorted(r.codes) == sorted(codes)
    assert words in r.summary
    if status != Status.OK:
        assert r.fix, "every problem says what to do"


def test_clock_ahead_does_not_make_other_checks_unknown(sim, config_for):
    """The measured offset is applied to our signed requests, so only the clock is red."""
    sim.set_fault("clock_ahead")
    report = run_once(config_for())
    others = {r.check: r.status for r in report.results if r.check != "clock"}
    assert Status.UNKNOWN not in others.values(), others
    assert result(report, "clock").metrics["offset_ms"] == pytest.approx(1500, abs=100)


def test_clock_uses_ntp_when_binance_time_is_unreachable(sim, config_for, ntp_servers):
    sim.set_fault("http_503", scope="/api/v3/time")
    sim.set_fault("http_503", scope="/fapi/v1/time")
    for r in ntp_servers:
        r.offset = -2.0  # true time 2 s behind us: our clock is 2 s ahead
    report = run_once(config_for())
    r = result(report, "clock")
    assert r.status == Status.CRITICAL
    assert "NTP" in r.summary and r.codes == [-1021]


def test_clock_ok_when_ntp_is_down_but_binance_answers(config_for, ntp_servers):
    for r in ntp_servers:
        r.mode = "silent"
    report = run_once(config_for())
    r = result(report, "clock")
    assert r.status == Status.OK
    assert "ntp_problem" in r.details


def test_clock_ignores_a_lying_ntp_server(config_for, ntp_servers):
    ntp_servers[0].offset = 3 * 3600.0  # one of three servers is hours off
    report = run_once(config_for())
    r = result(report, "clock")
    assert r.status == Status.OK
    assert r.details["ntp"]["outvoted"] == [ntp_servers[0].server_string]


def test_clock_rejects_garbage_ntp_replies(sim, config_for, ntp_servers):
    sim.set_fault("http_503", scope="/api/v3/time")
    sim.set_fault("http_503", scope="/fapi/v1/time")
    for r, mode in zip(ntp_servers, ("zero", "kod", "garbage"), strict=True):
        r.mode = mode
    report = run_once(config_for())
    r = result(report, "clock")
    assert r.status == Status.UNKNOWN, r.summary
    assert "offset_ms" not in r.metrics  # never -2 billion seconds


def test_reduce_only_account_is_caught_by_a_test_order(sim, config_for):
    sim.set_fault("reduce_only", account="main")
    report = run_once(config_for(test_order_symbols=["BTCUSDT"]))
    r = result(report, "trading_status")
    assert r.status == Status.CRITICAL
    assert r.codes == [-4189]
    assert any(t.get("code") == -4189 for t in r.details["test_orders"])
    # a test order is validated, never placed
    assert not any(rec.path in ("/fapi/v1/order", "/api/v3/order") for rec in sim.requests)


def test_quant_lock_names_the_recover_time(sim, config_for):
    sim.set_fault("quant_locked", account="main")
    r = result(run_once(config_for()), "trading_status")
    assert "until" in r.summary and "UTC" in r.summary
    assert r.details["planned_recover_time"]


def test_hedge_mode_expected_and_present_is_ok(sim, config_for):
    sim.set_fault("hedge_mode", account="main")
    r = result(run_once(config_for(position_mode="hedge")), "position_mode")
    assert r.status == Status.OK
    assert r.details["position_mode"] == "hedge"


def test_multi_assets_mode_is_reported(sim, config_for):
    sim.set_fault("multi_assets", account="main")
    r = result(run_once(config_for()), "position_mode")
    assert r.status == Status.OK and "multi-assets" in r.summary


def test_spot_only_account_has_no_position_mode_result(config_for):
    report = run_once(config_for(markets=["spot"]))
    assert "position_mode" not in {r.check for r in report.results}


@pytest.mark.parametrize("fault", ["rate_limited", "banned"])
def test_ban_is_critical_and_remembered_across_runs(sim, config_for, fault):
    path = config_for()
    sim.set_fault(fault, scope="/fapi", retry_after=120)
    report = run_once(path)
    r = result(report, "rate_limit")
    assert r.status == Status.CRITICAL and r.codes == [-1003]
    assert "until" in r.summary
    sim.clear_fault()
    sim.banned_until_ms = 0
    n = len(sim.requests)
    report = run_once(path)  # a new process would read the same state dir
    later = [q.path for q in sim.requests[n:]]
    assert not [p for p in later if p.startswith("/fapi")], (
        "nothing may be sent to a banned host before the ban ends"
    )
    assert result(report, "rate_limit").status == Status.CRITICAL
    assert "paused until" in result(report, "position_mode").summary
    if fault == "rate_limited":  # a 429 on futures does not stop the spot host
        assert any(p.startswith("/api") for p in later)


def test_ban_without_retry_after_uses_the_banned_until_time_in_the_message(sim, config_for):
    path = config_for()
    sim.set_fault(
        "banned", scope="/api", retry_after=None, until_ms=int(time.time() * 1000) + 600_000
    )
    run_once(path)
    cfg = load_config(path)
    state = StateDB.open(cfg.state_dir())
    bans = state.active_bans(time.time())
    state.close()
    spot = [until for key, (until, _r) in bans.items() if key.startswith("spot:")]
    assert spot and spot[0] > time.time() + 500


def test_ed25519_key_account_works(sim, make_config, tmp_path):
    from Crypto.PublicKey import ECC

    key = ECC.generate(curve="ed25519")
    pem = key.export_key(format="PEM")
    acct = sim.add_account("ed", public_key_pem=key.public_key().export_key(format="PEM"))
    pem_file = tmp_path / "ed.pem"
    pem_file.write_text(pem)
    pem_file.chmod(0o600)
    path = make_config(
        [{"name": "main", "api_key": acct.api_key, "private_key_file": str(pem_file)}]
    )
    report = run_once(path)
    assert report.status == Status.OK, [(r.check, r.summary) for r in report.results]
    assert result(report, "api_key").details["signing"] == "ed25519/rsa"


def test_weight_reported_matches_what_binance_counted(sim, config_for):
    path = config_for()
    run_once(path)  # cold: fetches exchangeInfo
    n = len(sim.requests)
    report = run_once(path)
    counted = sum(r.weight for r in sim.requests[n:])
    assert report.metrics["request_weight"] == counted
    assert counted <= 50  # warm run, one spot+usdm account with a spot minimum
    paths = [r.path for r in sim.requests[n:]]
    assert "/api/v3/exchangeInfo" not in paths  # cached across runs in state_dir
    assert len(paths) == len(set(paths)) + 2 * 2  # 3 time samples per market, all else once


def test_each_endpoint_is_fetched_once_for_all_checks(sim, config_for):
    path = config_for()
    run_once(path)
    counts: dict[str, int] = {}
    for r in sim.requests:
        counts[r.path] = counts.get(r.path, 0) + 1
    for p in ("/fapi/v1/accountConfig", "/api/v3/account", "/fapi/v3/account"):
        assert counts[p] == 1, counts
