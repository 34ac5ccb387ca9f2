"""The planner: from the due checks' declared needs to one plan of requests, and its cost.

Pure (no I/O, no third-party import). Given the config, the checks due and the accounts, it
merges every check's :class:`~healthcheck.exchange.fetch.Request` into one deduplicated list: a
signed request once per account, a public one once per host (two accounts on the same host share
the answer), exchangeInfo once per host and market (its symbols merged). The executor
(:class:`healthcheck.engine.runner.Runner`) sends the plan; ``binance-healthcheck plan`` prints
it with the weight per request and per minute per pool at the configured intervals, so a user
sees the cost before running anything.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING

from healthcheck.checks import build_checks
from healthcheck.exchange.endpoints import ENDPOINTS, Endpoint
from healthcheck.exchange.fetch import Params, Request
from healthcheck.model.markets import MARKETS, POOLS
from healthcheck.storage.redact import strip_userinfo

if TYPE_CHECKING:
    from healthcheck.checks.base import Check
    from healthcheck.config import Config
    from healthcheck.exchange.account import AccountConfig


@dataclass
class Planned:
    """One request of the plan: who sends it, to which host, and which checks read it."""

    request: Request
    base: str
    account: str  # the account whose client sends it (any account on the host, if public)
    public: bool
    reuse_seconds: float = 0.0
    checks: set[str] = field(default_factory=set)
    readers: set[str] = field(default_factory=set)  # accounts whose facts get the answer

    @property
    def endpoint(self) -> Endpoint:
        return ENDPOINTS[self.request.endpoint]

    @property
    def weight(self) -> int:
        return self.endpoint.weight_for(self.request.params)

    @property
    def pool(self) -> str:
        return self.endpoint.pool

    @property
    def per_host(self) -> bool:
        """True when one answer serves every account on the host: public requests, and signed
        ones whose answer is not the account's (the spot delist schedule)."""
        return self.public or self.endpoint.per_host

    @property
    def key(self) -> tuple[str, str, str, Params]:
        """Dedup key: public answers are shared per host, signed ones are per account."""
        owner = "" if self.per_host else self.account
        return (owner, self.base, self.request.endpoint, self.request.params)


@dataclass
class TimeSampling:
    """Server-time samples for one (host, market): for the clock check and for signing."""

    base: str
    market: str
    account: str
    samples: int
    for_clock: bool  # a due check reads the samples (else only signing needs an offset)
    check: str = ""  # the check that reads them (its interval is how often they go out)


@dataclass
class ExchangeNeed:
    """exchangeInfo of one (host, market): cached for ``ttl`` seconds, digested to the limits
    and the wanted symbols."""

    base: str
    market: str
    account: str
    symbols: set[str] = field(default_factory=set)
    checks: set[str] = field(default_factory=set)


@dataclass
class Plan:
    checks: dict[str, list[Check]]  # account -> checks due for it, in registry order
    requests: list[Planned]
    time: list[TimeSampling]
    exchange: list[ExchangeNeed]
    ntp: bool

    def for_account(self, account: str) -> list[Planned]:
        return [p for p in self.requests if account in p.readers]


Due = set[str] | Mapping[str, set[str]] | None


def due_checks(cfg: Config, due: Due, accounts: Iterable[AccountConfig]) -> dict[str, list[Check]]:
    """Given the checks due (None: all; a mapping: per account, as the daemon's schedule
    staggers them), return per account the checks that apply to it."""
    if isinstance(due, Mapping):
        every = build_checks(cfg.checks, None)
        return {
            a.name: [
                c for c in every if c.id in due.get(a.name, ()) and a.runs(c.id) and c.applies(a)
            ]
            for a in accounts
        }
    checks = build_checks(cfg.checks, due)
    return {a.name: [c for c in checks if a.runs(c.id) and c.applies(a)] for a in accounts}


