"""The simulator's request weight (healthcheck.simulator.rate_limits): a pool over its limit
answers 429 with Retry-After until the minute ends, and after ``ban_after_429`` of them the IP is
banned with 418 and a Retry-After of the ban's length."""

from __future__ import annotations

import threading

import requests

from healthcheck.simulator import Simulator
from healthcheck.simulator.rate_limits import RateLimiter


def test_429_until_the_minute_ends_then_418_ban_with_retry_after() -> None:
    now = {"ms": 1_699_999_990_000}  # 10 s into a minute
    rl = RateLimiter(threading.RLock(), lambda: now["ms"])
    rl.limits["api"] = 10
    assert rl.admit("api", "1.2.3.4", 10, now["ms"]) is None
    for _ in range(rl.ban_after_429):
        over = rl.admit("api", "1.2.3.4", 1, now["ms"])
        assert over is not None and over.status == 429
        assert over.headers["Retry-After"] == "50"
        assert {k.lower(): v for k, v in over.headers.items()}["x-mbx-used-weight-1m"] == "11"
    ban = rl.admit("api", "1.2.3.4", 1, now["ms"])
    assert ban is not None and ban.status == 418
    assert ban.headers["Retry-After"] == str(rl.ban_seconds)
    assert b"IP banned until" in ban.body
    now["ms"] += 61_000  # a new minute: no weight used, but the ban still holds
    still = rl.banned("api", "1.2.3.4", now["ms"])
    assert still is not None and still.status == 418
    assert int(still.headers["Retry-After"]) == rl.ban_seconds - 61
    assert rl.banned("fapi", "1.2.3.4", now["ms"]) is None  # another pool is not banned


def test_over_the_limit_over_http(sim: Simulator, fresh_minute: None) -> None:
    sim.limits["api"] = 3  # three pings of weight 1
    with requests.Session() as s:
        codes = [s.get(sim.url + "/api/v3/ping", timeout=5) for _ in range(7)]
    assert [r.status_code for r in codes] == [200, 200, 200, 429, 429, 429, 418]
    assert codes[3].json()["code"] == -1003 and "Retry-After" in codes[3].headers
    assert sim.bans["api"] > sim.now_ms()
    assert sim.weight_used("fapi") == 0
