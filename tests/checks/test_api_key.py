"""api_key: format, signature, whitelist, permissions (-2014, -1022, -2015)."""

from __future__ import annotations

from healthcheck.checks.api_key import ApiKeyCheck, ApiKeySettings
from healthcheck.model.result import Status
from tests.checks.factbook import account, api_error, facts

CHECK = ApiKeyCheck(ApiKeySettings())
RESTRICTIONS = {
    "ipRestrict": True,
    "createTime": 1,
    "enableReading": True,
    "enableSpotAndMarginTrading": True,
    "enableFutures": True,
    "enableWithdrawals": False,
}


def test_valid_key_with_the_needed_permissions_is_ok():
    r = CHECK.evaluate(
        facts(
            account(),
            {
                "sapi.apiRestrictions": RESTRICTIONS,
                "spot.account": {"canTrade": True},
                "fapi.accountConfig": {},
            },
        )
    )
    assert r.status is Status.OK


def test_missing_futures_permission_is_critical_2015():
    r = CHECK.evaluate(
        facts(
            account(),
            {
                "sapi.apiRestrictions": {**RESTRICTIONS, "enableFutures": False},
                "spot.account": {},
                "fapi.accountConfig": {},
            },
        )
    )
    assert r.status is Status.CRITICAL and -2015 in r.codes


def test_bad_signature_is_critical_1022():
    r = CHECK.evaluate(facts(account(), {"sapi.apiRestrictions": api_error(-1022, "sig")}))
    assert r.status is Status.CRITICAL and r.codes == [-1022]


def test_key_that_can_withdraw_is_a_warning():
    r = CHECK.evaluate(
        facts(
            account(),
            {
                "sapi.apiRestrictions": {**RESTRICTIONS, "enableWithdrawals": True},
                "spot.account": {},
                "fapi.accountConfig": {},
            },
        )
    )
    assert r.status is Status.WARNING
