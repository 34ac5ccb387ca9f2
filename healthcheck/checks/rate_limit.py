"""rate_limit (-1003): how close is this IP to Binance's request-weight limit, or is it banned?

Every response carries ``X-MBX-USED-WEIGHT-1M`` (``X-SAPI-USED-IP-WEIGHT-1M`` on /sapi): the
weight *all* processes on this IP used this minute. It is compared with the limit from
exchangeInfo (cached), per pool of every market of the account (the pools come from
:mod:`healthcheck.model.markets`). /papi has no exchangeInfo: its limit is the table's unconfirmed
default. A 418/429 seen now or earlier (persisted) is CRITICAL until it ends.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, ClassVar

from healthcheck.checks.base import (
    CheckBase,
    CheckSettings,
    Facts,
    Finding,
    combine,
    fmt_ts,
    host_product,
    setting,
)
from healthcheck.checks.measure import Family, Measurement, Perf, finite, perf_number
from healthcheck.exchange.catalogue import fix_for, quote
from healthcheck.exchange.fetch import Request
from healthcheck.model.markets import MARKETS, PM_HOST, POOLS, host_key, pool_name
from healthcheck.model.result import Result, Status

if TYPE_CHECKING:
    from healthcheck.exchange.account import AccountConfig


@dataclass(frozen=True)
class RateLimitSettings(CheckSettings):
    warning: float = setting(
        0.70,
        "WARNING when this IP used this share of a pool's per-minute "
        "weight limit (all processes on the IP)",
        minimum=0,
        maximum=1,
        exclusive_min=True,
    )
    critical: float = setting(
        0.90, "CRITICAL at this share", minimum=0, maximum=1, exclusive_min=True
    )

    def problems(self) -> list[tuple[str, str]]:
        if self.warning > self.critical:
            return [("warning", f"{self.warning:g} must not exceed critical ({self.critical:g})")]
        return []


WEIGHT_RATIO = Family(
    "ip_weight_used_ratio",
    "Request weight this IP used this minute / the limit, per pool (api, sapi, fapi, dapi, papi)",
    ("pool",),
)
WEIGHT_USED = Family(
    "ip_weight_used", "Request weight this IP used this minute, per pool", ("pool",)
)
WEIGHT_LIMIT = Family("ip_weight_limit", "Request weight limit per minute, per pool", ("pool",))


@dataclass(frozen=True)
class RateLimitCheck(CheckBase):
    settings: RateLimitSettings
    id: ClassVar[str] = "rate_limit"
    title: ClassVar[str] = "request weight used by this IP, bans (418/429)"
    Settings: ClassVar[type[CheckSettings]] = RateLimitSettings
    families: ClassVar[tuple[Family, ...]] = (WEIGHT_RATIO, WEIGHT_USED, WEIGHT_LIMIT)

    def measurements(self, result: Result, run_started_at: float) -> list[Measurement]:
        """Each pool's weight used and limit. Weight is per IP: every account of this daemon
        reads the same pools, so they rank by ratio for Prometheus and by weight used for the
        perfdata (the highest reading is shown)."""
        s = self.settings
        out = []
        for pool in POOLS:
            used = finite(result.metrics.get(f"used_weight_{pool}"))
            limit = finite(result.metrics.get(f"weight_limit_{pool}"))
            if used is None or not limit:
                continue
            ratio = used / limit
            perf = Perf(
                f"ip_weight_used {pool}",
                used,
                "",
                perf_number(s.warning * limit),
                perf_number(s.critical * limit),
                "0",
                perf_number(limit),
                per_ip=True,
                rank=used,
            )
            out.append(Measurement(WEIGHT_RATIO, (pool,), ratio, rank=ratio))
            out.append(Measurement(WEIGHT_USED, (pool,), used, perf, rank=ratio))
            out.append(Measurement(WEIGHT_LIMIT, (pool,), limit, rank=ratio))
        return out

    def needs(self, account: AccountConfig) -> list[Request]:
        # the limits come from exchangeInfo (cached); the usage from every answer's headers,
        # so this check runs after the others of its run
        return [Request(ex) for m in account.markets if (ex := MARKETS[m].exchange_info_endpoint)]

    def evaluate(self, facts: Facts) -> Result:
        """Given the weight book (bans and this run's headers), return the bans of the
        account's hosts, then each pool's reading judged against its limit."""
        acc = facts.account
        findings: list[Finding] = []
        metrics: dict = {}
        details: dict = {}
        seen_bans: set[str] = set()
        worst_ratio = 0.0
        hosts = list(acc.markets) + ([PM_HOST] if facts.pm else [])
        for market in hosts:
            key = host_key(acc.base_url(market), MARKETS[market].pools[0])
            ban = facts.book.active_ban(key)
            if ban is not None and key not in seen_bans:
                seen_bans.add(key)
                findings.append(_ban_finding(facts, market, key, ban, details, metrics))
                continue
            pool_findings, ratio = self._pool_readings(facts, market, metrics)
            findings += pool_findings
            worst_ratio = max(worst_ratio, ratio)
        unknown: list[str] = []
        if not findings and not any(f"used_weight_{p}" in metrics for p in POOLS):
            unknown.append("no weight header received from Binance this run")
        metrics["used_weight_ratio"] = round(worst_ratio, 4)
        return combine(
            acc.name,
            self.id,
            findings,
            ok_summary=f"request weight at {worst_ratio * 100:.1f} % of the limit",
            unknown=unknown,
            details=details,
            metrics=metrics,
        )

    def _pool_readings(
        self, facts: Facts, market: str, metrics: dict
    ) -> tuple[list[Finding], float]:
        """Given a market's host, return a finding per pool near its limit and the highest
        share of a limit used (0 without readings); the readings go to the metrics."""
        acc, book = facts.account, facts.book
        base = acc.base_url(market)
        host_prod = host_product(acc, market)  # the Portfolio Margin host: its futures row
        findings: list[Finding] = []
        worst_ratio = 0.0
        for group in MARKETS[market].pools:
            if acc.testnet and not POOLS[group].on_testnet:
                continue
            limit = book.limit(base, group)
            used = book.last_used(base, group)
            if used is None:
                continue
            worst_ratio = max(worst_ratio, used / limit if limit else 0.0)
            metrics[f"used_weight_{group}"] = used
            metrics[f"weight_limit_{group}"] = limit
            product = POOLS[group].error_product if MARKETS[market].selectable else host_prod
            findings += self._judge_pool(group, used, limit, product)
        return findings, worst_ratio

    def _judge_pool(self, group: str, used: int, limit: int, product: str) -> list[Finding]:
        """Given a pool's weight used this minute and its limit, return a CRITICAL or WARNING
        finding when the share used reaches the thresholds."""
        s = self.settings
        ratio = used / limit if limit else 0.0
        label = pool_name(group)
        if not POOLS[group].limit_confirmed:
            label += " (limit unconfirmed)"
        said = {-1003: quote(-1003, product, 0, limit=limit, interval="1 MINUTE")}
        reading = (
            f"this IP used {used} of {limit} request weight this minute on {label} "
            f"({ratio * 100:.0f} %)"
        )
        if ratio >= s.critical:
            status = Status.CRITICAL
            reading += ": requests will soon fail with -1003 and the IP gets banned"
        elif ratio >= s.warning:
            status = Status.WARNING
        else:
            return []
        return [
            Finding(
                status,
                reading,
                [],
                fix_for(-1003, product),
                risk_codes=[-1003],
                product=product,
                quotes=said,
            )
        ]


def _ban_finding(
    facts: Facts,
    market: str,
    key: str,
    ban: tuple[float, str],
    details: dict,
    metrics: dict,
) -> Finding:
    """Given an active 418/429 ban of a market's host (its end and reason), return the CRITICAL
    finding; the ban goes to the details and its time left to the metrics."""
    until, reason = ban
    base = facts.account.base_url(market)
    product = host_product(facts.account, market)  # the Portfolio Margin host: its futures row
    details.setdefault("bans", []).append({"host": key, "until": fmt_ts(until), "reason": reason})
    metrics["ban_seconds_left"] = max(metrics.get("ban_seconds_left", 0), int(until - facts.now))
    return Finding(
        Status.CRITICAL,
        f"{reason}; no requests to {base} until {fmt_ts(until)}: every order fails with -1003",
        [-1003],
        fix_for(-1003, product),
        product=product,
        # Binance names the end of the ban in epoch milliseconds
        quotes={-1003: quote(-1003, product, 1, until=int(until * 1000))},
    )
