"""system_status: is Binance in system maintenance? (GET /sapi/v1/system/status, weight 1)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, ClassVar

from healthcheck.checks.base import (
    CheckBase,
    CheckSettings,
    Facts,
    Finding,
    SchemaError,
    combine,
    number,
    setting,
    unavailable_reason,
)
from healthcheck.exchange.fetch import Request
from healthcheck.model.result import Result, Status

if TYPE_CHECKING:
    from healthcheck.exchange.account import AccountConfig


@dataclass(frozen=True)
class SystemStatusSettings(CheckSettings):
    interval: float | None = setting(
        300.0, "seconds between runs in the daemon", minimum=0, exclusive_min=True
    )


@dataclass(frozen=True)
class SystemStatusCheck(CheckBase):
    settings: SystemStatusSettings
    id: ClassVar[str] = "system_status"
    title: ClassVar[str] = "Binance system maintenance"
    Settings: ClassVar[type[CheckSettings]] = SystemStatusSettings

    def needs(self, account: AccountConfig) -> list[Request]:
        return [] if account.testnet else [Request("sapi.systemStatus")]

    def evaluate(self, facts: Facts) -> Result:
        acc = facts.account
        if acc.testnet:
            return combine(
                acc.name,
                self.id,
                [],
                ok_summary="not available on the testnet (no /sapi there)",
                unknown=[],
            )
        out = facts.get("sapi.systemStatus")
        if out is None or not out.ok:
            return combine(
                acc.name,
                self.id,
                [],
                ok_summary="",
                unknown=[unavailable_reason(out, "system status")],
            )
        try:
            status = int(number(out.data, "status", "system/status"))
        except SchemaError as exc:
            return combine(
                acc.name,
                self.id,
                [],
                ok_summary="",
                unknown=[f"unexpected answer from Binance: {exc}"],
            )
        msg = str(out.data.get("msg", ""))[:80]
        findings = []
        if status != 0:
            findings.append(
                Finding(
                    Status.WARNING,
                    f"Binance reports system maintenance "
                    f"({msg or status}): orders may fail until it ends",
                    fix="wait for the maintenance to end; see Binance announcements",
                )
            )
        return combine(
            acc.name,
            self.id,
            findings,
            ok_summary="Binance system status normal",
            unknown=[],
            details={"status": status, "msg": msg},
            metrics={"maintenance": int(status != 0)},
        )
