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
from decimal import ROUND_FLOOR, Decimal, InvalidOperation
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
    number,
    role_endpoints,
    setting,
    unavailable_reason,
)
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
        acc = facts.account
        title = MARKETS[market].title
        pos_name = facts.role(market, "positions")
        caps_name = facts.role(market, "leverage_caps") or facts.role(market, "leverage_brackets")
        assert pos_name is not None
        if caps_name is None:
            return 0.0
        pos_out, cfg_out = facts.get(pos_name), facts.get(caps_name)
        missing = False
        for out, what in ((pos_out, f"{title} positions"), (cfg_out, f"{title} leverage caps")):
            if out is None or not out.ok:
                unknown.append(unavailable_reason(out, what))
                missing = True
        if missing:
            return 0.0
        assert pos_out is not None and cfg_out is not None
        ex = facts.exchange.get(market)
        try:
            positions = self._positions(pos_out.data)
            if ENDPOINTS[caps_name].client_method.endswith("symbol_config"):
                caps = self._caps(cfg_out.data)
            else:
                caps = self._bracket_caps(cfg_out.data, self._leverages(pos_out.data))
        except SchemaError as exc:
            unknown.append(f"unexpected answer from Binance: {exc}")
            return 0.0
        types_name = facts.role(market, "margin_types")
        types_out = facts.get(types_name) if types_name else None
        if types_out is not None and types_out.ok:
            findings += self._margin_types(acc, market, types_out.data, positions)
        worst = 0.0
        held: set[str] = set()
        for sym, side, amount, mark in positions:
            held.add(sym)
            cap = caps.get(sym)
            unit = cap[2] if cap else "notional"
            shown = f"{amount:.2f}" if unit == "notional" else f"{amount.normalize():f}"
            row: dict[str, Any] = {"symbol": sym, "side": side, unit: shown}
            details["positions"].append(row)
            if cap is None:
                continue
            leverage, max_amount, unit = cap
            row.update({"leverage": leverage, f"max_{unit}": f"{max_amount.normalize():f}"})
            ratio = float(amount / max_amount) if max_amount > 0 else 0.0
            worst = max(worst, ratio)
            size = self._order_amount(acc, market, sym, unit, mark, ex)
            label = f"{sym} {side.lower()} position" if side != "BOTH" else f"{sym} position"
            what = "" if unit == "notional" else " (base asset)"
            text = (
                f"{label} of {shown}{what} is {ratio * 100:.0f} % of the "
                f"{max_amount if unit == 'notional' else max_amount.normalize():f} "
                f"allowed at {leverage}x"
            )
            if amount + size > max_amount or amount >= max_amount:
                more = f" plus one order of {_fmt(size, unit)}" if size else ""
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
        marks = {sym: mark for sym, _side, _amt, mark in positions}
        for sym in acc.symbols_for(market):
            if sym in held or acc.order_size_for(sym) is None or sym not in caps:
                continue
            leverage, max_amount, unit = caps[sym]
            one = self._order_amount(acc, market, sym, unit, marks.get(sym), ex)
            if one and one > max_amount:
                findings.append(
                    Finding(
                        Status.CRITICAL,
                        f"one order of {_fmt(one, unit)} on {sym} is "
                        f"over the {max_amount:f} allowed at {leverage}x: it "
                        "fails with -2027",
                        [-2027],
                        FIX,
                    )
                )
        return worst

    @staticmethod
    def _order_amount(
        acc: AccountConfig,
        market: str,
        sym: str,
        unit: str,
        mark: Decimal | None,
        ex: ExchangeLimits | None,
    ) -> Decimal:
        """One order of ``order_size`` in the cap's unit: its notional, or (a cap in base-asset
        quantity, COIN-M) its contracts' USD value at the mark price."""
        size = acc.order_size_for(sym)
        if size is None:
            return Decimal(0)
        if unit == "notional":
            return size
        entry = ex.symbol(sym) if ex else None
        contract = _dec((entry or {}).get("contractSize"))
        if MARKETS[market].quantity_unit == "contracts" and contract:
            size = (size / contract).to_integral_value(ROUND_FLOOR) * contract
        if not mark or mark <= 0:
            return Decimal(0)
        return size / mark

    @staticmethod
    def _caps(data: Any) -> dict[str, tuple[int, Decimal, str]]:
        if not isinstance(data, list):
            raise SchemaError("symbolConfig: expected a list")
        out: dict[str, tuple[int, Decimal, str]] = {}
        for item in data:
            if not isinstance(item, dict) or not isinstance(item.get("symbol"), str):
                continue
            leverage = int(number(item, "leverage", f"symbolConfig {item['symbol']}"))
            cap = number(item, "maxNotionalValue", f"symbolConfig {item['symbol']}")
            out[item["symbol"]] = (leverage, cap, "notional")
        return out

    @staticmethod
    def _leverages(data: Any) -> dict[str, int]:
        if not isinstance(data, list):
            raise SchemaError("positionRisk: expected a list")
        out: dict[str, int] = {}
        for item in data:
            if (
                isinstance(item, dict)
                and isinstance(item.get("symbol"), str)
                and "leverage" in item
            ):
                out[item["symbol"]] = int(
                    number(item, "leverage", f"positionRisk {item['symbol']}")
                )
        return out

    @staticmethod
    def _margin_types(
        acc: AccountConfig,
        market: str,
        config: Any,
        positions: list[tuple[str, str, Decimal, Decimal | None]],
    ) -> list[Finding]:
        """Given one market's margin-type answer (a list of ``symbol``/``marginType``, e.g.
        symbolConfig) and its positions, return what makes freqtrade's margin-type call before
        an entry fail (-4048)."""
        bot = acc.bot
        if bot is None or bot.derived.margin_mode is None:
            return []
        want = bot.derived.margin_mode  # "isolated" | "cross"
        if not isinstance(config, list):
            return []
        types = {
            item["symbol"]: str(item.get("marginType", "")).upper()
            for item in config
            if isinstance(item, dict) and isinstance(item.get("symbol"), str)
        }
        wanted_type = "ISOLATED" if want == "isolated" else "CROSSED"
        bot_symbols = acc.symbols_for(market)
        out: list[Finding] = []
        for sym in dict.fromkeys(s for s, _side, _amount, _mark in positions):
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
    def _bracket_caps(data: Any, leverages: dict[str, int]) -> dict[str, tuple[int, Decimal, str]]:
        """The cap at each symbol's leverage from its brackets: the largest cap whose
        ``initialLeverage`` is at least it; ``qtyCap`` (COIN-M) is in the base asset."""
        if not isinstance(data, list):
            raise SchemaError("leverageBracket: expected a list")
        out: dict[str, tuple[int, Decimal, str]] = {}
        for item in data:
            if not isinstance(item, dict):
                continue
            sym = item.get("symbol") or item.get("pair")
            if not isinstance(sym, str) or sym not in leverages:
                continue
            brackets = item.get("brackets")
            if not isinstance(brackets, list):
                raise SchemaError(f"leverageBracket {sym}: field 'brackets' is not a list")
            lev = leverages[sym]
            caps: list[tuple[Decimal, str]] = []
            for b in brackets:
                where = f"leverageBracket {sym}"
                unit_field = "qtyCap" if isinstance(b, dict) and "qtyCap" in b else "notionalCap"
                if number(b, "initialLeverage", where) >= lev:
                    caps.append((number(b, unit_field, where), unit_field))
            if caps:
                cap, unit_field = max(caps)
                out[sym] = (lev, cap, "quantity" if unit_field == "qtyCap" else "notional")
        return out

    @staticmethod
    def _positions(data: Any) -> list[tuple[str, str, Decimal, Decimal | None]]:
        """(symbol, side, size, mark price) of each open position: size is the notional, or
        for COIN-M the base-asset quantity (``notionalValue`` is in the coin)."""
        if not isinstance(data, list):
            raise SchemaError("positionRisk: expected a list")
        out = []
        for item in data:
            if not isinstance(item, dict) or not isinstance(item.get("symbol"), str):
                continue
            where = f"positionRisk {item['symbol']}"
            if number(item, "positionAmt", where) == 0:
                continue
            key = "notional" if "notional" in item else "notionalValue"
            amount = abs(number(item, key, where))
            mark = _dec(item.get("markPrice"))
            out.append((item["symbol"], str(item.get("positionSide", "BOTH")), amount, mark))
        return out


def _fmt(amount: Decimal, unit: str) -> str:
    return f"{amount:f}" if unit == "notional" else f"{amount.normalize():f} (base asset)"


def _dec(value: Any) -> Decimal | None:
    try:
        d = Decimal(str(value))
    except (InvalidOperation, ValueError):
        return None
    return d if d.is_finite() else None
