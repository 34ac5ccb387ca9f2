"""trading_status (-4400, -4189 and siblings): may this account place normal orders right now?

Futures quantitative-rules indicators (locked: reduce-only until the planned recover time; near
the trigger: warning), the spot API trading lock, the account status and ``canTrade`` on both
products. Optionally a tiny test order per configured symbol (validated, never placed) reports
the error code Binance would give a real order.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from decimal import ROUND_CEILING, Decimal
from typing import TYPE_CHECKING, Any, ClassVar

from healthcheck.checks.base import (
    SLOW_ACCOUNT_FIELDS_SECONDS,
    CheckBase,
    CheckSettings,
    ExchangeLimits,
    Facts,
    Finding,
    SchemaError,
    Unavailable,
    boolean,
    combine,
    fmt_duration,
    fmt_ts,
    from_product,
    ms_timestamp,
    number,
    role_endpoints,
    setting,
    unavailable_reason,
)
from healthcheck.checks.order_size import order_rules
from healthcheck.exchange.catalogue import fix_for, lookup
from healthcheck.exchange.endpoints import ENDPOINTS
from healthcheck.exchange.fetch import TRANSPORT_KINDS, Request
from healthcheck.model.markets import MARKETS, POOLS, Market
from healthcheck.model.result import Result, Status

if TYPE_CHECKING:
    from healthcheck.exchange.account import AccountConfig

# codes that mean "the account cannot trade", as opposed to "the test order was malformed"
ACCOUNT_CODES = {
    -4061,
    -4189,
    -4400,
    -4401,
    -4087,
    -4088,
    -4105,
    -4106,
    -4107,
    -4192,
    -2019,
    -2018,
    -2010,
    -2015,
    -2014,
    -1022,
    -1021,
}


@dataclass(frozen=True)
class TradingStatusSettings(CheckSettings):
    interval: float | None = setting(
        120.0,
        "seconds between runs in the daemon (apiTradingStatus weighs 10 on /fapi)",
        minimum=0,
        exclusive_min=True,
    )
    indicator_warning_ratio: float = setting(
        0.8,
        "WARNING when a futures quantitative-rules indicator reaches this share of its trigger",
        minimum=0,
        maximum=1,
        exclusive_min=True,
    )


@dataclass(frozen=True)
class TradingStatusCheck(CheckBase):
    settings: TradingStatusSettings
    id: ClassVar[str] = "trading_status"
    title: ClassVar[str] = "trading locks, canTrade, account status, test orders"
    Settings: ClassVar[type[CheckSettings]] = TradingStatusSettings
    has_followups: ClassVar[bool] = True

    def needs(self, account: AccountConfig) -> list[Request]:
        needs: list[Request] = []
        for m in account.markets:
            for role in ("trading_rules", "can_trade", "unified_account"):
                for name in role_endpoints(account, m, role):
                    # canTrade changes rarely; spot's /api/v3/account weighs 20
                    reuse = SLOW_ACCOUNT_FIELDS_SECONDS if ENDPOINTS[name].weight >= 20 else 0.0
                    if role == "unified_account":
                        reuse = 0.0  # accountStatus can change from one minute to the next
                    needs.append(Request(name, reuse_seconds=reuse))
            for name in role_endpoints(account, m, "api_lock"):
                if POOLS[ENDPOINTS[name].pool].on_testnet or not account.testnet:
                    needs.append(Request(name))
        if not account.testnet:
            needs.append(Request("sapi.accountStatus"))
        tested = [m for m in account.markets if MARKETS[m].order_test_endpoint]
        if account.test_order_symbols and tested:
            syms = ",".join(account.test_order_symbols)
            needs += [
                Request.of(ex, symbols=syms)
                for m in tested
                if (ex := MARKETS[m].exchange_info_endpoint)
            ]
            # a test order must pass the minimum notional too: size it at the current price
            needs += [
                Request.of(price, symbol=s)
                for m in tested
                if (price := MARKETS[m].roles.get("price"))
                for s in account.test_order_symbols
                if s not in account.test_order_quantity
            ]
        return needs

    def followups(self, account: AccountConfig, facts: Facts) -> list[Request]:
        """A test order per configured symbol and market, sized from exchangeInfo's filters."""
        out = []
        for market in account.markets:
            endpoint = MARKETS[market].order_test_endpoint
            if endpoint is None:
                continue
            for symbol in account.test_order_symbols:
                price = _price(facts, market, symbol)
                params = build_test_order(
                    account, market, symbol, facts.exchange.get(market), price
                )
                out.append(Request.of(endpoint, **params))
        return out

    def evaluate(self, facts: Facts) -> Result:
        """Given this run's answers, return whether the account may trade: per market the
        futures rules lock, canTrade, the spot API lock and the Portfolio Margin status, then
        the account status and the test orders."""
        acc = facts.account
        src = Unavailable(facts)
        details: dict = {}
        metrics: dict = {}
        seen: set[str] = set()  # an endpoint two markets share is judged once
        findings: list[Finding] = []
        for m in acc.markets:
            findings += self._market_findings(facts, m, src, seen, details, metrics)
        findings += _account_status(src, details)
        unknown = src.reasons
        findings.extend(self._test_orders(facts, details, unknown))
        return combine(
            acc.name,
            self.id,
            findings,
            ok_summary="account may trade normally",
            unknown=unknown,
            details=details,
            metrics=metrics,
        )

    def _market_findings(
        self,
        facts: Facts,
        market: str,
        src: Unavailable,
        seen: set[str],
        details: dict,
        metrics: dict,
    ) -> list[Finding]:
        """Given a market, return what its futures rules lock, canTrade, spot API lock and
        Portfolio Margin status say, each endpoint not ``seen`` yet read once."""
        row = MARKETS[market]
        # the codes are the row's (its orders get them), under Portfolio Margin too
        product = row.error_product
        # (role, what a reason calls its endpoint, the judge of its answer), in reading order
        steps: tuple[tuple[str, str, Callable[[str, Any], list[Finding]]], ...] = (
            (
                "trading_rules",
                f"{row.title} trading rules",
                lambda _name, data: self._futures_indicators(
                    data, facts.now, details, metrics, product
                ),
            ),
            ("can_trade", f"{row.title} canTrade", lambda name, data: _can_trade(row, name, data)),
            ("api_lock", f"{row.title} API trading status", lambda _n, data: self._spot_lock(data)),
            (
                "unified_account",
                "Portfolio Margin account status",
                lambda _n, data: _pm_status(data, details),
            ),
        )
        out: list[Finding] = []
        for role, what, judge in steps:
            name = facts.role(market, role)
            if name is None or name in seen:
                continue
            seen.add(name)
            data = src.data(name, what)
            if data is not None:
                with src.parsing():
                    out.extend(from_product(product, judge(name, data)))
        return out

    @staticmethod
    def _spot_lock(data: Any) -> list[Finding]:
        inner = data.get("data") if isinstance(data, dict) else None
        if not isinstance(inner, dict):
            raise SchemaError("apiTradingStatus: field 'data' is missing")
        if not boolean(inner, "isLocked", "apiTradingStatus.data"):
            return []
        rec_s = ms_timestamp(inner.get("plannedRecoverTime"))
        until = f" until {fmt_ts(rec_s)}" if rec_s is not None else ""
        return [
            Finding(
                Status.CRITICAL,
                f"spot API trading is locked by Binance's quantitative rules{until}",
                [],
                "stop placing spot orders until the "
                "recover time; lower the bot's order/cancel rate",
            )
        ]

    def _futures_indicators(
        self, data: dict, now: float, details: dict, metrics: dict, product: str
    ) -> list[Finding]:
        if not isinstance(data, dict) or not isinstance(data.get("indicators", {}), dict):
            raise SchemaError("apiTradingStatus: field 'indicators' is not an object")
        out: list[Finding] = []
        near: list[str] = []
        worst_ratio = 0.0
        for symbol, items in (data.get("indicators") or {}).items():
            if not isinstance(items, list):
                raise SchemaError(f"apiTradingStatus: indicators of {symbol} is not a list")
            for item in items:
                name = str(item.get("indicator", "?")) if isinstance(item, dict) else "?"
                where = f"apiTradingStatus.{symbol}.{name}"
                locked = boolean(item, "isLocked", where, default=False)
                if locked:
                    rec_s = ms_timestamp(item.get("plannedRecoverTime"))
                    when = ""
                    if rec_s is not None:
                        when = f" until {fmt_ts(rec_s)} (in {fmt_duration(rec_s - now)})"
                        details.setdefault("planned_recover_time", fmt_ts(rec_s))
                    out.append(
                        Finding(
                            Status.CRITICAL,
                            f"futures trading on {symbol} is locked "
                            f"to reduce-only by the quantitative rules ({name}){when}:"
                            f" new orders fail with -4400",
                            [-4400],
                            fix_for(-4400, product),
                        )
                    )
                    continue
                if "value" in item and "triggerValue" in item:
                    value = float(number(item, "value", where))
                    trigger = float(number(item, "triggerValue", where))
                    if trigger > 0:
                        ratio = value / trigger
                        worst_ratio = max(worst_ratio, ratio)
                        if ratio >= self.settings.indicator_warning_ratio:
                            near.append(f"{symbol} {name} {value:g} of trigger {trigger:g}")
        metrics["indicator_ratio_max"] = round(worst_ratio, 3)
        if near:
            out.append(
                Finding(
                    Status.WARNING,
                    "close to the futures quantitative-rules lock: " + ", ".join(near),
                    [],
                    "slow the bot's order/cancel rate before "
                    "Binance locks the account to reduce-only (-4400)",
                    risk_codes=[-4400],
                )
            )
        return out

    def _test_orders(self, facts: Facts, details: dict, unknown: list[str]) -> list[Finding]:
        out: list[Finding] = []
        results: list[dict[str, Any]] = []
        orders = self.followups(facts.account, facts)
        for req in orders:
            outcome = facts.get(req)
            if outcome is None:
                continue
            params = dict(req.params)
            market = ENDPOINTS[req.endpoint].market
            symbol = params["symbol"]
            label = f"{market} {symbol}"
            if outcome.ok:
                results.append({"market": market, "symbol": symbol, "result": "accepted"})
                continue
            err = outcome.error
            assert err is not None
            code = err.code
            results.append(
                {"market": market, "symbol": symbol, "code": code, "result": err.message}
            )
            if code is None or err.kind in TRANSPORT_KINDS:
                unknown.append(unavailable_reason(outcome, f"test order {label}"))
            elif code in ACCOUNT_CODES:
                product = MARKETS[market].error_product
                entry = lookup(code, product)
                meaning = entry.meaning if entry else err.message
                out.append(
                    Finding(
                        Status.CRITICAL,
                        f"a test order on {label} was rejected with {code} ({meaning})",
                        [code],
                        fix_for(code, product),
                        product=product,
                        quotes={code: err.message},
                    )
                )
            else:
                out.append(
                    Finding(
                        Status.WARNING,
                        f"the test order on {label} itself was rejected with {code}: {err.message}",
                        [],
                        "adjust test_order_quantity or test_order_symbols",
                    )
                )
        if results:
            details["test_orders"] = results
        return out


