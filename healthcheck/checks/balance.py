"""balance (-2018, -2019, spot -2010): is there margin and free balance for the bot's orders?

USD-M margin ratio = total maintenance margin / total margin balance (liquidation at 100 %);
COIN-M the same per margin coin (each coin margins its own contracts); available balance per
asset versus ``min_available``; spot free balance versus the same minimum. A Portfolio Margin
account has one uniMMR (equity / maintenance margin): WARNING at or below 1.5 (Binance's
margin-call reminder), CRITICAL at or below 1.2 (new orders refused; liquidation at 1.05).
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
    Unavailable,
    combine,
    from_product,
    number,
    role_endpoints,
    setting,
)
from healthcheck.checks.measure import Family, Measurement, Perf, finite, perf_number
from healthcheck.exchange.catalogue import fix_for
from healthcheck.exchange.endpoints import ENDPOINTS
from healthcheck.exchange.fetch import Request
from healthcheck.model.markets import MARKETS
from healthcheck.model.result import Result, Status

if TYPE_CHECKING:
    from healthcheck.exchange.account import AccountConfig

SPOT_SOURCES = {"user_asset": "sapi.userAsset", "account": "spot.account"}


def _coins(acc: AccountConfig) -> set[str]:
    """The coins of the account's COIN-M symbols (BTCUSD_PERP margins in BTC)."""
    return {s.split("USD_")[0] for syms in acc.symbols.values() for s in syms if "USD_" in s}


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
    uni_mmr_warning: float = setting(
        1.5,
        "Portfolio Margin: WARNING at or below this uniMMR (Binance's margin-call reminder)",
        minimum=1,
    )
    uni_mmr_critical: float = setting(
        1.2,
        "Portfolio Margin: CRITICAL at or below this uniMMR (Binance refuses new orders; "
        "liquidation at 1.05)",
        minimum=1,
    )
    spot_source: str = setting(
        "user_asset",
        'where spot free balances come from: "user_asset" '
        '(POST /sapi/v3/asset/getUserAsset, weight 5) or "account" '
        "(GET /api/v3/account, weight 20)",
        choices=tuple(SPOT_SOURCES),
    )

    def problems(self) -> list[tuple[str, str]]:
        out = []
        if self.margin_ratio_warning > self.margin_ratio_critical:
            out.append(
                (
                    "margin_ratio_warning",
                    f"{self.margin_ratio_warning:g} must not exceed "
                    f"margin_ratio_critical ({self.margin_ratio_critical:g})",
                )
            )
        if self.uni_mmr_warning < self.uni_mmr_critical:
            out.append(
                (
                    "uni_mmr_warning",
                    f"{self.uni_mmr_warning:g} must not be below "
                    f"uni_mmr_critical ({self.uni_mmr_critical:g})",
                )
            )
        return out


MARGIN_RATIO = Family(
    "margin_ratio",
    "futures maintenance margin / margin balance, the worst of USD-M and COIN-M's "
    "margin coins (liquidation at 1)",
    ("account",),
)
UNI_MMR = Family(
    "uni_mmr",
    "Portfolio Margin uniMMR: equity / maintenance margin (orders refused at 1.2, "
    "liquidation at 1.05)",
    ("account",),
)


def _margin_ratio_perf(account: str, ratio: float, s: BalanceSettings) -> Perf:
    """Given an account's margin ratio, return its perfdata item in % with the thresholds."""
    return Perf(
        f"{account} margin_ratio",
        min(ratio, 1e6) * 100,  # a ratio with no margin balance is huge: keep it readable
        "%",
        perf_number(s.margin_ratio_warning * 100),
        perf_number(s.margin_ratio_critical * 100),
        "0",
        "100",
    )


def _pm_wallet(acc: AccountConfig, facts: Facts, metrics: dict, product: str) -> list[Finding]:
    """Given the Portfolio Margin account's /papi/v1/balance answer (in facts), return a
    finding per asset whose wallet is below ``min_available``; raise SchemaError for a
    refused or malformed answer."""
    bal = facts.get("papi.balance")
    if bal is None:
        return []
    if not bal.ok or not isinstance(bal.data, list):
        raise SchemaError("papi balance: " + (bal.error.message if bal.error else "not a list"))
    free: dict[str, Decimal] = {}
    for item in bal.data:
        if isinstance(item, dict) and isinstance(item.get("asset"), str):
            where = f"papi balance {item['asset']}"
            free[item["asset"].upper()] = number(item, "totalWalletBalance", where)
    out: list[Finding] = []
    for asset, minimum in acc.min_available.items():
        have = free.get(asset, Decimal(0))
        metrics[f"pm_wallet_{asset}"] = float(have)
        if have < minimum:
            out.append(
                Finding(
                    Status.CRITICAL,
                    f"Portfolio Margin wallet {asset} {have:f} is below the minimum "
                    f"{minimum:f}: orders fail with -2019",
                    [-2019],
                    fix_for(-2019, product),
                )
            )
    return out


