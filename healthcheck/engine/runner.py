"""One run of the checks: plan the requests, send them concurrently once, evaluate, report.

The runner is the executor of :mod:`healthcheck.engine.plan` and names no check. Acquisition is
separate from evaluation: every due check declares the requests it needs, the planner merges
them (each request at most once per run, public ones once per host, answers that may be reused
taken from this process or from ``state_dir``), and every check evaluates the same facts.
Server time is sampled first, in parallel with the public requests and NTP, and its offset is
applied to the signed requests of that market as soon as it is known, so a skewed local clock
makes the clock check CRITICAL instead of making every other check UNKNOWN. A process that ran
within five minutes signs at once with the offset and weight readings it kept in ``state_dir``.
"""

from __future__ import annotations

import hashlib
import logging
import math
import time
import traceback
from collections.abc import Callable
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, field, replace
from typing import Any

from healthcheck.bots import probe
from healthcheck.bots.derived import BotConfigError, Derived, Fingerprint, fingerprint
from healthcheck.bots.link import read_live as read_live_bot_config
from healthcheck.bots.link import uses_live_whitelist
from healthcheck.checks.base import ExchangeLimits, Facts, TimeMeasurement
from healthcheck.config import Config
from healthcheck.engine.plan import Due, Plan, Planned, build_plan
from healthcheck.exchange import ntp as ntp_mod
from healthcheck.exchange.account import AccountConfig
from healthcheck.exchange.fetch import FetchError, FetchErrorKind, Outcome, Request
from healthcheck.exchange.gateway import AccountGateway, WeightBook
from healthcheck.exchange.weights import WeightObservation
from healthcheck.model.markets import MARKETS, PM_HOST
from healthcheck.model.result import Result, Status, worst
from healthcheck.storage.redact import scrub

log = logging.getLogger(__name__)

# how often a freqtrade's live pair list is read again (its VolumePairList refreshes every
# 30 minutes by default; a regex list changes when the exchange lists a pair)
WHITELIST_REFRESH_SECONDS = 300.0


def _meaning(d: Derived) -> tuple[Any, ...]:
    """What a bot config says that the checks use (not the wording of why pairs are unknown,
    which carries the bot API's error text)."""
    return (d.values, d.stake, d.min_stake, d.margin_mode, d.symbols_unknown is None)


OFFSET_REUSE_SECONDS = 300.0  # between clock checks, signed calls reuse the last offset
WEIGHT_REUSE_SECONDS = 300.0  # weight readings a later process may start from
# what "auto" found out about Portfolio Margin is asked again after a day (an account may move)
PM_REMEMBER_SECONDS = 86400.0
# while a check that reads a kept answer is not OK, the answer is kept this long at most: a fix
# shows within a minute, and a problem that lasts for days costs one read a minute, not one a run
BAD_NEWS_REUSE_SECONDS = 60.0
# a host's server-time round trips this close to each other are stable: one sample is enough
STABLE_RTT_MS = 25.0
STABLE_RTT_SHARE = 0.5


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


def _whole(value: Any) -> int:
    """int(value), but an infinite float raises ValueError (which the runner catches) too."""
    try:
        return int(value)
    except OverflowError:
        raise ValueError(f"exchangeInfo: {value!r} is not a whole number") from None


# symbol fields the checks read (the whole exchangeInfo is megabytes; the cache keeps these)
_SYMBOL_FIELDS = (
    "status",
    "contractStatus",  # COIN-M's status field
    "contractSize",  # COIN-M: USD per contract
    "marginAsset",
    "contractType",
    "deliveryDate",
    "onboardDate",
    "baseAsset",
    "quoteAsset",
    "pricePrecision",
    "quantityPrecision",
    "baseAssetPrecision",
    "quotePrecision",
)


