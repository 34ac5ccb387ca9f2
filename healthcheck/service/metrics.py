"""Prometheus metrics, the node_exporter textfile and the Nagios perfdata line.

:class:`HealthCollector` is a ``prometheus_client`` custom collector: it keeps the newest
:class:`~healthcheck.model.result.Result` of every (account, check) and renders the metric families
from them at scrape time, so a series (a predicted Binance code, a market's clock offset) is gone
as soon as the newest result no longer has it. Nothing is a global gauge that could go stale.
The exposition is ``prometheus_client``'s own (``generate_latest``/``write_to_textfile``).

:class:`MetricsServer` serves ``GET /metrics`` and ``GET /healthz`` and nothing else (404 for
other paths, 405 for other methods) on a threaded WSGI server. A scrape renders at most once a
second (the bytes are cached) and the server accepts at most ``MAX_SCRAPES_PER_SECOND``
connections a second, so a scrape storm costs the daemon's checks almost nothing.

Each check declares its own figures once (``families`` and ``measurements(result, ...)``, see
:mod:`healthcheck.checks.measure`); the collector and :func:`nagios_perfdata` render them and name
no check. Metric values come from figures a result already has; no secret ever reaches a label:
labels are account names, check ids, markets, pools and Binance error codes.
"""

from __future__ import annotations

import logging
import socket
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from typing import Any
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

from prometheus_client import CollectorRegistry, generate_latest, write_to_textfile
from prometheus_client.core import (
    CounterMetricFamily,
    GaugeMetricFamily,
    InfoMetricFamily,
    Metric,
)
from prometheus_client.exposition import CONTENT_TYPE_LATEST, ThreadingWSGIServer

from healthcheck import __version__
from healthcheck.checks import BY_ID, REGISTRY
from healthcheck.checks.base import Check
from healthcheck.checks.measure import Family, Measurement, Perf, finite
from healthcheck.model.result import Result, Status

log = logging.getLogger(__name__)

PREFIX = "binance_healthcheck"
RENDER_CACHE_SECONDS = 1.0  # a scrape storm re-renders at most this often
PENDING_CACHE_SECONDS = 1.0  # the outbox count is a SQLite query: at most this often
MAX_CONCURRENT_SCRAPES = 8  # more at once get 503 at once instead of piling up threads
MAX_SCRAPES_PER_SECOND = 50.0  # connections accepted per second; more wait in the backlog


def _check_families() -> tuple[Family, ...]:
    """Return the families the registered checks export, in registry order."""
    return tuple(f for cls in REGISTRY for f in cls.families)


#: every metric name this module can export (sample names, as PromQL sees them)
METRIC_NAMES = (
    f"{PREFIX}_check_status",
    f"{PREFIX}_predicted_error",
    *(f"{PREFIX}_{f.name}" for f in _check_families()),
    f"{PREFIX}_last_run_timestamp_seconds",
    f"{PREFIX}_run_duration_seconds",
    f"{PREFIX}_run_request_weight",
    f"{PREFIX}_run_interval_seconds",
    f"{PREFIX}_runs_total",
    f"{PREFIX}_alert_outbox_pending",
    f"{PREFIX}_alert_delivery_failures_total",
    f"{PREFIX}_bot_errors_total",
    f"{PREFIX}_error_code_info",
    f"{PREFIX}_build_info",
)


# ------------------------------------------------------------------------ bot-log watcher hook


