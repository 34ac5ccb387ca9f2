"""Alert delivery through apprise: drains the outbox, one destination at a time.

The outbox in :mod:`healthcheck.storage.state` is the source of truth; this module only moves rows
from "pending" to "delivered" after apprise reports success, with exponential backoff while a
channel fails, per-destination ordering, and a hard deadline per send (apprise's throttle sleeps
on the wall clock and an SMTP server can hang; neither may stall the daemon). Each destination
has its own ``apprise.Apprise`` object, so a failing e-mail server never causes a second Telegram
message. Reasons for failures come from apprise's own logs, scrubbed of tokens and passwords.
apprise is imported lazily: it costs ~160 ms and the one-shot ``check`` never sends alerts.
"""

from __future__ import annotations

import logging
import random
import re
import threading
import time
import traceback
import urllib.parse
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from healthcheck.config import AlertUrl
from healthcheck.storage.redact import scrub
from healthcheck.storage.state import OutboxRow, StateDB, dest_fingerprint

if TYPE_CHECKING:
    import apprise

log = logging.getLogger(__name__)

JITTER_SHARE = 0.1  # up to 10 % on top of the backoff, so channels do not retry in lockstep
APPRISE_SHARE = 0.9  # of delivery_timeout for apprise's notify(timeout=) and its URL timeouts
CANCEL_POLL = 0.1  # seconds between checks for a stop while a send runs
MAX_REASON_CHARS = 300
TEST_TITLE = "binance-healthcheck test notification"
TEST_BODY = (
    "This is a test from binance-healthcheck (notify-test). If you can read this, "
    "alerts to this destination work."
)


@dataclass
class DeliveryReport:
    """What one :meth:`Notifier.deliver_due` pass did."""

    attempted: int = 0
    delivered: int = 0
    failed: int = 0
    skipped: int = 0  # due, but held back behind an earlier failure or a send still running
    errors: list[str] = field(default_factory=list)  # "<masked url>: <reason>"

    @property
    def ok(self) -> bool:
        return self.failed == 0


@dataclass
class _Outcome:
    """Filled in by a send thread; read by the caller after join()."""

    ok: bool = False
    reason: str = ""
    done: threading.Event = field(default_factory=threading.Event)
    recorded_failure: bool = False  # a failed attempt was already written for it (deadline)


@dataclass
class _Dest:
    fingerprint: str
    masked: str
    apprise: apprise.Apprise | None
    load_error: str = ""
    failing: bool = False


