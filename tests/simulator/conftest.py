"""Shared fixtures for simulator tests: a running Simulator, a healthy HMAC account, and a factory
for real python-binance Clients pointed at it."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
from binance.client import Client

from healthcheck.simulator import NtpResponder, SimAccount, Simulator


def make_client(
    sim: Simulator, api_key: str, api_secret: str | None = None, **kwargs: Any
) -> Client:
    client = Client(api_key, api_secret, ping=False, **kwargs)
    client.API_URL = sim.url + "/api"
    client.MARGIN_API_URL = sim.url + "/sapi"
    client.FUTURES_URL = sim.url + "/fapi"
    client.REQUEST_RECVWINDOW = 5000
    client.REQUEST_TIMEOUT = 5
    return client


@pytest.fixture
def account(sim: Simulator) -> SimAccount:
    return sim.add_account("main")


@pytest.fixture
def client_for(sim: Simulator) -> Iterator[Callable[..., Client]]:
    made: list[Client] = []

    def factory(acct: SimAccount, **kwargs: Any) -> Client:
        c = make_client(sim, acct.api_key, acct.api_secret, **kwargs)
        made.append(c)
        return c

    yield factory
    for c in made:
        c.close_connection()


@pytest.fixture
def client(account: SimAccount, client_for: Callable[..., Client]) -> Client:
    return client_for(account)


@pytest.fixture
def ntp() -> Iterator[NtpResponder]:
    with NtpResponder() as responder:
        yield responder


@pytest.fixture
def fresh_minute(sim: Simulator) -> None:
    """Weight windows are per simulator minute; skip the last 2 s so counts can't roll over."""
    import time

    left_ms = 60000 - sim.now_ms() % 60000
    if left_ms < 2000:
        time.sleep(left_ms / 1000 + 0.01)
