"""What every check shares: its settings and shape, the facts a run fetched, and helpers that
turn those facts into results.

A check is one unit: a frozen dataclass whose class attributes say its ``id``, its ``Settings``
(defaults, bounds and help text, once), the ``markets`` it applies to, and which requests it
``needs`` for an account; its ``evaluate`` is pure (facts in, one Result out). The planner
(:mod:`healthcheck.engine.plan`) merges the needs of every due check, the runner sends them
once, and every check evaluates the same :class:`Facts`. Nothing here imports a third-party package.
"""

from __future__ import annotations

import time
import time as _time  # Facts has a field named "time"
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import MISSING, Field, dataclass, field, fields
from decimal import Decimal, InvalidOperation
from typing import TYPE_CHECKING, Any, ClassVar, Protocol

from healthcheck.checks.measure import Family, Measurement
from healthcheck.exchange.endpoints import ENDPOINTS, endpoint_for
from healthcheck.exchange.fetch import FetchError, Outcome, Request
from healthcheck.model.markets import MARKETS
from healthcheck.model.result import CodeRef, Result, Status, worst

if TYPE_CHECKING:
    from healthcheck.exchange.account import AccountConfig
    from healthcheck.exchange.ntp import NtpVerdict
    from healthcheck.exchange.weights import WeightBook


# ---------------------------------------------------------------------------------- settings


def setting(
    default: Any,
    help: str,
    *,
    minimum: float | None = None,  # noqa: A002
    maximum: float | None = None,
    exclusive_min: bool = False,
    integer: bool = False,
    choices: tuple[str, ...] | None = None,
) -> Any:
    """Given a default and its help text (and bounds), return a dataclass field the config loader
    validates and ``config.example.toml`` documents."""
    return field(
        default=default,
        metadata={
            "help": help,
            "minimum": minimum,
            "maximum": maximum,
            "exclusive_min": exclusive_min,
            "integer": integer,
            "choices": choices,
        },
    )


@dataclass(frozen=True)
class CheckSettings:
    """The settings every check has; a check's own Settings subclass adds (or re-defaults) more."""

    enabled: bool = setting(True, "run this check")
    interval: float | None = setting(
        None,
        "seconds between runs in the daemon; unset: [daemon] interval",
        minimum=0,
        exclusive_min=True,
    )

    def problems(self) -> list[tuple[str, str]]:
        """Return (key, message) for settings that are valid alone but not together."""
        return []


def setting_fields(settings_cls: type[CheckSettings]) -> list[Field[Any]]:
    """Given a Settings class, return its fields in declaration order (base fields first)."""
    return [f for f in fields(settings_cls) if f.default is not MISSING]


def setting_kind(f: Field[Any]) -> str:
    """Given a settings field, return "bool", "int", "number" or "string"."""
    if isinstance(f.default, bool):
        return "bool"
    if f.metadata.get("integer"):
        return "int"
    if isinstance(f.default, str) or f.metadata.get("choices"):
        return "string"
    return "number"


class Check(Protocol):
    """The shape of a registered check (see healthcheck/checks/__init__.py)."""

    id: ClassVar[str]
    title: ClassVar[str]
    Settings: ClassVar[type[CheckSettings]]
    roles: ClassVar[tuple[str, ...]]
    wants_time_samples: ClassVar[bool]
    wants_ntp: ClassVar[bool]
    has_followups: ClassVar[bool]
    families: ClassVar[tuple[Family, ...]]
    settings: Any

    def applies(self, account: AccountConfig) -> bool: ...

    def needs(self, account: AccountConfig) -> list[Request]: ...

    def followups(self, account: AccountConfig, facts: Facts) -> list[Request]: ...

    def evaluate(self, facts: Facts) -> Result | None: ...

    def measurements(self, result: Result, run_started_at: float) -> list[Measurement]: ...


def role_endpoints(account: AccountConfig, market: str, role: str) -> list[str]:
    """Given an account, one of its markets and a role, return the endpoints to request for it
    (the classic one, or Portfolio Margin's once the account is known to be under it; "auto" is
    settled by the runner before it plans a run). Empty: the market does not offer the role."""
    name = endpoint_for(MARKETS[market], role, account.pm is True)
    return [name] if name else []


def offers(account: AccountConfig, role: str) -> list[str]:
    """Given an account and a role, return its markets that offer the role."""
    return [m for m in account.markets if role_endpoints(account, m, role)]


