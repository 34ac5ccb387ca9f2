"""position_mode (-4061): is the futures account in the position mode the bot expects?

A bot written for One-way mode sends orders without positionSide; in Hedge mode Binance rejects
them with -4061, and the reverse. Read from accountConfig (weight 5), not positionSide/dual (30).
"""

from __future__ import annotations

from dataclasses import dataclass

from healthcheck.binance_errors import fix_for
from healthcheck.checks.base import (
    Facts,
    Finding,
    SchemaError,
    boolean,
    combine,
    unavailable_reason,
)
from healthcheck.config import AccountConfig, BasicSettings
from healthcheck.result import Result, Status


@dataclass(frozen=True)
class PositionModeCheck:
    settings: BasicSettings
    id: str = "position_mode"

    def applies(self, account: AccountConfig) -> bool:
        return "usdm" in account.markets

    def needs(self, account: AccountConfig) -> set[str]:
        return {"fapi.accountConfig"} if self.applies(account) else set()

    def evaluate(self, facts: Facts) -> Result | None:
        acc = facts.account
        if not self.applies(acc):
            return None
        out = facts.get("fapi.accountConfig")
        if out is None or not out.ok:
            return combine(acc.name, self.id, [], ok_summary="", unknown=[
                unavailable_reason(out, "futures account config")])
        try:
            hedge = boolean(out.data, "dualSidePosition", "accountConfig")
            multi = boolean(out.data, "multiAssetsMargin", "accountConfig", default=False)
        except SchemaError as exc:
            return combine(acc.name, self.id, [], ok_summary="",
                           unknown=[f"unexpected answer from Binance: {exc}"])
        actual = "hedge" if hedge else "one-way"
        details = {"position_mode": actual, "expected": acc.position_mode,
                   "multi_assets_margin": multi}
        findings = []
        if actual != acc.position_mode:
            findings.append(Finding(
                Status.CRITICAL,
                f"futures account is in {actual.title()} mode but the bot expects "
                f"{acc.position_mode}: orders fail with -4061 (position side does not match)",
                [-4061], fix_for(-4061) + f" (or set position_mode = \"{actual}\" if the bot "
                f"was changed on purpose)"))
        multi_text = ", multi-assets margin on" if multi else ""
        return combine(acc.name, self.id, findings,
                       ok_summary=f"{actual} mode as expected{multi_text}", unknown=[],
                       details=details, metrics={"hedge_mode": int(hedge),
                                                 "multi_assets_margin": int(multi)})