class BotErrorCounts:
    """Thread-safe running totals of Binance errors seen in a bot's log, per account and code."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._counts: dict[tuple[str, int], int] = {}
        self.generation = 0

    def record(self, account: str, code: int, n: int = 1) -> None:
        """Given an account, a Binance error code and a count, add it to the totals; raise
        ValueError if ``n`` is negative (a counter never goes down)."""
        if n < 0:
            raise ValueError(f"bot error count must not be negative (got {n})")
        with self._lock:
            key = (str(account), int(code))
            self._counts[key] = self._counts.get(key, 0) + int(n)
            self.generation += 1

    def snapshot(self) -> dict[tuple[str, int], int]:
        with self._lock:
            return dict(self._counts)


#: the process's bot-error totals; the bot-log watcher calls :func:`record_bot_error`
BOT_ERRORS = BotErrorCounts()


def record_bot_error(account: str, code: int, n: int = 1) -> None:
    """Given the account a bot log belongs to and a Binance error code found in it, count it in
    ``binance_healthcheck_bot_errors_total{account,code}``."""
    BOT_ERRORS.record(account, code, n)


# ------------------------------------------------------------------------------ the collector


def _code_label(code: int) -> str:
    return str(int(code))


def _product_of(code: int) -> str:
    """Given a code a result named without its product (a result stored by an older version),
    return the product the catalogue gives it first ("" if not catalogued)."""
    from healthcheck.exchange.catalogue import lookup

    e = lookup(code)
    return e.products[0] if e else ""


class HealthCollector:
    """A custom collector that renders the metrics from the newest result of each check.

    ``outbox_pending`` and ``delivery_failures`` are callables the daemon supplies (None in a
    one-shot ``check``: those families are then not exported).
    """

    def __init__(
        self,
        *,
        outbox_pending: Callable[[], int] | None = None,
        delivery_failures: Callable[[], int] | None = None,
        bot_errors: BotErrorCounts | None = None,
        run_interval_seconds: float | None = None,
    ) -> None:
        self._lock = threading.Lock()
        self._results: dict[tuple[str, str], Result] = {}
        self._run: dict[str, float] = {}
        self._runs = 0
        self._outbox_pending = outbox_pending
        self._delivery_failures = delivery_failures
        self._pending_cache: tuple[float, int] | None = None
        self.bot_errors = BOT_ERRORS if bot_errors is None else bot_errors
        self.run_interval_seconds = run_interval_seconds
        self._stretch: dict[str, float] = {}  # pool -> the daemon schedule's stretch factor
        self.generation = 0

    # -------------------------------------------------------------- feeding
    def update(self, report: Any, finished_at: float | None = None) -> None:
        """Given a runner Report (a daemon run may hold only the checks that were due), keep each
        result as the newest of its (account, check) and note the run's figures."""
        finished = time.time() if finished_at is None else finished_at
        with self._lock:
            for r in report.results:
                self._results[(r.account, r.check)] = r
            m = report.metrics
            self._run = {
                "finished_at": finished,
                "started_at": float(getattr(report, "started_at", 0.0) or finished),
            }
            for key in ("duration_ms", "request_weight"):
                v = finite(m.get(key))
                if v is not None:
                    self._run[key] = v
            self._runs += 1
            self.generation += 1

    def set_stretch(self, by_pool: dict[str, float]) -> None:
        """Given the daemon schedule's stretch factor per weight pool (1.0: the configured
        intervals fit the weight budget), export it."""
        with self._lock:
            self._stretch = dict(by_pool)
            self.generation += 1

    def forget_accounts_except(self, accounts: Iterable[str]) -> None:
        """Drop the results of accounts no longer configured (after a reload)."""
        wanted = set(accounts)
        with self._lock:
            for key in [k for k in self._results if k[0] not in wanted]:
                del self._results[key]
            self.generation += 1

    def last_run_finished_at(self) -> float | None:
        """Return when the newest run finished (Unix time), or None before the first."""
        with self._lock:
            return self._run.get("finished_at")

    def results(self) -> list[Result]:
        with self._lock:
            return list(self._results.values())

    def _pending(self) -> int | None:
        if self._outbox_pending is None:
            return None
        now = time.monotonic()
        cached = self._pending_cache
        if cached is not None and now - cached[0] < PENDING_CACHE_SECONDS:
            return cached[1]
        try:
            value = int(self._outbox_pending())
        except Exception:  # noqa: BLE001 - a scrape must not fail because of the state DB
            log.debug("outbox count failed", exc_info=True)
            return cached[1] if cached else None
        self._pending_cache = (now, value)
        return value

    # -------------------------------------------------------------- rendering
    def describe(self) -> Iterable[Metric]:
        return []  # unchecked collector: the families depend on the results

    def collect(self) -> Iterator[Metric]:
        with self._lock:
            results = sorted(self._results.values(), key=lambda r: (r.account, r.check))
            run = dict(self._run)
            runs = self._runs
            stretch = dict(self._stretch)
        yield from _result_families(results, run.get("started_at", time.time()))
        yield from _run_families(run, runs)
        yield from self._daemon_families(stretch)
        yield _bot_error_family(self.bot_errors)
        yield from _catalogue_families()

    def _daemon_families(self, stretch: dict[str, float]) -> Iterator[Metric]:
        """The figures only a daemon has: its tick, the schedule's stretch, the outbox."""
        if self.run_interval_seconds is not None:
            yield GaugeMetricFamily(
                f"{PREFIX}_run_interval_seconds",
                "Seconds between runs (the daemon's tick)",
                value=self.run_interval_seconds,
            )
        if stretch:
            fam = GaugeMetricFamily(
                f"{PREFIX}_weight_stretch_factor",
                "How many times the daemon stretched the configured intervals to keep this weight "
                "pool within weight_budget_share (1: no stretch)",
                labels=["pool"],
            )
            for pool, factor in sorted(stretch.items()):
                fam.add_metric([pool], round(factor, 3))
            yield fam
        pending = self._pending()
        if pending is not None:
            yield GaugeMetricFamily(
                f"{PREFIX}_alert_outbox_pending",
                "Alerts queued and not delivered yet",
                value=pending,
            )
        if self._delivery_failures is not None:
            yield CounterMetricFamily(
                f"{PREFIX}_alert_delivery_failures",
                "Failed attempts to deliver an alert since start",
                value=self._delivery_failures(),
            )


