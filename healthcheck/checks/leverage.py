"""leverage (-2027): is any futures position over what its symbol's current leverage allows?

At leverage L a symbol allows a position notional up to ``maxNotionalValue`` (the notional cap
of the bracket for L; ``/fapi/v1/symbolConfig``, weight 5 for all symbols). A position whose
notional (``/fapi/v3/positionRisk``, weight 5) is at ``warning`` (80 %) of its cap is a WARNING;
when one more order of ``order_size`` would take it over the cap (or it is over already), new
orders that add to it fail with -2027 "Exceeded the maximum allowable position at current
leverage": CRITICAL. A configured symbol without a position is CRITICAL too when a single order
of ``order_size`` is over its cap. Whether open orders count toward the position is unconfirmed;
this check counts the position only.

For a freqtrade account (``bot_config``), the same two answers say whether freqtrade's
``set_margin_mode`` before each entry will fail: a position held in the other margin type
(symbolConfig ``marginType``) makes Binance refuse the change with -4048, and freqtrade's entry
with it (CRITICAL on the bot's symbols, WARNING on others while its pairs are unknown).
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING, Any, ClassVar

from healthcheck.checks.base import (
    CheckBase,
    CheckSettings,
    Facts,
    Finding,
    SchemaError,
    combine,
    from_product,
    number,
    setting,
    unavailable_reason,
)
from healthcheck.fetch import Request
from healthcheck.result import Result, Status

if TYPE_CHECKING:
    from healthcheck.config import AccountConfig

FIX = (
    "lower the leverage of the symbol (Binance raises the notional cap as leverage goes "
    "down), reduce the position, or lower the bot's order size"
)


@dataclass(frozen=True)
class LeverageSettings(CheckSettings):
    interval: float | None = setting(
        300.0, "seconds between runs in the daemon", minimum=0, exclusive_min=True
    )
    warning: float = setting(
        0.8,
        "WARNING when a position's notional reaches this share of the cap at its leverage",
        minimum=0,
        maximum=1,
        exclusive_min=True,
    )


@dataclass(frozen=True)
class LeverageCheck(CheckBase):
    settings: LeverageSettings
    id: ClassVar[str] = "leverage"
    title: ClassVar[str] = "futures positions vs the notional cap of their leverage"
    Settings: ClassVar[type[CheckSettings]] = LeverageSettings
    markets: ClassVar[tuple[str, ...]] = ("usdm",)

    def needs(self, account: AccountConfig) -> list[Request]:
        if not self.applies(account):
            return []
        return [Request("fapi.positionRisk"), Request("fapi.symbolConfig")]

    def evaluate(self, facts: Facts) -> Result | None:
        acc = facts.account
        if not self.applies(acc):
            return None
        findings: list[Finding] = []
        unknown: list[str] = []
        details: dict[str, Any] = {"positions": []}
        metrics: dict[str, Any] = {}
        pos_out = facts.get("fapi.positionRisk")
        cfg_out = facts.get("fapi.symbolConfig")
        for out, what in ((pos_out, "futures positions"), (cfg_out, "symbol leverage config")):
            if out is None or not out.ok:
                unknown.append(unavailable_reason(out, what))
        if unknown:
            return combine(acc.name, self.id, [], ok_summary="", unknown=unknown)
        assert pos_out is not None and cfg_out is not None
        try:
            caps = self._caps(cfg_out.data)
            positions = self._positions(pos_out.data)
        except SchemaError as exc:
            return combine(
                acc.name,
                self.id,
                [],
                ok_summary="",
                unknown=[f"unexpected answer from Binance: {exc}"],
            )
        findings += self._margin_types(acc, cfg_out.data, positions)
        worst = 0.0
        held: set[str] = set()
        for sym, side, notional in positions:
            held.add(sym)
            cap = caps.get(sym)
            row: dict[str, Any] = {"symbol": sym, "side": side, "notional": f"{notional:.2f}"}
            details["positions"].append(row)
            if cap is None:
                continue
            leverage, max_notional = cap
            row.update({"leverage": leverage, "max_notional": f"{max_notional:f}"})
            ratio = float(notional / max_notional) if max_notional > 0 else 0.0
            worst = max(worst, ratio)
            size: Decimal = acc.order_size_for(sym) or Decimal(0)
            label = f"{sym} {side.lower()} position" if side != "BOTH" else f"{sym} position"
            text = (
                f"{label} of {notional:.2f} is {ratio * 100:.0f} % of the {max_notional:f} "
                f"allowed at {leverage}x"
            )
            if notional + size > max_notional or notional >= max_notional:
                more = f" plus one order of {size:f}" if size else ""
                findings.append(
                    Finding(
                        Status.CRITICAL,
                        f"{text}{more}: orders that add to it "
                        "fail with -2027 (exceeded the maximum allowable "
                        "position at current leverage)",
                        [-2027],
                        FIX,
                    )
                )
            elif ratio >= self.settings.warning:
                findings.append(
                    Finding(
                        Status.WARNING,
                        text + " (over it, orders fail with -2027)",
                        [],
                        FIX,
                        risk_codes=[-2027],
                    )
                )
        for sym in acc.symbols_for("usdm"):
            one = acc.order_size_for(sym)
            if sym in held or one is None or sym not in caps:
                continue
            leverage, max_notional = caps[sym]
            if one > max_notional:
                findings.append(
                    Finding(
                        Status.CRITICAL,
                        f"one order of {one:f} on {sym} is "
                        f"over the {max_notional:f} allowed at {leverage}x: it "
                        "fails with -2027",
                        [-2027],
                        FIX,
                    )
                )
        metrics["position_cap_ratio_max"] = round(worst, 4)
        n = len(details["positions"])
        return combine(
            acc.name,
            self.id,
            from_product("usdm", findings),
            ok_summary=f"{n} position(s), largest at {worst * 100:.0f} % of its cap",
            unknown=[],
            details=details,
            metrics=metrics,
        )

    @staticmethod
    def _caps(data: Any) -> dict[str, tuple[int, Decimal]]:
        if not isinstance(data, list):
            raise SchemaError("symbolConfig: expected a list")
        out: dict[str, tuple[int, Decimal]] = {}
        for item in data:
            if not isinstance(item, dict) or not isinstance(item.get("symbol"), str):
                continue
            leverage = int(number(item, "leverage", f"symbolConfig {item['symbol']}"))
            cap = number(item, "maxNotionalValue", f"symbolConfig {item['symbol']}")
            out[item["symbol"]] = (leverage, cap)
        return out

    @staticmethod
    def _margin_types(
        acc: AccountConfig, config: Any, positions: list[tuple[str, str, Decimal]]
    ) -> list[Finding]:
        """Given symbolConfig and the positions, return what makes freqtrade's margin-type call
        before an entry fail (-4048)."""
        bot = acc.bot
        if bot is None or bot.derived.margin_mode is None:
            return []
        want = bot.derived.margin_mode  # "isolated" | "cross"
        types = {
            item["symbol"]: str(item.get("marginType", "")).upper()
            for item in config
            if isinstance(item, dict) and isinstance(item.get("symbol"), str)
        }
        wanted_type = "ISOLATED" if want == "isolated" else "CROSSED"
        bot_symbols = acc.symbols_for("usdm")
        out: list[Finding] = []
        for sym in dict.fromkeys(s for s, _side, _n in positions):
            have = types.get(sym)
            if not have or have == wanted_type or have not in ("ISOLATED", "CROSSED"):
                continue
            if bot_symbols and sym not in bot_symbols:
                continue  # a position the bot does not trade: its margin type is not asked
            shown = "isolated" if have == "ISOLATED" else "cross"
            text = (
                f"{sym} holds a position in {shown} margin, but the bot's margin_mode is "
                f"{want!r} (in {bot.config}): freqtrade sets "
                "the margin type before each entry and Binance refuses with -4048 (margin type "
                "cannot be changed if there exists position), so its entries on "
                f"{sym} fail"
            )
            fix = (
                f"close the {sym} position opened in {shown} margin (or switch the symbol by "
                f"hand once it is flat), or set margin_mode to {shown!r} in the bot's config"
            )
            if bot_symbols:
                out.append(Finding(Status.CRITICAL, text, [-4048], fix))
            else:
                out.append(
                    Finding(
                        Status.WARNING,
                        text + " if the bot trades it",
                        [],
                        fix,
                        risk_codes=[-4048],
                    )
                )
        return out

    @staticmethod
    def _positions(data: Any) -> list[tuple[str, str, Decimal]]:
        if not isinstance(data, list):
            raise SchemaError("positionRisk: expected a list")
        out = []
        for item in data:
            if not isinstance(item, dict) or not isinstance(item.get("symbol"), str):
                continue
            where = f"positionRisk {item['symbol']}"
            if number(item, "positionAmt", where) == 0:
                continue
            notional = abs(number(item, "notional", where))
            out.append((item["symbol"], str(item.get("positionSide", "BOTH")), notional))
        return out