class InflightSends:
    """Sends started but not yet recorded, keyed by outbox row id: {row id: (dest, outcome)}.

    One instance lives as long as the process and is handed from one :class:`Notifier` to the
    next on a config reload, so a send still running when the reload (or a deadline) happened
    is never started a second time: its destination gets nothing new until it ends, and its
    result (delivered, or failed and due for a retry) is recorded by whichever notifier runs
    next. A late success followed by a retry would otherwise deliver the alert twice.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._sends: dict[int, tuple[str, _Outcome]] = {}

    def add(self, row_id: int, dest: str, outcome: _Outcome) -> None:
        with self._lock:
            self._sends[row_id] = (dest, outcome)

    def discard(self, row_id: int) -> None:
        with self._lock:
            self._sends.pop(row_id, None)

    def busy_dests(self) -> set[str]:
        """Return the destinations with a send still running."""
        with self._lock:
            return {d for d, o in self._sends.values() if not o.done.is_set()}

    def take_finished(self) -> list[tuple[int, str, _Outcome]]:
        """Remove and return the sends that have ended since the last call."""
        with self._lock:
            done = [(i, d, o) for i, (d, o) in self._sends.items() if o.done.is_set()]
            for i, _, _ in done:
                del self._sends[i]
        return done

    def running(self) -> int:
        with self._lock:
            return sum(1 for _, o in self._sends.values() if not o.done.is_set())


class Notifier:
    """Delivers due outbox rows to the configured destinations."""

    def __init__(
        self,
        urls: list[AlertUrl] | tuple[AlertUrl, ...],
        db: StateDB,
        *,
        timeout: float = 30.0,
        backoff_max: float = 30.0,
        inflight: InflightSends | None = None,
    ) -> None:
        self.db = db
        self.timeout = float(timeout)
        self.backoff_max = float(backoff_max)
        self.inflight = inflight if inflight is not None else InflightSends()
        # set by the worker's stop(): waits end at once and nothing more is written
        self.cancelled = threading.Event()
        self._lock = threading.Lock()  # one deliver_due at a time (worker + a manual flush)
        self.failures_total = 0  # failed delivery attempts since start (for the metrics)
        self._dests: dict[str, _Dest] = {}
        for n, url in enumerate(urls, start=1):
            raw = url.url.reveal()
            fp = dest_fingerprint(raw)
            if fp in self._dests:
                continue
            obj, error = _load(raw, self.timeout)
            masked = mask_url(raw)
            if obj is None:
                log.warning("alert URL #%d (%s) cannot be used: %s", n, masked, error)
            self._dests[fp] = _Dest(fp, masked, obj, error)

    @property
    def degraded(self) -> bool:
        """True while some destination's last delivery attempt failed."""
        return any(d.failing or d.apprise is None for d in self._dests.values())

    def deliver_due(self, now: float) -> DeliveryReport:
        """Send every due outbox row; never raise, never wait longer than ``timeout`` per send.

        Given ``now`` (wall-clock epoch seconds), return what was done. A failed row gets
        ``min(backoff_max, 2**attempts)`` seconds (plus jitter) before its next try, and later
        rows for the same destination wait behind it.
        """
        report = DeliveryReport()
        with self._lock:
            if self.cancelled.is_set():
                return report
            self._reap_inflight(now)
            rows = self.db.due_outbox(
                now, limit=100, max_delay_seconds=self.backoff_max * (1 + JITTER_SHARE) + 1
            )
            held: set[str] = self.inflight.busy_dests()
            for row in rows:
                assert row.id is not None
                if self.cancelled.is_set():
                    break
                dest = self._dests.get(row.dest)
                if dest is None:
                    self.db.drop(row.id, now, "destination no longer configured")
                    log.warning(
                        "dropping alert %s for a destination that is no longer configured",
                        row.alert_id,
                    )
                    continue
                if row.dest in held:
                    report.skipped += 1
                    continue
                report.attempted += 1
                sent = self._send(dest, row)
                if sent is None:  # cancelled (stop or reload): the row stays as it is
                    report.skipped += 1
                    held.add(row.dest)
                    continue
                ok, reason = sent
                if ok:
                    self._delivered(dest, row, now, report)
                else:
                    held.add(row.dest)
                    self._failed(dest, row, now, reason, report)
        return report

    def _delivered(self, dest: _Dest, row: OutboxRow, now: float, report: DeliveryReport) -> None:
        """Record that ``row`` reached ``dest``; say so once if the channel was failing."""
        assert row.id is not None
        self.db.mark_delivered(row.id, now)
        report.delivered += 1
        if dest.failing:
            log.info("alerts to %s are delivered again", dest.masked)
        dest.failing = False

    def _failed(
        self, dest: _Dest, row: OutboxRow, now: float, reason: str, report: DeliveryReport
    ) -> None:
        """Record a failed send of ``row`` and when to try again (later rows of the
        destination wait behind it)."""
        assert row.id is not None
        report.failed += 1
        self.failures_total += 1
        delay = self.backoff_delay(row.attempts + 1)
        self.db.mark_failed(row.id, now, reason, now + delay)
        report.errors.append(f"{dest.masked}: {reason}")
        # the first failure of a channel is news; every retry of it is not
        level = logging.DEBUG if dest.failing else logging.WARNING
        log.log(
            level,
            "alert %s to %s failed (attempt %d, retry in %.0f s): %s",
            row.alert_id[:8],
            dest.masked,
            row.attempts + 1,
            delay,
            reason,
        )
        dest.failing = True

    def backoff_delay(self, attempts: int) -> float:
        """Given the attempts made so far, return seconds until the next try."""
        base = min(self.backoff_max, 2.0 ** min(attempts, 30))
        return base + random.uniform(0, base * JITTER_SHARE)

    def _send(self, dest: _Dest, row: OutboxRow) -> tuple[bool, str] | None:
        """Send one row; return (ok, reason), or None if cancelled while the send runs (it
        stays in :attr:`inflight` and is recorded by the next pass of any notifier)."""
        if dest.apprise is None:
            return False, f"destination cannot be used: {dest.load_error}"
        assert row.id is not None
        # apprise gets most of the budget so its own TIMEOUT (with a reason) usually comes first;
        # the wait below is the hard stop for what apprise does not bound (DNS, throttle, bugs)
        outcome = _start_send(
            dest.apprise, row.title, row.body, row.notify_type, self.timeout * APPRISE_SHARE
        )
        self.inflight.add(row.id, dest.fingerprint, outcome)
        deadline = time.monotonic() + self.timeout
        while not outcome.done.is_set():
            left = deadline - time.monotonic()
            if left <= 0:
                # still running: the destination is held (busy_dests) until it ends, and the
                # next pass records its real result; the row is not retried meanwhile
                outcome.recorded_failure = True
                return False, (
                    f"no answer within {self.timeout:.0f} s (send still running in background)"
                )
            if self.cancelled.is_set():
                return None
            outcome.done.wait(min(left, CANCEL_POLL))
        self.inflight.discard(row.id)
        return outcome.ok, outcome.reason

    def _reap_inflight(self, now: float) -> None:
        for row_id, fp, outcome in self.inflight.take_finished():
            dest = self._dests.get(fp)
            masked = dest.masked if dest is not None else "a destination no longer configured"
            if outcome.ok:
                # it got through after all; retrying would send it twice
                self.db.mark_delivered(row_id, now)
                log.info("a slow alert to %s was delivered after its deadline", masked)
            elif not outcome.recorded_failure:
                self.db.mark_failed(row_id, now, outcome.reason or "failed", now)


