"""USD-M margin type per symbol: POST /fapi/v1/marginType answered as Binance answers it (-4046 when
already set, -4047 with open orders, -4048 with a position, -4168 under multi-assets mode), and
the type shown where Binance shows it (symbolConfig, positionRisk, account positions), driven by
the real python-binance and ccxt clients. Also GET /fapi/v1/income, which freqtrade reads."""

from __future__ import annotations

from typing import Any

import ccxt
import pytest
from binance.client import Client
from binance.exceptions import BinanceAPIException

from healthcheck.simulator import SimAccount, Simulator

from .test_clients import _point


def _err(call: Any, **kw: Any) -> tuple[int, int, str]:
    with pytest.raises(BinanceAPIException) as e:
        call(**kw)
    return e.value.status_code, e.value.code, e.value.message


@pytest.fixture
def flat(account: SimAccount) -> SimAccount:
    account.futures_maint_margin = "0"  # no derived BTCUSDT position
    return account


def test_switch_to_isolated_then_4046_when_already_set(client: Client, flat: SimAccount) -> None:
    assert client.futures_change_margin_type(symbol="BTCUSDT", marginType="ISOLATED") == {
        "code": 200,
        "msg": "success",
    }
    assert flat.margin_type_for("BTCUSDT") == "ISOLATED"
    assert flat.margin_type_for("ETHUSDT") == "CROSSED"  # per symbol
    assert _err(client.futures_change_margin_type, symbol="BTCUSDT", marginType="ISOLATED") == (
        400,
        -4046,
        "No need to change margin type.",
    )
    [cfg] = client.futures_symbol_config(symbol="BTCUSDT")
    assert cfg["marginType"] == "ISOLATED"
    client.futures_change_margin_type(symbol="BTCUSDT", marginType="CROSSED")
    assert client.futures_symbol_config(symbol="BTCUSDT")[0]["marginType"] == "CROSSED"


def test_a_position_gives_4048_and_open_orders_4047(
    sim: Simulator, client: Client, flat: SimAccount
) -> None:
    flat.set_position("BTCUSDT", "0.01")
    assert _err(client.futures_change_margin_type, symbol="BTCUSDT", marginType="ISOLATED") == (
        400,
        -4048,
        "Margin type cannot be changed if there exists position.",
    )
    flat.add_open_order("usdm", "ETHUSDT")
    assert _err(client.futures_change_margin_type, symbol="ETHUSDT", marginType="ISOLATED") == (
        400,
        -4047,
        "Margin type cannot be changed if there exists open orders.",
    )
    assert flat.margin_type_for("BTCUSDT") == flat.margin_type_for("ETHUSDT") == "CROSSED"


def test_the_default_accounts_derived_btc_position_blocks_a_switch(
    client: Client, account: SimAccount
) -> None:
    # the default account holds a BTCUSDT long (its maintenance margin): a bot wanting isolated
    # on it is refused, as freqtrade is on an account with a cross position
    assert _err(client.futures_change_margin_type, symbol="BTCUSDT", marginType="ISOLATED")[1] == (
        -4048
    )


def test_multi_assets_mode_refuses_isolated_with_4168(
    sim: Simulator, client: Client, flat: SimAccount
) -> None:
    sim.set_fault("multi_assets")
    assert _err(client.futures_change_margin_type, symbol="BTCUSDT", marginType="ISOLATED") == (
        400,
        -4168,
        "Unable to adjust to isolated-margin mode under the Multi-Assets mode.",
    )


def test_bad_parameters(client: Client, flat: SimAccount) -> None:
    # an unknown value, lower case included, is "not sent" (users' reports of Binance's answer)
    for kw in ({}, {"marginType": "isolated"}, {"marginType": "CROSS"}):
        assert _err(client.futures_change_margin_type, symbol="BTCUSDT", **kw)[1:] == (
            -1102,
            "Mandatory parameter 'margintype' was not sent, was empty/null, or malformed.",
        )
    assert _err(client.futures_change_margin_type, symbol="NOPEUSDT", marginType="ISOLATED")[1] == (
        -1121
    )


