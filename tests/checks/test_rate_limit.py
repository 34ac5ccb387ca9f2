"""rate_limit: the IP's used weight vs the limit (-1003), bans."""

from __future__ import annotations

import pytest

from healthcheck.checks.rate_limit import RateLimitCheck, RateLimitSettings
from healthcheck.exchange.weights import WeightBook
from healthcheck.model.markets import host_key
from healthcheck.model.result import Status
from tests.checks.factbook import NOW, account, facts

CHECK = RateLimitCheck(RateLimitSettings())


@pytest.mark.parametrize(
    "used, status", [(100, Status.OK), (1800, Status.WARNING), (2300, Status.CRITICAL)]
)
def test_used_weight_thresholds(used, status):
    acc = account(markets=("usdm",))
    book = WeightBook(clock=lambda: NOW)
    book.observe(acc.base_url("usdm"), "fapi", used)
    r = CHECK.evaluate(facts(acc, book=book))
    assert r.status is status
    if status is not Status.OK:
        assert r.risk_codes == [-1003]


def test_active_ban_is_critical_1003():
    acc = account(markets=("usdm",))
    book = WeightBook(clock=lambda: NOW)
    book.ban(host_key(acc.base_url("usdm"), "fapi"), NOW + 120, "IP banned (HTTP 418)")
    r = CHECK.evaluate(facts(acc, book=book))
    assert r.status is Status.CRITICAL and r.codes == [-1003]


def test_no_weight_header_is_unknown():
    r = CHECK.evaluate(facts(account(markets=("usdm",))))
    assert r.status is Status.UNKNOWN