class DeliveryWorker:
    """A daemon thread that keeps draining the outbox; :meth:`kick` after queuing rows."""

    def __init__(self, notifier: Notifier, wakeup_interval: float = 1.0) -> None:
        self.notifier = notifier
        self.wakeup_interval = wakeup_interval
        self.last_report: DeliveryReport | None = None
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="alert-delivery", daemon=True)

    def start(self) -> DeliveryWorker:
        self._thread.start()
        return self

    def kick(self) -> None:
        """Wake the worker now (a cycle just queued alerts)."""
        self._wake.set()

    def stop(self, timeout: float = 5.0) -> bool:
        """Ask the worker to end and wait up to ``timeout``; return True if it ended.

        A send in progress is not waited for: it stays in the notifier's :class:`InflightSends`
        and its row stays in the outbox (delivered by the next worker, or after a restart).
        """
        self._stop.set()
        self.notifier.cancelled.set()
        self._wake.set()
        if self._thread.is_alive():
            self._thread.join(timeout)
        return not self._thread.is_alive()

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                self.last_report = self.notifier.deliver_due(time.time())
            except Exception:  # the delivery thread must outlive any bug in one pass
                log.error(
                    "alert delivery pass failed, will retry: %s", scrub(traceback.format_exc())
                )
            self._wake.wait(self.wakeup_interval)
            self._wake.clear()


# ------------------------------------------------------------------------------ helpers


def send_test(
    urls: list[AlertUrl] | list[str], timeout: float = 30.0
) -> list[tuple[str, bool, str]]:
    """Send a test notification to each URL; return [(masked_url, ok, reason)] in order."""
    out: list[tuple[str, bool, str]] = []
    for url in urls:
        raw = url.url.reveal() if isinstance(url, AlertUrl) else url
        masked = mask_url(raw)
        obj, error = _load(raw, timeout)
        if obj is None:
            out.append((masked, False, error))
            continue
        outcome = _start_send(obj, TEST_TITLE, TEST_BODY, "info", timeout * APPRISE_SHARE)
        if outcome.done.wait(timeout):
            out.append((masked, outcome.ok, outcome.reason or ("sent" if outcome.ok else "")))
        else:
            out.append((masked, False, f"no answer within {timeout:.0f} s"))
    return out


