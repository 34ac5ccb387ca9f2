"""bot_alive: a trading bot that has stopped, hangs or died.

A dead or hung bot writes nothing, so its log holds no error and every other check stays green.
Per account this check judges three signs of life, each only where configured:

* a ``[[watch]]`` source with ``stale_after``: CRITICAL once it has written no line for that
  long, naming the time of its last line (a source that never wrote one since the watcher
  started counts from that start, and says so); OK again with the next line;
* a ``unit =`` source: the unit's state (``inactive``/``failed``/not found CRITICAL, a unit
  (re)starting WARNING, no systemctl UNKNOWN);
* ``bot_api`` on the account: freqtrade's REST API (unreachable CRITICAL, refused credentials
  UNKNOWN, ``last_process`` older than its ``stale_after`` CRITICAL).

The evaluation is the pure :func:`evaluate_bot_alive`; :mod:`healthcheck.bots.probe` acquires.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any, ClassVar

from healthcheck.bots.liveness import ApiFailure, ApiProbe, BotAliveFacts, SourceSilence, UnitState
from healthcheck.checks.base import CheckBase, CheckSettings, Facts, Finding, combine, fmt_duration
from healthcheck.checks.measure import Family, Measurement, Perf, finite, perf_number
from healthcheck.model.result import Result, Status

CHECK_ID = "bot_alive"
HEARTBEAT_HINT = (
    "freqtrade logs 'Bot heartbeat' every internals.heartbeat_interval (60 s by default): "
    "set stale_after to 3 x heartbeat_interval (180 s) so a quiet bot is not taken for a dead one"
)


def when(ts: float) -> str:
    """Given epoch seconds, return the UTC time to the second, as alerts name it."""
    return time.strftime("%Y-%m-%d %H:%M:%S UTC", time.gmtime(ts))


def judge_source(s: SourceSilence, now: float) -> Finding | None:
    """Given one watched source with ``stale_after``, return its finding (None: not judged)."""
    if not s.stale_after:
        return None
    problem = f" ({s.problem})" if s.problem else ""
    if s.last_line_ts is None:
        age = now - s.watching_since
        text = (
            f"no line from {s.label} since watching started at {when(s.watching_since)} "
            f"({fmt_duration(age)} ago; none seen yet){problem}"
        )
    else:
        age = now - s.last_line_ts
        text = (
            f"{s.label} has written nothing for {fmt_duration(age)}: last line at "
            f"{when(s.last_line_ts)}{problem}"
        )
    if age <= s.stale_after:
        return Finding(Status.OK, text)
    return Finding(
        Status.CRITICAL,
        f"{text}, more than stale_after = {s.stale_after:g} s: the bot is stopped or hangs",
        fix="see whether the bot still runs (systemctl status, docker ps) and why it stopped "
        "writing; " + HEARTBEAT_HINT,
    )


def judge_unit(u: UnitState) -> tuple[Finding | None, str | None]:
    """Given a unit's state, return its finding, or the reason it is unknown."""
    if u.error is not None:
        if u.missing_systemctl:
            return None, f"unit {u.unit}: systemctl is not installed here, its state is unknown"
        return None, f"unit {u.unit}: {u.error}"
    state = f"{u.active_state} ({u.sub_state})" if u.sub_state else u.active_state
    exit_note = f", exit status {u.exec_main_status}" if u.exec_main_status else ""
    if u.load_state == "not-found":
        return Finding(
            Status.CRITICAL,
            f"unit {u.unit} does not exist (not-found)",
            fix="check the unit name of the [[watch]] entry (systemctl list-units)",
        ), None
    if u.active_state in ("inactive", "failed"):
        return Finding(
            Status.CRITICAL,
            f"unit {u.unit} is {state}{exit_note}: the bot is not running",
            fix=f"journalctl -u {u.unit} -n 50 shows why; systemctl start {u.unit}",
        ), None
    if u.active_state in ("activating", "deactivating", "reloading"):
        return Finding(
            Status.WARNING,
            f"unit {u.unit} is {state}{exit_note}",
            fix=f"if it keeps restarting, journalctl -u {u.unit} -n 50 shows why",
        ), None
    return Finding(Status.OK, f"unit {u.unit} is {state}"), None


def judge_api(api: ApiProbe, now: float) -> tuple[Finding | None, str | None]:
    """Given what freqtrade's REST API said, return its finding, or the reason it is unknown."""
    if api.failure in (ApiFailure.UNREACHABLE, ApiFailure.TIMEOUT):
        return Finding(
            Status.CRITICAL,
            f"freqtrade's REST API at {api.url} does not answer ({api.reason}): "
            "the bot is down or hangs",
            fix="see whether freqtrade runs and its api_server is enabled on that address",
        ), None
    if api.failure is ApiFailure.AUTH:
        return None, (
            f"freqtrade's REST API at {api.url} refused the credentials: set bot_api's "
            "username/password to api_server.username/password of the bot's config"
        )
    if api.failure is not None:
        return None, f"freqtrade's REST API: {api.reason}"
    if api.last_process_ts is None:
        started = api.bot_startup_ts or api.bot_start_ts
        if started is not None and now - started > api.stale_after:
            return Finding(
                Status.CRITICAL,
                f"freqtrade (API {api.url}) has not run its loop once since it started at "
                f"{when(started)} ({fmt_duration(now - started)} ago)",
                fix="freqtrade may be stopped (/stop) or stuck at start-up: read its log",
            ), None
        return Finding(Status.OK, f"freqtrade (API {api.url}) answers; not processed yet"), None
    age = now - api.last_process_ts
    if age > api.stale_after:
        return Finding(
            Status.CRITICAL,
            f"freqtrade (API {api.url}) last ran its loop at {when(api.last_process_ts)}, "
            f"{fmt_duration(age)} ago (more than {api.stale_after:g} s): it hangs or is stopped",
            fix="read freqtrade's log; a bot stopped with /stop is started again with /start",
        ), None
    return Finding(
        Status.OK,
        f"freqtrade (API {api.url}) last ran its loop {fmt_duration(age)} ago",
    ), None


