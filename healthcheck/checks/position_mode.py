"""position_mode (-4061): is the futures account in the position mode the bot expects?

A bot written for One-way mode sends orders without positionSide; in Hedge mode Binance rejects
them with -4061, and the reverse. Read from accountConfig (weight 5), not positionSide/dual (30).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, ClassVar

from healthcheck.binance_errors import fix_for
from healthcheck.checks.base import (
    CheckBase,
    CheckSettings,
    Facts,
    Finding,
    SchemaError,
    boolean,
    combine,
    from_product,
    unavailable_reason,
)
from healthcheck.fetch import Request
from healthcheck.result import Result, Status

if TYPE_CHECKING:
    from healthcheck.config import AccountConfig


@dataclass(frozen=True)
class PositionModeCheck(CheckBase):
    settings: CheckSettings
    id: ClassVar[str] = "position_mode"
    title: ClassVar[str] = "futures Hedge vs One-way mode, multi-assets margin"
    Settings: ClassVar[type[CheckSettings]] = CheckSettings
    markets: ClassVar[tuple[str, ...]] = ("usdm",)

    def needs(self, account: AccountConfig) -> list[Request]:
        return [Request("fapi.accountConfig")] if self.applies(account) else []

    def evaluate(self, facts: Facts) -> Result | None:
        acc = facts.account
        if not self.applies(acc):
            return None
        out = facts.get("fapi.accountConfig")
        if out is None or not out.ok:
            return combine(
                acc.name,
                self.id,
                [],
                ok_summary="",
                unknown=[unavailable_reason(out, "futures account config")],
            )
        try:
            hedge = boolean(out.data, "dualSidePosition", "accountConfig")
            multi = boolean(out.data, "multiAssetsMargin", "accountConfig", default=False)
        except SchemaError as exc:
            return combine(
                acc.name,
                self.id,
                [],
                ok_summary="",
                unknown=[f"unexpected answer from Binance: {exc}"],
            )
        actual = "hedge" if hedge else "one-way"
        details = {
            "position_mode": actual,
            "expected": acc.position_mode,
            "multi_assets_margin": multi,
        }
        findings = []
        if actual != acc.position_mode:
            findings.append(
                Finding(
                    Status.CRITICAL,
                    f"futures account is in {actual.title()} mode but the bot expects "
                    f"{acc.position_mode}: orders fail with -4061 (position side does not match)",
                    [-4061],
                    fix_for(-4061, "usdm") + f' (or set position_mode = "{actual}" if the bot '
                    f"was changed on purpose)",
                )
            )
        want_multi = acc.multi_assets_margin
        if want_multi is not None and multi != want_multi:
            have, want = ("on", "off") if multi else ("off", "on")
            why = (
                "margin is shared across assets, so one asset's loss can liquidate "
                "positions margined in another"
                if multi
                else "orders margined in other assets fail with -2019 (margin is insufficient)"
            )
            findings.append(
                Finding(
                    Status.CRITICAL,
                    f"multi-assets margin is {have} but the bot expects it {want}: {why}",
                    [] if multi else [-2019],
                    "switch multi-assets mode in the futures preferences (or set "
                    f"multi_assets_margin = {str(multi).lower()} if the bot was changed on "
                    "purpose)",
                )
            )
        multi_text = ", multi-assets margin on" if multi else ""
        return combine(
            acc.name,
            self.id,
            from_product("usdm", findings),
            ok_summary=f"{actual} mode as expected{multi_text}",
            unknown=[],
            details=details,
            metrics={"hedge_mode": int(hedge), "multi_assets_margin": int(multi)},
        )