def mask_url(url: str) -> str:
    """Given an apprise URL, return it with tokens and passwords masked; fall back to
    ``scheme://…`` when apprise cannot parse it.

    apprise's privacy mode masks passwords and the tokens it knows of, but keeps webhook paths
    (``json://host/hookTOKENpath``, where many services keep their token), header and payload
    values, and shows abbreviated tokens ("1...j"). So on top of it: every path segment except
    an e-mail recipient becomes ``***``, values of ``+header``, ``-param`` and ``:field``
    arguments become ``***``, and abbreviated tokens become ``***``.
    """
    try:
        import apprise

        obj = apprise.Apprise.instantiate(url)
        if obj is not None:
            # not scrub()bed: the whole URL is a registered secret literal, so scrubbing would
            # blank out secret-free URLs such as json://host/ entirely
            return _mask_more(str(obj.url(privacy=True)))
    except Exception:  # masking must never be the reason a status line fails
        log.debug("cannot mask URL with apprise", exc_info=True)
    scheme = url.split("://", 1)[0] if "://" in url else "?"
    return f"{scheme}://…"


_ABBREVIATED = re.compile(r"^[^.]?\.\.\.[^.]?$")
_DEFAULT_ARGS = {
    "overflow": "upstream",
    "retry": "0",
    "wait": "0.5",
    "optional": "no",
    "method": "POST",
}


def _mask_more(masked: str) -> str:
    parts = urllib.parse.urlsplit(masked)
    netloc = parts.netloc
    user, at, host = netloc.rpartition("@")
    if at:
        user = ":".join("***" if _ABBREVIATED.match(p) else p for p in user.split(":"))
    host_part = "***" if _ABBREVIATED.match(host.split(":")[0]) else host
    netloc = f"{user}@{host_part}" if at else host_part
    is_mail = parts.scheme.lower() in ("mailto", "mailtos")
    segments = [s if (not s or (is_mail and "%40" in s)) else "***" for s in parts.path.split("/")]
    query = []
    for key, value in urllib.parse.parse_qsl(parts.query, keep_blank_values=True):
        if _DEFAULT_ARGS.get(key) == value:
            continue  # apprise's defaults only make the line longer
        if key[:1] in "+-:" or _ABBREVIATED.match(value):
            value = "***"
        query.append(f"{urllib.parse.quote(key, safe='')}={urllib.parse.quote(value, safe='*')}")
    out = f"{parts.scheme}://{netloc}{'/'.join(segments)}"
    return out + (f"?{'&'.join(query)}" if query else "")


def ping_heartbeat(url: str, failed: bool, timeout: float) -> bool:
    """GET a dead man's switch URL (healthchecks.io style; ``/fail`` appended when ``failed``).

    Return True on a 2xx answer; never raise. The URL is a credential (anyone with it can ping),
    so errors are logged by exception type and status only.
    """
    import requests

    target = url
    if failed:
        parts = urllib.parse.urlsplit(url)
        target = urllib.parse.urlunsplit(parts._replace(path=parts.path.rstrip("/") + "/fail"))
    try:
        resp = requests.get(target, timeout=timeout, headers={"User-Agent": "binance-healthcheck"})
    except requests.RequestException as e:
        log.warning("heartbeat ping failed: %s", type(e).__name__)
        return False
    except Exception as e:  # noqa: BLE001 (the heartbeat must never take the daemon down)
        log.warning("heartbeat ping failed: %s", scrub(f"{type(e).__name__}: {e}"))
        return False
    if 200 <= resp.status_code < 300:
        return True
    log.warning("heartbeat ping answered HTTP %d", resp.status_code)
    return False