def _can_trade(row: Market, name: str, data: Any) -> list[Finding]:
    """Given a market's account answer, return a CRITICAL finding if canTrade is false."""
    if boolean(data, "canTrade", ENDPOINTS[name].path):
        return []
    code = -4088 if row.futures else -2010
    return [
        Finding(
            Status.CRITICAL,
            f"{row.title} account may not trade (canTrade false): orders fail with {code}",
            [code],
            fix_for(code, row.error_product)
            if row.futures
            else "check Binance account notifications; contact support",
            product=row.error_product,
        )
    ]


def _account_status(src: Unavailable, details: dict) -> list[Finding]:
    """Given the wallet's account status (sapi, if fetched), return a CRITICAL finding unless
    it is 'Normal'; a malformed answer is noted as a reason for UNKNOWN."""
    data = src.data("sapi.accountStatus", "account status")
    if data is None:
        return []
    status_text = data.get("data") if isinstance(data, dict) else None
    if not isinstance(status_text, str):
        src.reasons.append(
            "unexpected answer from Binance: account/status: field 'data' is missing"
        )
        return []
    details["account_status"] = status_text
    if status_text == "Normal":
        return []
    return [
        Finding(
            Status.CRITICAL,
            f"Binance account status is {status_text[:60]!r}, not 'Normal'",
            [],
            "read Binance account notifications and contact support",
        )
    ]


