"""Portfolio Margin (healthcheck.simulator.papi): a PM account trades futures through /papi, and
its signed /fapi calls are refused with -2015; a classic account's /papi calls likewise."""

from __future__ import annotations

import pytest
from binance.client import Client
from binance.exceptions import BinanceAPIException

from healthcheck.simulator import SimAccount, Simulator


def _papi(sim: Simulator, client: Client) -> Client:
    client.PAPI_URL = sim.url + "/papi"
    return client


def test_a_pm_accounts_fapi_signed_call_gets_2015(
    sim: Simulator, account: SimAccount, client: Client
) -> None:
    sim.set_fault("portfolio_margin", account=account.name)
    with pytest.raises(BinanceAPIException) as err:
        client.futures_account_balance()
    assert err.value.code == -2015
    assert client.futures_symbol_ticker(symbol="BTCUSDT")["symbol"] == "BTCUSDT"  # public: fine
    acct = _papi(sim, client).papi_get_account()
    assert acct["accountStatus"] == "NORMAL" and float(acct["uniMMR"]) == 8.5


def test_a_classic_accounts_papi_call_gets_2015(sim: Simulator, client: Client) -> None:
    with pytest.raises(BinanceAPIException) as err:
        _papi(sim, client).papi_get_balance()
    assert err.value.code == -2015