class CheckBase:
    """Defaults for the optional parts of a check."""

    # the roles (healthcheck.model.markets.ROLES) the check reads: it applies to an account when one
    # of its markets offers one of them; empty: it applies to every account
    roles: ClassVar[tuple[str, ...]] = ()
    # the check reads the server-time samples / NTP verdict the runner collects
    wants_time_samples: ClassVar[bool] = False
    wants_ntp: ClassVar[bool] = False
    has_followups: ClassVar[bool] = False  # see followups()
    # the Prometheus families the check's measurements() fill (healthcheck.checks.measure)
    families: ClassVar[tuple[Family, ...]] = ()

    def applies(self, account: AccountConfig) -> bool:
        return not self.roles or any(offers(account, r) for r in self.roles)

    def needs(self, account: AccountConfig) -> list[Request]:
        return []

    def followups(self, account: AccountConfig, facts: Facts) -> list[Request]:
        """Requests that can only be built from the first round's answers (e.g. a test order
        sized from exchangeInfo's filters)."""
        return []

    def measurements(self, result: Result, run_started_at: float) -> list[Measurement]:
        """Given one of the check's results and when the run that made it started (Unix time),
        return its figures as Prometheus samples and perfdata items, in base units (thresholds
        from this check's settings)."""
        return []


class SymbolCheckBase(CheckBase):
    """A check about the configured ``symbols``: it applies when the account has some, and reads
    exchangeInfo (cached) for their status and filters."""

    def applies(self, account: AccountConfig) -> bool:
        return any(account.symbols_for(m) for m in account.markets)

    def needs(self, account: AccountConfig) -> list[Request]:
        out: list[Request] = []
        for market, symbols in self.symbol_markets(account):
            exinfo = MARKETS[market].exchange_info_endpoint
            if exinfo is not None:
                out.append(Request.of(exinfo, symbols=",".join(symbols)))
            out += self.symbol_needs(account, market, symbols)
        return out

    def symbol_needs(
        self, account: AccountConfig, market: str, symbols: tuple[str, ...]
    ) -> list[Request]:
        """The requests for the configured symbols of one market, besides exchangeInfo."""
        return []

    @staticmethod
    def symbol_markets(account: AccountConfig) -> list[tuple[str, tuple[str, ...]]]:
        """Given an account, return (market, its configured symbols) where it has some."""
        return [(m, account.symbols_for(m)) for m in account.markets if account.symbols_for(m)]


@dataclass
class SymbolView:
    """One configured symbol of one market while a symbol check evaluates it: where it stands
    (``label`` for texts), its exchangeInfo digest, the details row it fills and the reasons
    something about it could not be checked."""

    facts: Facts
    market: str
    symbol: str
    exchange: ExchangeLimits
    row: dict[str, Any]
    unknown: list[str]

    @property
    def label(self) -> str:
        return f"{self.symbol} ({MARKETS[self.market].title})"


# ---------------------------------------------------------------------------------- facts


AUTH_CODES = {-2014, -2015, -1022}
# how long slowly changing account answers (canTrade, a key probe on /api/v3/account, weight 20)
# are reused between runs and processes
SLOW_ACCOUNT_FIELDS_SECONDS = 300.0


@dataclass
class TimeMeasurement:
    """Server time of one market versus the local clock, best (lowest round trip) of samples."""

    market: str
    offset_ms: float | None = None  # local clock minus Binance clock (positive: local is ahead)
    rtt_ms: float | None = None
    samples: int = 0
    error: FetchError | None = None


@dataclass
class ExchangeLimits:
    """What we keep from exchangeInfo: the request-weight limit and the symbols' filters."""

    weight_limit: int | None = None
    symbols: dict[str, dict[str, Any]] = field(default_factory=dict)
    fetched_at: float | None = None
    error: FetchError | None = None

    def symbol(self, name: str) -> dict[str, Any] | None:
        """Given a symbol, return its exchangeInfo entry (None if absent or not an object)."""
        entry = self.symbols.get(name) if isinstance(self.symbols, dict) else None
        return entry if isinstance(entry, dict) else None

    def filters(self, name: str) -> dict[str, dict[str, Any]]:
        """Given a symbol, return its filters by type (only well-formed ones)."""
        raw = (self.symbol(name) or {}).get("filters")
        if not isinstance(raw, dict):
            return {}
        return {k: v for k, v in raw.items() if isinstance(k, str) and isinstance(v, dict)}