# accountStatus of a Portfolio Margin account (GET /papi/v1/account): anything but NORMAL
PM_STATUS_TEXT = {
    "MARGIN_CALL": "uniMMR is in the margin-call band",
    "SUPPLY_MARGIN": "Binance asks for more margin",
    "REDUCE_ONLY": "only reduce-only orders are accepted",
    "ACTIVE_LIQUIDATION": "positions are being liquidated",
    "FORCE_LIQUIDATION": "positions are being force-liquidated",
    "BANKRUPTED": "the account is bankrupt",
}


def _pm_status(data: Any, details: dict) -> list[Finding]:
    """Given /papi/v1/account, return a CRITICAL finding naming an accountStatus not NORMAL."""
    if not isinstance(data, dict) or not isinstance(data.get("accountStatus"), str):
        raise SchemaError("papi account: field 'accountStatus' is missing")
    status = data["accountStatus"][:40]
    details["portfolio_margin_status"] = status
    if status == "NORMAL":
        return []
    why = PM_STATUS_TEXT.get(status, "Binance restricts the account")
    return [
        Finding(
            Status.CRITICAL,
            f"Portfolio Margin account status is {status}, not NORMAL: {why}",
            [],
            "add collateral or reduce positions now (Portfolio Margin: uniMMR must stay above "
            "1.2 for new orders, liquidation at 1.05)",
        )
    ]


