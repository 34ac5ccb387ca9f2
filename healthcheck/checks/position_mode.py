"""position_mode (-4061): is the futures account in the position mode the bot expects?

A bot written for One-way mode sends orders without positionSide; in Hedge mode Binance rejects
them with -4061, and the reverse. USD-M's is read from accountConfig (weight 5, with multi-assets
margin), COIN-M's and Portfolio Margin's from positionSide/dual (weight 30, so reused ten
minutes). Binance's "CM migration" may give USD-M and COIN-M one shared mode (unconfirmed): each
market's answer is judged on its own, so it works either way.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, ClassVar

from healthcheck.checks.base import (
    CheckBase,
    CheckSettings,
    Facts,
    Finding,
    SchemaError,
    boolean,
    combine,
    role_endpoints,
    unavailable_reason,
)
from healthcheck.exchange.catalogue import fix_for
from healthcheck.exchange.endpoints import ENDPOINTS
from healthcheck.exchange.fetch import Request
from healthcheck.model.markets import MARKETS
from healthcheck.model.result import Result, Status

if TYPE_CHECKING:
    from healthcheck.exchange.account import AccountConfig


# GET positionSide/dual weighs 30 (on /dapi and /papi): its answer is reused this long
DUAL_REUSE_SECONDS = 600.0


@dataclass(frozen=True)
class PositionModeCheck(CheckBase):
    settings: CheckSettings
    id: ClassVar[str] = "position_mode"
    title: ClassVar[str] = "futures Hedge vs One-way mode, multi-assets margin"
    Settings: ClassVar[type[CheckSettings]] = CheckSettings
    roles: ClassVar[tuple[str, ...]] = ("position_mode",)

    def needs(self, account: AccountConfig) -> list[Request]:
        out = []
        for m in account.markets:
            for name in role_endpoints(account, m, "position_mode"):
                reuse = DUAL_REUSE_SECONDS if ENDPOINTS[name].weight >= 30 else 0.0
                out.append(Request(name, reuse_seconds=reuse))
        return out

    def evaluate(self, facts: Facts) -> Result | None:
        """Given the futures markets' position-mode answers, return each market's dual-side
        mode judged against the bot's, then multi-assets margin; None without futures."""
        acc = facts.account
        markets = [(m, n) for m in acc.markets if (n := facts.role(m, "position_mode"))]
        if not markets:
            return None
        findings: list[Finding] = []
        unknown: list[str] = []
        details: dict = {"expected": acc.position_mode}
        metrics: dict = {}
        modes: dict[str, str] = {}
        multi: bool | None = None
        multi_product = ""  # the market whose answer carries multi-assets margin (USD-M's)
        for m, name in markets:
            read = _read_mode(facts, m, name)
            if isinstance(read, str):
                unknown.append(read)
                continue
            hedge, row_multi = read
            if row_multi is not None:
                multi, multi_product = row_multi, MARKETS[m].error_product
            modes[m] = "hedge" if hedge else "one-way"
            metrics["hedge_mode"] = max(metrics.get("hedge_mode", 0), int(hedge))
            findings += _mode_findings(acc, m, modes[m], only_market=len(markets) == 1)
        if modes:
            details["position_mode"] = (
                next(iter(modes.values())) if len(set(modes.values())) == 1 else modes
            )
        if multi is not None:
            details["multi_assets_margin"] = multi
            metrics["multi_assets_margin"] = int(multi)
            findings += _multi_assets_findings(acc, multi, multi_product)
        multi_text = ", multi-assets margin on" if multi else ""
        shown = " and ".join(sorted(set(modes.values()))) or acc.position_mode
        return combine(
            acc.name,
            self.id,
            findings,
            ok_summary=f"{shown} mode as expected{multi_text}",
            unknown=unknown,
            details=details,
            metrics=metrics,
        )


def _read_mode(facts: Facts, market: str, name: str) -> tuple[bool, bool | None] | str:
    """Given a market and its position-mode endpoint, return (Hedge mode on, multi-assets
    margin on or None where the answer does not carry it), or why it could not be read."""
    out = facts.get(name)
    if out is None or not out.ok:
        return unavailable_reason(out, f"{MARKETS[market].title} position mode")
    path = ENDPOINTS[name].path
    try:
        hedge = boolean(out.data, "dualSidePosition", path)
        multi = None
        if isinstance(out.data, dict) and "multiAssetsMargin" in out.data:
            multi = boolean(out.data, "multiAssetsMargin", path)
    except SchemaError as exc:
        return f"unexpected answer from Binance: {exc}"
    return hedge, multi


def _mode_findings(
    acc: AccountConfig, market: str, actual: str, *, only_market: bool
) -> list[Finding]:
    """Given a market's position mode ("hedge" or "one-way"), return a CRITICAL finding if the
    bot expects the other one."""
    if actual == acc.position_mode:
        return []
    account = "futures account" if only_market else f"{MARKETS[market].title} account"
    product = MARKETS[market].error_product
    return [
        Finding(
            Status.CRITICAL,
            f"{account} is in {actual.title()} mode but the bot expects "
            f"{acc.position_mode}: orders fail with -4061 (position side does not "
            "match)",
            [-4061],
            fix_for(-4061, product)
            + f' (or set position_mode = "{actual}" if the bot was changed on purpose)',
            product=product,
        )
    ]


def _multi_assets_findings(acc: AccountConfig, multi: bool, product: str) -> list[Finding]:
    """Given whether multi-assets margin is on, return a CRITICAL finding if the bot is
    configured to expect the opposite (nothing if it does not say)."""
    want_multi = acc.multi_assets_margin
    if want_multi is None or multi == want_multi:
        return []
    have, want = ("on", "off") if multi else ("off", "on")
    why = (
        "margin is shared across assets, so one asset's loss can liquidate "
        "positions margined in another"
        if multi
        else "orders margined in other assets fail with -2019 (margin is insufficient)"
    )
    return [
        Finding(
            Status.CRITICAL,
            f"multi-assets margin is {have} but the bot expects it {want}: {why}",
            [] if multi else [-2019],
            "switch multi-assets mode in the futures preferences (or set "
            f"multi_assets_margin = {str(multi).lower()} if the bot was changed on "
            "purpose)",
            product=product,
        )
    ]