def test_isolated_position_shows_its_margin_in_position_risk_and_account(
    client: Client, flat: SimAccount
) -> None:
    flat.set_margin_type("BTCUSDT", "ISOLATED")
    flat.set_position("BTCUSDT", "0.01", entry_price="60000", leverage=5)
    [v3] = client.futures_position_information(symbol="BTCUSDT", version=3)
    assert float(v3["isolatedWallet"]) == pytest.approx(120.0)  # 600 notional at 5x
    assert float(v3["isolatedMargin"]) == pytest.approx(120.0)  # + uPnL 0 at the entry price
    [v2] = client.futures_position_information(symbol="BTCUSDT", version=2)
    assert (v2["marginType"], v2["isolated"]) == ("isolated", True)
    acct = client.futures_account(version=2)
    [pos] = [p for p in acct["positions"] if p["symbol"] == "BTCUSDT"]
    assert pos["isolated"] is True and float(pos["isolatedWallet"]) == pytest.approx(120.0)
    [eth] = client.futures_position_information(symbol="ETHUSDT", version=2)
    assert (eth["marginType"], eth["isolated"]) == ("cross", False)


@pytest.fixture
def usdm(sim: Simulator, flat: SimAccount) -> Any:
    return _point(
        ccxt.binanceusdm({"apiKey": flat.api_key, "secret": flat.api_secret, "timeout": 1500}), sim
    )


def test_ccxt_set_margin_mode_classes_4046_and_4048(usdm: Any, flat: SimAccount) -> None:
    usdm.load_markets()
    assert usdm.set_margin_mode("isolated", "BTC/USDT:USDT")["code"] == 200
    # -4046 is ccxt's MarginModeAlreadySet, which freqtrade catches and logs at DEBUG only
    with pytest.raises(ccxt.MarginModeAlreadySet, match='"code":-4046'):
        usdm.set_margin_mode("isolated", "BTC/USDT:USDT")
    flat.set_position("ETHUSDT", "0.1")
    with pytest.raises(ccxt.OperationRejected, match='"code":-4048'):
        usdm.set_margin_mode("isolated", "ETH/USDT:USDT")
    [pos] = usdm.fetch_positions(["BTC/USDT:USDT"]) or [None]
    assert pos is None  # flat BTCUSDT: v3 positionRisk omits it


def test_ccxt_reads_an_isolated_position_as_isolated(usdm: Any, flat: SimAccount) -> None:
    flat.set_margin_type("BTCUSDT", "ISOLATED")
    flat.set_position("BTCUSDT", "0.01", entry_price="60000", leverage=5)
    usdm.load_markets()
    [pos] = usdm.fetch_positions(["BTC/USDT:USDT"])
    assert pos["marginMode"] == "isolated" and pos["contracts"] == pytest.approx(0.01)
    assert pos["collateral"] == pytest.approx(120.0)


def test_income_lists_commissions_and_no_funding(client: Client, flat: SimAccount) -> None:
    client.futures_create_order(symbol="BTCUSDT", side="BUY", type="MARKET", quantity=0.002)
    rows = client.futures_income_history(symbol="BTCUSDT")
    assert [r["incomeType"] for r in rows] == ["COMMISSION"]
    assert float(rows[0]["income"]) == pytest.approx(-0.06)  # 120 USDT * 0.05 % taker fee
    assert set(rows[0]) == {"symbol", "incomeType", "income", "asset", "info", "time", "tranId",
                            "tradeId"}  # fmt: skip
    assert client.futures_income_history(symbol="BTCUSDT", incomeType="FUNDING_FEE") == []
    assert _err(client.futures_income_history, incomeType="FUNDING")[1] == -1100
