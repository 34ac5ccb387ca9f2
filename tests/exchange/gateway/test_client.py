"""Tests for healthcheck.exchange.gateway.client: python-binance's client reading odd answers the
way Binance sends them (simulator over HTTP)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from healthcheck.config import load_config
from healthcheck.exchange.fetch import FetchErrorKind
from healthcheck.exchange.gateway import AccountGateway, WeightBook


@pytest.fixture
def gateway(make_config) -> Iterator[AccountGateway]:
    cfg = load_config(make_config())
    gw = AccountGateway(cfg.accounts[0], WeightBook(), timeout=5.0)
    yield gw
    gw.close()


def test_an_empty_200_body_is_no_answer_not_empty_data(sim, gateway) -> None:
    sim.set_fault("empty_body", scope="/api/")
    out = gateway.call("spot.time")
    assert out.data is None and out.error is not None
    assert out.error.kind is FetchErrorKind.MALFORMED
    assert "empty body" in out.error.message


def test_an_html_page_with_200_is_malformed_and_quotes_a_bit_of_it(sim, gateway) -> None:
    sim.set_fault("html_200", scope="/api/")
    out = gateway.call("spot.time")
    assert out.error is not None and out.error.kind is FetchErrorKind.MALFORMED
    assert "not JSON" in out.error.message


def test_a_normal_answer_is_decoded_json(sim, gateway) -> None:
    out = gateway.call("spot.time")
    assert out.ok, out.error
    assert isinstance(out.data["serverTime"], int)
