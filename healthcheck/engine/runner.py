"""One run of the checks: plan the requests, send them concurrently once, evaluate, report.

The runner is the executor of :mod:`healthcheck.engine.plan` and names no check. Acquisition is
separate from evaluation: every due check declares the requests it needs, the planner merges
them (each request at most once per run, public ones once per host, answers that may be reused
taken from this process or from ``state_dir``), and every check evaluates the same facts.
Server time is sampled first, in parallel with the public requests and NTP, and its offset is
applied to the signed requests of that market as soon as it is known, so a skewed local clock
makes the clock check CRITICAL instead of making every other check UNKNOWN. A process that ran
within five minutes signs at once with the offset and weight readings it kept in ``state_dir``.

A run's phases, in order (:meth:`Runner.run`): resolve the accounts and plan; ask the bots'
signs of life; start the server-time samples; send NTP, the public requests and exchangeInfo;
sign and send each host's requests as its time arrives; read exchangeInfo and NTP; build the
facts; send the follow-ups; evaluate; record. What the runner keeps between runs lives in its
own modules: :mod:`~healthcheck.engine.cache` (kept answers and weight readings),
:mod:`~healthcheck.engine.timing` (clock offsets), :mod:`~healthcheck.engine.reuse` (which
answers a run may read again), :mod:`~healthcheck.engine.exchangeinfo`,
:mod:`~healthcheck.engine.botconfigs` and :mod:`~healthcheck.engine.portfolio`.
"""

from __future__ import annotations

import logging
import time
import traceback
from collections.abc import Callable
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, field, replace
from typing import Any

from healthcheck.bots import probe
from healthcheck.checks.base import ExchangeLimits, Facts, TimeMeasurement
from healthcheck.config import Config
from healthcheck.engine.botconfigs import BotConfigPoller
from healthcheck.engine.cache import AnswerCache
from healthcheck.engine.exchangeinfo import ExchangeInfoReader
from healthcheck.engine.plan import Due, Plan, Planned, build_plan, with_accounts
from healthcheck.engine.portfolio import PAPI_PROBE, RESTRICTIONS, PortfolioMarginProbe
from healthcheck.engine.reuse import AnswerReuse
from healthcheck.engine.timing import ClockOffsets, HostKey, measure
from healthcheck.exchange import ntp as ntp_mod
from healthcheck.exchange.account import AccountConfig
from healthcheck.exchange.fetch import FetchError, FetchErrorKind, Outcome, Request
from healthcheck.exchange.gateway import AccountGateway, WeightBook
from healthcheck.model.markets import MARKETS
from healthcheck.model.result import Result, Status, worst
from healthcheck.storage.redact import scrub

log = logging.getLogger(__name__)


@dataclass
class Report:
    results: list[Result]
    metrics: dict[str, Any] = field(default_factory=dict)
    started_at: float = 0.0
    # (account, check) not evaluated: a request it needs waits for this daemon's own weight
    # budget; it keeps its last result and runs again at the next tick
    deferred: set[tuple[str, str]] = field(default_factory=set)

    @property
    def status(self) -> Status:
        return worst([r.status for r in self.results])

    def to_json(self) -> dict[str, Any]:
        return {
            "status": self.status.name,
            "metrics": dict(self.metrics),
            "results": [r.to_json() for r in self.results],
        }


def _scrub_value(value: Any) -> Any:
    if isinstance(value, str):
        return scrub(value)
    if isinstance(value, list):
        return [_scrub_value(v) for v in value]
    if isinstance(value, dict):
        return {k: _scrub_value(v) for k, v in value.items()}
    return value


def _scrub_result(r: Result) -> Result:
    r.summary = scrub(r.summary)
    r.fix = scrub(r.fix)
    r.details = _scrub_value(r.details)
    r.refs = [replace(x, text=scrub(x.text)) for x in r.refs]
    return r


Key = tuple[str, str, str, tuple[tuple[str, str], ...]]  # a planned request's key


@dataclass
class _Flight:
    """One run in flight: its plan and the requests sent (or answers reused) so far."""

    cfg: Config
    plan: Plan
    accs: list[AccountConfig]
    alive_futs: dict[str, Future] = field(default_factory=dict)
    time_futs: dict[HostKey, list[Future]] = field(default_factory=dict)
    clock_keys: set[HostKey] = field(default_factory=set)  # sampled for the clock check
    measurements: dict[HostKey, TimeMeasurement] = field(default_factory=dict)
    ntp_fut: Future | None = None
    futs: dict[Key, Future] = field(default_factory=dict)
    reused: dict[Key, Outcome] = field(default_factory=dict)
    exchange: dict[HostKey, ExchangeLimits] = field(default_factory=dict)
    exinfo_futs: dict[HostKey, tuple[Future, set[str]]] = field(default_factory=dict)
    signed: set[HostKey] = field(default_factory=set)  # hosts whose signed requests went


