"""Cheaper where it costs nothing (issue 21): what the weight schedule prices once is sent once.

The real Runner drives the real python-binance client against the simulator, whose request log
is what Binance would have counted:

* several checks of one account read the same signed answer (accountConfig: position_mode,
  trading_status, api_key). The schedule prices it once, at the shortest of their intervals;
  in the daemon the check with the shortest interval asks at each of its turns and the others
  read its answer, so the weight sent matches the plan (before, each check's own turn asked
  again: 1.6x the planned accountConfig weight at 40 accounts);
* the spot delist schedule (weight 100, MARKET_DATA: Binance's list, not the account's) is read
  once per host for every account, not once per account.
"""

from __future__ import annotations

from healthcheck.config import load_config
from healthcheck.engine.runner import Runner
from healthcheck.model.result import Status

DAEMON_INTERVALS = {"position_mode": 60.0, "trading_status": 120.0, "api_key": 600.0}


def sent(sim, path: str, account: str | None = None) -> int:
    return sum(
        1 for r in sim.requests if r.path == path and (account is None or r.account_name == account)
    )


def accounts(sim, n: int) -> list[dict]:
    out = []
    for i in range(n):
        a = sim.add_account(f"bot{i}")
        out.append(
            {
                "name": f"bot{i}",
                "api_key": a.api_key,
                "api_secret": a.api_secret,
                "symbols": ["BTCUSDT", "ETHUSDT"],
            }
        )
    return out


def test_an_accounts_checks_read_one_account_config_per_turn_of_the_shortest(sim, make_config):
    cfg = load_config(make_config(accounts(sim, 1)))
    runner = Runner(cfg)
    runner.share_seconds = dict(DAEMON_INTERVALS)  # as the daemon's schedule sets it
    try:
        cfg_path = "/fapi/v1/accountConfig"
        r1 = runner.run({"bot0": {"position_mode"}})
        assert sent(sim, cfg_path) == 1
        # trading_status' own turn, a little later: it reads position_mode's answer
        r2 = runner.run({"bot0": {"trading_status"}})
        assert sent(sim, cfg_path) == 1
        assert sent(sim, "/fapi/v1/apiTradingStatus") == 1  # its own reads still go out
        # position_mode asks at each of its turns: a fault shows within its interval
        sim.set_fault("hedge_mode", account="bot0")
        r3 = runner.run({"bot0": {"position_mode", "api_key"}})
        assert sent(sim, cfg_path) == 2
        statuses = {r.check: r.status for rep in (r1, r2) for r in rep.results}
        assert statuses == {"position_mode": Status.OK, "trading_status": Status.OK}
        assert {r.check: r.status for r in r3.results}["position_mode"] is Status.CRITICAL
    finally:
        runner.close()

    # the one-shot `check` (no schedule) asks afresh for every run
    once = Runner(cfg)
    try:
        once.run({"bot0": {"position_mode"}})
        once.run({"bot0": {"trading_status"}})
        assert sent(sim, cfg_path) == 4
    finally:
        once.close()


def test_the_spot_delist_schedule_is_read_once_per_host_for_every_account(
    sim, make_config, cli, tmp_path
):
    sim.set_spot_delist(["ETHUSDT"], int(sim.now_ms() + 5 * 86400_000))
    cfg = make_config(accounts(sim, 3))
    out = cli("check", "--json", "--only", "symbols", "--config", str(cfg))
    assert sent(sim, "/sapi/v1/spot/delist-schedule") == 1, out.stderr[-2000:]
    import json

    doc = json.loads(out.stdout)
    got = {r["account"]: r for r in doc["results"] if r["check"] == "symbols"}
    assert set(got) == {"bot0", "bot1", "bot2"}
    for r in got.values():  # every account learns of the delisting from the one read
        assert r["status"] == "WARNING" and "delist" in r["summary"], r
    # and the next run reads it from state_dir (once a day)
    cli("check", "--json", "--only", "symbols", "--config", str(cfg))
    assert sent(sim, "/sapi/v1/spot/delist-schedule") == 1