_DEFAULT_CHECKS: dict[str, Check] = {}


def _check_for(check_id: str, checks_config: Any = None) -> Check | None:
    """Given a check id (and the ``[checks]`` settings), return the registered check that made
    such results, with those settings (the defaults if none or unreadable); None if unknown."""
    cls = BY_ID.get(check_id)
    if cls is None:
        return None
    if checks_config is not None:
        try:
            settings = checks_config.get(check_id)
        except Exception:  # noqa: BLE001 - a settings refactor must not break the output
            settings = None
        if isinstance(settings, cls.Settings):
            return cls(settings)
    if check_id not in _DEFAULT_CHECKS:
        _DEFAULT_CHECKS[check_id] = cls(cls.Settings())
    return _DEFAULT_CHECKS[check_id]


def measurements_of(
    result: Result, run_started_at: float, checks_config: Any = None
) -> list[Measurement]:
    """Given a result, when its run started and the ``[checks]`` settings, return the figures its
    check declares for it (none for a check this version does not know)."""
    check = _check_for(result.check, checks_config)
    return [] if check is None else check.measurements(result, run_started_at)


def _status_families(results: list[Result]) -> Iterator[Metric]:
    """Each check's newest status, and the Binance codes it predicts."""
    status = GaugeMetricFamily(
        f"{PREFIX}_check_status",
        "Newest status of a check: 0 OK, 1 WARNING, 2 CRITICAL, 3 UNKNOWN",
        labels=["account", "check"],
    )
    predicted = GaugeMetricFamily(
        f"{PREFIX}_predicted_error",
        "1 for each Binance error code a check predicts: kind=now (orders fail with it now) "
        "or kind=risk (a warning heading towards it)",
        labels=["account", "check", "code", "kind", "product"],
    )
    for r in results:
        status.add_metric([r.account, r.check], float(int(r.status)))
        for kind, codes in (("now", r.codes), ("risk", r.risk_codes)):
            for code in dict.fromkeys(codes):
                # one series per product the code comes from (its fix is that product's)
                for product in dict.fromkeys(x.product for x in r.refs_for(code)) or [
                    _product_of(code)
                ]:
                    predicted.add_metric(
                        [r.account, r.check, _code_label(code), kind, product], 1.0
                    )
    yield from (status, predicted)


def _result_families(results: list[Result], run_started_at: float) -> Iterator[Metric]:
    """The status families, then every family a registered check declares, filled from the
    measurements of the results (a per-IP family from its highest-ranked reading)."""
    yield from _status_families(results)
    families = {
        f.name: GaugeMetricFamily(f"{PREFIX}_{f.name}", f.help, labels=list(f.labels))
        for f in _check_families()
    }
    per_ip: dict[tuple[str, tuple[str, ...]], Measurement] = {}
    for r in results:
        for m in measurements_of(r, run_started_at):
            if m.family is None:
                continue
            if not m.family.per_ip:
                families[m.family.name].add_metric(list(m.labels), m.value)
                continue
            key = (m.family.name, m.labels)
            if key not in per_ip or m.rank > per_ip[key].rank:
                per_ip[key] = m
    for (name, labels), m in sorted(per_ip.items()):
        families[name].add_metric(list(labels), m.value)
    yield from families.values()


def _run_families(run: dict[str, float], runs: int) -> Iterator[Metric]:
    """When the newest run finished, how long it took and the weight it spent; the run count."""
    if run:
        yield GaugeMetricFamily(
            f"{PREFIX}_last_run_timestamp_seconds",
            "When the newest run of the checks finished (Unix time)",
            value=run["finished_at"],
        )
        if "duration_ms" in run:
            yield GaugeMetricFamily(
                f"{PREFIX}_run_duration_seconds",
                "How long the newest run took",
                value=run["duration_ms"] / 1000,
            )
        if "request_weight" in run:
            yield GaugeMetricFamily(
                f"{PREFIX}_run_request_weight",
                "Request weight the newest run spent",
                value=run["request_weight"],
            )
    yield CounterMetricFamily(f"{PREFIX}_runs", "Runs of the checks since start", value=runs)


