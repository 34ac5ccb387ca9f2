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


def _key_format(acc: AccountConfig) -> list[Finding]:
    """Given the account, return the -2014 finding if its key is not 64 letters/digits (said
    before any answer from Binance)."""
    key = acc.api_key.reveal()
    if _KEY_RE.match(key):
        return []
    spaces = ", with whitespace" if any(c.isspace() for c in key) else ""
    return [
        Finding(
            Status.CRITICAL,
            f"API key is not 64 letters/digits (has "
            f"{len(key)} characters{spaces}): Binance answers -2014",
            [-2014],
            fix_for(-2014, first_product(acc)),
            product=first_product(acc),
        )
    ]


def _pm_probe_unsettled(acc: AccountConfig, what: str) -> str | None:
    """Given a classic futures probe refused on a key with Portfolio Margin trading, return why it
    cannot be judged yet ("auto" has not settled whether the account is PM), else None."""
    if acc.portfolio_margin is not False:
        # "auto" could not ask /papi yet: not a bad key, and not known to be PM
        return (
            f"{what} refuses the key and the key has Portfolio Margin trading; "
            "whether the account is under Portfolio Margin is not settled yet "
            "(/papi/v1/account did not answer)"
        )
    return None  # the permissions say it: a Portfolio Margin account, not a bad key


def _already_said(f: Finding, restrictions_ok: bool, found: list[Finding]) -> bool:
    """Given a probe's finding and the findings so far, say whether they already cover it: the
    same line, or a -2015 the key's restrictions already explain (no second line for it)."""
    if any(f.codes == g.codes and g.text == f.text for g in found):
        return True
    return restrictions_ok and any(-2015 in g.codes for g in found)


def _probe_verdict(
    acc: AccountConfig,
    restr: Outcome | None,
    out: Outcome,
    what: str,
    product: str,
    found: list[Finding],
) -> Finding | str | None:
    """Given one market's probe answer (named ``what``; its refusal stands for ``product``'s
    orders), the key's restrictions answer and the findings so far, return the probe's new
    finding, or why it cannot be judged (a str), or None when it adds nothing."""
    restrictions_ok = restr is not None and restr.ok
    f = _auth_finding(out, what, restrictions_ok, product)
    if f is None:
        # the testnet has no /sapi: only its probes say whether the key works there
        if out.error is not None and not restrictions_ok and acc.testnet:
            return unavailable_reason(out, what)
        return None
    if _looks_pm(restr, out):
        return _pm_probe_unsettled(acc, what)
    return None if _already_said(f, restrictions_ok, found) else f


@dataclass(frozen=True)
class _Granted:
    """What the key's apiRestrictions grant (an absent flag other than reading is off)."""

    reading: bool
    futures: bool
    spot_trade: bool
    withdraw: bool
    ip_restrict: bool
    pm_trade: bool

    @classmethod
    def read(cls, data: dict) -> _Granted:
        """Given apiRestrictions, return its flags; raise SchemaError for one not a boolean."""
        return cls(
            reading=boolean(data, "enableReading", "apiRestrictions"),
            futures=boolean(data, "enableFutures", "apiRestrictions", default=False),
            spot_trade=boolean(
                data, "enableSpotAndMarginTrading", "apiRestrictions", default=False
            ),
            withdraw=boolean(data, "enableWithdrawals", "apiRestrictions", default=False),
            ip_restrict=boolean(data, "ipRestrict", "apiRestrictions", default=False),
            pm_trade=boolean(
                data, "enablePortfolioMarginTrading", "apiRestrictions", default=False
            ),
        )

    def labels(self) -> list[str]:
        """The permissions the key has, as the OK summary lists them."""
        return [
            name
            for name, on in (
                ("reading", self.reading),
                ("spot trading", self.spot_trade),
                ("futures", self.futures),
                ("portfolio margin", self.pm_trade),
                ("withdrawals", self.withdraw),
            )
            if on
        ]

    def trading(self) -> dict[str, bool]:
        """The trading permissions by their apiRestrictions field."""
        return {
            "enableFutures": self.futures,
            "enableSpotAndMarginTrading": self.spot_trade,
            "enablePortfolioMarginTrading": self.pm_trade,
        }


def _no_reading(acc: AccountConfig) -> Finding:
    """The finding for a key without 'Enable Reading' (every account request fails)."""
    return Finding(
        Status.CRITICAL,
        "key lacks 'Enable Reading': every account request fails with -2015",
        [-2015],
        "tick 'Enable Reading' for this key in Binance API Management",
        product=first_product(acc),
    )


def _wanted_permissions(acc: AccountConfig, pm: bool) -> dict[str, tuple[list[str], str]]:
    """Given the account (and whether it is under Portfolio Margin), return the trading
    permissions its markets need: apiRestrictions field -> ([label, market titles...], product
    of the first market needing it)."""
    wanted: dict[str, list[str]] = {}
    products: dict[str, str] = {}  # the first market needing a permission names its product
    for m in acc.markets:
        row = MARKETS[m]
        fld, label = row.pm_permission if (pm and row.futures) else row.permission
        if fld:
            wanted.setdefault(fld, [label]).append(row.title)
            products.setdefault(fld, row.error_product)
    return {fld: (names, products[fld]) for fld, names in wanted.items()}