class Runner:
    """Executes plans for the configured accounts; keeps clients and caches between runs."""

    def __init__(
        self,
        config: Config,
        state: Any = None,
        *,
        budget_share: float | None = None,
        bot_logs: Any = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        """``bot_logs`` (a healthcheck.logwatch Watcher) gives the bot_errors check its facts;
        ``clock`` (wall time) dates the kept answers."""
        self.config = config
        self.bot_logs = bot_logs
        self._latest: dict[tuple[str, str], Result] = {}  # the latest result per check
        self.state = state
        self.book = WeightBook(state, budget_share=budget_share)
        self.gateways = AccountGateway.build_many(
            config.accounts, self.book, timeout=config.daemon.request_timeout
        )
        self.pool = ThreadPoolExecutor(
            max_workers=config.daemon.max_workers, thread_name_prefix="fetch"
        )
        self.cache = AnswerCache(state, clock)
        self.clocks = ClockOffsets(self.cache)
        self.reuse = AnswerReuse(config, self.cache, self._latest)
        self.exinfo = ExchangeInfoReader(self.cache, self.book)
        self.bots = BotConfigPoller(config)
        self.pm = PortfolioMarginProbe(config, self.cache)
        self.ntp = ntp_mod.NtpClient()
        self.last_plan: Plan | None = None
        hosts = [(a.base_url(m), m) for a in config.accounts for m in a.hosts]
        self.clocks.load(hosts)
        self.cache.load_weights(hosts, self.book, time.time())

    @property
    def share_seconds(self) -> dict[str, float]:
        """The daemon's stretched interval per check (empty: every run asks afresh)."""
        return self.reuse.share_seconds

    @share_seconds.setter
    def share_seconds(self, value: dict[str, float]) -> None:
        self.reuse.share_seconds = value

    def close(self) -> None:
        self.cache.save_weights(self.book)
        self.pool.shutdown(wait=False, cancel_futures=True)
        AccountGateway.close_many(self.gateways.values())

    def poll_bots(self) -> bool:
        """Re-read the bot configs that changed; True when one says something new (the daemon
        then reloads). See :class:`~healthcheck.engine.botconfigs.BotConfigPoller`."""
        return self.bots.poll()

    def resolved_config(self) -> Config:
        """The config with each "auto" Portfolio Margin answer found earlier filled in."""
        return self.pm.resolved_config()

    # ------------------------------------------------------------------ the run
    def run(self, due: Due = None, accounts: list[str] | None = None) -> Report:
        """Given the checks due (None: all; a mapping: per account), run them for every
        account and return the report."""
        started = time.time()
        t0 = time.monotonic()
        self.book.reset_run()
        fl = self._plan(due, accounts)
        self._probe_bots(fl)
        self._start_time_samples(fl)
        self._send_public(fl)
        self._sign_as_time_arrives(fl)
        self._settle_portfolio_margin(fl, due)
        for (base, m), (fut, wanted) in fl.exinfo_futs.items():
            fl.exchange[(base, m)] = self.exinfo.from_answer(fut.result(), base, m, wanted)
        facts = self._facts(fl, _ntp_verdict(fl))
        follow = self._followups(fl, facts)
        results, deferred = self._evaluate(fl, facts, follow)
        self.cache.save_weights(self.book)
        metrics = {
            "request_weight": self.book.run_weight,
            "requests": self.book.run_requests,
            "duration_ms": round((time.monotonic() - t0) * 1000, 1),
            "accounts": len(fl.accs),
        }
        if deferred:
            metrics["deferred"] = len(deferred)
        return Report(results, metrics, started, deferred)

    def _plan(self, due: Due, accounts: list[str] | None) -> _Flight:
        """Resolve the accounts (bot configs, Portfolio Margin "auto" found earlier) and plan
        the run: an account "auto" has not settled is planned classic, with its key's
        restrictions (they say whether /papi is worth asking)."""
        self.poll_bots()
        cfg = self.resolved_config()
        todo = self.pm.unsettled(a for a in cfg.accounts if accounts is None or a.name in accounts)
        plan = build_plan(cfg, due, accounts, {n: [Request(RESTRICTIONS)] for n in todo})
        self.last_plan = plan
        return _Flight(cfg, plan, [a for a in cfg.accounts if a.name in plan.checks])

    def _probe_bots(self, fl: _Flight) -> None:
        """Ask the bots' signs of life (systemctl, their REST API), alongside the requests."""
        for a in fl.accs:
            if any(c.id == "bot_alive" for c in fl.plan.checks[a.name]):
                fl.alive_futs[a.name] = self.pool.submit(
                    probe.gather, a, self.bot_logs, fl.cfg.daemon.request_timeout
                )

    def _start_time_samples(self, fl: _Flight) -> None:
        """Sample the server time per (base, market), for the clock check and for signing;
        skip hosts whose offset is recent, or sampled by another account's clock turn."""
        for t in fl.plan.time:
            key = (t.base, t.market)
            if not t.for_clock and self.clocks.recent(key):
                continue
            if t.for_clock and self.clocks.shared(key, self.share_seconds.get(t.check, 0.0)):
                # another account's turn sampled this host within the clock interval
                fl.measurements[key] = self.clocks.offsets[key]
                continue
            ep = MARKETS[t.market].time_endpoint or ""
            samples = 1 if t.for_clock and self.clocks.stable(key) else t.samples
            if t.for_clock:
                fl.clock_keys.add(key)
            gw = self.gateways[t.account]
            fl.time_futs[key] = [gw.submit(self.pool, ep) for _ in range(samples)]

    def _send_public(self, fl: _Flight) -> None:
        """Send NTP, the public requests and exchangeInfo, in parallel with the time samples
        (or read the answers kept for them)."""
        if fl.plan.ntp:
            fl.ntp_fut = self.pool.submit(self.ntp.measure, fl.cfg.ntp, self.pool.submit)
        for p in fl.plan.requests:
            if p.public:
                self._send_or_reuse(p, fl)
        for need in fl.plan.exchange:
            kept = self.exinfo.kept(need, fl.cfg.daemon.exchange_info_ttl)
            if kept is not None:
                fl.exchange[(need.base, need.market)] = kept
                continue
            ep = MARKETS[need.market].exchange_info_endpoint or ""
            fl.exinfo_futs[(need.base, need.market)] = (
                self.gateways[need.account].submit(self.pool, ep),
                need.symbols,
            )

    def _send_or_reuse(self, p: Planned, fl: _Flight) -> None:
        if p.key in fl.futs or p.key in fl.reused:
            return
        kept = self.reuse.kept(p)
        if kept is not None:
            fl.reused[p.key] = kept
            return
        fl.futs[p.key] = self.gateways[p.account].submit(
            self.pool, p.request.endpoint, dict(p.request.params) or None
        )

    def _send_signed(self, fl: _Flight, key: HostKey) -> None:
        """Given a host whose time is known, apply its offset to every account on it and send
        (or reuse) its signed requests."""
        base, market = key
        m = fl.measurements.get(key) or self.clocks.offsets.get(key)
        if m is None and MARKETS[market].time_endpoint is None:
            # a host without server time (/papi): the offset measured on another host (the
            # offset is this machine's clock against Binance's)
            known = [*fl.measurements.values(), *self.clocks.offsets.values()]
            m = next((x for x in known if x.offset_ms is not None), None)
        if m is not None and m.offset_ms is not None:
            for a in fl.accs:
                if a.base_url(market) == base and market in a.markets:
                    self.gateways[a.name].set_offset(market, -m.offset_ms)
        for p in fl.plan.requests:
            if not p.public and p.endpoint.market == market and p.base == base:
                self._send_or_reuse(p, fl)
        fl.signed.add(key)

    def _sign_as_time_arrives(self, fl: _Flight) -> None:
        """Measure each host's time as its samples arrive and send its signed requests then
        (at once where a recent offset is good enough); then those of hosts without a time
        plan."""
        for t in fl.plan.time:
            key = (t.base, t.market)
            if key not in fl.time_futs or self.clocks.recent(key):
                # a recent offset is good enough for signing: no round trip before signed calls
                self._send_signed(fl, key)
        pending = {f: key for key, fs in fl.time_futs.items() for f in fs}
        while pending:
            done, _ = wait(list(pending), return_when=FIRST_COMPLETED)
            for f in done:
                pending.pop(f)
            for key, fs in fl.time_futs.items():
                if key not in fl.measurements and all(f.done() for f in fs):
                    outs = [f.result() for f in fs]
                    fl.measurements[key] = measure(key[1], outs)
                    self.clocks.record(
                        key, fl.measurements[key], outs, for_clock=key in fl.clock_keys
                    )
                    if key not in fl.signed:
                        self._send_signed(fl, key)
        for p in fl.plan.requests:  # signed requests of markets without a time plan
            if not p.public and (p.base, p.endpoint.market) not in fl.signed:
                self._send_signed(fl, (p.base, p.endpoint.market))

    def _settle_portfolio_margin(self, fl: _Flight, due: Due) -> None:
        """Settle the "auto" accounts by their keys' restrictions, sent with the run's signed
        reads. A key that may trade under Portfolio Margin has its account's /papi reads sent
        (with ``/papi/v1/account``, whose answer settles it); under Portfolio Margin, its
        classic futures answers (refused) are dropped and the /papi ones read instead."""
        maybe = [
            a.name
            for a in fl.accs
            if a.pm is None and self.pm.read_restrictions(a, self._answer(fl, a, RESTRICTIONS))
        ]
        if maybe:
            classic = fl.plan
            cfg = replace(
                fl.cfg,
                accounts=tuple(
                    replace(a, portfolio_margin=True) if a.name in maybe else a
                    for a in fl.cfg.accounts
                ),
            )
            papi = build_plan(cfg, due, maybe, {n: [Request(PAPI_PROBE)] for n in maybe})
            fl.plan = with_accounts(classic, papi, maybe)
            self._send_more(fl)
            pm = [n for n in maybe if self._read_papi(fl, cfg, n)]
            fl.plan = with_accounts(classic, papi, pm)
        # the accounts as settled (a refused /papi probe makes an account classic)
        fl.cfg = self.resolved_config()
        fl.accs = [a for a in fl.cfg.accounts if a.name in fl.plan.checks]
        self.last_plan = fl.plan

    def _read_papi(self, fl: _Flight, cfg: Config, name: str) -> bool:
        acc = next(a for a in cfg.accounts if a.name == name)
        return self.pm.read_papi(acc, self._answer(fl, acc, PAPI_PROBE)) is True

    def _answer(self, fl: _Flight, a: AccountConfig, endpoint: str) -> Outcome | None:
        """Given an account and an endpoint it planned without parameters, return its answer
        (waiting for it); None when it was not sent."""
        for p in fl.plan.requests:
            if p.request.endpoint == endpoint and a.name in p.readers and not p.request.params:
                if p.key in fl.reused:
                    return fl.reused[p.key]
                if p.key in fl.futs:
                    return fl.futs[p.key].result()
        return None

    def _send_more(self, fl: _Flight) -> None:
        """Send what a plan changed during the run added: exchangeInfo, public requests, and
        the signed ones with their hosts' offsets (known by now)."""
        for need in fl.plan.exchange:
            hk = (need.base, need.market)
            if hk not in fl.exchange and hk not in fl.exinfo_futs:
                ep = MARKETS[need.market].exchange_info_endpoint or ""
                fl.exinfo_futs[hk] = (
                    self.gateways[need.account].submit(self.pool, ep),
                    need.symbols,
                )
        hosts: set[HostKey] = set()
        for p in fl.plan.requests:
            if p.key in fl.futs or p.key in fl.reused:
                continue
            if p.public:
                self._send_or_reuse(p, fl)
            else:
                hosts.add((p.base, p.endpoint.market))
        for key in sorted(hosts):
            self._send_signed(fl, key)

    def _facts(self, fl: _Flight, ntp_verdict: Any) -> dict[str, Facts]:
        """Given the answers, return the facts per account."""
        facts: dict[str, Facts] = {}
        for a in fl.accs:
            facts[a.name] = Facts(
                account=a,
                outcomes=_outcomes(fl.plan.for_account(a.name), fl, self.reuse),
                time={
                    m: fl.measurements[(a.base_url(m), m)]
                    for m in a.markets
                    if (a.base_url(m), m) in fl.measurements
                },
                ntp=ntp_verdict,
                exchange={
                    m: fl.exchange.get((a.base_url(m), m), ExchangeLimits()) for m in a.markets
                },
                book=self.book,
                now=time.time(),
                bot_config_error=self.bots.errors.get(a.name),
            )
        return facts

    def _followups(
        self, fl: _Flight, facts: dict[str, Facts]
    ) -> dict[str, list[tuple[Request, Future]]]:
        """Send the requests built from the first answers; add their answers to the facts."""
        follow: dict[str, list[tuple[Request, Future]]] = {}
        for a in fl.accs:
            for c in fl.plan.checks[a.name]:
                if not c.has_followups:
                    continue
                for req in c.followups(a, facts[a.name]):
                    fut = self.gateways[a.name].submit(self.pool, req.endpoint, dict(req.params))
                    follow.setdefault(a.name, []).append((req, fut))
        for name, items in follow.items():
            for req, fut in items:
                facts[name].outcomes[req.key] = fut.result()
        return follow

    def _evaluate(
        self,
        fl: _Flight,
        facts: dict[str, Facts],
        follow: dict[str, list[tuple[Request, Future]]],
    ) -> tuple[list[Result], set[tuple[str, str]]]:
        """Evaluate, in registry order (rate_limit last: it reads every answer's headers);
        return the results and the (account, check) deferred for the weight budget."""
        results: list[Result] = []
        deferred: set[tuple[str, str]] = set()
        for a in fl.accs:
            af = facts[a.name]
            self._local_facts(a, af, fl)
            waiting = _deferred(a, fl.plan, af, follow.get(a.name, []))
            for c in fl.plan.checks[a.name]:
                if c.id in waiting:
                    deferred.add((a.name, c.id))
                    continue
                r = _evaluate_one(c, a, af)
                if r is not None:
                    results.append(r)
                    af.results = [x for x in af.results if x.check != r.check] + [r]
                    self._latest[(a.name, r.check)] = r
        return results, deferred

    def _local_facts(self, a: AccountConfig, af: Facts, fl: _Flight) -> None:
        """Add what this machine knows to an account's facts: the latest results, the bot's
        log and its signs of life."""
        af.now = time.time()
        # checks that explain others' findings quote their latest result, even from an
        # earlier run (the daemon runs each check at its own interval)
        af.results = [r for (acc, _c), r in self._latest.items() if acc == a.name]
        if self.bot_logs is not None:
            try:
                af.bot_log = self.bot_logs.facts_for(a.name, af.now)
            except Exception:  # noqa: BLE001 - a broken log store must not stop the run
                log.exception("reading the bot-log facts of %s failed", a.name)
        if a.name in fl.alive_futs:
            try:
                af.bot_alive = fl.alive_futs[a.name].result()
            except Exception:  # noqa: BLE001 - like the bot-log facts
                log.exception("reading the signs of life of %s's bot failed", a.name)
            af.now = time.time()  # the probe may have waited for the bot's API


def _outcomes(planned: list[Planned], fl: _Flight, reuse: AnswerReuse) -> dict:
    """Given an account's planned requests, return their answers (keeping those a later
    run may read)."""
    out: dict = {}
    for p in planned:
        if p.key in fl.reused:
            o = fl.reused[p.key]
        elif p.key in fl.futs:
            o = fl.futs[p.key].result()
            reuse.keep(p, o)
        else:
            o = Outcome(
                p.request.endpoint,
                sent=False,
                error=FetchError(FetchErrorKind.INTERNAL, f"{p.request.label()}: not sent"),
            )
        out[p.request.key] = o
    return out


def _ntp_verdict(fl: _Flight) -> Any:
    if fl.ntp_fut is None:
        return None
    try:
        return fl.ntp_fut.result()
    except Exception:  # noqa: BLE001 - NTP trouble must never break the run
        log.warning("NTP measurement failed:\n%s", traceback.format_exc())
        return None


def _evaluate_one(c: Any, a: AccountConfig, af: Facts) -> Result | None:
    """Given a check and its facts, return its scrubbed result; errors never escape it."""
    try:
        r = c.evaluate(af)
    except Exception:  # noqa: BLE001 - errors never escape a check
        log.error("internal error in %s for %s:\n%s", c.id, a.name, traceback.format_exc())
        r = Result(a.name, c.id, Status.UNKNOWN, f"internal error in {c.id} (see the log)")
    return None if r is None else _scrub_result(r)


def _deferred(a: Any, plan: Plan, facts: Facts, follow: list[tuple[Request, Future]]) -> set[str]:
    """Given an account's facts, return the checks that must wait for this daemon's own
    weight budget: one of the answers they read was not sent for it (never a failure)."""

    def waits(err: FetchError | None) -> bool:
        return err is not None and err.kind is FetchErrorKind.DEFERRED

    out: set[str] = set()
    for p in plan.for_account(a.name):
        o = facts.outcomes.get(p.request.key)
        if o is not None and waits(o.error):
            out |= p.checks
    if any(waits(facts.outcomes[req.key].error) for req, _f in follow):
        out |= {c.id for c in plan.checks[a.name] if c.has_followups}
    if any(waits(m.error) for m in facts.time.values()):
        out |= {c.id for c in plan.checks[a.name] if c.wants_time_samples}
    if any(waits(x.error) for x in facts.exchange.values()):
        out |= {c for need in plan.exchange for c in need.checks}
    return out
