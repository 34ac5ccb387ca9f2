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
        acc = facts.account
        s = self.settings
        book = facts.book
        findings: list[Finding] = []
        unknown: list[str] = []
        metrics: dict = {}
        details: dict = {}
        seen_bans: set[str] = set()
        worst_ratio = 0.0
        hosts = list(acc.markets) + ([PM_HOST] if facts.pm else [])
        for market in hosts:
            base = acc.base_url(market)
            key = host_key(base, MARKETS[market].pools[0])
            ban = book.active_ban(key)
            product = host_product(acc, market)  # the Portfolio Margin host: its futures row
            if ban is not None and key not in seen_bans:
                seen_bans.add(key)
                until, reason = ban
                details.setdefault("bans", []).append(
                    {"host": key, "until": fmt_ts(until), "reason": reason}
                )
                metrics["ban_seconds_left"] = max(
                    metrics.get("ban_seconds_left", 0), int(until - facts.now)
                )
                findings.append(
                    Finding(
                        Status.CRITICAL,
                        f"{reason}; no requests to {base} "
                        f"until {fmt_ts(until)}: every order fails with -1003",
                        [-1003],
                        fix_for(-1003, product),
                        product=product,
                        # Binance names the end of the ban in epoch milliseconds
                        quotes={-1003: quote(-1003, product, 1, until=int(until * 1000))},
                    )
                )
                continue
            for group in MARKETS[market].pools:
                if acc.testnet and not POOLS[group].on_testnet:
                    continue
                limit = book.limit(base, group)
                used = book.last_used(base, group)
                if used is None:
                    continue
                ratio = used / limit if limit else 0.0
                worst_ratio = max(worst_ratio, ratio)
                metrics[f"used_weight_{group}"] = used
                metrics[f"weight_limit_{group}"] = limit
                label = pool_name(group)
                product = POOLS[group].error_product if MARKETS[market].selectable else product
                said = {-1003: quote(-1003, product, 0, limit=limit, interval="1 MINUTE")}
                if not POOLS[group].limit_confirmed:
                    label += " (limit unconfirmed)"
                if ratio >= s.critical:
                    findings.append(
                        Finding(
                            Status.CRITICAL,
                            f"this IP used {used} of {limit} "
                            f"request weight this minute on {label} "
                            f"({ratio * 100:.0f} %): requests will soon fail "
                            "with -1003 and the IP gets banned",
                            [],
                            fix_for(-1003, product),
                            risk_codes=[-1003],
                            product=product,
                            quotes=said,
                        )
                    )
                elif ratio >= s.warning:
                    findings.append(
                        Finding(
                            Status.WARNING,
                            f"this IP used {used} of {limit} "
                            f"request weight this minute on {label} "
                            f"({ratio * 100:.0f} %)",
                            [],
                            fix_for(-1003, product),
                            risk_codes=[-1003],
                            product=product,
                            quotes=said,
                        )
                    )
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