def _pm_account_without_futures(product: str) -> Finding:
    """The finding for a key with Portfolio Margin trading and no 'Enable Futures' on an account
    configured as classic: the account is PM, the key is fine."""
    text = (
        "the key has Portfolio Margin trading and no 'Enable Futures': this is a "
        "Portfolio Margin account, whose futures are traded through /papi (the "
        "classic futures API refuses it with -2015; the key itself is fine)"
    )
    fix = (
        'set portfolio_margin = "auto" (or true) for this account; a bot on the '
        "classic futures API fails the same way"
    )
    return Finding(Status.CRITICAL, text, [], fix, risk_codes=[-2015], product=product)


def _missing_permission(fld: str, label: str, titles: list[str], product: str) -> Finding:
    """Given a trading permission the key lacks (apiRestrictions field, label), the titles of the
    markets needing it and their product, return its -2015 finding."""
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
    return Finding(Status.CRITICAL, text, [-2015], fix, product=product)


def _missing_trading(acc: AccountConfig, data: dict, granted: _Granted, pm: bool) -> list[Finding]:
    """Given the account, its key's apiRestrictions and grants, return a finding per trading
    permission its markets need and the key lacks."""
    out: list[Finding] = []
    have = granted.trading()
    for fld, ((label, *titles), product) in _wanted_permissions(acc, pm).items():
        if have.get(fld, boolean(data, fld, "apiRestrictions", default=False)):
            continue
        if fld == "enableFutures" and granted.pm_trade:
            if acc.portfolio_margin is False:
                out.append(_pm_account_without_futures(product))
            # else "auto" not settled: reported as unknown with the probe
            continue
        out.append(_missing_permission(fld, label, titles, product))
    return out


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
        unknown: list[str] = []
        details: dict = {
            "api_key": acc.api_key.masked(),
            "signing": "ed25519/rsa" if acc.private_key else "hmac",
        }
        metrics: dict = {}
        findings = _key_format(acc)
        restr = facts.get("sapi.apiRestrictions")
        findings += self._restrictions(facts, restr, details, metrics, unknown)
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
            product = MARKETS[market].error_product
            verdict = _probe_verdict(acc, restr, out, what, product, findings)
            if isinstance(verdict, Finding):
                findings.append(verdict)
            elif verdict is not None:
                unknown.append(verdict)
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

    def _restrictions(
        self,
        facts: Facts,
        restr: Outcome | None,
        details: dict,
        metrics: dict,
        unknown: list[str],
    ) -> list[Finding]:
        """Given the key's apiRestrictions answer (None on the testnet), return its findings (the
        cause of a refusal, or what the permissions say); add to ``unknown`` why it cannot be
        read."""
        if restr is None:
            return []
        if not restr.ok:
            f = _auth_finding(restr, "the key-permission endpoint", False)
            if f is None:
                unknown.append(unavailable_reason(restr, "key permissions"))
                return []
            return [f]
        try:
            return self._permissions(
                facts.account, restr.data, facts.now, details, metrics, facts.pm
            )
        except SchemaError as exc:
            unknown.append(f"unexpected answer from Binance: {exc}")
            return []

    def _permissions(
        self,
        acc: AccountConfig,
        data: dict,
        now: float,
        details: dict,
        metrics: dict,
        pm: bool = False,
    ) -> list[Finding]:
        """Given the key's apiRestrictions, return what they mean for the bot: reading, the
        trading permissions its markets need, the trading permission's expiry, and a key that
        can withdraw or has no IP whitelist; raise SchemaError for a malformed field."""
        granted = _Granted.read(data)
        details["permissions"] = granted.labels()
        details["ip_restricted"] = granted.ip_restrict
        out: list[Finding] = [] if granted.reading else [_no_reading(acc)]
        out += _missing_trading(acc, data, granted, pm)
        out += self._expiry(acc, data, now, details, metrics)
        out += self._risky_key(granted)
        return out

    def _expiry(
        self, acc: AccountConfig, data: dict, now: float, details: dict, metrics: dict
    ) -> list[Finding]:
        """Given apiRestrictions and the time, return the finding for a trading permission that
        expired (CRITICAL) or expires within ``expiry_warning_days`` (WARNING); raise SchemaError
        for an expiry that is not a timestamp."""
        exp = data.get("tradingAuthorityExpirationTime")
        if not (isinstance(exp, int | float) and not isinstance(exp, bool) and exp > 0):
            return []
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
            return [
                Finding(
                    Status.CRITICAL,
                    f"the key's trading permission expired at "
                    f"{fmt_ts(exp_s)}: orders fail with -2015",
                    [-2015],
                    "renew the trading permission in Binance API Management",
                    product=first_product(acc),
                )
            ]
        if left <= self.settings.expiry_warning_days * 86400:
            return [
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
            ]
        return []

    def _risky_key(self, granted: _Granted) -> list[Finding]:
        """Given the key's grants, return the warnings for a key that can withdraw or is not
        restricted to trusted IPs (each can be turned off in the settings)."""
        s = self.settings
        out: list[Finding] = []
        if granted.withdraw and s.warn_withdrawals:
            out.append(
                Finding(
                    Status.WARNING,
                    "key can withdraw funds: if it leaks, the account can be emptied",
                    [],
                    "untick 'Enable Withdrawals' for a trading bot's key",
                )
            )
        if not granted.ip_restrict and s.warn_no_ip_restriction:
            out.append(
                Finding(
                    Status.WARNING,
                    "key is not restricted to trusted IPs",
                    [],
                    "restrict the key to this server's IP in Binance API Management",
                )
            )
        return out
