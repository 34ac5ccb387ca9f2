"""leverage (-2027): is any futures position over what its symbol's current leverage allows?

At leverage L a symbol allows a position notional up to ``maxNotionalValue`` (the notional cap
of the bracket for L; ``/fapi/v1/symbolConfig``, weight 5 for all symbols). A position whose
notional (``/fapi/v3/positionRisk``, weight 5) is at ``warning`` (80 %) of its cap is a WARNING;
when one more order of ``order_size`` would take it over the cap (or it is over already), new
orders that add to it fail with -2027 "Exceeded the maximum allowable position at current
leverage": CRITICAL. A configured symbol without a position is CRITICAL too when a single order
of ``order_size`` is over its cap. Whether open orders count toward the position is unconfirmed;
this check counts the position only.

COIN-M (and Portfolio Margin) have no symbolConfig: the cap comes from the leverage brackets at
the position's leverage (``positionRisk``); COIN-M brackets cap the base-asset quantity
(``qtyCap``), compared with the position's ``notionalValue`` (in the coin).

For a freqtrade account (``bot_config``), the same answers say whether freqtrade's
``set_margin_mode`` before each entry will fail: on a market whose row offers ``margin_types``
(USD-M's symbolConfig ``marginType``), a position held in the other margin type makes Binance
refuse the change with -4048, and freqtrade's entry with it (CRITICAL on the bot's symbols,
WARNING on others while its pairs are unknown).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar

from healthcheck.checks.base import (
    CheckBase,
    CheckSettings,
    ExchangeLimits,
    Facts,
    Finding,
    SchemaError,
    combine,
    from_product,
    role_endpoints,
    setting,
    unavailable_reason,
)
from healthcheck.checks.leverage_caps import (
    Cap,
    Position,
    bracket_caps,
    fmt_amount,
    leverages,
    order_amount,
    positions,
    symbol_config_caps,
)
from healthcheck.checks.margin_type import margin_type_findings
from healthcheck.exchange.endpoints import ENDPOINTS
from healthcheck.exchange.fetch import Request
from healthcheck.model.markets import MARKETS
from healthcheck.model.result import Result, Status

if TYPE_CHECKING:
    from healthcheck.exchange.account import AccountConfig

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
    roles: ClassVar[tuple[str, ...]] = ("positions",)

    def needs(self, account: AccountConfig) -> list[Request]:
        out: list[Request] = []
        for m in account.markets:
            if not role_endpoints(account, m, "positions"):
                continue
            roles = ["positions", "leverage_caps", "leverage_brackets"]
            if account.bot is not None and account.bot.derived.margin_mode is not None:
                roles.append("margin_types")  # the bot sets a margin type before each entry
            for role in roles:
                out += [Request(n) for n in role_endpoints(account, m, role)]
        return list(dict.fromkeys(out))

    def evaluate(self, facts: Facts) -> Result | None:
        acc = facts.account
        markets = [m for m in acc.markets if facts.role(m, "positions")]
        if not markets:
            return None
        findings: list[Finding] = []
        unknown: list[str] = []
        details: dict[str, Any] = {"positions": []}
        metrics: dict[str, Any] = {}
        worst = 0.0
        for m in markets:
            first = len(findings)
            worst = max(worst, self._market(facts, m, findings, unknown, details))
            # the row's product, under Portfolio Margin too (the bot's orders are on that market)
            from_product(MARKETS[m].error_product, findings[first:])
        metrics["position_cap_ratio_max"] = round(worst, 4)
        n = len(details["positions"])
        if unknown and not findings:
            return combine(acc.name, self.id, [], ok_summary="", unknown=unknown)
        return combine(
            acc.name,
            self.id,
            findings,
            ok_summary=f"{n} position(s), largest at {worst * 100:.0f} % of its cap",
            unknown=unknown,
            details=details,
            metrics=metrics,
        )

    def _market(
        self,
        facts: Facts,
        market: str,
        findings: list[Finding],
        unknown: list[str],
        details: dict[str, Any],
    ) -> float:
        """Given one futures market, add its findings (positions near or over their cap, a
        single order over it, the bot's margin type) and return the highest position/cap ratio."""
        acc = facts.account
        read = self._read(facts, market, unknown)
        if read is None:
            return 0.0
        held, caps = read
        types_name = facts.role(market, "margin_types")
        types_out = facts.get(types_name) if types_name else None
        if types_out is not None and types_out.ok:
            findings += margin_type_findings(acc, market, types_out.data, held)
        ex = facts.exchange.get(market)
        worst = 0.0
        for pos in held:
            row: dict[str, Any] = {"symbol": pos.symbol, "side": pos.side}
            details["positions"].append(row)
            worst = max(
                worst, self._position(acc, market, pos, caps.get(pos.symbol), ex, row, findings)
            )
        findings += _single_orders(acc, market, held, caps, ex)
        return worst

    @staticmethod
    def _read(
        facts: Facts, market: str, unknown: list[str]
    ) -> tuple[list[Position], dict[str, Cap]] | None:
        """Given a market, return its open positions and the caps at their leverage (None,
        with the reason in ``unknown`` when not readable, or when the row has no caps)."""
        title = MARKETS[market].title
        pos_name = facts.role(market, "positions")
        caps_name = facts.role(market, "leverage_caps") or facts.role(market, "leverage_brackets")
        assert pos_name is not None
        if caps_name is None:
            return None
        pos_out, cfg_out = facts.get(pos_name), facts.get(caps_name)
        missing = False
        for out, what in ((pos_out, f"{title} positions"), (cfg_out, f"{title} leverage caps")):
            if out is None or not out.ok:
                unknown.append(unavailable_reason(out, what))
                missing = True
        if missing:
            return None
        assert pos_out is not None and cfg_out is not None
        try:
            held = positions(pos_out.data)
            if ENDPOINTS[caps_name].client_method.endswith("symbol_config"):
                caps = symbol_config_caps(cfg_out.data)
            else:
                caps = bracket_caps(cfg_out.data, leverages(pos_out.data))
        except SchemaError as exc:
            unknown.append(f"unexpected answer from Binance: {exc}")
            return None
        return held, caps

    def _position(
        self,
        acc: AccountConfig,
        market: str,
        pos: Position,
        cap: Cap | None,
        ex: ExchangeLimits | None,
        row: dict[str, Any],
        findings: list[Finding],
    ) -> float:
        """Given a position and its cap, fill its details row, add a finding when it (plus one
        order) is over the cap or near it, and return its share of the cap."""
        amount = pos.amount
        unit = cap.unit if cap else "notional"
        shown = f"{amount:.2f}" if unit == "notional" else f"{amount.normalize():f}"
        row[unit] = shown
        if cap is None:
            return 0.0
        leverage, max_amount, unit = cap
        row.update({"leverage": leverage, f"max_{unit}": f"{max_amount.normalize():f}"})
        ratio = float(amount / max_amount) if max_amount > 0 else 0.0
        size = order_amount(acc, market, pos.symbol, unit, pos.mark, ex)
        side = pos.side
        label = (
            f"{pos.symbol} {side.lower()} position" if side != "BOTH" else f"{pos.symbol} position"
        )
        what = "" if unit == "notional" else " (base asset)"
        text = (
            f"{label} of {shown}{what} is {ratio * 100:.0f} % of the "
            f"{max_amount if unit == 'notional' else max_amount.normalize():f} "
            f"allowed at {leverage}x"
        )
        if amount + size > max_amount or amount >= max_amount:
            more = f" plus one order of {fmt_amount(size, unit)}" if size else ""
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
        return ratio


def _single_orders(
    acc: AccountConfig,
    market: str,
    held: list[Position],
    caps: dict[str, Cap],
    ex: ExchangeLimits | None,
) -> list[Finding]:
    """Given a market's positions and caps, return CRITICAL for each configured symbol without
    a position where a single order of ``order_size`` is over the cap."""
    marks = {p.symbol: p.mark for p in held}
    out: list[Finding] = []
    for sym in acc.symbols_for(market):
        if sym in marks or acc.order_size_for(sym) is None or sym not in caps:
            continue
        leverage, max_amount, unit = caps[sym]
        one = order_amount(acc, market, sym, unit, marks.get(sym), ex)
        if one and one > max_amount:
            out.append(
                Finding(
                    Status.CRITICAL,
                    f"one order of {fmt_amount(one, unit)} on {sym} is "
                    f"over the {max_amount:f} allowed at {leverage}x: it "
                    "fails with -2027",
                    [-2027],
                    FIX,
                )
            )
    return out
