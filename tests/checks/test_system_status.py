"""system_status: Binance system maintenance."""

from __future__ import annotations

from healthcheck.checks.system_status import SystemStatusCheck, SystemStatusSettings
from healthcheck.model.result import Status
from tests.checks.factbook import account, facts

CHECK = SystemStatusCheck(SystemStatusSettings())


def test_maintenance_is_not_ok():
    r = CHECK.evaluate(
        facts(account(), {"sapi.systemStatus": {"status": 1, "msg": "system maintenance"}})
    )
    assert r.status is not Status.OK and "maintenance" in r.summary


def test_normal_is_ok_and_testnet_asks_nothing():
    assert (
        CHECK.evaluate(
            facts(account(), {"sapi.systemStatus": {"status": 0, "msg": "normal"}})
        ).status
        is Status.OK
    )
    assert CHECK.needs(account(testnet=True)) == []
