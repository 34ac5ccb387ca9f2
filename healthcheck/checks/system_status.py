"""system_status: is Binance in system maintenance? (GET /sapi/v1/system/status, weight 1)."""

from __future__ import annotations

from dataclasses import dataclass

from healthcheck.checks.base import Facts, Finding, SchemaError, combine, number, unavailable_reason
from healthcheck.config import AccountConfig, BasicSettings
from healthcheck.result import Result, Status


@dataclass(frozen=True)
class SystemStatusCheck:
    settings: BasicSettings
    id: str = "system_status"

    def needs(self, account: AccountConfig) -> set[str]:
        return set() if account.testnet else {"sapi.systemStatus"}

    def evaluate(self, facts: Facts) -> Result:
        acc = facts.account
        if acc.testnet:
            return combine(acc.name, self.id, [], ok_summary="not available on the testnet "
                           "(no /sapi there)", unknown=[])
        out = facts.get("sapi.systemStatus")
        if out is None or not out.ok:
            return combine(acc.name, self.id, [], ok_summary="", unknown=[
                unavailable_reason(out, "system status")])
        try:
            status = int(number(out.data, "status", "system/status"))
        except SchemaError as exc:
            return combine(acc.name, self.id, [], ok_summary="",
                           unknown=[f"unexpected answer from Binance: {exc}"])
        msg = str(out.data.get("msg", ""))[:80]
        findings = []
        if status != 0:
            findings.append(Finding(Status.WARNING, f"Binance reports system maintenance "
                                    f"({msg or status}): orders may fail until it ends",
                                    fix="wait for the maintenance to end; see Binance "
                                    "announcements"))
        return combine(acc.name, self.id, findings, ok_summary="Binance system status normal",
                       unknown=[], details={"status": status, "msg": msg},
                       metrics={"maintenance": int(status != 0)})
