"""Exchange faults in DAEMON mode: `binance-healthcheck run` as a subprocess (1 s interval) against
the simulator while the exchange misbehaves. The one-shot `check` side is in tests/test_cli.py.

For every fault: the daemon keeps its schedule (runs keep coming about once a second), never logs
a traceback, never reports OK for a check whose data it could not get, and says why in words a
person understands. After a 418 it sends nothing more to the banned host until the ban ends, also
across a restart.

To keep the file fast, one daemon serves many accounts at once, one account per fault: transport
faults are scoped to one account's signed /fapi calls (the simulator matches faults by API key),
and the 418/429 cases give each account its own futures "host" (a second simulator), because a
ban is per host. The checks that read /fapi account data are the "affected" ones; api_key reads
permissions from /sapi and clock is served by the (unaffected) public time endpoint.

These tests raise the simulator's weight limits and the daemon's weight_budget_share, so that the
request-weight budget (tested in test_rate_limit_discipline.py) never masks the fault under test.
"""

from __future__ import annotations

import re
import socket
import time
from concurrent.futures import ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout

import pytest
from support.daemon import DaemonProc

from healthcheck.model.result import Status
from healthcheck.simulator import Simulator
from healthcheck.storage.state import StateDB

pytestmark = pytest.mark.slow

# checks whose data comes from an account's signed /fapi calls
FUTURES_CHECKS = ("position_mode", "balance", "trading_status")
BIG_LIMITS = {"api": 1_000_000, "sapi": 1_000_000, "fapi": 1_000_000}
TIMEOUT = 0.5  # [daemon] request_timeout in these tests


# ------------------------------------------------------------------------------ helpers


@pytest.fixture
def big_sim(sim):
    sim.limits = dict(BIG_LIMITS)
    return sim


@pytest.fixture
def extra_sims():
    """Further simulators, each one a separate futures 'host' with its own ban."""
    sims: list[Simulator] = []

    def make() -> Simulator:
        s = Simulator().start()
        s.limits = dict(BIG_LIMITS)
        sims.append(s)
        return s

    yield make
    for s in sims:
        s.stop()


def account_entry(sim, name, **extra):
    acct = sim.add_account(name)
    return {"name": name, "api_key": acct.api_key, "api_secret": acct.api_secret, **extra}


def twin_account(futures_sim, entry):
    """Register the same key on a second simulator that serves this account's futures."""
    futures_sim.add_account(entry["name"], api_key=entry["api_key"], api_secret=entry["api_secret"])
    return {**entry, "futures_url": futures_sim.url}


def daemon_sections(**daemon):
    return {"daemon": {"request_timeout": TIMEOUT, "weight_budget_share": 1.0, **daemon}}


def run_times(log: str) -> list[int]:
    return [int(n) for n in re.findall(r"\brun (\d+):", log)]


def assert_keeps_schedule(d: DaemonProc, seconds: float = 4.0) -> None:
    """Runs keep coming about once a second while the fault lasts."""
    before = d.runs()
    time.sleep(seconds)
    after = d.runs()
    assert after - before >= seconds - 1.5, (before, after, d.log[-3000:])


def load_states(state_dir) -> dict:
    db = StateDB.open(state_dir)
    try:
        return db.load_check_states()
    finally:
        db.close()


def assert_clean_log(log: str) -> None:
    assert "Traceback" not in log, log
    assert "run failed" not in log, log
    assert "internal error" not in log, log


def assert_never_ok(states, account, checks, log, words):
    """Given the final states, each check is UNKNOWN, was never OK, and its summary says why."""
    for check in checks:
        st = states[(account, check)]
        assert st.last_status == Status.UNKNOWN, (account, check, st.last_summary)
        assert st.last_ok_ts is None, (account, check, "was OK at some point")
        assert not re.search(rf"{account} {check}: \S+ -> OK", log), (account, check)
        low = st.last_summary.lower()
        assert any(w.lower() in low for w in words), (account, check, st.last_summary)
        assert "could not check" in low or "not sent" in low, st.last_summary


def closed_port() -> int:
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()  # nothing listens there now
    return port


# ------------------------------------------------------------------------------ transport faults

# fault -> (simulator params, words one of which the reason must contain)
TRANSPORT = {
    "http_500": ({}, ["HTTP 500"]),
    "http_502": ({}, ["HTTP 502"]),
    "http_503": ({}, ["HTTP 503"]),
    "http_504": ({}, ["HTTP 504"]),
    "waf_403": ({}, ["HTTP 403"]),
    "timeout": ({"seconds": 30}, [f"no answer within {TIMEOUT:g} s"]),
    "close": ({}, ["closed the connection"]),
    "reset": ({}, ["connection reset"]),
    "truncated": ({}, ["truncated", "connection broke"]),
    "malformed_json": ({}, ["not JSON"]),
    "html_200": ({}, ["not JSON", "HTML"]),
    "empty_body": ({}, ["not JSON", "empty body"]),
    "bad_schema": ({}, ["unexpected answer"]),
}


