"""position_mode: Hedge vs One-way (-4061) and the expected multi-assets margin mode."""

from __future__ import annotations

import pytest

from healthcheck.checks.base import CheckSettings
from healthcheck.checks.position_mode import PositionModeCheck
from healthcheck.model.result import Status
from tests.checks.factbook import account, facts

CHECK = PositionModeCheck(CheckSettings())


def cfg(hedge: bool, multi: bool = False) -> dict:
    return {"dualSidePosition": hedge, "multiAssetsMargin": multi, "canTrade": True}


def test_position_mode_hedge_when_one_way_expected_is_critical():
    r = CHECK.evaluate(facts(account(markets=("usdm",)), {"fapi.accountConfig": cfg(True)}))
    assert r.status is Status.CRITICAL and r.codes == [-4061]


def test_expected_hedge_mode_is_ok():
    acc = account(markets=("usdm",), position_mode="hedge")
    assert CHECK.evaluate(facts(acc, {"fapi.accountConfig": cfg(True)})).status is Status.OK


@pytest.mark.parametrize(
    "want, have, status",
    [
        (None, True, Status.OK),
        (True, True, Status.OK),
        (False, True, Status.CRITICAL),
        (True, False, Status.CRITICAL),
    ],
)
def test_multi_assets_margin_expectation(want, have, status):
    acc = account(markets=("usdm",), multi_assets_margin=want)
    r = CHECK.evaluate(facts(acc, {"fapi.accountConfig": cfg(False, have)}))
    assert r.status is status
    if status is Status.CRITICAL:
        assert "multi-assets margin is" in r.summary


def test_spot_only_account_has_no_position_mode():
    assert not CHECK.applies(account(markets=("spot",)))
