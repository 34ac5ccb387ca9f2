"""The account gateway (healthcheck/exchange/gateway.py): the real python-binance client against the
simulator over HTTP. What a user would notice: an answer comes back as data, Binance's refusals
keep Binance's code and words (and never the secret), a ban stops requests to that host before
they are sent, and a silent server becomes an UNKNOWN that names request_timeout."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from healthcheck.config import load_config
from healthcheck.exchange.fetch import FetchErrorKind
from healthcheck.exchange.gateway import AccountGateway
from healthcheck.exchange.weights import WeightBook


@pytest.fixture
def gateway(make_config) -> Iterator[AccountGateway]:
    cfg = load_config(make_config())
    gw = AccountGateway(cfg.accounts[0], WeightBook(), timeout=2.0)
    yield gw
    gw.close()


def sent_to(sim, path: str) -> int:
    return sum(1 for r in sim.requests if r.path == path)


def test_a_signed_read_returns_binances_answer_and_its_weight(sim, gateway) -> None:
    out = gateway.call("fapi.accountConfig")
    assert out.ok and out.error is None, out.error
    assert out.sent and "dualSidePosition" in out.data
    assert sent_to(sim, "/fapi/v1/accountConfig") == 1
    assert [r.signed for r in sim.requests if r.path == "/fapi/v1/accountConfig"] == [True]
    assert out.weight >= 1


def test_a_rejected_key_keeps_binances_code_and_never_the_secret(sim, gateway) -> None:
    sim.set_fault("unknown_key")
    out = gateway.call("fapi.account")
    assert not out.ok and out.error is not None
    assert out.error.kind is FetchErrorKind.API and out.error.code == -2015
    secret = gateway.account.api_secret.reveal()
    assert secret not in str(out.error) and secret not in repr(out)
    assert gateway.account.api_key.reveal() not in str(out.error)


def test_after_a_418_nothing_more_is_sent_to_that_host_until_the_ban_ends(sim, gateway) -> None:
    sim.set_fault("banned", scope="/fapi/", retry_after=600)
    first = gateway.call("fapi.account")
    assert first.error is not None and first.error.kind is FetchErrorKind.BANNED
    before = len(sim.requests)
    again = gateway.call("fapi.accountConfig")
    assert not again.sent and again.error is not None
    assert again.error.kind is FetchErrorKind.BANNED
    assert len(sim.requests) == before  # the banned host heard nothing more
    spot = gateway.call("spot.time")  # another host is not banned
    assert spot.ok and spot.sent, spot.error


def test_a_server_that_never_answers_is_a_timeout_naming_request_timeout(sim, gateway) -> None:
    sim.set_fault("timeout", seconds=30)
    try:
        out = gateway.call("fapi.time")
    finally:
        sim.clear_fault()
    assert out.error is not None and out.error.kind is FetchErrorKind.TIMEOUT
    assert out.error.message == "/fapi/v1/time: no answer within 2 s (request_timeout)"
