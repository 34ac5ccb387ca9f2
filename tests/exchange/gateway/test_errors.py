"""Tests for healthcheck.exchange.gateway.errors: what Binance's refusals become, through the real
client against the simulator."""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest

from healthcheck.config import load_config
from healthcheck.exchange.fetch import FetchErrorKind
from healthcheck.exchange.gateway import ENDPOINTS, AccountGateway, WeightBook, host_key


@pytest.fixture
def gateway(make_config) -> Iterator[AccountGateway]:
    cfg = load_config(make_config())
    gw = AccountGateway(cfg.accounts[0], WeightBook(), timeout=5.0)
    yield gw
    gw.close()


def test_a_418_with_retry_after_bans_the_host_in_the_weight_book(sim, gateway) -> None:
    sim.set_fault("banned", scope="/fapi/", retry_after=600)
    before = time.time()
    out = gateway.call("fapi.account")
    assert out.error is not None and out.error.kind is FetchErrorKind.BANNED
    assert out.error.http_status == 418 and out.error.retry_after == 600
    key = host_key(gateway.base_url(ENDPOINTS["fapi.account"]), "fapi")
    ban = gateway.book.active_ban(key)
    assert ban is not None and before + 590 <= ban[0] <= time.time() + 610
    assert "418" in ban[1]


def test_a_429_is_rate_limited_with_binances_code_and_its_retry_after(sim, gateway) -> None:
    sim.set_fault("rate_limited", scope="/api/", retry_after=7)
    out = gateway.call("spot.account")
    assert out.error is not None and out.error.kind is FetchErrorKind.RATE_LIMITED
    assert (out.error.code, out.error.http_status, out.error.retry_after) == (-1003, 429, 7)


def test_a_server_error_is_http_not_an_account_problem_and_hides_the_signature(
    sim, gateway
) -> None:
    sim.set_fault("http_500", scope="/fapi/")
    out = gateway.call("fapi.account")
    assert out.error is not None and out.error.kind is FetchErrorKind.HTTP
    assert out.error.http_status == 500
    assert "signature=" not in out.error.message
    assert out.error.message.startswith("/fapi/")
