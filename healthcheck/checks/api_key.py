"""api_key (-1022, -2014, -2015): will Binance accept this key for what the bot does?

The key's restrictions (apiRestrictions, weight 1) say what it may do; the product endpoints the
other checks call anyway (spot account, futures accountConfig) prove it works from this IP. A
bare -2015 covers four causes (no such key, IP not whitelisted, permission missing, trading
permission expired); this check says which one it is.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, ClassVar

from healthcheck.checks.base import (
    SLOW_ACCOUNT_FIELDS_SECONDS,
    CheckBase,
    CheckSettings,
    Facts,
    Finding,
    SchemaError,
    boolean,
    combine,
    first_product,
    fmt_duration,
    fmt_ts,
    ms_timestamp,
    product_of,
    role_endpoints,
    setting,
    unavailable_reason,
)
from healthcheck.checks.measure import Family, Measurement, Perf, finite, perf_number
from healthcheck.exchange.catalogue import fix_for
from healthcheck.exchange.endpoints import ENDPOINTS
from healthcheck.exchange.fetch import Outcome, Request
from healthcheck.model.markets import MARKETS, POOLS
from healthcheck.model.result import Result, Status

if TYPE_CHECKING:
    from healthcheck.exchange.account import AccountConfig

_KEY_RE = re.compile(r"^[A-Za-z0-9]{64}$")
_IP_RE = re.compile(r"request ip:\s*([0-9a-fA-F.:]+)")


def _auth_finding(
    out: Outcome, what: str, restrictions_ok: bool, product: str = ""
) -> Finding | None:
    """Given a refused request, return its finding; ``product`` is the market whose orders the
    refusal stands for (a /papi probe stands for its futures row), else the endpoint's own."""
    err = out.error
    if err is None or err.code not in (-2014, -2015, -1022):
        return None
    product = product or product_of(out.endpoint)
    said = {err.code: err.message}
    if err.code == -2014:
        return Finding(
            Status.CRITICAL,
            f"Binance says the API key format is invalid ({what})",
            [-2014],
            fix_for(-2014, product),
            product=product,
            quotes=said,
        )
    if err.code == -1022:
        return Finding(
            Status.CRITICAL,
            "signature rejected (-1022): the API secret or private "
            "key does not belong to this API key",
            [-1022],
            fix_for(-1022, product),
            product=product,
            quotes=said,
        )
    ip = _IP_RE.search(err.message)
    ip_text = f" ({ip.group(1)})" if ip else ""
    if restrictions_ok:
        return Finding(
            Status.CRITICAL,
            f"{what} rejects the key with -2015 although the key is "
            f"valid: a permission for this product is missing",
            [-2015],
            "tick the missing permission in Binance API Management",
            product=product,
            quotes=said,
        )
    return Finding(
        Status.CRITICAL,
        f"Binance rejects the key (-2015) on {what}: the key does not "
        f"exist (deleted or mistyped) or this machine's IP{ip_text} is not on its "
        f"whitelist",
        [-2015],
        "check in Binance API Management that the key exists and that this server's "
        "IP is whitelisted",
        product=product,
        quotes=said,
    )


def _probe_text(endpoint: str) -> str:
    """How a probe endpoint is named in a finding ("the USD-M futures API")."""
    return f"the {POOLS[ENDPOINTS[endpoint].pool].word} API ({ENDPOINTS[endpoint].path})"


def _looks_pm(restr: Outcome | None, out: Outcome) -> bool:
    """Given a -2015 on a classic futures probe, say whether the key's restrictions show a
    Portfolio Margin account (``enablePortfolioMarginTrading`` on, ``enableFutures`` off)."""
    err = out.error
    if err is None or err.code != -2015 or restr is None or not restr.ok:
        return False
    if not isinstance(restr.data, dict) or ENDPOINTS[out.endpoint].pool == "papi":
        return False
    if not MARKETS[POOLS[ENDPOINTS[out.endpoint].pool].market].futures:
        return False
    return bool(restr.data.get("enablePortfolioMarginTrading")) and not restr.data.get(
        "enableFutures"
    )


@dataclass(frozen=True)
class ApiKeySettings(CheckSettings):
    interval: float | None = setting(
        600.0,
        "seconds between runs in the daemon (key permissions change rarely)",
        minimum=0,
        exclusive_min=True,
    )
    expiry_warning_days: float = setting(
        7.0, "WARNING this many days before the key's trading permission expires", minimum=0
    )
    warn_withdrawals: bool = setting(True, "WARNING for a key that can withdraw")
    warn_no_ip_restriction: bool = setting(True, "WARNING for a key without an IP whitelist")


TRADING_EXPIRY = Family(
    "api_key_trading_expiry_timestamp_seconds",
    "When the API key's trading permission expires (Unix time)",
    ("account",),
)


