"""One run of the checks: plan the requests, fetch them concurrently once, evaluate, report.

Acquisition is separate from evaluation: every check names the endpoints it needs, the runner
fetches the union (each endpoint at most once per run, public ones once per host), and every
check evaluates the same facts. Server time is sampled first, in parallel, and its offset is
applied to the signed requests of that market as soon as it is known, so a skewed local clock
makes the clock check CRITICAL instead of making every other check UNKNOWN. Unsigned requests
(system status, exchangeInfo) and NTP go out at the same time as the time samples.
"""

from __future__ import annotations

import logging
import math
import time
import traceback
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from healthcheck import ntp as ntp_mod
from healthcheck.checks import build_checks
from healthcheck.checks.base import ExchangeLimits, Facts, TimeMeasurement
from healthcheck.config import AccountConfig, Config
from healthcheck.gateway import ENDPOINTS, AccountGateway, FetchError, Outcome, WeightBook
from healthcheck.redact import scrub
from healthcheck.result import Result, Status, worst

log = logging.getLogger(__name__)

OFFSET_REUSE_SECONDS = 300.0  # between clock checks, signed calls reuse the last offset


@dataclass
class Report:
    results: list[Result]
    metrics: dict[str, Any] = field(default_factory=dict)
    started_at: float = 0.0

    @property
    def status(self) -> Status:
        return worst([r.status for r in self.results])

    def to_json(self) -> dict[str, Any]:
        return {"status": self.status.name, "metrics": dict(self.metrics),
                "results": [r.to_json() for r in self.results]}


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
    return r


def _whole(value: Any) -> int:
    """int(value), but an infinite float raises ValueError (which the runner catches) too."""
    try:
        return int(value)
    except OverflowError:
        raise ValueError(f"exchangeInfo: {value!r} is not a whole number") from None


def _parse_exchange_info(data: Any, wanted: set[str]) -> dict[str, Any]:
    """Given an exchangeInfo answer, return the 1-minute weight limit and the filters of the
    wanted symbols; raise ValueError (or TypeError/KeyError) if it has the wrong shape."""
    if not isinstance(data, dict) or not isinstance(data.get("rateLimits"), list):
        raise ValueError("exchangeInfo: field 'rateLimits' is missing")
    limit = None
    for rl in data["rateLimits"]:
        if isinstance(rl, dict) and rl.get("rateLimitType") == "REQUEST_WEIGHT" and \
                rl.get("interval") == "MINUTE" and _whole(rl.get("intervalNum", 1)) == 1:
            limit = _whole(rl["limit"])
    symbols: dict[str, Any] = {}
    for sym in data.get("symbols") or []:
        if isinstance(sym, dict) and sym.get("symbol") in wanted:
            filters = {f.get("filterType"): f for f in sym.get("filters", [])
                       if isinstance(f, dict)}
            symbols[sym["symbol"]] = {"status": sym.get("status"), "filters": filters}
    return {"weight_limit": limit, "symbols": symbols}