def _bot_error_family(bot_errors: BotErrorCounts) -> Metric:
    """The Binance errors the bot-log watcher counted, per account and code."""
    bot = CounterMetricFamily(
        f"{PREFIX}_bot_errors",
        "Binance errors found in the trading bot's log",
        labels=["account", "code"],
    )
    for (account, code), n in sorted(bot_errors.snapshot().items()):
        bot.add_metric([account, _code_label(code)], n)
    return bot


def _catalogue_families() -> Iterator[Metric]:
    """The name and fix of every catalogued code (for alert rules to join on), and the version."""
    from healthcheck.exchange.catalogue import CATALOGUE

    info = InfoMetricFamily(
        f"{PREFIX}_error_code",
        "Name and fix of each Binance error code this tool predicts "
        "per product (join on product and code in alert rules)",
        labels=["code", "product"],
    )
    for (product, code), err in sorted(CATALOGUE.items(), key=lambda kv: (kv[0][1], kv[0][0])):
        info.add_metric([_code_label(code), product], {"name": err.name, "fix": err.fix})
    yield info
    yield InfoMetricFamily(
        f"{PREFIX}_build", "Version of binance-healthcheck", value={"version": __version__}
    )


def make_registry(collector: HealthCollector) -> CollectorRegistry:
    """Given a collector, return a fresh registry holding only it (no process metrics, no
    global state)."""
    registry = CollectorRegistry(auto_describe=False)
    registry.register(collector)
    return registry


def collector_for_report(report: Any, outbox_pending: int | None = None) -> HealthCollector:
    """Given a one-shot Report (and, after ``--notify``, the outbox count), return a collector
    holding it (for the textfile)."""
    c = HealthCollector(outbox_pending=None if outbox_pending is None else lambda: outbox_pending)
    c.update(report)
    return c


def write_textfile(path: str, report: Any, outbox_pending: int | None = None) -> None:
    """Given a path and a Report, write the metrics for node_exporter's textfile collector:
    to a temporary file next to it, then renamed over it (readers never see half a file).
    Raise OSError if the directory cannot be written."""
    write_to_textfile(path, make_registry(collector_for_report(report, outbox_pending)))


# ------------------------------------------------------------------------------- the server


class _PacedServer(ThreadingWSGIServer):
    """prometheus_client's threaded WSGI server, accepting at most ``MAX_SCRAPES_PER_SECOND``
    connections a second: a storm waits in the kernel's listen backlog (TCP back-pressure) instead
    of taking the GIL from the checks; a request still gets its own thread, so one slow client
    never blocks the others."""

    min_gap_seconds = 0.0
    _last_accept = 0.0

    def process_request(self, request: Any, client_address: Any) -> None:
        gap = self.min_gap_seconds - (time.monotonic() - self._last_accept)
        if gap > 0:
            time.sleep(gap)
        self._last_accept = time.monotonic()
        super().process_request(request, client_address)


class _PacedServer6(_PacedServer):
    address_family = socket.AF_INET6


class _QuietHandler(WSGIRequestHandler):
    """Logs nothing per request (a scrape every few seconds would flood the journal)."""

    timeout = 10  # seconds a client may take to send its request (a stalled one is dropped)

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - stdlib signature
        pass