def _parse_exchange_info(data: Any, wanted: set[str]) -> dict[str, Any]:
    """Given an exchangeInfo answer, return the 1-minute weight limit and the filters of the
    wanted symbols; raise ValueError (or TypeError/KeyError) if it has the wrong shape."""
    if not isinstance(data, dict) or not isinstance(data.get("rateLimits"), list):
        raise ValueError("exchangeInfo: field 'rateLimits' is missing")
    limit = None
    for rl in data["rateLimits"]:
        if (
            isinstance(rl, dict)
            and rl.get("rateLimitType") == "REQUEST_WEIGHT"
            and rl.get("interval") == "MINUTE"
            and _whole(rl.get("intervalNum", 1)) == 1
        ):
            limit = _whole(rl["limit"])
    symbols: dict[str, Any] = {}
    for sym in data.get("symbols") or []:
        if isinstance(sym, dict) and sym.get("symbol") in wanted:
            filters = {
                f.get("filterType"): f for f in sym.get("filters", []) if isinstance(f, dict)
            }
            entry = {k: sym[k] for k in _SYMBOL_FIELDS if k in sym}
            entry["filters"] = filters
            symbols[sym["symbol"]] = entry
    return {"weight_limit": limit, "symbols": symbols, "missing": sorted(wanted - set(symbols))}