@dataclass(frozen=True)
class ApiKeyCheck(CheckBase):
    settings: ApiKeySettings
    id: ClassVar[str] = "api_key"
    title: ClassVar[str] = "API key format, signature, IP whitelist, permissions, expiry"
    Settings: ClassVar[type[CheckSettings]] = ApiKeySettings
    families: ClassVar[tuple[Family, ...]] = (TRADING_EXPIRY,)

    def measurements(self, result: Result, run_started_at: float) -> list[Measurement]:
        """When the trading permission expires: a timestamp for Prometheus, the time left (with
        the warning threshold) as perfdata."""
        left = finite(result.metrics.get("trading_expires_in_seconds"))
        if left is None:
            return []
        warn = perf_number(self.settings.expiry_warning_days * 86400)
        perf = Perf(f"{result.account} key_trading_expires_in", left, "s", f"{warn}:", "0:")
        # the check measured the time left against its run's start
        at = round(run_started_at + left)
        return [Measurement(TRADING_EXPIRY, (result.account,), at, perf)]

    def needs(self, account: AccountConfig) -> list[Request]:
        needs = [] if account.testnet else [Request("sapi.apiRestrictions")]
        for m in account.markets:
            # a probe of each product with the key; permissions come from apiRestrictions
            for name in role_endpoints(account, m, "key_probe"):
                # a probe that weighs 20 (spot /api/v3/account) is reused between runs
                reuse = SLOW_ACCOUNT_FIELDS_SECONDS if ENDPOINTS[name].weight >= 20 else 0.0
                needs.append(Request(name, reuse_seconds=reuse))
        return needs

    def evaluate(self, facts: Facts) -> Result:
        acc = facts.account
        key = acc.api_key.reveal()
        findings: list[Finding] = []
        unknown: list[str] = []
        details: dict = {
            "api_key": acc.api_key.masked(),
            "signing": "ed25519/rsa" if acc.private_key else "hmac",
        }
        metrics: dict = {}
        if not _KEY_RE.match(key):
            spaces = ", with whitespace" if any(c.isspace() for c in key) else ""
            findings.append(
                Finding(
                    Status.CRITICAL,
                    f"API key is not 64 letters/digits (has "
                    f"{len(key)} characters{spaces}): Binance answers -2014",
                    [-2014],
                    fix_for(-2014, first_product(acc)),
                    product=first_product(acc),
                )
            )
        restr = facts.get("sapi.apiRestrictions")
        restrictions_ok = restr is not None and restr.ok
        if restr is not None and not restr.ok:
            f = _auth_finding(restr, "the key-permission endpoint", False)
            if f is not None:
                findings.append(f)
            else:
                unknown.append(unavailable_reason(restr, "key permissions"))
        if restr is not None and restr.ok:
            try:
                findings.extend(
                    self._permissions(acc, restr.data, facts.now, details, metrics, facts.pm)
                )
            except SchemaError as exc:
                unknown.append(f"unexpected answer from Binance: {exc}")
        probes = {
            m: (name, _probe_text(name))
            for m in acc.markets
            if (name := facts.role(m, "key_probe")) is not None
        }
        if facts.pm:
            details["portfolio_margin"] = True
        for market in acc.markets:
            if market not in probes:
                continue
            name, what = probes[market]
            out = facts.get(name)
            if out is None:
                continue
            f = _auth_finding(out, what, restrictions_ok, MARKETS[market].error_product)
            if f is not None and _looks_pm(restr, out):
                if acc.portfolio_margin is not False:
                    # "auto" could not ask /papi yet: not a bad key, and not known to be PM
                    unknown.append(
                        f"{what} refuses the key and the key has Portfolio Margin trading; "
                        "whether the account is under Portfolio Margin is not settled yet "
                        "(/papi/v1/account did not answer)"
                    )
                continue  # the permissions say it: a Portfolio Margin account, not a bad key
            if f is not None and not any(f.codes == g.codes and g.text == f.text for g in findings):
                # the restrictions already explain a missing permission: no second line for it
                if not (restrictions_ok and any(-2015 in g.codes for g in findings)):
                    findings.append(f)
            elif out.error is not None and not restrictions_ok and f is None and acc.testnet:
                unknown.append(unavailable_reason(out, what))
        answered = [facts.get(probes[m][0]) for m in acc.markets if m in probes]
        if acc.testnet and not any(o is not None and o.ok for o in answered):
            if not findings and not unknown:
                unknown.append("no product endpoint answered")
        return combine(
            acc.name,
            self.id,
            findings,
            ok_summary=self._ok_text(acc, details),
            unknown=unknown,
            details=details,
            metrics=metrics,
        )

    def _ok_text(self, acc: AccountConfig, details: dict) -> str:
        perms = details.get("permissions")
        text = f"key {acc.api_key.masked()} accepted"
        if perms:
            text += " with " + ", ".join(perms)
        return text

    def _permissions(
        self,
        acc: AccountConfig,
        data: dict,
        now: float,
        details: dict,
        metrics: dict,
        pm: bool = False,
    ) -> list[Finding]:
        s = self.settings
        out: list[Finding] = []
        reading = boolean(data, "enableReading", "apiRestrictions")
        futures = boolean(data, "enableFutures", "apiRestrictions", default=False)
        spot_trade = boolean(data, "enableSpotAndMarginTrading", "apiRestrictions", default=False)
        withdraw = boolean(data, "enableWithdrawals", "apiRestrictions", default=False)
        ip_restrict = boolean(data, "ipRestrict", "apiRestrictions", default=False)
        pm_trade = boolean(data, "enablePortfolioMarginTrading", "apiRestrictions", default=False)
        perms = [
            name
            for name, on in (
                ("reading", reading),
                ("spot trading", spot_trade),
                ("futures", futures),
                ("portfolio margin", pm_trade),
                ("withdrawals", withdraw),
            )
            if on
        ]
        details["permissions"] = perms
        details["ip_restricted"] = ip_restrict
        if not reading:
            out.append(
                Finding(
                    Status.CRITICAL,
                    "key lacks 'Enable Reading': every account request fails with -2015",
                    [-2015],
                    "tick 'Enable Reading' for this key in Binance API Management",
                    product=first_product(acc),
                )
            )
        have = {
            "enableFutures": futures,
            "enableSpotAndMarginTrading": spot_trade,
            "enablePortfolioMarginTrading": pm_trade,
        }
        wanted: dict[str, list[str]] = {}
        products: dict[str, str] = {}  # the first market needing a permission names its product
        for m in acc.markets:
            row = MARKETS[m]
            fld, label = row.pm_permission if (pm and row.futures) else row.permission
            if fld:
                wanted.setdefault(fld, [label]).append(row.title)
                products.setdefault(fld, row.error_product)
        for fld, (label, *titles) in wanted.items():
            if have.get(fld, boolean(data, fld, "apiRestrictions", default=False)):
                continue
            if fld == "enableFutures" and pm_trade and acc.portfolio_margin is not False:
                continue  # "auto" not settled: reported as unknown with the probe below
            if fld == "enableFutures" and pm_trade:
                text = (
                    "the key has Portfolio Margin trading and no 'Enable Futures': this is a "
                    "Portfolio Margin account, whose futures are traded through /papi (the "
                    "classic futures API refuses it with -2015; the key itself is fine)"
                )
                fix = (
                    'set portfolio_margin = "auto" (or true) for this account; a bot on the '
                    "classic futures API fails the same way"
                )
                out.append(
                    Finding(
                        Status.CRITICAL, text, [], fix, risk_codes=[-2015], product=products[fld]
                    )
                )
                continue
            if fld == "enableFutures":
                text = (
                    "key lacks 'Enable Futures': every futures request fails with -2015 (also "
                    "false on portfolio-margin accounts, and for keys created before the "
                    "futures account)"
                )
                fix = (
                    "tick 'Enable Futures' for this key (create a new key if it was made "
                    "before the futures account was opened)"
                )
            elif fld == "enableSpotAndMarginTrading":
                text = "key lacks 'Enable Spot & Margin Trading': spot orders fail with -2015"
                fix = "tick 'Enable Spot & Margin Trading' for this key"
            else:
                text = f"key lacks '{label}': {' and '.join(titles)} orders fail with -2015"
                fix = f"tick '{label}' for this key"
            out.append(Finding(Status.CRITICAL, text, [-2015], fix, product=products[fld]))
        exp = data.get("tradingAuthorityExpirationTime")
        if isinstance(exp, int | float) and not isinstance(exp, bool) and exp > 0:
            exp_s = ms_timestamp(exp)
            if exp_s is None:
                raise SchemaError(
                    "apiRestrictions: field 'tradingAuthorityExpirationTime' is "
                    f"not a timestamp ({str(exp)[:20]!r})"
                )
            left = exp_s - now
            details["trading_expires_at"] = fmt_ts(exp_s)
            metrics["trading_expires_in_seconds"] = int(left)
            if left <= 0:
                out.append(
                    Finding(
                        Status.CRITICAL,
                        f"the key's trading permission expired at "
                        f"{fmt_ts(exp_s)}: orders fail with -2015",
                        [-2015],
                        "renew the trading permission in Binance API Management",
                        product=first_product(acc),
                    )
                )
            elif left <= s.expiry_warning_days * 86400:
                out.append(
                    Finding(
                        Status.WARNING,
                        f"the key's trading permission expires in "
                        f"{fmt_duration(left)} ({fmt_ts(exp_s)}); then orders fail "
                        "with -2015",
                        [],
                        "renew the trading permission in Binance API Management before it expires",
                        risk_codes=[-2015],
                        product=first_product(acc),
                    )
                )
        if withdraw and s.warn_withdrawals:
            out.append(
                Finding(
                    Status.WARNING,
                    "key can withdraw funds: if it leaks, the account can be emptied",
                    [],
                    "untick 'Enable Withdrawals' for a trading bot's key",
                )
            )
        if not ip_restrict and s.warn_no_ip_restriction:
            out.append(
                Finding(
                    Status.WARNING,
                    "key is not restricted to trusted IPs",
                    [],
                    "restrict the key to this server's IP in Binance API Management",
                )
            )
        return out