class MetricsServer:
    """Serves ``GET /metrics`` (the registry) and ``GET /healthz`` on ``host:port``."""

    def __init__(
        self,
        collector: HealthCollector,
        host: str = "127.0.0.1",
        port: int = 9464,
        *,
        stale_after_seconds: float | None = None,
    ) -> None:
        self.collector = collector
        self.registry = make_registry(collector)
        self.host = host
        self.port = port
        self.stale_after_seconds = stale_after_seconds
        self._cache: tuple[float, int, int, bytes] | None = None
        self._render_lock = threading.Lock()
        self._slots = threading.BoundedSemaphore(MAX_CONCURRENT_SCRAPES)
        self._server: WSGIServer | None = None
        self._thread: threading.Thread | None = None
        self.scrapes = 0

    def _body(self) -> bytes:
        gen = (self.collector.generation, self.collector.bot_errors.generation)
        now = time.monotonic()
        with self._render_lock:
            c = self._cache
            if c is not None and (c[1], c[2]) == gen and now - c[0] < RENDER_CACHE_SECONDS:
                return c[3]
            body = generate_latest(self.registry)
            self._cache = (now, gen[0], gen[1], body)
            return body

    def _healthy(self) -> tuple[bool, str]:
        finished = self.collector.last_run_finished_at()
        if finished is None:
            return False, "no run finished yet"
        age = time.time() - finished
        if self.stale_after_seconds is not None and age > self.stale_after_seconds:
            return False, f"last run finished {age:.0f} s ago"
        return True, f"last run finished {age:.0f} s ago"

    def app(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> list[bytes]:
        path = environ.get("PATH_INFO", "")
        method = environ.get("REQUEST_METHOD", "GET")
        if path not in ("/metrics", "/healthz"):
            start_response("404 Not Found", [("Content-Type", "text/plain; charset=utf-8")])
            return [b"not found: this server serves /metrics and /healthz\n"]
        if method not in ("GET", "HEAD"):
            start_response(
                "405 Method Not Allowed", [("Allow", "GET, HEAD"), ("Content-Type", "text/plain")]
            )
            return [b"method not allowed: use GET\n"]
        if path == "/healthz":
            ok, text = self._healthy()
            start_response(
                "200 OK" if ok else "503 Service Unavailable",
                [("Content-Type", "text/plain; charset=utf-8")],
            )
            return [(("ok: " if ok else "not ready: ") + text + "\n").encode()]
        if not self._slots.acquire(blocking=False):
            start_response(
                "503 Service Unavailable", [("Content-Type", "text/plain"), ("Retry-After", "1")]
            )
            return [b"busy: too many scrapes at once\n"]
        try:
            body = self._body()
            self.scrapes += 1
        finally:
            self._slots.release()
        start_response(
            "200 OK", [("Content-Type", CONTENT_TYPE_LATEST), ("Content-Length", str(len(body)))]
        )
        return [] if method == "HEAD" else [body]

    def start(self) -> MetricsServer:
        """Bind and serve on a daemon thread; raise OSError if the address cannot be bound."""
        # an IPv6 address ("[::1]:9464" in the config) needs an AF_INET6 socket
        server_class = _PacedServer6 if ":" in self.host else _PacedServer
        server = make_server(
            self.host, self.port, self.app, server_class, handler_class=_QuietHandler
        )
        server.min_gap_seconds = 1.0 / MAX_SCRAPES_PER_SECOND
        self.port = server.server_address[1]
        self._server = server
        self._thread = threading.Thread(
            target=server.serve_forever,
            name="metrics-http",
            kwargs={"poll_interval": 0.5},
            daemon=True,
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None


# ------------------------------------------------------------------------------- Nagios


def nagios_perfdata(results: list[Result], checks_config: Any) -> list[str]:
    """Given results and the ``[checks]`` settings, return the perfdata items
    ``'label'=value[UOM];warn;crit;min;max`` of the figures the checks declare: per account, then
    the per-IP ones (the highest-ranked reading of each)."""
    items: list[str] = []
    per_ip: dict[str, Perf] = {}
    now = time.time()  # no perfdata item is a timestamp
    for r in sorted(results, key=lambda x: (x.account, x.check)):
        for m in measurements_of(r, now, checks_config):
            p = m.perf
            if p is None:
                continue
            if not p.per_ip:
                items.append(p.render())
            elif p.label not in per_ip or p.rank > per_ip[p.label].rank:
                per_ip[p.label] = p
    items += [p.render() for _, p in sorted(per_ip.items())]
    return items


def nagios_line(report: Any, checks_config: Any) -> str:
    """Given a Report and the ``[checks]`` settings, return the one Nagios plugin output line:
    ``BINANCE <STATUS> - <what> | <perfdata>``."""
    results: list[Result] = list(report.results)
    bad = [r for r in results if r.status != Status.OK]
    bad.sort(key=lambda r: -r.status.severity)
    accounts = len({r.account for r in results})
    if bad:
        shown = "; ".join(f"{r.account} {r.check}: {r.status.name} {r.summary}" for r in bad[:3])
        more = f" (+{len(bad) - 3} more)" if len(bad) > 3 else ""
        text = f"{len(bad)} of {len(results)} checks not OK: {shown}{more}"
    else:
        text = f"{len(results)} checks OK on {accounts} account{'s' if accounts != 1 else ''}"
    text = " ".join(text.replace("|", "/").split())
    perf = " ".join(nagios_perfdata(results, checks_config))
    line = f"BINANCE {report.status.name} - {text}"
    return f"{line} | {perf}" if perf else line