def evaluate_bot_alive(account: str, facts: BotAliveFacts, now: float) -> Result:
    """Given an account's liveness facts and the time, return the bot_alive Result (pure)."""
    findings: list[Finding] = []
    unknown: list[str] = []
    for s in facts.sources:
        f = judge_source(s, now)
        if f is not None:
            findings.append(f)
    unit_unknown: list[str] = []
    for u in facts.units:
        f, why = judge_unit(u)
        findings += [f] if f is not None else []
        unit_unknown += [why] if why else []
    if facts.api is not None:
        f, why = judge_api(facts.api, now)
        findings += [f] if f is not None else []
        unknown += [why] if why else []
    if findings:
        # another sign of life was judged (the log's silence, the bot's API): a unit state that
        # cannot be read (e.g. the system bus refusing a DynamicUser=) is a note, not UNKNOWN
        unit_notes = unit_unknown
    else:
        unknown += unit_unknown
        unit_notes = []
    metrics: dict[str, Any] = {}
    seen = [s for s in facts.sources if s.last_line_ts is not None]
    if seen:
        # the oldest last line of the account's sources: one silent source is enough to alarm
        oldest = min(seen, key=lambda s: s.last_line_ts or 0.0)
        assert oldest.last_line_ts is not None
        metrics["last_line_timestamp_seconds"] = oldest.last_line_ts
        metrics["last_line_age_seconds"] = round(max(0.0, now - oldest.last_line_ts), 3)
        if oldest.stale_after:
            metrics["stale_after_seconds"] = oldest.stale_after
    if facts.api is not None and facts.api.last_process_ts is not None:
        metrics["last_process_timestamp_seconds"] = facts.api.last_process_ts
    details: dict[str, Any] = {
        "sources": [
            {
                "source": s.label,
                "stale_after_seconds": s.stale_after,
                "last_line": when(s.last_line_ts) if s.last_line_ts is not None else None,
                "watching_since": when(s.watching_since),
            }
            for s in facts.sources
        ],
    }
    if facts.units:
        details["units"] = [
            {"unit": u.unit, "state": u.active_state, "sub_state": u.sub_state, "error": u.error}
            for u in facts.units
        ]
    if facts.api is not None:
        details["api"] = {"url": facts.api.url, "failure": facts.api.reason or None}
    if unit_notes:
        details["unit_state_unreadable"] = unit_notes
    ok = "; ".join(f.text for f in findings if f.status is Status.OK) or "the bot is alive"
    r = combine(
        account,
        CHECK_ID,
        findings,
        ok_summary=ok,
        unknown=unknown,
        details=details,
        metrics=metrics,
    )
    if r.status is Status.UNKNOWN:
        r.fix = "the reason above says what to set or install; the check runs again next cycle"
    return r


LAST_LINE = Family(
    "bot_last_line_timestamp_seconds",
    "When the bot's watched log last wrote a line (Unix time; the oldest of the account's sources)",
    ("account",),
)


@dataclass(frozen=True)
class BotAliveCheck(CheckBase):
    """bot_alive in the registry. It sends no request to Binance: the runner hands it
    ``facts.bot_alive`` (healthcheck.bots.probe) for accounts with ``stale_after``, a unit
    source or ``bot_api``."""

    settings: CheckSettings
    id: ClassVar[str] = CHECK_ID
    title: ClassVar[str] = "the bot still runs: its log writes, its unit, its REST API"
    Settings: ClassVar[type[CheckSettings]] = CheckSettings
    families: ClassVar[tuple[Family, ...]] = (LAST_LINE,)

    def measurements(self, result: Result, run_started_at: float) -> list[Measurement]:
        """When the watched log last wrote (Prometheus) and how long ago, against the account's
        stale_after (perfdata)."""
        out = []
        at = finite(result.metrics.get("last_line_timestamp_seconds"))
        if at is not None:
            out.append(Measurement(LAST_LINE, (result.account,), at))
        age = finite(result.metrics.get("last_line_age_seconds"))
        if age is not None:
            stale = finite(result.metrics.get("stale_after_seconds"))
            crit = "" if stale is None else perf_number(stale)
            perf = Perf(f"{result.account} bot_last_line_age", age, "s", "", crit, "0")
            out.append(Measurement(None, perf=perf))
        return out

    def evaluate(self, facts: Facts) -> Result | None:
        alive = facts.bot_alive
        if alive is None:
            return None
        return evaluate_bot_alive(facts.account.name, alive, facts.now)