@dataclass
class Facts:
    """What one run learned about one account: the outcome of every request (keyed by
    :attr:`Request.key`), server-time measurements per market, the NTP verdict, exchangeInfo
    digests per market, the weight book, the other checks' results of this run (for checks that
    explain another's finding), and the time of the run."""

    account: AccountConfig
    outcomes: dict[tuple[str, tuple[tuple[str, str], ...]], Outcome]
    time: dict[str, TimeMeasurement]
    ntp: NtpVerdict | None
    exchange: dict[str, ExchangeLimits]
    book: WeightBook
    now: float = field(default_factory=lambda: _time.time())
    # the latest result of every check of this account evaluated before (this run or earlier)
    results: list[Result] = field(default_factory=list)
    bot_log: Any = None  # healthcheck.service.watcher.BotLogFacts for a watched account
    # why the account's bot_config could not be read again this run (None: read, or none)
    bot_config_error: str | None = None
    bot_alive: Any = None  # healthcheck.bots.liveness.BotAliveFacts (stale_after, unit, bot_api)

    def get(self, what: str | Request) -> Outcome | None:
        """Given an endpoint name (no parameters) or a Request, return its outcome if fetched."""
        key = (what, ()) if isinstance(what, str) else what.key
        return self.outcomes.get(key)

    @property
    def pm(self) -> bool:
        """Whether the account is read through Portfolio Margin this run: as configured, or as
        "auto" found out (an "auto" not settled yet reads the classic endpoints)."""
        return self.account.pm is True

    def role(self, market: str, role: str) -> str | None:
        """Given a market and a role, return the endpoint that plays it this run (None: the
        market does not offer it)."""
        return endpoint_for(MARKETS[market], role, self.pm)


class SchemaError(Exception):
    """An answer had the wrong shape; the message names the field."""


def number(obj: Any, key: str, where: str) -> Decimal:
    """Given a JSON object, return obj[key] as a Decimal; raise SchemaError naming the field."""
    if not isinstance(obj, dict):
        raise SchemaError(f"{where}: expected an object, got {type(obj).__name__}")
    if key not in obj:
        raise SchemaError(f"{where}: field '{key}' is missing")
    value = obj[key]
    if isinstance(value, bool) or value is None:
        raise SchemaError(f"{where}: field '{key}' is not a number ({value!r})")
    try:
        dec = Decimal(str(value))
    except InvalidOperation:
        raise SchemaError(f"{where}: field '{key}' is not a number ({str(value)[:20]!r})") from None
    if not dec.is_finite():
        raise SchemaError(f"{where}: field '{key}' is not a finite number")
    if dec and not -MAX_EXPONENT <= dec.adjusted() <= MAX_EXPONENT:
        # "1e999999999" is a finite Decimal, but dividing, int() or printing it hangs or raises
        raise SchemaError(f"{where}: field '{key}' is not a plausible number ({str(value)[:20]!r})")
    return dec


MAX_EXPONENT = 100  # no amount Binance sends is beyond 1e100 or below 1e-100
MAX_TS = 253402300799.0  # 9999-12-31 23:59:59 UTC: the last second time.gmtime() accepts


def ms_timestamp(value: Any) -> float | None:
    """Given a Binance millisecond timestamp, return seconds; None unless a positive number
    before the year 10000 (gmtime and int() fail beyond)."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    try:
        seconds = value / 1000
    except OverflowError:  # an int beyond any float
        return None
    if not 0 < seconds <= MAX_TS:  # NaN fails too
        return None
    return float(seconds)


def boolean(obj: Any, key: str, where: str, default: bool | None = None) -> bool:
    if not isinstance(obj, dict):
        raise SchemaError(f"{where}: expected an object, got {type(obj).__name__}")
    if key not in obj:
        if default is not None:
            return default
        raise SchemaError(f"{where}: field '{key}' is missing")
    value = obj[key]
    if not isinstance(value, bool):
        raise SchemaError(f"{where}: field '{key}' is not true/false ({str(value)[:20]!r})")
    return value


class Unavailable:
    """Collects, while a check reads its endpoints, why some data could not be used."""

    def __init__(self, facts: Facts) -> None:
        self.facts = facts
        self.reasons: list[str] = []

    def data(self, name: str, what: str, *, required: bool = False) -> Any:
        """Given an endpoint, return its data; None (with the reason noted) if it failed, or if
        it was not fetched and ``required``."""
        out = self.facts.get(name)
        if out is None and not required:
            return None
        if out is None or not out.ok:
            self.reasons.append(unavailable_reason(out, what))
            return None
        return out.data

    @contextmanager
    def parsing(self) -> Iterator[None]:
        """Note a SchemaError from the block as "unexpected answer" and carry on after it."""
        try:
            yield
        except SchemaError as exc:
            self.reasons.append(f"unexpected answer from Binance: {exc}")


def unavailable_reason(outcome: Outcome | None, what: str) -> str:
    """Given a failed outcome, say why ``what`` could not be checked."""
    if outcome is None:
        return f"{what}: not fetched"
    err = outcome.error
    if err is None:
        return ""
    if err.code == -1021:
        return (
            f"{what}: Binance rejected the signed request with -1021 (timestamp outside "
            "recvWindow), see the clock check"
        )
    if err.code in AUTH_CODES:
        return f"{what}: Binance rejected the API key ({err.code}), see the api_key check"
    return f"{what}: {err.message}"


def product_of(endpoint: str) -> str:
    """Given an endpoint name ("fapi.account"), return the product its error codes belong to."""
    e = ENDPOINTS.get(endpoint)
    return e.error_product if e is not None else "spot"


def market_product(market: str) -> str:
    """Given a market id ("usdm"), return the product its orders' error codes belong to."""
    return MARKETS[market].error_product


