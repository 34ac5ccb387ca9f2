"""The simulated account (healthcheck.simulator.accounts): a new account has 64-character keys
and the default balances, and is found by its key only."""

from __future__ import annotations

from binance.client import Client

from healthcheck.simulator import SimAccount, Simulator


def test_a_new_account_gets_the_default_balances(client: Client) -> None:
    spot = {b["asset"]: b["free"] for b in client.get_account()["balances"]}
    assert spot["BTC"] == "0.50000000" and spot["USDT"] == "1000.00000000"
    futures = {b["asset"]: b["availableBalance"] for b in client.futures_account_balance()}
    assert futures["USDT"] == "5000.00000000"


def test_keys_are_binance_shaped_and_find_their_account(
    sim: Simulator, account: SimAccount
) -> None:
    assert len(account.api_key) == 64 and account.api_key.isalnum()
    assert account.api_secret is not None and len(account.api_secret) == 64
    assert sim.account_by_key(account.api_key) is account
    assert sim.account_by_key("x" * 64) is None
    assert sim.accounts["main"] is account