def test_transport_faults_give_unknown_with_reason_and_schedule_holds(
    big_sim, make_config, start_daemon, tmp_path
):
    sim = big_sim
    accounts = [account_entry(sim, "healthy"), account_entry(sim, "slow")]
    for fault in TRANSPORT:
        accounts.append(account_entry(sim, fault))
    accounts.append(account_entry(sim, "refused", futures_url=f"http://127.0.0.1:{closed_port()}"))
    for fault, (params, _) in TRANSPORT.items():
        sim.set_fault(fault, scope="/fapi", account=fault, **params)
    # answers just under the timeout are slow, not broken
    sim.set_fault("slow", scope="/fapi", account="slow", seconds=TIMEOUT * 0.6)

    d = start_daemon(make_config(accounts, sections=daemon_sections()))
    d.wait_runs(2, timeout=30)
    assert_keeps_schedule(d, 5.0)
    assert d.stop() == 0
    log = d.log
    assert_clean_log(log)
    states = load_states(tmp_path / "state")

    for fault, (_, words) in TRANSPORT.items():
        assert_never_ok(states, fault, FUTURES_CHECKS, log, words)
    assert_never_ok(states, "refused", FUTURES_CHECKS, log, ["connection refused"])
    # the faults stayed with their accounts: the control and the slow account are fine
    for name in ("healthy", "slow"):
        bad = {
            c: s.last_summary
            for (a, c), s in states.items()
            if a == name and s.last_status != Status.OK
        }
        assert bad == {}, (name, bad)
    slow_hits = [r for r in sim.requests if r.account_name == "slow" and r.path.startswith("/fapi")]
    assert slow_hits and all(r.status == 200 for r in slow_hits)


def test_dns_failure_of_the_futures_host(sim, make_config, start_daemon, tmp_path):
    host = "binance-sim.invalid"
    with ThreadPoolExecutor(1) as ex:
        fut = ex.submit(socket.getaddrinfo, host, 1)
        try:
            fut.result(timeout=2)
        except FutureTimeout:
            pytest.skip(f"resolving {host} does not fail within 2 s here")
        except OSError:
            pass  # fails fast: what this test needs
        else:
            pytest.skip(f"{host} resolves here")
    accounts = [
        account_entry(sim, "healthy"),
        account_entry(sim, "dns", futures_url=f"http://{host}:1"),
    ]
    d = start_daemon(make_config(accounts, sections=daemon_sections()))
    d.wait_runs(2, timeout=30)
    assert_keeps_schedule(d, 3.0)
    assert d.stop() == 0
    assert_clean_log(d.log)
    states = load_states(tmp_path / "state")
    assert_never_ok(states, "dns", FUTURES_CHECKS, d.log, ["DNS"])
    assert all(s.last_status == Status.OK for (a, _), s in states.items() if a == "healthy")


# ------------------------------------------------------------------------------ 429 and 418


def fapi_requests(s: Simulator):
    return [r for r in s.requests if r.path.startswith("/fapi")]


def first_with_status(s: Simulator, status: int):
    return next((r for r in s.requests if r.status == status), None)


def sent_after(s: Simulator, t0: float, t1: float):
    return [r for r in s.requests if t0 < r.ts < t1]


BURST = 0.5  # requests already in flight when the first 418/429 came back