def row_product(account: AccountConfig, endpoint: str) -> str:
    """Given an account and an endpoint it read, return the product whose error codes the
    answer stands for: that of the market row the endpoint plays a role for (a /papi read under
    Portfolio Margin stands for the futures row it replaces), else the endpoint's own."""
    for m in account.markets:
        row = MARKETS[m]
        if endpoint in row.roles.values() or endpoint in row.pm_roles.values():
            return row.error_product
    return product_of(endpoint)


def host_product(account: AccountConfig, market: str) -> str:
    """Given an account and a row it is read through (one of its markets, or the Portfolio
    Margin host), return the product of the codes the bot gets there: a host row that is no
    market stands for the account's first futures market."""
    row = MARKETS[market]
    if row.selectable:
        return row.error_product
    futures = [m for m in account.markets if MARKETS[m].futures]
    return market_product(futures[0]) if futures else first_product(account)


def first_product(account: AccountConfig) -> str:
    """Given an account, return the product of its first market (for what hits every market
    alike: a malformed key, a clock all markets see)."""
    return market_product(account.markets[0]) if account.markets else "spot"


@dataclass
class Finding:
    status: Status
    text: str
    codes: list[int] = field(default_factory=list)
    fix: str = ""
    risk_codes: list[int] = field(default_factory=list)
    # the product (error namespace) its codes come from, and Binance's texts with the check's
    # figures filled in, per code (exchange.catalogue.quote); unquoted codes quote the catalogue
    product: str = ""
    quotes: dict[int, str] = field(default_factory=dict)

    def refs(self) -> list[CodeRef]:
        """Return where each of the finding's codes comes from."""
        return [
            CodeRef(c, self.product, self.quotes.get(c, ""))
            for c in dict.fromkeys(self.codes + self.risk_codes)
        ]


def from_product(product: str, findings: list[Finding]) -> list[Finding]:
    """Given a product and findings about it, return them with their product set (where unset)."""
    for f in findings:
        f.product = f.product or product
    return findings


def combine(
    account: str,
    check: str,
    findings: list[Finding],
    *,
    ok_summary: str,
    unknown: list[str],
    details: dict[str, Any] | None = None,
    metrics: dict[str, Any] | None = None,
) -> Result:
    """Given findings and reasons for missing data, return one Result (worst status wins).

    Missing data makes the result UNKNOWN unless something worse was found: a check must never
    say OK about what it could not see.
    """
    details = dict(details or {})
    bad = [f for f in findings if f.status != Status.OK]
    statuses = [f.status for f in bad] + ([Status.UNKNOWN] if unknown else [])
    status = worst(statuses) if statuses else Status.OK
    bad.sort(key=lambda f: -f.status.severity)
    codes: list[int] = []
    risk: list[int] = []
    refs: list[CodeRef] = []
    for f in bad:
        refs += [r for r in f.refs() if r not in refs]
        for c in f.codes:
            if c not in codes:
                codes.append(c)
        for c in f.risk_codes:
            if c not in risk and c not in codes:
                risk.append(c)
    if bad:
        summary = "; ".join(f.text for f in bad)
        if unknown:
            summary += f" (also could not check: {unknown[0]})"
    elif unknown:
        summary = "could not check: " + "; ".join(unknown)
    else:
        summary = ok_summary
    # texts from Binance (error messages, symbols) may hold line breaks: a summary is one line
    summary = " ".join(summary.splitlines())
    if unknown:
        details["unavailable"] = unknown
    if len(bad) > 1:
        details["problems"] = [f"{f.status.name}: {f.text}" for f in bad]
    fix = "; ".join(dict.fromkeys(f.fix.rstrip(".") for f in bad if f.fix))
    if not fix and unknown and not bad:
        fix = "check network access to Binance from this machine; the check runs again next cycle"
    return Result(
        account=account,
        check=check,
        status=status,
        summary=summary,
        codes=codes,
        details=details,
        metrics=dict(metrics or {}),
        fix=fix,
        risk_codes=risk,
        refs=refs,
    )


def fmt_ts(ts_seconds: float) -> str:
    return time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime(ts_seconds))


def fmt_duration(seconds: float) -> str:
    seconds = max(0, int(seconds))
    if seconds >= 86400:
        return f"{seconds / 86400:.1f} days"
    if seconds >= 3600:
        return f"{seconds / 3600:.1f} h"
    if seconds >= 60:
        return f"{seconds // 60} min"
    return f"{seconds} s"
