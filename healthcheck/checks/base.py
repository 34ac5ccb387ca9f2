"""What every check shares: the facts a run fetched, and helpers to turn them into results.

A check never does I/O. The runner asks each check which endpoints it ``needs``, fetches the
union once (concurrently), and hands the same :class:`Facts` to every check's ``evaluate``.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

from healthcheck.config import AccountConfig
from healthcheck.gateway import FetchError, Outcome, WeightBook
from healthcheck.ntp import NtpVerdict
from healthcheck.result import Result, Status, worst

AUTH_CODES = {-2014, -2015, -1022}


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


@dataclass
class Facts:
    account: AccountConfig
    outcomes: dict[str, Outcome]
    time: dict[str, TimeMeasurement]
    ntp: NtpVerdict | None
    exchange: dict[str, ExchangeLimits]
    book: WeightBook
    test_orders: list[tuple[str, str, Outcome]] = field(default_factory=list)
    now: float = field(default_factory=time.time)

    def get(self, name: str) -> Outcome | None:
        return self.outcomes.get(name)


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
        raise SchemaError(f"{where}: field '{key}' is not a plausible number "
                          f"({str(value)[:20]!r})")
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
        return (f"{what}: Binance rejected the signed request with -1021 (timestamp outside "
                "recvWindow), see the clock check")
    if err.code in AUTH_CODES:
        return f"{what}: Binance rejected the API key ({err.code}), see the api_key check"
    return f"{what}: {err.message}"


@dataclass
class Finding:
    status: Status
    text: str
    codes: list[int] = field(default_factory=list)
    fix: str = ""
    risk_codes: list[int] = field(default_factory=list)


def combine(account: str, check: str, findings: list[Finding], *, ok_summary: str,
            unknown: list[str], details: dict[str, Any] | None = None,
            metrics: dict[str, Any] | None = None) -> Result:
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
    for f in bad:
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
    return Result(account=account, check=check, status=status, summary=summary, codes=codes,
                  details=details, metrics=dict(metrics or {}), fix=fix,
                  risk_codes=risk)


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
