"""The demo accounts and the foreground ``serve`` entry point used by the CLI."""

from __future__ import annotations

import io
import re
import threading
import time

from binance.client import Client

from healthcheck.simulator import Simulator, build_demo
from healthcheck.simulator.serve import serve

from .conftest import make_client


def test_build_demo_adds_healthy_and_broken_accounts_with_fixed_keys(sim: Simulator) -> None:
    accounts = build_demo(sim)
    assert set(accounts) == {"healthy", "broken"}
    for acct in accounts.values():
        assert len(acct.api_key) == 64 and acct.api_key.isalnum()
        assert acct.api_secret is not None and len(acct.api_secret) == 64
    healthy = make_client(sim, accounts["healthy"].api_key, accounts["healthy"].api_secret)
    broken = make_client(sim, accounts["broken"].api_key, accounts["broken"].api_secret)
    assert healthy.futures_account_config()["dualSidePosition"] is False
    cfg = broken.futures_account_config()
    assert cfg["dualSidePosition"] is True
    assert broken.get_account_api_permissions()["enableWithdrawals"] is True
    assert healthy.get_account_api_permissions()["enableWithdrawals"] is False
    assert {f["account"] for f in sim.faults} == {"broken"}
    with Simulator() as other:
        again = build_demo(other)
    assert again["broken"].api_key == accounts["broken"].api_key


def test_serve_prints_connection_details_and_stops_on_event() -> None:
    out = io.StringIO()
    stop = threading.Event()
    result: dict[str, int] = {}
    t = threading.Thread(
        target=lambda: result.update(rc=serve(faults=["clock_warn"], out=out, stop_event=stop))
    )
    t.start()
    deadline = time.monotonic() + 5
    while "Ctrl-C" not in out.getvalue() and time.monotonic() < deadline:
        time.sleep(0.02)
    text = out.getvalue()
    url = re.search(r"listening on (http://127\.0\.0\.1:\d+)", text).group(1)  # type: ignore[union-attr]
    assert re.search(r"NTP responder on udp 127\.0\.0\.1:\d+", text)
    assert "client.FUTURES_URL" in text and "/_sim/faults" in text
    key = re.search(r"healthy\s+api_key=(\w+)", text).group(1)  # type: ignore[union-attr]
    secret = re.search(r"api_secret=(\w+)", text).group(1)  # type: ignore[union-attr]
    client = Client(key, secret, ping=False)
    client.API_URL = url + "/api"
    assert client.get_account()["canTrade"] is True
    stop.set()
    t.join(timeout=5)
    assert result["rc"] == 0


def test_serve_rejects_unknown_fault_with_exit_3() -> None:
    out = io.StringIO()
    assert serve(faults=["nope"], out=out) == 3
    line = out.getvalue().strip()
    assert "\n" not in line and "nope" in line and "hedge_mode" in line