class Runner:
    """Runs checks for the configured accounts; keeps clients and caches between runs."""

    def __init__(self, config: Config, state: Any = None, *, budget_share: float | None = None
                 ) -> None:
        self.config = config
        self.state = state
        self.book = WeightBook(state, budget_share=budget_share)
        self.gateways = {a.name: AccountGateway(a, self.book,
                                                timeout=config.daemon.request_timeout)
                         for a in config.accounts}
        self.pool = ThreadPoolExecutor(max_workers=config.daemon.max_workers,
                                       thread_name_prefix="fetch")
        self._exchange_mem: dict[str, tuple[float, dict[str, Any]]] = {}
        self._offsets: dict[tuple[str, str], TimeMeasurement] = {}
        self._offset_at: dict[tuple[str, str], float] = {}
        self.ntp = ntp_mod.NtpClient()

    def close(self) -> None:
        self.pool.shutdown(wait=False, cancel_futures=True)
        for gw in self.gateways.values():
            gw.close()

    # ------------------------------------------------------------------ planning helpers
    @staticmethod
    def _base(acc: AccountConfig, market: str) -> str:
        return acc.futures_url if market == "usdm" else acc.spot_url

    def _cache_get(self, key: str) -> tuple[float, dict[str, Any]] | None:
        if key in self._exchange_mem:
            return self._exchange_mem[key]
        if self.state is not None:
            try:
                got = self.state.get_cache(key)
            except Exception:  # noqa: BLE001 - a broken cache only costs a refetch
                got = None
            if got is not None:
                self._exchange_mem[key] = got
                return got
        return None

    def _cache_put(self, key: str, value: dict[str, Any], now: float) -> None:
        self._exchange_mem[key] = (now, value)
        if self.state is not None:
            try:
                self.state.put_cache(key, value, now)
            except Exception as exc:  # noqa: BLE001
                log.warning("could not store exchangeInfo cache: %s", scrub(str(exc)))

    # ------------------------------------------------------------------ the run
    def run(self, due: set[str] | None = None, accounts: list[str] | None = None) -> Report:
        """Given the checks due (None: all), run them for every account and return the report."""
        started = time.time()
        t0 = time.monotonic()
        self.book.reset_run()
        cfg = self.config
        checks = build_checks(cfg.checks, due)
        accs = [a for a in cfg.accounts if accounts is None or a.name in accounts]
        per_account = {a.name: [c for c in checks if c.id in a.checks] for a in accs}
        check_ids = {c.id for c in checks}
        clock_due = "clock" in check_ids

        # -- which requests: per account signed/public endpoint names
        needs: dict[str, set[str]] = {}
        for a in accs:
            n: set[str] = set()
            for c in per_account[a.name]:
                n |= c.needs(a)
            needs[a.name] = n
        want_orders = {a.name: [(m, s) for s in a.test_order_symbols for m in a.markets]
                       for a in accs if any(c.id == "trading_status" for c in per_account[a.name])}
        want_orders = {k: v for k, v in want_orders.items() if v}

        # -- time samples per (base, market): needed by the clock check and by signed calls
        markets_used: dict[tuple[str, str], AccountConfig] = {}
        for a in accs:
            signed_markets = {ENDPOINTS[e].market for e in needs[a.name] if ENDPOINTS[e].signed}
            signed_markets |= {m for m, _ in want_orders.get(a.name, [])}
            for m in a.markets if clock_due else signed_markets:
                markets_used.setdefault((self._base(a, m), m), a)
        time_futs: dict[tuple[str, str], list[Future]] = {}
        samples = cfg.checks.clock.samples
        for key, a in markets_used.items():
            recent = self._offset_at.get(key)
            if not clock_due and recent is not None and time.monotonic() - recent < \
                    OFFSET_REUSE_SECONDS:
                continue
            ep = "fapi.time" if key[1] == "usdm" else "spot.time"
            gw = self.gateways[a.name]
            time_futs[key] = [gw.submit(self.pool, ep) for _ in range(samples)]

        # -- NTP and public endpoints, in parallel with the time samples
        ntp_fut = None
        if clock_due and cfg.ntp.servers:
            ntp_fut = self.pool.submit(self.ntp.measure, cfg.ntp, self.pool.submit)
        public: dict[tuple[str, str], Future] = {}
        for a in accs:
            for e in needs[a.name]:
                if not ENDPOINTS[e].signed:
                    key = (e, self._base(a, ENDPOINTS[e].market))
                    if key not in public:
                        public[key] = self.gateways[a.name].submit(self.pool, e)
        # -- exchangeInfo (cached across runs): weight limits and test-order symbol filters
        exchange: dict[tuple[str, str], ExchangeLimits] = {}
        exinfo_futs: dict[tuple[str, str], tuple[Future, set[str]]] = {}
        if "rate_limit" in check_ids or want_orders:
            wanted_by_base: dict[tuple[str, str], set[str]] = {}
            for a in accs:
                for m in a.markets:
                    wanted_by_base.setdefault((self._base(a, m), m), set())
                for m, s in want_orders.get(a.name, []):
                    wanted_by_base.setdefault((self._base(a, m), m), set()).add(s)
            for (base, m), wanted in wanted_by_base.items():
                ckey = f"exinfo:{m}:{base}"
                cached = self._cache_get(ckey)
                # a negative age means the wall clock stepped back: refetch rather than trust it
                fresh = cached is not None and 0 <= time.time() - cached[0] < \
                    cfg.daemon.exchange_info_ttl and wanted <= set(cached[1].get("symbols", {}))
                if fresh:
                    exchange[(base, m)] = self._limits_from(cached, base, m)
                    continue
                owner = next(a for a in accs if m in a.markets and self._base(a, m) == base)
                ep = "fapi.exchangeInfo" if m == "usdm" else "spot.exchangeInfo"
                exinfo_futs[(base, m)] = (self.gateways[owner.name].submit(self.pool, ep),
                                          wanted)

        # -- as each market's time is known, apply the offset and send its signed requests
        measurements: dict[tuple[str, str], TimeMeasurement] = {}
        signed_futs: dict[str, dict[str, Future]] = {a.name: {} for a in accs}
        submitted_markets: set[tuple[str, str]] = set()

        def submit_signed(key: tuple[str, str]) -> None:
            base, market = key
            m = measurements.get(key) or self._offsets.get(key)
            for a in accs:
                if self._base(a, market) != base or market not in a.markets:
                    continue
                gw = self.gateways[a.name]
                if m is not None and m.offset_ms is not None:
                    gw.set_offset(market, -m.offset_ms)
                for e in needs[a.name]:
                    ep = ENDPOINTS[e]
                    if ep.signed and ep.market == market and e not in signed_futs[a.name]:
                        signed_futs[a.name][e] = gw.submit(self.pool, e)
            submitted_markets.add(key)

        for key in markets_used:
            recent = self._offset_at.get(key)
            if key not in time_futs or (recent is not None and time.monotonic() - recent <
                                        OFFSET_REUSE_SECONDS):
                # a recent offset is good enough for signing: no round trip before signed calls
                submit_signed(key)
        # accounts whose signed markets had no time plan (e.g. markets without signed needs)
        pending = {f: key for key, fs in time_futs.items() for f in fs}
        while pending:
            done, _ = wait(list(pending), return_when=FIRST_COMPLETED)
            for f in done:
                pending.pop(f)
            for key, fs in time_futs.items():
                if key not in measurements and all(f.done() for f in fs):
                    measurements[key] = self._measure(key[1], [f.result() for f in fs])
                    if measurements[key].offset_ms is not None:
                        self._offsets[key] = measurements[key]
                        self._offset_at[key] = time.monotonic()
                    if key not in submitted_markets:
                        submit_signed(key)
        for a in accs:
            for m in a.markets:
                key = (self._base(a, m), m)
                if key not in submitted_markets:
                    submit_signed(key)

        # -- exchange info results
        for (base, m), (fut, wanted) in exinfo_futs.items():
            out: Outcome = fut.result()
            ckey = f"exinfo:{m}:{base}"
            if out.ok:
                try:
                    parsed = _parse_exchange_info(out.data, wanted)
                    self._cache_put(ckey, parsed, time.time())
                    exchange[(base, m)] = self._limits_from((time.time(), parsed), base, m)
                    continue
                except (ValueError, TypeError, KeyError) as exc:
                    out.error = FetchError("malformed", f"exchangeInfo: {exc}")
            stale = self._cache_get(ckey)
            if stale is not None:
                exchange[(base, m)] = self._limits_from(stale, base, m)
            else:
                exchange[(base, m)] = ExchangeLimits(error=out.error)

        # -- test orders: need the time offset (done) and the symbols' filters
        order_futs: dict[str, list[tuple[str, str, Future]]] = {}
        for a in accs:
            for m, sym in want_orders.get(a.name, []):
                params = self._order_params(a, m, sym, exchange.get((self._base(a, m), m)))
                ep = "fapi.orderTest" if m == "usdm" else "spot.orderTest"
                order_futs.setdefault(a.name, []).append(
                    (m, sym, self.gateways[a.name].submit(self.pool, ep, params)))

        ntp_verdict = None
        if ntp_fut is not None:
            try:
                ntp_verdict = ntp_fut.result()
            except Exception:  # noqa: BLE001 - NTP trouble must never break the run
                log.warning("NTP measurement failed:\n%s", traceback.format_exc())
        public_out = {key: f.result() for key, f in public.items()}

        # -- evaluate
        results: list[Result] = []
        for a in accs:
            outcomes: dict[str, Outcome] = {e: f.result() for e, f in signed_futs[a.name].items()}
            for e in needs[a.name]:
                if not ENDPOINTS[e].signed:
                    outcomes[e] = public_out[(e, self._base(a, ENDPOINTS[e].market))]
            times = {}
            for m in a.markets:
                key = (self._base(a, m), m)
                if key in measurements:
                    times[m] = measurements[key]
            orders = [(m, s, f.result()) for m, s, f in order_futs.get(a.name, [])]
            facts = Facts(account=a, outcomes=outcomes, time=times, ntp=ntp_verdict,
                          exchange={m: exchange.get((self._base(a, m), m), ExchangeLimits())
                                    for m in a.markets},
                          book=self.book, test_orders=orders, now=time.time())
            for c in per_account[a.name]:
                try:
                    r = c.evaluate(facts)
                except Exception:  # noqa: BLE001 - errors never escape a check
                    log.error("internal error in %s for %s:\n%s", c.id, a.name,
                              traceback.format_exc())
                    r = Result(a.name, c.id, Status.UNKNOWN, f"internal error in {c.id} "
                               "(see the log)")
                if r is not None:
                    results.append(_scrub_result(r))
        metrics = {
            "request_weight": self.book.run_weight,
            "requests": self.book.run_requests,
            "duration_ms": round((time.monotonic() - t0) * 1000, 1),
            "accounts": len(accs),
        }
        return Report(results, metrics, started)

    def _limits_from(self, cached: tuple[float, dict[str, Any]], base: str, market: str
                     ) -> ExchangeLimits:
        fetched_at, value = cached
        limit = value.get("weight_limit")
        group = "fapi" if market == "usdm" else "api"
        if isinstance(limit, int) and limit > 0:
            self.book.limits[(base, group)] = limit
        return ExchangeLimits(weight_limit=limit, symbols=value.get("symbols", {}),
                              fetched_at=fetched_at)

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
                finite = not isinstance(st, bool) and isinstance(st, int | float) and \
                    math.isfinite(st)
            except OverflowError:  # an int beyond any float
                finite = False
            if not finite:
                m.error = FetchError("malformed", "server time answer has no numeric "
                                     "'serverTime'")
                continue
            midpoint_ms = (out.started_at + out.finished_at) / 2 * 1000
            rtt = out.elapsed_ms
            offset = midpoint_ms - float(st)  # local minus Binance
            m.samples += 1
            if best is None or rtt < best[1]:
                best = (offset, rtt)
        if best is not None:
            m.offset_ms, m.rtt_ms = best
            m.error = None
        return m

    def _order_params(self, acc: AccountConfig, market: str, symbol: str,
                      ex: ExchangeLimits | None) -> dict[str, Any]:
        qty = acc.test_order_quantity.get(symbol)
        filters = (ex.symbols.get(symbol, {}) if ex else {}).get("filters", {})
        if qty is None:
            lot = filters.get("MARKET_LOT_SIZE") or filters.get("LOT_SIZE") or {}
            try:
                qty = Decimal(str(lot.get("minQty", "0")))
            except Exception:  # noqa: BLE001
                qty = Decimal(0)
            if qty <= 0:
                qty = Decimal("0.001")
        params: dict[str, Any] = {"symbol": symbol, "side": "BUY", "type": "MARKET",
                                  "quantity": format(qty.normalize(), "f")}
        if market == "usdm":
            params["positionSide"] = "LONG" if acc.position_mode == "hedge" else "BOTH"
        return params