def test_429_and_418_without_retry_after_pause_the_host(
    big_sim, extra_sims, make_config, start_daemon, tmp_path
):
    """Three futures hosts: 429 with Retry-After, 429 without, 418 without Retry-After."""
    sim = big_sim
    hosts = {name: extra_sims() for name in ("r429", "r429_none", "r418_none")}
    accounts = [account_entry(sim, "healthy")]
    for name, fsim in hosts.items():
        accounts.append(twin_account(fsim, account_entry(sim, name)))
    d = start_daemon(make_config(accounts, sections=daemon_sections()))
    d.wait_runs(1, timeout=30)

    hosts["r429"].set_fault("rate_limited", scope="/fapi", count=1, retry_after=3)
    hosts["r429_none"].set_fault("rate_limited", scope="/fapi", count=1, retry_after=None)
    # the simulator's own ban is short; without Retry-After the daemon must still pause its
    # default (60 s), not guess from nothing
    hosts["r418_none"].ban_seconds = 2
    hosts["r418_none"].set_fault("banned", scope="/fapi", count=1, retry_after=None)
    t_set = time.time()
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline and not (
        first_with_status(hosts["r429"], 429)
        and first_with_status(hosts["r429_none"], 429)
        and first_with_status(hosts["r418_none"], 418)
    ):
        time.sleep(0.05)
    hit = {
        "r429": first_with_status(hosts["r429"], 429),
        "r429_none": first_with_status(hosts["r429_none"], 429),
        "r418_none": first_with_status(hosts["r418_none"], 418),
    }
    assert all(hit.values()), (hit, d.log[-3000:])
    assert all(h.ts >= t_set for h in hit.values())
    assert_keeps_schedule(d, 5.0)
    assert d.stop() == 0
    end = time.time()
    log = d.log
    assert_clean_log(log)

    # 429 with Retry-After 3: silence for 3 s, then the host is asked again (and answers)
    t = hit["r429"].ts
    assert sent_after(hosts["r429"], t + BURST, t + 3 - 0.05) == []
    resumed = [r for r in fapi_requests(hosts["r429"]) if r.ts >= t + 3 - 0.05]
    assert resumed and all(r.status == 200 for r in resumed)
    # without Retry-After: nothing more to that host for the rest of the test (default 60 s)
    for name in ("r429_none", "r418_none"):
        t = hit[name].ts
        later = sent_after(hosts[name], t + BURST, end)
        assert later == [], (name, [(r.path, r.status) for r in later])
    assert end - hit["r418_none"].ts > 3  # longer than the simulator's own 2 s ban

    states = load_states(tmp_path / "state")
    for name, words in (
        ("r429_none", ["HTTP 429", "rate limited"]),
        ("r418_none", ["HTTP 418", "banned"]),
    ):
        assert_never_ok_after_fault(states, name, words)
        rl = states[(name, "rate_limit")]
        assert rl.last_status == Status.CRITICAL and -1003 in rl.last_codes, rl.last_summary
        assert any(w in rl.last_summary for w in words), rl.last_summary
        assert "until" in rl.last_summary
    # the account on the healthy host carries on undisturbed
    assert all(s.last_status == Status.OK for (a, _), s in states.items() if a == "healthy")
    # the 429 host recovered after its 3 s pause
    assert states[("r429", "position_mode")].last_status == Status.OK


def assert_never_ok_after_fault(states, account, words):
    """The futures checks are UNKNOWN (not sent: paused) and say it is a rate limit."""
    for check in FUTURES_CHECKS:
        st = states[(account, check)]
        assert st.last_status == Status.UNKNOWN, (account, check, st.last_summary)
        assert "not sent" in st.last_summary and "paused until" in st.last_summary, st.last_summary
        assert any(w in st.last_summary for w in words), st.last_summary


def test_418_with_retry_after_silences_the_host_across_a_restart(
    big_sim, extra_sims, make_config, start_daemon, tmp_path
):
    sim = big_sim
    fsim = extra_sims()
    accounts = [twin_account(fsim, account_entry(sim, "main"))]
    config = make_config(accounts, sections=daemon_sections())
    d = start_daemon(config)
    d.wait_runs(1, timeout=30)
    ban = 7
    fsim.set_fault("banned", scope="/fapi", count=1, retry_after=ban)
    ban_end = fsim.banned_until_ms / 1000
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and first_with_status(fsim, 418) is None:
        time.sleep(0.02)
    first = first_with_status(fsim, 418)
    assert first is not None, d.log[-3000:]
    d.wait_more_runs(1)
    assert d.stop() == 0  # restart in the middle of the ban
    d2 = start_daemon(config, "daemon2.log")
    d2.wait_runs(2, timeout=30)
    assert time.time() < ban_end - 1, "the restart took too long for this test to mean much"
    # the restarted daemon honours the persisted ban: nothing to the host, spot still checked
    spot_before = len(sim.requests)
    while time.time() < ban_end - 0.1:
        time.sleep(0.1)
    assert d2.runs() >= 2
    assert len(sim.requests) > spot_before
    during = sent_after(fsim, first.ts + BURST, ban_end - 0.05)
    assert during == [], [(r.path, r.status, round(r.ts - ban_end, 2)) for r in during]
    # after the ban the host is asked again and the checks recover
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and not any(
        r.status == 200 and r.ts > ban_end for r in fapi_requests(fsim)
    ):
        time.sleep(0.1)
    d2.wait_more_runs(1)
    assert d2.stop() == 0
    assert any(r.status == 200 and r.ts > ban_end for r in fapi_requests(fsim))
    assert sum(r.status == 418 for r in fsim.requests) <= 8  # one burst, never a second
    for log in (d.log, d2.log):
        assert_clean_log(log)
    assert "IP banned (HTTP 418)" in d.log and "paused" in d.log