def _load(raw: str, timeout: float = 30.0) -> tuple[apprise.Apprise | None, str]:
    """Return an Apprise object holding just this URL, throttle off and its timeouts fitted to
    ``timeout`` (the delivery deadline); or (None, reason)."""
    import apprise

    budget = timeout * APPRISE_SHARE
    obj = apprise.Apprise(asset=apprise.AppriseAsset(service_timeout=budget))
    try:
        ok = obj.add(raw)
    except Exception as e:  # noqa: BLE001
        return None, scrub(f"apprise rejected the URL: {type(e).__name__}")
    if not ok or len(obj) == 0:
        return None, "apprise does not recognise this URL (unknown scheme or bad format)"
    for service in obj:
        # apprise's throttle sleeps up to request_rate_per_sec (5.5 s for e-mail) measured on the
        # wall clock: a backward clock step turns it into an hour-long sleep
        service.request_rate_per_sec = 0
        fit_timeouts(service, budget)
    return obj, ""


def fit_timeouts(service: Any, budget: float) -> None:
    """Make one apprise service's socket timeouts fit the delivery budget (seconds).

    apprise reads the per-URL ``cto``/``rto`` parameters into ``socket_connect_timeout`` and
    ``socket_read_timeout`` (defaults 4 s each; e-mail uses ``socket_connect_timeout``, 15 s,
    as the SMTP socket timeout for every command). A 4 s read timeout fails a webhook that
    answers in 6 s although it got the message, and the retry sends it again; a 30 s ``rto``
    outlives the daemon's deadline and its shutdown. So: a read timeout the user did not set is
    the whole budget minus the connect time; one the user set is kept if it fits; nothing is
    longer than the budget.
    """
    set_here = vars(service)  # the URL's cto=/rto= are instance attributes; defaults are not
    connect = min(float(service.socket_connect_timeout), max(1.0, budget / 4))
    if getattr(service, "smtp_host", None) is not None:
        # smtplib uses one timeout for connect and every reply
        smtp = (
            float(service.socket_connect_timeout)
            if "socket_connect_timeout" in set_here
            else budget
        )
        service.socket_connect_timeout = max(0.1, min(smtp, budget))
        return
    read_budget = max(0.1, budget - connect)
    read = float(service.socket_read_timeout) if "socket_read_timeout" in set_here else read_budget
    service.socket_connect_timeout = connect
    service.socket_read_timeout = min(read, read_budget)


def _start_send(
    obj: apprise.Apprise, title: str, body: str, notify_type: str, timeout: float
) -> _Outcome:
    """Start one notify() on a daemon thread; the caller waits on ``outcome.done``."""
    outcome = _Outcome()

    def run() -> None:
        try:
            import apprise

            result = obj.notify(
                body=body,
                title=title,
                notify_type=apprise.NotifyType(notify_type),
                body_format=apprise.NotifyFormat.TEXT,
                timeout=timeout,
            )
            outcome.ok = bool(result)  # truthy only on SUCCESS (2.x AppriseResult)
            if not outcome.ok:
                outcome.reason = _reason(result)
        except Exception as e:  # noqa: BLE001 (a plugin bug is a failed send, not a crash)
            outcome.ok = False
            outcome.reason = scrub(f"apprise raised {type(e).__name__}: {e}")[:MAX_REASON_CHARS]
        finally:
            outcome.done.set()

    threading.Thread(target=run, name="alert-send", daemon=True).start()
    return outcome


def _reason(result: Any) -> str:
    """Return apprise's WARNING+ log lines for this call, scrubbed, as the failure reason.

    ``AppriseResult.logs()`` holds exactly this call's lines (unlike ``apprise.LogCapture``,
    which hooks the shared logger and would mix in lines from a timed-out send still running
    on another thread).
    """
    lines: list[str] = []
    try:
        for entry in result.logs():
            level = str(getattr(entry, "level", "")).upper()
            if level in ("WARNING", "ERROR", "CRITICAL"):
                msg = str(getattr(entry, "message", "")).strip()
                if msg and msg not in lines:
                    lines.append(msg)
    except Exception:  # noqa: BLE001 (1.x returned a bool without logs)
        pass
    status = getattr(getattr(result, "status", None), "name", None)
    if not lines:
        return f"apprise reported {status.lower() if status else 'failure'}"
    text = " ".join(lines)
    if status == "TIMEOUT":
        text = f"timed out: {text}"
    return scrub(text)[:MAX_REASON_CHARS]