@dataclass(frozen=True)
class BalanceCheck(CheckBase):
    settings: BalanceSettings
    id: ClassVar[str] = "balance"
    title: ClassVar[str] = "futures margin ratio and available balance, spot free balance"
    Settings: ClassVar[type[CheckSettings]] = BalanceSettings
    families: ClassVar[tuple[Family, ...]] = (MARGIN_RATIO, UNI_MMR)

    def measurements(self, result: Result, run_started_at: float) -> list[Measurement]:
        """The futures margin ratio (perfdata in %, with its thresholds) and PM's uniMMR."""
        out = []
        ratio = finite(result.metrics.get("margin_ratio"))
        if ratio is not None:
            perf = _margin_ratio_perf(result.account, ratio, self.settings)
            out.append(Measurement(MARGIN_RATIO, (result.account,), ratio, perf))
        uni_mmr = finite(result.metrics.get("uni_mmr"))
        if uni_mmr is not None:
            out.append(Measurement(UNI_MMR, (result.account,), uni_mmr))
        return out

    def _spot_endpoint(self, account: AccountConfig, market: str) -> str | None:
        # the testnet has no /sapi: only /api/v3/account can say the balances there
        row = MARKETS[market]
        if self.settings.spot_source == "user_asset" and not account.testnet:
            return row.roles.get("wallet_balance") or row.roles.get("balance")
        return row.roles.get("balance")

    def _sources(self, account: AccountConfig, market: str) -> list[str]:
        """The endpoints that say a market's balances."""
        row = MARKETS[market]
        if row.balance_shape == "spot":
            name = self._spot_endpoint(account, market) if account.min_available else None
            return [name] if name else []
        return role_endpoints(account, market, "balance")

    def needs(self, account: AccountConfig) -> list[Request]:
        needs: list[Request] = []
        for m in account.markets:
            needs += [Request(n) for n in self._sources(account, m)]
        if account.min_available and account.pm:
            # Portfolio Margin: the wallet per asset from /papi/v1/balance
            needs.append(Request("papi.balance"))
        return list(dict.fromkeys(needs))

    def evaluate(self, facts: Facts) -> Result:
        acc = facts.account
        findings: list[Finding] = []
        src = Unavailable(facts)
        details: dict = {}
        metrics: dict = {}
        done: set[str] = set()
        for m in acc.markets:
            row = MARKETS[m]
            for name in self._sources(acc, m):
                if name in done:
                    continue
                done.add(name)
                shape = MARKETS[ENDPOINTS[name].market].balance_shape or row.balance_shape
                if ENDPOINTS[name].pool == "papi":
                    shape = "unified"
                data = src.data(name, f"{row.title} balances", required=True)
                if data is None:
                    continue
                # the bot's orders on this row get the codes (under Portfolio Margin too)
                product = row.error_product
                found: list[Finding] = []
                with src.parsing():
                    if shape == "spot":
                        found = self._spot(acc, data, details, metrics)
                    elif shape == "totals":
                        found = self._futures(acc, data, details, metrics, product)
                    elif shape == "per_asset":
                        found = self._per_asset(acc, row.title, data, details, metrics, product)
                    elif shape == "unified":
                        found = self._unified(acc, facts, data, details, metrics, product)
                findings.extend(from_product(product, found))
        unknown = src.reasons
        ok = "balances fine"
        if "uni_mmr" in metrics:
            ok = f"uniMMR {metrics['uni_mmr']:.2f}, balances above minimum"
        elif "margin_ratio" in metrics:
            ok = f"margin ratio {metrics['margin_ratio'] * 100:.1f} %, balances above minimum"
        elif not acc.min_available and not any(MARKETS[m].futures for m in acc.markets):
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

    def _ratio_finding(self, ratio: float, where: str) -> list[Finding]:
        """Given a margin ratio (maintenance margin / margin balance), return its finding."""
        s = self.settings
        shown = "no margin left" if ratio == float("inf") else f"{ratio * 100:.1f} %"
        if ratio >= s.margin_ratio_critical:
            return [
                Finding(
                    Status.CRITICAL,
                    f"{where} margin ratio {shown} (liquidation at "
                    f"100 %, critical from {s.margin_ratio_critical * 100:.0f} %): new "
                    "orders fail with -2019",
                    [-2019],
                    "add margin or reduce positions now to avoid liquidation",
                )
            ]
        if ratio >= s.margin_ratio_warning:
            return [
                Finding(
                    Status.WARNING,
                    f"{where} margin ratio {shown} (warning from "
                    f"{s.margin_ratio_warning * 100:.0f} %, liquidation at 100 %)",
                    [],
                    "add margin or reduce positions",
                    risk_codes=[-2019],
                )
            ]
        return []

    def _per_asset(
        self, acc: AccountConfig, title: str, data: Any, details: dict, metrics: dict, product: str
    ) -> list[Finding]:
        """COIN-M: each coin margins its own contracts, so a ratio and a balance per coin."""
        out: list[Finding] = []
        assets = data.get("assets") if isinstance(data, dict) else None
        if not isinstance(assets, list):
            raise SchemaError(f"{title} account: field 'assets' is missing or not a list")
        worst = 0.0
        available: dict[str, Decimal] = {}
        for item in assets:
            if not isinstance(item, dict) or not isinstance(item.get("asset"), str):
                continue
            coin = item["asset"].upper()
            where = f"{title} asset {coin}"
            maint = number(item, "maintMargin", where)
            balance = number(item, "marginBalance", where)
            available[coin] = number(item, "availableBalance", where)
            if maint <= 0:
                continue
            ratio = float(maint / balance) if balance > 0 else float("inf")
            worst = max(worst, ratio)
            metrics[f"margin_ratio_{coin}"] = round(ratio, 4) if ratio != float("inf") else 1e9
            out += self._ratio_finding(ratio, f"{title} {coin}")
        metrics["margin_ratio"] = round(worst, 4) if worst != float("inf") else 1e9
        for asset, minimum in acc.min_available.items():
            if asset not in available and asset not in _coins(acc):
                continue  # a minimum for another market's asset (USDT on USD-M...)
            have = available.get(asset, Decimal(0))
            metrics[f"coinm_available_{asset}"] = float(have)
            if have < minimum:
                out.append(
                    Finding(
                        Status.CRITICAL,
                        f"{title} available {asset} {have:f} is below the minimum "
                        f"{minimum:f}: orders fail with -2019",
                        [-2019],
                        fix_for(-2019, product),
                    )
                )
        return out

    def _unified(
        self,
        acc: AccountConfig,
        facts: Facts,
        data: Any,
        details: dict,
        metrics: dict,
        product: str,
    ) -> list[Finding]:
        """Portfolio Margin: uniMMR = equity / maintenance margin of the whole account; Binance
        reminds at 1.5, refuses new orders at 1.2, liquidates at 1.05. Then the wallet per asset
        versus ``min_available``."""
        uni = number(data, "uniMMR", "papi account")
        equity = number(data, "accountEquity", "papi account")
        maint = number(data, "accountMaintMargin", "papi account")
        metrics["account_equity"] = float(equity)
        metrics["maint_margin"] = float(maint)
        out: list[Finding] = []
        if maint > 0:  # with no maintenance margin uniMMR (equity / 0) judges nothing
            metrics["uni_mmr"] = round(float(uni), 4)
            out += self._uni_mmr_finding(uni)
        if acc.min_available:
            out += _pm_wallet(acc, facts, metrics, product)
        return out

    def _uni_mmr_finding(self, uni: Decimal) -> list[Finding]:
        """Given the Portfolio Margin account's uniMMR, return its finding: CRITICAL at or below
        ``uni_mmr_critical``, WARNING at or below ``uni_mmr_warning``."""
        s = self.settings
        shown = f"{uni:.2f}"
        if uni <= Decimal(str(s.uni_mmr_critical)):
            return [
                Finding(
                    Status.CRITICAL,
                    f"Portfolio Margin uniMMR {shown} (critical at or below "
                    f"{s.uni_mmr_critical:g}; Binance refuses new orders below 1.2 and "
                    "liquidates at 1.05)",
                    [-2019],
                    "add collateral or reduce positions now to avoid liquidation",
                )
            ]
        if uni <= Decimal(str(s.uni_mmr_warning)):
            return [
                Finding(
                    Status.WARNING,
                    f"Portfolio Margin uniMMR {shown} (warning at or below "
                    f"{s.uni_mmr_warning:g}, Binance's margin-call level; new orders are "
                    "refused from 1.2)",
                    [],
                    "add collateral or reduce positions",
                    risk_codes=[-2019],
                )
            ]
        return []

    def _futures(
        self, acc: AccountConfig, data: dict, details: dict, metrics: dict, product: str
    ) -> list[Finding]:
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
        out += self._ratio_finding(ratio, "futures")
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
                        fix_for(-2019, product),
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
