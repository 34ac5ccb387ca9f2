"""The simulator's request pipeline (healthcheck.simulator.pipeline): every request is recorded
with its path, status, weight and account, and parameters sent twice take the query string's."""

from __future__ import annotations

from binance.client import Client

from healthcheck.simulator import SimAccount, Simulator
from healthcheck.simulator.pipeline import query_params
from healthcheck.simulator.wire import Request


def test_requests_are_recorded_with_their_weight(
    sim: Simulator, account: SimAccount, client: Client, fresh_minute: None
) -> None:
    client.get_exchange_info()
    client.get_account()
    client.get_order_book(symbol="BTCUSDT", limit=1000)
    info, acct, book = sim.requests[-3:]
    assert (info.path, info.weight, info.signed, info.account_name) == (
        "/api/v3/exchangeInfo",
        20,
        False,
        "main",  # python-binance sends its key header on public calls too
    )
    assert (acct.path, acct.status, acct.weight, acct.signed, acct.account_name) == (
        "/api/v3/account",
        200,
        20,
        True,
        "main",
    )
    assert (book.path, book.weight) == ("/api/v3/depth", 50)
    assert sim.weight_used("api") == 90


def test_a_refused_signature_is_recorded_but_an_unknown_path_weighs_nothing(
    sim: Simulator, account: SimAccount, fresh_minute: None
) -> None:
    import requests

    before = sim.weight_used("api")
    r = requests.get(sim.url + "/api/v3/noSuchThing", timeout=5)
    assert r.status_code == 404
    assert sim.requests[-1].path == "/api/v3/noSuchThing" and sim.requests[-1].status == 404
    assert sim.weight_used("api") == before


def test_a_parameter_in_query_and_body_takes_the_query_value() -> None:
    req = Request("POST", "/api/v3/order", "symbol=ETHUSDT", "symbol=BTCUSDT&side=BUY", None, "x")
    assert query_params(req) == {"symbol": "ETHUSDT", "side": "BUY"}
