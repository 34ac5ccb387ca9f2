"""balance (-2018, -2019, spot -2010): is there margin and free balance for the bot's orders?

Futures margin ratio = total maintenance margin / total margin balance (liquidation at 100 %);
available balance per asset versus ``min_available``; spot free balance versus the same minimum.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING, ClassVar

from healthcheck.binance_errors import fix_for
from healthcheck.checks.base import (
    CheckBase,
    CheckSettings,
    Facts,
    Finding,
    SchemaError,
    Unavailable,
    combine,
    from_product,
    number,
    setting,
)
from healthcheck.fetch import Request
from healthcheck.result import Result, Status

if TYPE_CHECKING:
    from healthcheck.config import AccountConfig

SPOT_SOURCES = {"user_asset": "sapi.userAsset", "account": "spot.account"}


@dataclass(frozen=True)
class BalanceSettings(CheckSettings):
    margin_ratio_warning: float = setting(
        0.5,
        "WARNING at this futures margin ratio (maintenance "
        "margin / margin balance; liquidation at 1)",
        minimum=0,
        maximum=1,
        exclusive_min=True,
    )
    margin_ratio_critical: float = setting(
        0.8, "CRITICAL at this futures margin ratio", minimum=0, maximum=1, exclusive_min=True
    )
    spot_source: str = setting(
        "user_asset",
        'where spot free balances come from: "user_asset" '
        '(POST /sapi/v3/asset/getUserAsset, weight 5) or "account" '
        "(GET /api/v3/account, weight 20)",
        choices=tuple(SPOT_SOURCES),
    )

    def problems(self) -> list[tuple[str, str]]:
        if self.margin_ratio_warning > self.margin_ratio_critical:
            return [
                (
                    "margin_ratio_warning",
                    f"{self.margin_ratio_warning:g} must not exceed "
                    f"margin_ratio_critical ({self.margin_ratio_critical:g})",
                )
            ]
        return []


@dataclass(frozen=True)
class BalanceCheck(CheckBase):
    settings: BalanceSettings
    id: ClassVar[str] = "balance"
    title: ClassVar[str] = "futures margin ratio and available balance, spot free balance"
    Settings: ClassVar[type[CheckSettings]] = BalanceSettings

    def _spot_endpoint(self, account: AccountConfig) -> str:
        # the testnet has no /sapi: only /api/v3/account can say the balances there
        return "spot.account" if account.testnet else SPOT_SOURCES[self.settings.spot_source]

    def needs(self, account: AccountConfig) -> list[Request]:
        needs: list[Request] = []
        if "usdm" in account.markets:
            needs.append(Request("fapi.account"))
        if "spot" in account.markets and account.min_available:
            needs.append(Request(self._spot_endpoint(account)))
        return needs

    def evaluate(self, facts: Facts) -> Result:
        acc = facts.account
        findings: list[Finding] = []
        src = Unavailable(facts)
        details: dict = {}
        metrics: dict = {}
        if "usdm" in acc.markets:
            data = src.data("fapi.account", "futures account", required=True)
            if data is not None:
                with src.parsing():
                    findings.extend(
                        from_product("usdm", self._futures(acc, data, details, metrics))
                    )
        if "spot" in acc.markets and acc.min_available:
            data = src.data(self._spot_endpoint(acc), "spot balances", required=True)
            if data is not None:
                with src.parsing():
                    findings.extend(from_product("spot", self._spot(acc, data, details, metrics)))
        unknown = src.reasons
        ok = "balances fine"
        if "margin_ratio" in metrics:
            ok = f"margin ratio {metrics['margin_ratio'] * 100:.1f} %, balances above minimum"
        elif not acc.min_available and "usdm" not in acc.markets:
            ok = "no minimum balance configured"
        return combine(
            acc.name,
            self.id,
            findings,
            ok_summary=ok,
            unknown=unknown,
            details=details,
            metrics=metrics,
        )

    def _futures(
        self, acc: AccountConfig, data: dict, details: dict, metrics: dict
    ) -> list[Finding]:
        s = self.settings
        out: list[Finding] = []
        maint = number(data, "totalMaintMargin", "futures account")
        margin_balance = number(data, "totalMarginBalance", "futures account")
        if maint <= 0:
            ratio = 0.0
        elif margin_balance <= 0:
            ratio = float("inf")
        else:
            ratio = float(maint / margin_balance)
        metrics["margin_ratio"] = round(ratio, 4) if ratio != float("inf") else 1e9
        metrics["maint_margin"] = float(maint)
        metrics["margin_balance"] = float(margin_balance)
        shown = "no margin left" if ratio == float("inf") else f"{ratio * 100:.1f} %"
        if ratio >= s.margin_ratio_critical:
            out.append(
                Finding(
                    Status.CRITICAL,
                    f"futures margin ratio {shown} (liquidation at "
                    f"100 %, critical from {s.margin_ratio_critical * 100:.0f} %): new "
                    "orders fail with -2019",
                    [-2019],
                    "add margin or reduce positions now to avoid liquidation",
                )
            )
        elif ratio >= s.margin_ratio_warning:
            out.append(
                Finding(
                    Status.WARNING,
                    f"futures margin ratio {shown} (warning from "
                    f"{s.margin_ratio_warning * 100:.0f} %, liquidation at 100 %)",
                    [],
                    "add margin or reduce positions",
                    risk_codes=[-2019],
                )
            )
        assets = data.get("assets", [])
        if not isinstance(assets, list):
            raise SchemaError("futures account: field 'assets' is not a list")
        available: dict[str, Decimal] = {}
        for item in assets:
            if isinstance(item, dict) and isinstance(item.get("asset"), str):
                available[item["asset"].upper()] = number(
                    item, "availableBalance", f"futures asset {item['asset']}"
                )
        for asset, minimum in acc.min_available.items():
            have = available.get(asset, Decimal(0))
            metrics[f"futures_available_{asset}"] = float(have)
            if have < minimum:
                out.append(
                    Finding(
                        Status.CRITICAL,
                        f"futures available {asset} {have:f} is "
                        f"below the minimum {minimum:f}: orders fail with -2019",
                        [-2019],
                        fix_for(-2019, "usdm"),
                    )
                )
        return out

    def _spot(self, acc: AccountConfig, data: dict, details: dict, metrics: dict) -> list[Finding]:
        out: list[Finding] = []
        # /api/v3/account: {"balances": [...]}; getUserAsset: [...] (positive balances only)
        balances = data.get("balances") if isinstance(data, dict) else data
        if not isinstance(balances, list):
            raise SchemaError("spot account: field 'balances' is missing or not a list")
        free: dict[str, Decimal] = {}
        for item in balances:
            if isinstance(item, dict) and isinstance(item.get("asset"), str):
                free[item["asset"].upper()] = number(item, "free", f"spot balance {item['asset']}")
        for asset, minimum in acc.min_available.items():
            have = free.get(asset, Decimal(0))
            metrics[f"spot_free_{asset}"] = float(have)
            if have < minimum:
                out.append(
                    Finding(
                        Status.CRITICAL,
                        f"spot free {asset} {have:f} is below the "
                        f"minimum {minimum:f}: orders fail with -2010 (insufficient "
                        "balance)",
                        [-2010],
                        "top up the spot wallet or lower the bot's order size",
                    )
                )
        return out