def _host_id(base: str) -> str:
    """A base URL as a cache-key part: hashed, so a proxy password in it never reaches disk."""
    return hashlib.sha256(base.encode()).hexdigest()[:16]


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
        self._clock = clock
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
        self._mem: dict[str, tuple[float, Any]] = {}
        self._offsets: dict[tuple[str, str], TimeMeasurement] = {}
        self._offset_at: dict[tuple[str, str], float] = {}  # wall clock
        self.ntp = ntp_mod.NtpClient()
        self.last_plan: Plan | None = None
        # the bot configs as last seen on disk, and why one cannot be read now
        self._bot_seen: dict[str, Fingerprint] = {
            a.name: a.bot.fingerprint for a in config.accounts if a.bot is not None
        }
        self.bot_errors: dict[str, str] = {}
        self._live_at: dict[str, float] = {}  # when a bot's live whitelist was last read
        # the daemon's stretched interval per check: answers shared by every account on a host
        # (server time, public requests) are reused for most of it instead of being sent again
        # for each account's turn; empty (the one-shot `check`) means every run asks afresh
        self.share_seconds: dict[str, float] = {}
        self._rtts: dict[tuple[str, str], list[float]] = {}  # the last round trips per host
        self._time_at: dict[tuple[str, str], float] = {}  # when the clock check last sampled
        # every check of an account that reads each of its signed requests (at any turn);
        # built when the daemon first needs it
        self._readers: dict[tuple[str, str, str], set[str]] | None = None
        self._load_readings()

    def close(self) -> None:
        self._save_readings()
        self.pool.shutdown(wait=False, cancel_futures=True)
        AccountGateway.close_many(self.gateways.values())

    # ------------------------------------------------------------------ caches
    def _cache_get(self, key: str) -> tuple[float, Any] | None:
        if key in self._mem:
            return self._mem[key]
        if self.state is not None:
            try:
                got = self.state.get_cache(key)
            except Exception:  # noqa: BLE001 - a broken cache only costs a refetch
                got = None
            if got is not None:
                self._mem[key] = got
                return got
        return None

    def _cache_put(self, key: str, value: Any, now: float) -> None:
        self._mem[key] = (now, value)
        if self.state is not None:
            try:
                self.state.put_cache(key, value, now)
            except Exception as exc:  # noqa: BLE001
                log.warning("could not store a cached answer: %s", scrub(str(exc)))

    def _fresh(self, key: str, max_age: float) -> tuple[float, Any] | None:
        got = self._cache_get(key)
        # a negative age means the wall clock stepped back: refetch rather than trust it
        if got is not None and 0 <= self._clock() - got[0] < max_age:
            return got
        return None

    def _load_readings(self) -> None:
        """Start from the clock offsets and weight readings a recent process kept."""
        now = time.time()
        for a in self.config.accounts:
            for m in a.hosts:
                key = (a.base_url(m), m)
                got = self._fresh(f"offset:{m}:{_host_id(key[0])}", OFFSET_REUSE_SECONDS)
                if got is not None and key not in self._offsets:
                    try:
                        meas = TimeMeasurement(
                            m, float(got[1]["offset_ms"]), float(got[1]["rtt_ms"] or 0.0), 1
                        )
                    except (KeyError, TypeError, ValueError):
                        continue
                    if math.isfinite(meas.offset_ms or 0.0):
                        self._offsets[key] = meas
                        self._offset_at[key] = got[0]
                for pool in MARKETS[m].pools:
                    got = self._fresh(f"weight:{pool}:{_host_id(key[0])}", WEIGHT_REUSE_SECONDS)
                    if got is None:
                        continue
                    try:
                        used, seen = int(got[1]["used"]), float(got[1]["observed_at"])
                    except (KeyError, TypeError, ValueError):
                        continue
                    if (
                        0 <= now - seen <= WEIGHT_REUSE_SECONDS
                        and (key[0], pool) not in self.book.observed
                    ):
                        self.book.observed[(key[0], pool)] = WeightObservation(used, seen)

    def _save_readings(self) -> None:
        if self.state is None:
            return
        for (base, pool), obs in list(self.book.observed.items()):
            self._cache_put(
                f"weight:{pool}:{_host_id(base)}",
                {"used": obs.used, "observed_at": obs.observed_at},
                obs.observed_at,
            )

    # ------------------------------------------------------------------ bot configs
    def poll_bots(self) -> bool:
        """Re-read every bot config whose files changed on disk (one stat per file), and every
        ``WHITELIST_REFRESH_SECONDS`` the live whitelist of a freqtrade whose pairs only it knows
        (``bot_api``); return True when one now says something else than the running config was
        built from (the daemon then reloads). One that cannot be read is noted in
        ``bot_errors``: the account's symbols check is UNKNOWN with the reason until it can."""
        changed = False
        now = time.monotonic()
        for a in self.config.accounts:
            link = a.bot
            if link is None:
                continue
            seen = fingerprint(link.files())
            live = a.bot_api is not None and uses_live_whitelist(link.derived)
            live_due = live and now - self._live_at.get(a.name, now) >= WHITELIST_REFRESH_SECONDS
            self._live_at.setdefault(a.name, now)
            if seen == self._bot_seen.get(a.name) and not live_due:
                continue
            self._bot_seen[a.name] = seen
            if live:
                self._live_at[a.name] = now
            try:
                derived = read_live_bot_config(link.bot, link.config, a.bot_api)
            except BotConfigError as exc:
                self.bot_errors[a.name] = scrub(str(exc))
                log.error("%s: %s", a.name, self.bot_errors[a.name])
                continue
            except Exception:  # noqa: BLE001 - a bug in a reader must not stop the run
                log.exception("reading the bot config of %s failed", a.name)
                self.bot_errors[a.name] = "internal error while reading it (see the log)"
                continue
            self.bot_errors.pop(a.name, None)
            if _meaning(derived) != _meaning(link.derived):
                log.info(
                    "%s: the bot config %s (or the bot's live pair list) changed",
                    a.name,
                    link.config,
                )
                changed = True
        return changed

    # ------------------------------------------------------------------ the run
    def run(self, due: Due = None, accounts: list[str] | None = None) -> Report:
        """Given the checks due (None: all; a mapping: per account), run them for every
        account and return the report."""
        started = time.time()
        t0 = time.monotonic()
        self.book.reset_run()
        self.poll_bots()
        self._detect_pm(accounts)
        cfg = self.resolved_config()
        plan = build_plan(cfg, due, accounts)
        self.last_plan = plan
        accs = [a for a in cfg.accounts if a.name in plan.checks]
        gws = self.gateways

        # -- the bots' signs of life (systemctl, their REST API), alongside the Binance requests
        alive_futs: dict[str, Future] = {}
        for a in accs:
            if any(c.id == "bot_alive" for c in plan.checks[a.name]):
                alive_futs[a.name] = self.pool.submit(
                    probe.gather, a, self.bot_logs, cfg.daemon.request_timeout
                )

        # -- server-time samples per (base, market): for the clock check and for signing
        time_futs: dict[tuple[str, str], list[Future]] = {}
        shared_time: dict[tuple[str, str], TimeMeasurement] = {}
        clock_keys: set[tuple[str, str]] = set()
        for t in plan.time:
            key = (t.base, t.market)
            if not t.for_clock and self._recent_offset(key):
                continue
            if t.for_clock and self._shared_time(key, t.check):
                # another account's turn sampled this host within the clock interval
                shared_time[key] = self._offsets[key]
                continue
            ep = MARKETS[t.market].time_endpoint or ""
            samples = 1 if t.for_clock and self._stable(key) else t.samples
            if t.for_clock:
                clock_keys.add(key)
            time_futs[key] = [gws[t.account].submit(self.pool, ep) for _ in range(samples)]

        # -- NTP, public requests and exchangeInfo, in parallel with the time samples
        ntp_fut = None
        if plan.ntp:
            ntp_fut = self.pool.submit(self.ntp.measure, cfg.ntp, self.pool.submit)
        futs: dict[tuple[str, str, str, tuple[tuple[str, str], ...]], Future] = {}
        reused: dict[tuple[str, str, str, tuple[tuple[str, str], ...]], Outcome] = {}
        for p in plan.requests:
            if p.public:
                self._send_or_reuse(p, futs, reused)
        exchange: dict[tuple[str, str], ExchangeLimits] = {}
        exinfo_futs: dict[tuple[str, str], tuple[Future, set[str]]] = {}
        for need in plan.exchange:
            ckey = f"exinfo:{need.market}:{_host_id(need.base)}"
            cached = self._fresh(ckey, cfg.daemon.exchange_info_ttl)
            if cached is not None and need.symbols <= set(cached[1].get("symbols", {})) | set(
                cached[1].get("missing", [])
            ):
                exchange[(need.base, need.market)] = self._limits_from(
                    cached, need.base, need.market
                )
                continue
            ep = MARKETS[need.market].exchange_info_endpoint or ""
            exinfo_futs[(need.base, need.market)] = (
                gws[need.account].submit(self.pool, ep),
                need.symbols,
            )

        # -- as each market's time is known, apply the offset and send its signed requests
        measurements: dict[tuple[str, str], TimeMeasurement] = dict(shared_time)
        submitted: set[tuple[str, str]] = set()

        def submit_signed(key: tuple[str, str]) -> None:
            base, market = key
            m = measurements.get(key) or self._offsets.get(key)
            if m is None and MARKETS[market].time_endpoint is None:
                # a host without server time (/papi): the offset measured on another host (the
                # offset is this machine's clock against Binance's)
                known = [*measurements.values(), *self._offsets.values()]
                m = next((x for x in known if x.offset_ms is not None), None)
            for a in accs:
                if (
                    a.base_url(market) == base
                    and market in a.markets
                    and m is not None
                    and m.offset_ms is not None
                ):
                    gws[a.name].set_offset(market, -m.offset_ms)
            for p in plan.requests:
                if not p.public and p.endpoint.market == market and p.base == base:
                    self._send_or_reuse(p, futs, reused)
            submitted.add(key)

        for t in plan.time:
            key = (t.base, t.market)
            if key not in time_futs or self._recent_offset(key):
                # a recent offset is good enough for signing: no round trip before signed calls
                submit_signed(key)
        pending = {f: key for key, fs in time_futs.items() for f in fs}
        while pending:
            done, _ = wait(list(pending), return_when=FIRST_COMPLETED)
            for f in done:
                pending.pop(f)
            for key, fs in time_futs.items():
                if key not in measurements and all(f.done() for f in fs):
                    outs = [f.result() for f in fs]
                    measurements[key] = self._measure(key[1], outs)
                    if measurements[key].offset_ms is not None:
                        self._remember_offset(key, measurements[key])
                        self._note_rtts(key, outs)
                        if key in clock_keys:
                            self._time_at[key] = time.time()
                    if key not in submitted:
                        submit_signed(key)
        for p in plan.requests:  # signed requests of markets without a time plan
            if not p.public and (p.base, p.endpoint.market) not in submitted:
                submit_signed((p.base, p.endpoint.market))

        # -- exchangeInfo answers
        for (base, m), (fut, wanted) in exinfo_futs.items():
            exchange[(base, m)] = self._exchange_from(fut.result(), base, m, wanted)

        ntp_verdict = None
        if ntp_fut is not None:
            try:
                ntp_verdict = ntp_fut.result()
            except Exception:  # noqa: BLE001 - NTP trouble must never break the run
                log.warning("NTP measurement failed:\n%s", traceback.format_exc())

        # -- facts per account, then followups (requests built from the first answers)
        facts: dict[str, Facts] = {}
        for a in accs:
            facts[a.name] = Facts(
                account=a,
                outcomes=self._outcomes(plan.for_account(a.name), futs, reused),
                time={
                    m: measurements[(a.base_url(m), m)]
                    for m in a.markets
                    if (a.base_url(m), m) in measurements
                },
                ntp=ntp_verdict,
                exchange={m: exchange.get((a.base_url(m), m), ExchangeLimits()) for m in a.markets},
                book=self.book,
                now=time.time(),
                bot_config_error=self.bot_errors.get(a.name),
            )
        follow: dict[str, list[tuple[Request, Future]]] = {}
        for a in accs:
            for c in plan.checks[a.name]:
                if not c.has_followups:
                    continue
                for req in c.followups(a, facts[a.name]):
                    follow.setdefault(a.name, []).append(
                        (req, gws[a.name].submit(self.pool, req.endpoint, dict(req.params)))
                    )
        for name, items in follow.items():
            for req, fut in items:
                facts[name].outcomes[req.key] = fut.result()

        # -- evaluate, in registry order (rate_limit last: it reads every answer's headers)
        results: list[Result] = []
        deferred: set[tuple[str, str]] = set()
        for a in accs:
            af = facts[a.name]
            af.now = time.time()
            # checks that explain others' findings quote their latest result, even from an
            # earlier run (the daemon runs each check at its own interval)
            af.results = [r for (acc, _c), r in self._latest.items() if acc == a.name]
            if self.bot_logs is not None:
                try:
                    af.bot_log = self.bot_logs.facts_for(a.name, af.now)
                except Exception:  # noqa: BLE001 - a broken log store must not stop the run
                    log.exception("reading the bot-log facts of %s failed", a.name)
            if a.name in alive_futs:
                try:
                    af.bot_alive = alive_futs[a.name].result()
                except Exception:  # noqa: BLE001 - like the bot-log facts
                    log.exception("reading the signs of life of %s's bot failed", a.name)
                af.now = time.time()  # the probe may have waited for the bot's API
            waiting = self._deferred(a, plan, af, follow.get(a.name, []))
            for c in plan.checks[a.name]:
                if c.id in waiting:
                    deferred.add((a.name, c.id))
                    continue
                try:
                    r = c.evaluate(af)
                except Exception:  # noqa: BLE001 - errors never escape a check
                    log.error(
                        "internal error in %s for %s:\n%s", c.id, a.name, traceback.format_exc()
                    )
                    r = Result(
                        a.name, c.id, Status.UNKNOWN, f"internal error in {c.id} (see the log)"
                    )
                if r is not None:
                    r = _scrub_result(r)
                    results.append(r)
                    af.results = [x for x in af.results if x.check != r.check] + [r]
                    self._latest[(a.name, r.check)] = r
        self._save_readings()
        metrics = {
            "request_weight": self.book.run_weight,
            "requests": self.book.run_requests,
            "duration_ms": round((time.monotonic() - t0) * 1000, 1),
            "accounts": len(accs),
        }
        if deferred:
            metrics["deferred"] = len(deferred)
        return Report(results, metrics, started, deferred)

    # ------------------------------------------------------------------ Portfolio Margin
    def _pm_key(self, a: AccountConfig) -> str:
        # per account and key: another key (or account) behind the same name is asked afresh
        return f"pm:{a.name}:{hashlib.sha256(a.api_key.reveal().encode()).hexdigest()[:16]}"

    def resolved_config(self) -> Config:
        """The config with each "auto" Portfolio Margin answer found earlier filled in."""
        cfg = self.config
        accounts = []
        changed = False
        for a in cfg.accounts:
            if a.pm is None:
                got = self._fresh(self._pm_key(a), PM_REMEMBER_SECONDS)
                if got is not None and isinstance(got[1], bool):
                    a = replace(a, portfolio_margin=got[1])
                    changed = True
            accounts.append(a)
        return replace(cfg, accounts=tuple(accounts)) if changed else cfg

    def _detect_pm(self, accounts: list[str] | None) -> None:
        """Settle each "auto" account not settled in the last day. The key's restrictions
        (``/sapi/v1/account/apiRestrictions``, weight 1) say whether it may trade under
        Portfolio Margin; only then is ``/papi/v1/account`` (weight 20 on /papi) asked: it
        answers for a Portfolio Margin account and refuses a classic one (-2015). A transport
        failure or a clock/signature error says nothing: asked again next run (the run reads
        the classic endpoints meanwhile)."""
        cfg = self.resolved_config()
        todo = [
            a
            for a in cfg.accounts
            if a.pm is None and (accounts is None or a.name in set(accounts))
        ]
        if not todo:
            return
        known = [m for m in self._offsets.values() if m.offset_ms is not None]
        offset = -(known[0].offset_ms or 0.0) if known else 0.0
        restr = {
            a.name: self._submit_signed(a, "sapi.apiRestrictions", "spot", offset) for a in todo
        }
        probes = {}
        for a in todo:
            out = restr[a.name].result()
            if not out.ok or not isinstance(out.data, dict):
                log.info("%s: Portfolio Margin not settled yet: %s", a.name, out.error)
                continue
            if out.data.get("enablePortfolioMarginTrading") is not True:
                self._settle_pm(a, False)
                continue
            probes[a.name] = self._submit_signed(a, "papi.account", PM_HOST, offset)
        for a in todo:
            if a.name not in probes:
                continue
            out = probes[a.name].result()
            if out.ok:
                self._settle_pm(a, True)
            elif (
                out.error is not None
                and out.error.kind == FetchErrorKind.API
                and out.error.code not in (-1021, -1022)
            ):
                self._settle_pm(a, False)
            else:
                log.info("%s: Portfolio Margin not settled yet: %s", a.name, out.error)

    def _submit_signed(self, a: AccountConfig, endpoint: str, host: str, offset: float) -> Future:
        gw = self.gateways[a.name]
        if offset:
            gw.set_offset(host, offset)
        return gw.submit(self.pool, endpoint)

    def _settle_pm(self, a: AccountConfig, answer: bool) -> None:
        log.info("%s: Portfolio Margin %s", a.name, "in use" if answer else "not in use")
        self._cache_put(self._pm_key(a), answer, self._clock())

    # ------------------------------------------------------------------ helpers
    @staticmethod
    def _deferred(
        a: Any, plan: Plan, facts: Facts, follow: list[tuple[Request, Future]]
    ) -> set[str]:
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

    def _shared_time(self, key: tuple[str, str], check: str) -> bool:
        """True when the clock check of another account on this host sampled the server time
        recently enough (within most of the daemon's clock interval) to be read again."""
        every = self.share_seconds.get(check, 0.0)
        at = self._time_at.get(key)
        return (
            every > 0
            and at is not None
            and key in self._offsets
            and 0 <= time.time() - at < every * 0.9
        )

    def _stable(self, key: tuple[str, str]) -> bool:
        """True when this host's last round trips agree: one server-time sample is enough."""
        rtts = self._rtts.get(key, [])
        if len(rtts) < 2:
            return False
        low = min(rtts)
        return max(rtts) - low <= max(STABLE_RTT_MS, STABLE_RTT_SHARE * low)

    def _note_rtts(self, key: tuple[str, str], outs: list[Outcome]) -> None:
        got = [o.elapsed_ms for o in outs if o.ok]
        self._rtts[key] = (self._rtts.get(key, []) + got)[-3:]

    def _recent_offset(self, key: tuple[str, str]) -> bool:
        at = self._offset_at.get(key)
        return at is not None and 0 <= time.time() - at < OFFSET_REUSE_SECONDS

    def _remember_offset(self, key: tuple[str, str], m: TimeMeasurement) -> None:
        now = time.time()
        self._offsets[key] = m
        self._offset_at[key] = now
        self._cache_put(
            f"offset:{key[1]}:{_host_id(key[0])}",
            {"offset_ms": m.offset_ms, "rtt_ms": m.rtt_ms},
            now,
        )

    def _answer_key(self, p: Planned) -> str:
        owner = "public" if p.per_host else p.account
        return f"answer:{owner}:{_host_id(p.base)}:{p.request.label()}"

    def _bad_news(self, p: Planned) -> bool:
        """True when a check that reads this signed answer is not OK for its account: the kept
        answer may be what keeps it so (canTrade false, read 4 minutes ago), and a fix must show
        as RESOLVED within BAD_NEWS_REUSE_SECONDS, not when the answer expires. Answers shared
        by every account on the host (the delist schedule, 100) are Binance's, not the account's,
        and weigh more: they keep their reuse time."""
        if p.per_host:
            return False
        return any(
            (r := self._latest.get((p.account, c))) is not None and r.status is not Status.OK
            for c in p.checks
        )

    def _sibling_age(self, p: Planned, *, fetching: bool = False) -> float:
        """Given a signed request, return how old an answer to it may be and still be read by
        the checks due now (0: ask afresh). Several checks of an account can read one request
        (accountConfig: position_mode, trading_status, api_key), each at its own turn; the
        schedule prices it once, at the shortest of their intervals. So the check with the
        shortest interval asks afresh at each of its turns, and the others read its answer
        while it is younger than most of that interval. ``fetching``: return the age for the
        account's other readers (is the answer worth keeping?)."""
        if not self.share_seconds:
            return 0.0
        if self._readers is None:
            self._readers = {
                (q.account, q.base, q.request.label()): set(q.checks)
                for q in build_plan(self.config).requests
                if not q.per_host
            }
        readers = self._readers.get((p.account, p.base, p.request.label()), set())
        every = {c: self.share_seconds[c] for c in readers if c in self.share_seconds}
        if len(every) < 2:
            return 0.0
        leader = min(every, key=lambda c: (every[c], c))
        if leader in p.checks and not fetching:
            return 0.0
        return 0.9 * every[leader]

    def _send_or_reuse(self, p: Planned, futs: dict, reused: dict) -> None:
        if p.key in futs or p.key in reused:
            return
        shared = 0.0
        if p.public and self.share_seconds:
            # a public answer serves every account on the host: one request per interval
            shared = 0.9 * min((self.share_seconds.get(c, 0.0) for c in p.checks), default=0.0)
        elif self.share_seconds:
            shared = self._sibling_age(p)
        if p.reuse_seconds > 0 or shared > 0:
            max_age = max(p.reuse_seconds, shared)
            if self._bad_news(p):
                max_age = min(max_age, BAD_NEWS_REUSE_SECONDS)
            got = self._fresh(self._answer_key(p), max_age)
            if got is not None:
                reused[p.key] = Outcome(
                    p.request.endpoint, data=got[1], sent=False, cached_at=got[0]
                )
                return
        futs[p.key] = self.gateways[p.account].submit(
            self.pool, p.request.endpoint, dict(p.request.params) or None
        )

    def _outcomes(self, planned: list[Planned], futs: dict, reused: dict) -> dict:
        out: dict = {}
        for p in planned:
            if p.key in reused:
                o = reused[p.key]
            elif p.key in futs:
                o = futs[p.key].result()
                if o.ok and (p.reuse_seconds > 0 or (p.public and self.share_seconds)):
                    self._cache_put(self._answer_key(p), o.data, self._clock())
                elif o.ok and not p.public and self._sibling_age(p, fetching=True) > 0:
                    # for the account's other checks that read it (memory only: a signed
                    # answer read every few minutes is not worth a disk write per account)
                    self._mem[self._answer_key(p)] = (self._clock(), o.data)
            else:
                o = Outcome(
                    p.request.endpoint,
                    sent=False,
                    error=FetchError(FetchErrorKind.INTERNAL, f"{p.request.label()}: not sent"),
                )
            out[p.request.key] = o
        return out

    def _exchange_from(
        self, out: Outcome, base: str, market: str, wanted: set[str]
    ) -> ExchangeLimits:
        ckey = f"exinfo:{market}:{_host_id(base)}"
        if out.ok:
            try:
                parsed = _parse_exchange_info(out.data, wanted)
                self._cache_put(ckey, parsed, time.time())
                return self._limits_from((time.time(), parsed), base, market)
            except (ValueError, TypeError, KeyError) as exc:
                out.error = FetchError(FetchErrorKind.MALFORMED, f"exchangeInfo: {exc}")
        stale = self._cache_get(ckey)
        if stale is not None:
            return self._limits_from(stale, base, market)
        return ExchangeLimits(error=out.error)

    def _limits_from(
        self, cached: tuple[float, dict[str, Any]], base: str, market: str
    ) -> ExchangeLimits:
        fetched_at, value = cached
        limit = value.get("weight_limit")
        if isinstance(limit, int) and limit > 0:
            self.book.limits[(base, MARKETS[market].weight_pool)] = limit
        return ExchangeLimits(
            weight_limit=limit, symbols=value.get("symbols", {}), fetched_at=fetched_at
        )

    @staticmethod
    def _measure(market: str, outs: list[Outcome]) -> TimeMeasurement:
        m = TimeMeasurement(market)
        best: tuple[float, float] | None = None
        for out in outs:
            if not out.ok:
                m.error = out.error
                continue
            st = out.data.get("serverTime") if isinstance(out.data, dict) else None
            try:
                finite = (
                    not isinstance(st, bool) and isinstance(st, int | float) and math.isfinite(st)
                )
            except OverflowError:  # an int beyond any float
                finite = False
            if not finite:
                m.error = FetchError(
                    FetchErrorKind.MALFORMED, "server time answer has no numeric 'serverTime'"
                )
                continue
            midpoint_ms = (out.started_at + out.finished_at) / 2 * 1000
            rtt = out.elapsed_ms
            offset = midpoint_ms - float(st)  # type: ignore[arg-type]  # finite number above
            m.samples += 1
            if best is None or rtt < best[1]:
                best = (offset, rtt)
        if best is not None:
            m.offset_ms, m.rtt_ms = best
            m.error = None
        return m
