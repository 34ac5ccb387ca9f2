"""balance: futures margin ratio and available balance (-2019), spot free balance (-2010)."""

from __future__ import annotations

from decimal import Decimal

import pytest

from healthcheck.checks.balance import BalanceCheck, BalanceSettings
from healthcheck.model.result import Status
from tests.checks.factbook import account, facts

CHECK = BalanceCheck(BalanceSettings())


def futures(maint: str, margin: str, available: str = "1000") -> dict:
    return {
        "totalMaintMargin": maint,
        "totalMarginBalance": margin,
        "assets": [{"asset": "USDT", "availableBalance": available}],
    }


@pytest.mark.parametrize(
    "maint, status", [("10", Status.OK), ("600", Status.WARNING), ("900", Status.CRITICAL)]
)
def test_margin_ratio_thresholds(maint, status):
    r = CHECK.evaluate(facts(account(markets=("usdm",)), {"fapi.account": futures(maint, "1000")}))
    assert r.status is status
    assert r.metrics["margin_ratio"] == pytest.approx(int(maint) / 1000)


def test_spot_free_balance_from_user_asset_below_minimum_is_critical():
    # getUserAsset lists positive balances only: a missing asset is a zero balance
    acc = account(markets=("spot",), min_available={"USDT": Decimal(100)})
    r = CHECK.evaluate(facts(acc, {"sapi.userAsset": [{"asset": "BTC", "free": "1"}]}))
    assert r.status is Status.CRITICAL and r.codes == [-2010]


def test_spot_source_account_reads_api_v3_account():
    check = BalanceCheck(BalanceSettings(spot_source="account"))
    acc = account(markets=("spot",), min_available={"USDT": Decimal(100)})
    assert [r.endpoint for r in check.needs(acc)] == ["spot.account"]
    r = check.evaluate(
        facts(
            acc, {"spot.account": {"balances": [{"asset": "USDT", "free": "150", "locked": "0"}]}}
        )
    )
    assert r.status is Status.OK


def test_testnet_reads_spot_balances_from_the_account_endpoint():
    acc = account(markets=("spot",), min_available={"USDT": Decimal(1)}, testnet=True)
    assert [r.endpoint for r in CHECK.needs(acc)] == ["spot.account"]