def _price(facts: Facts, market: str, symbol: str) -> Decimal | None:
    row = MARKETS[market]
    endpoint = row.roles.get("price")
    if endpoint is None:
        return None
    out = facts.get(Request.of(endpoint, symbol=symbol))
    if out is None or not out.ok:
        return None
    try:
        price = number(out.data, row.price_field, "price")
    except SchemaError:
        return None
    return price if price > 0 else None


def build_test_order(
    acc: AccountConfig,
    market: str,
    symbol: str,
    ex: ExchangeLimits | None,
    price: Decimal | None = None,
) -> dict[str, Any]:
    """Given an account, a market and a symbol, return a MARKET test order of the configured
    quantity, or else the smallest quantity that passes the symbol's lot size and (at
    ``price``, with 10 % to spare) its minimum notional."""
    qty = acc.test_order_quantity.get(symbol)
    filters = ex.filters(symbol) if ex else {}
    if qty is None:
        rules = order_rules(market, filters)
        qty = rules.min_qty if rules.min_qty > 0 else Decimal("0.001")
        if price is not None and rules.min_notional > 0:
            need = rules.min_notional * Decimal("1.1") / price
            if rules.step > 0:
                need = (need / rules.step).to_integral_value(ROUND_CEILING) * rules.step
            qty = max(qty, need)
    params: dict[str, Any] = {
        "symbol": symbol,
        "side": "BUY",
        "type": "MARKET",
        "quantity": format(qty.normalize(), "f"),
    }
    if MARKETS[market].position_side:
        params["positionSide"] = "LONG" if acc.position_mode == "hedge" else "BOTH"
    return params