def build_plan(
    cfg: Config,
    due: Due = None,
    accounts: Iterable[str] | None = None,
    ensure: Mapping[str, Iterable[Request]] | None = None,
) -> Plan:
    """Given the config, the checks due, the accounts (None: all) and per account the requests
    to send even when no due check reads them (the runner's Portfolio Margin probes), return the
    merged plan."""
    accs = [a for a in cfg.accounts if accounts is None or a.name in set(accounts)]
    per_account = due_checks(cfg, due, accs)
    planned: dict[tuple[str, str, str, Params], Planned] = {}
    exchange: dict[tuple[str, str], ExchangeNeed] = {}
    time_: dict[tuple[str, str], TimeSampling] = {}
    ntp = False
    for a in accs:
        signed_markets: set[str] = set()
        for c in per_account[a.name]:
            if c.wants_ntp and cfg.ntp.servers:
                ntp = True
            if c.wants_time_samples:
                samples = int(getattr(c.settings, "samples", 1))
                for m in a.markets:
                    if MARKETS[m].time_endpoint is None:
                        continue
                    key = (a.base_url(m), m)
                    t = time_.get(key)
                    if t is None or not t.for_clock or t.samples < samples:
                        time_[key] = TimeSampling(key[0], m, a.name, samples, True, c.id)
            for req in c.needs(a):
                ep = ENDPOINTS[req.endpoint]
                base = a.base_url(ep.market)
                if ep.role == "exchange_info":
                    need = exchange.setdefault(
                        (base, ep.market), ExchangeNeed(base, ep.market, a.name)
                    )
                    need.symbols |= {
                        s for k, v in req.params if k == "symbols" for s in v.split(",") if s
                    }
                    need.checks.add(c.id)
                    continue
                if ep.signed:
                    signed_markets.add(ep.market)
                p = Planned(req, base, a.name, not ep.signed, req.reuse_seconds)
                existing = planned.get(p.key)
                if existing is None:
                    planned[p.key] = existing = p
                else:
                    # the shortest reuse wins: the check that wants the freshest answer gets it
                    existing.reuse_seconds = min(existing.reuse_seconds, req.reuse_seconds)
                existing.checks.add(c.id)
                existing.readers.add(a.name)
            if c.has_followups:
                # followups are signed requests of this account's markets (e.g. test orders)
                signed_markets |= set(a.markets)
        for req in (ensure or {}).get(a.name, ()):
            ep = ENDPOINTS[req.endpoint]
            p = Planned(req, a.base_url(ep.market), a.name, not ep.signed, req.reuse_seconds)
            planned.setdefault(p.key, p).readers.add(a.name)
            if ep.signed:
                signed_markets.add(ep.market)
        for m in signed_markets:
            if MARKETS[m].time_endpoint is None:
                continue  # signed with the offset of another market of the account (/papi)
            key = (a.base_url(m), m)
            time_.setdefault(key, TimeSampling(key[0], m, a.name, 1, False))
    return Plan(
        per_account, list(planned.values()), list(time_.values()), list(exchange.values()), ntp
    )


def with_accounts(base: Plan, other: Plan, names: Iterable[str]) -> Plan:
    """Given a plan, another plan for some of its accounts and the names of those accounts,
    return the plan in which they read as ``other`` plans them (their reads in ``base`` are
    dropped; a request both plan is kept once)."""
    moved = set(names)
    requests: dict[tuple[str, str, str, Params], Planned] = {}
    for p in base.requests:
        if p.readers - moved:
            requests[p.key] = replace(p, checks=set(p.checks), readers=p.readers - moved)
    for q in other.requests:
        if not q.readers & moved:
            continue
        have = requests.get(q.key)
        if have is None:
            requests[q.key] = replace(q, checks=set(q.checks), readers=q.readers & moved)
        else:
            have.checks |= q.checks
            have.readers |= q.readers & moved
            have.reuse_seconds = min(have.reuse_seconds, q.reuse_seconds)
    times = {(t.base, t.market): t for t in base.time}
    for t in other.time:
        times.setdefault((t.base, t.market), t)
    exchange = {(e.base, e.market): replace(e, symbols=set(e.symbols)) for e in base.exchange}
    for e in other.exchange:
        have_e = exchange.setdefault((e.base, e.market), replace(e, symbols=set()))
        have_e.symbols |= e.symbols
        have_e.checks = have_e.checks | e.checks
    checks = {n: (other.checks[n] if n in moved else cs) for n, cs in base.checks.items()}
    return Plan(
        checks, list(requests.values()), list(times.values()), list(exchange.values()), base.ntp
    )


# ---------------------------------------------------------------------------------- cost


@dataclass
class CostRow:
    what: str  # endpoint path with parameters
    pool: str
    weight: int
    every_seconds: float
    checks: str
    accounts: int
    account: str = ""  # whose request it is (a public one: the account that planned it first)

    @property
    def per_minute(self) -> float:
        return self.weight * 60.0 / self.every_seconds


