"""The request plan (healthcheck/engine/plan.py): which requests a run sends, who reads each
answer, and what the daemon's intervals cost in weight per minute. Computed from the config
alone: the URLs below are never contacted."""

from __future__ import annotations

import json
from pathlib import Path

from conftest import run_cli
from support.configs import write_config

from healthcheck.config import Config, load_config
from healthcheck.engine.plan import build_plan, cost, per_pool_per_minute

URL = "http://127.0.0.1:9"  # never contacted
KEY, SECRET = "k" * 64, "s" * 64


def config(tmp_path: Path, n: int = 2, checks: dict | None = None) -> Path:
    accounts = [
        {"name": f"a{i}", "api_key": KEY, "api_secret": SECRET, "symbols": ["BTCUSDT"]}
        for i in range(n)
    ]
    path = write_config(
        tmp_path / "c.toml", sim_url=URL, accounts=accounts, state_dir=tmp_path / "state"
    )
    if checks:
        text = path.read_text()
        for check, interval in checks.items():
            text = text.replace(
                f"{check} = {{ interval = 1 }}", f"{check} = {{ interval = {interval} }}"
            )
        path.write_text(text)
    return path


def load(path: Path) -> Config:
    return load_config(path)


def test_signed_reads_go_per_account_and_host_wide_answers_once_for_all(tmp_path) -> None:
    plan = build_plan(load(config(tmp_path)))
    by_endpoint: dict[str, list] = {}
    for p in plan.requests:
        by_endpoint.setdefault(p.request.endpoint, []).append(p)
    assert sorted(p.account for p in by_endpoint["fapi.account"]) == ["a0", "a1"]
    for host_wide in ("sapi.systemStatus", "sapi.delistSchedule"):
        (only,) = by_endpoint[host_wide]
        assert only.readers == {"a0", "a1"}, host_wide
    assert by_endpoint["sapi.systemStatus"][0].public


def test_one_answer_read_by_several_checks_is_planned_once_per_account(tmp_path) -> None:
    plan = build_plan(load(config(tmp_path, n=1)))
    (acc_config,) = [p for p in plan.requests if p.request.endpoint == "fapi.accountConfig"]
    assert {"api_key", "position_mode", "trading_status"} <= acc_config.checks
    keys = [p.key for p in plan.requests]
    assert len(keys) == len(set(keys))


def test_only_the_due_checks_requests_are_planned(tmp_path) -> None:
    plan = build_plan(load(config(tmp_path)), due={"position_mode"})
    assert [(p.request.endpoint, p.account) for p in plan.requests] == [
        ("fapi.accountConfig", "a0"),
        ("fapi.accountConfig", "a1"),
    ]
    assert not any(t.for_clock for t in plan.time)  # the clock check is not due
    assert {a: [c.id for c in cs] for a, cs in plan.checks.items()} == {
        "a0": ["position_mode"],
        "a1": ["position_mode"],
    }


def test_cost_is_weight_per_interval_and_a_longer_interval_costs_less(tmp_path) -> None:
    fast = cost(load(config(tmp_path, n=1)))
    (row,) = [r for r in fast if r.what == "GET /fapi/v3/account (a0)"]
    assert (row.weight, row.every_seconds, row.per_minute) == (5, 1.0, 300.0)
    assert per_pool_per_minute(fast)["fapi"] == sum(r.per_minute for r in fast if r.pool == "fapi")
    slow = cost(load(config(tmp_path, n=1, checks={"balance": 60})))
    (row,) = [r for r in slow if r.what == "GET /fapi/v3/account (a0)"]
    assert row.per_minute == 5.0
    assert per_pool_per_minute(slow)["fapi"] == per_pool_per_minute(fast)["fapi"] - 295.0


def test_a_host_wide_request_is_priced_once_however_many_accounts(tmp_path) -> None:
    rows = cost(load(config(tmp_path, n=3)))
    (status,) = [r for r in rows if r.what == "GET /sapi/v1/system/status"]
    assert status.accounts == 3 and status.per_minute == 60.0


def test_plan_command_prices_offline_and_prints_no_secret(tmp_path) -> None:
    path = config(tmp_path)
    p = run_cli("plan", "--config", str(path), "--json", timeout=60)
    assert p.returncode == 0, p.stderr
    doc = json.loads(p.stdout)
    assert doc["weight_per_minute"]["fapi"] > 0
    assert KEY not in p.stdout + p.stderr and SECRET not in p.stdout + p.stderr
