"""Tests for healthcheck.exchange.fetch: requests, outcomes and why a fetch gave nothing."""

from __future__ import annotations

import pytest

from healthcheck.exchange.fetch import (
    TRANSPORT_KINDS,
    FetchError,
    FetchErrorKind,
    Outcome,
    Request,
)


def test_budget_and_deferred_mean_nothing_was_sent_every_other_kind_was() -> None:
    unsent = {k for k in FetchErrorKind if not k.sent}
    assert unsent == {FetchErrorKind.BUDGET, FetchErrorKind.DEFERRED}


def test_only_an_api_answer_says_something_about_the_account() -> None:
    assert set(FetchErrorKind) - TRANSPORT_KINDS == {FetchErrorKind.API}


def test_error_kind_compares_as_text_and_an_unknown_kind_is_refused() -> None:
    err = FetchError("rate_limited", "HTTP 429: too many requests", http_status=429, retry_after=7)
    assert err.kind is FetchErrorKind.RATE_LIMITED and err.kind == "rate_limited"
    assert str(err) == "HTTP 429: too many requests"
    assert not Outcome("spot.account", error=err).ok and Outcome("spot.account", data={}).ok
    with pytest.raises(ValueError):
        FetchError("teapot", "x")


def test_equal_requests_are_one_request_whatever_the_parameter_order_or_reuse() -> None:
    a = Request.of("spot.openOrders", symbol="BTCUSDT", recvWindow=5000)
    b = Request.of("spot.openOrders", reuse_seconds=60, recvWindow="5000", symbol="BTCUSDT")
    assert a.key == b.key
    assert Request.of("x", flag=True).params == (("flag", "true"),)
    assert a.label() == "spot.openOrders?recvWindow=5000&symbol=BTCUSDT"
    assert Request.of("spot.time").label() == "spot.time"