def interval_of(cfg: Config, check_id: str) -> float:
    s = cfg.checks.get(check_id)
    return float(s.interval if s.interval is not None else cfg.daemon.interval)


def cost(cfg: Config) -> list[CostRow]:
    """Given a config, return what the daemon sends at its configured intervals: one row per
    distinct request, how often it goes out, and its weight."""
    plan = build_plan(cfg)
    tick = min([interval_of(cfg, c.id) for c in build_checks(cfg.checks)] or [cfg.daemon.interval])
    return (
        [_request_row(cfg, p, tick) for p in plan.requests]
        + [_time_row(cfg, t) for t in plan.time]
        + [_exchange_row(cfg, e) for e in plan.exchange]
        + _followup_rows(cfg, plan)
    )


def _request_row(cfg: Config, p: Planned, tick: float) -> CostRow:
    """A planned request, at the shortest interval of its readers (at most once a tick)."""
    every = min(interval_of(cfg, c) for c in p.checks)
    every = max(every, p.reuse_seconds, tick)
    params = "".join(f" {k}={v}" for k, v in p.request.params)
    who = "" if p.per_host else f" ({p.account})"
    return CostRow(
        f"{p.endpoint.method} {p.endpoint.path}{params}{who}",
        p.pool,
        p.weight,
        every,
        ", ".join(sorted(p.checks)),
        len(p.readers),
        p.account,
    )


def _time_row(cfg: Config, t: TimeSampling) -> CostRow:
    """A host's server-time samples: at the clock check's interval, or for signing."""
    ep = ENDPOINTS[MARKETS[t.market].time_endpoint or ""]
    every = interval_of(cfg, t.check) if t.for_clock else 300.0
    # the daemon takes one sample per host while the host's round trips are stable
    # (timing.ClockOffsets.stable), the configured number only while they vary
    vary = f" (x{t.samples} while the round trips vary)" if t.samples > 1 else ""
    return CostRow(
        f"{ep.method} {ep.path} x1 ({strip_userinfo(t.base)})",
        ep.pool,
        ep.weight,
        every,
        t.check + vary if t.for_clock else "(signing offset)",
        1,
        t.account,
    )


def _exchange_row(cfg: Config, e: ExchangeNeed) -> CostRow:
    """exchangeInfo of a host and market, once per ``exchange_info_ttl``."""
    ep = ENDPOINTS[MARKETS[e.market].exchange_info_endpoint or ""]
    return CostRow(
        f"{ep.method} {ep.path}",
        ep.pool,
        ep.weight,
        cfg.daemon.exchange_info_ttl,
        ", ".join(sorted(e.checks)),
        1,
        e.account,
    )


def _followup_rows(cfg: Config, plan: Plan) -> list[CostRow]:
    """Follow-ups (test orders): one per symbol and market, at trading_status' interval."""
    rows: list[CostRow] = []
    for a in cfg.accounts:
        for c in plan.checks.get(a.name, []):
            if not c.has_followups:
                continue
            for m in a.markets:
                test = MARKETS[m].order_test_endpoint
                n = len(a.test_order_symbols)
                if n and test:
                    ep = ENDPOINTS[test]
                    rows.append(
                        CostRow(
                            f"{ep.method} {ep.path} ({a.name}, {n} symbol(s))",
                            ep.pool,
                            ep.weight * n,
                            interval_of(cfg, c.id),
                            c.id,
                            1,
                            a.name,
                        )
                    )
    return rows


def per_account_share(rows: list[CostRow]) -> dict[str, dict[str, float]]:
    """Given cost rows, return per account each pool's share of its limit per minute (public
    requests count for the account that planned them first: other accounts on the same host
    share them)."""
    out: dict[str, dict[str, float]] = {}
    for r in rows:
        acc = out.setdefault(r.account, {})
        acc[r.pool] = acc.get(r.pool, 0.0) + r.per_minute / POOLS[r.pool].default_limit
    return {a: {p: v for p, v in pools.items()} for a, pools in out.items()}


def per_pool_per_minute(rows: list[CostRow]) -> dict[str, float]:
    """Given cost rows, return weight per minute per pool the config uses (table order)."""
    used = {r.pool for r in rows}
    out = {p: 0.0 for p in POOLS if p in used}
    for r in rows:
        out[r.pool] += r.per_minute
    return out
