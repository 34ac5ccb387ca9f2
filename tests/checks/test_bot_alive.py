"""bot_alive's pure evaluation: hand-built facts, a driven clock (no sleeps)."""

from __future__ import annotations

import pytest

from healthcheck.bots.liveness import ApiFailure, ApiProbe, BotAliveFacts, SourceSilence, UnitState
from healthcheck.checks.bot_alive import evaluate_bot_alive
from healthcheck.model.result import Status

T0 = 1_767_225_600.0  # 2026-01-01 00:00:00 UTC
LOG = "/var/log/freqtrade/freqtrade.log"


def source(last: float | None, stale_after: float | None = 180, since: float = T0) -> SourceSilence:
    return SourceSilence(LOG, stale_after, last, since)


def run(facts: BotAliveFacts, now: float):
    return evaluate_bot_alive("main", facts, now)


def test_a_log_silent_longer_than_stale_after_is_critical_naming_the_last_line():
    facts = BotAliveFacts(sources=[source(T0 + 10)])
    assert run(facts, T0 + 10 + 180).status is Status.OK  # exactly stale_after: not yet
    r = run(facts, T0 + 10 + 181)
    assert r.status is Status.CRITICAL
    assert "last line at 2026-01-01 00:00:10 UTC" in r.summary
    assert "nothing for 3 min" in r.summary and "stale_after = 180 s" in r.summary
    assert "3 x heartbeat_interval" in r.fix and "60 s by default" in r.fix
    assert r.metrics["last_line_timestamp_seconds"] == T0 + 10
    assert r.metrics["last_line_age_seconds"] == 181


def test_a_new_line_resolves_the_silence():
    now = T0 + 1000
    assert run(BotAliveFacts(sources=[source(T0)]), now).status is Status.CRITICAL
    r = run(BotAliveFacts(sources=[source(now - 1)]), now)
    assert r.status is Status.OK and "last line at" in r.summary


def test_no_line_yet_counts_from_the_start_of_watching_and_says_so():
    facts = BotAliveFacts(sources=[source(None, 60, since=T0)])
    ok = run(facts, T0 + 59)
    assert ok.status is Status.OK and "none seen yet" in ok.summary
    r = run(facts, T0 + 61)
    assert r.status is Status.CRITICAL
    assert "since watching started at 2026-01-01 00:00:00 UTC" in r.summary
    assert "none seen yet" in r.summary
    assert "last_line_timestamp_seconds" not in r.metrics


def test_a_missing_file_is_named_in_the_silence():
    s = SourceSilence(LOG, 60, None, T0, problem=f"{LOG}: does not exist (yet)")
    r = run(BotAliveFacts(sources=[s]), T0 + 120)
    assert r.status is Status.CRITICAL and "does not exist" in r.summary


def test_a_source_without_stale_after_is_not_judged():
    r = run(
        BotAliveFacts(
            sources=[source(T0, None)],
            units=[UnitState("ft.service", "loaded", "active", "running", 0)],
        ),
        T0 + 99999,
    )
    assert r.status is Status.OK


def test_the_oldest_source_is_the_metric():
    a = SourceSilence("a.log", 600, T0 + 100, T0)
    b = SourceSilence("b.log", 600, T0 + 50, T0)
    r = run(BotAliveFacts(sources=[a, b]), T0 + 200)
    assert r.metrics["last_line_timestamp_seconds"] == T0 + 50
    assert r.metrics["stale_after_seconds"] == 600


@pytest.mark.parametrize(
    "unit,status,words",
    [
        (UnitState("ft.service", "loaded", "active", "running", 0), Status.OK, "active (running)"),
        (
            UnitState("ft.service", "loaded", "failed", "failed", 1),
            Status.CRITICAL,
            "failed (failed), exit status 1",
        ),
        (
            UnitState("ft.service", "loaded", "inactive", "dead", 0),
            Status.CRITICAL,
            "inactive (dead)",
        ),
        (
            UnitState("ft.service", "not-found", "inactive", "dead", 0),
            Status.CRITICAL,
            "does not exist",
        ),
        (
            UnitState("ft.service", "loaded", "activating", "auto-restart", 1),
            Status.WARNING,
            "activating (auto-restart)",
        ),
        (
            UnitState(
                "ft.service", error="systemctl is not installed here", missing_systemctl=True
            ),
            Status.UNKNOWN,
            "systemctl is not installed here",
        ),
        (
            UnitState(
                "ft.service",
                error="systemctl show failed: System has not been booted with "
                "systemd as init system (PID 1). Can't operate.",
            ),
            Status.UNKNOWN,
            "has not been booted with systemd",
        ),
    ],
)
def test_unit_state(unit: UnitState, status: Status, words: str):
    r = run(BotAliveFacts(units=[unit]), T0)
    assert r.status is status, r.summary
    assert words in r.summary
    if status is Status.UNKNOWN:
        assert "Binance" not in r.fix


URL = "http://127.0.0.1:8080"


@pytest.mark.parametrize(
    "probe,now,status,words",
    [
        (ApiProbe(URL, 180, last_process_ts=T0), T0 + 5, Status.OK, "last ran its loop 5 s ago"),
        (
            ApiProbe(URL, 180, last_process_ts=T0),
            T0 + 181,
            Status.CRITICAL,
            "last ran its loop at 2026-01-01 00:00:00 UTC",
        ),
        (
            ApiProbe(
                URL,
                180,
                failure=ApiFailure.UNREACHABLE,
                reason=f"{URL}/api/v1/ping: connection refused",
            ),
            T0,
            Status.CRITICAL,
            f"REST API at {URL} does not answer",
        ),
        (
            ApiProbe(
                URL,
                180,
                failure=ApiFailure.TIMEOUT,
                reason=f"{URL}/api/v1/ping: no answer within 2 s",
            ),
            T0,
            Status.CRITICAL,
            "no answer within 2 s",
        ),
        (
            ApiProbe(URL, 180, failure=ApiFailure.AUTH, reason="x"),
            T0,
            Status.UNKNOWN,
            "refused the credentials",
        ),
        (
            ApiProbe(URL, 180, failure=ApiFailure.HTTP, reason=f"{URL}/api/v1/health: HTTP 500"),
            T0,
            Status.UNKNOWN,
            "HTTP 500",
        ),
        (ApiProbe(URL, 180, bot_startup_ts=T0), T0 + 60, Status.OK, "not processed yet"),
        (
            ApiProbe(URL, 180, bot_startup_ts=T0),
            T0 + 600,
            Status.CRITICAL,
            "has not run its loop once since it started",
        ),
    ],
)
def test_bot_api(probe: ApiProbe, now: float, status: Status, words: str):
    r = run(BotAliveFacts(api=probe), now)
    assert r.status is status, r.summary
    assert words in r.summary


def test_a_silent_log_outranks_refused_credentials():
    r = run(
        BotAliveFacts(sources=[source(T0)], api=ApiProbe(URL, 180, failure=ApiFailure.AUTH)),
        T0 + 1000,
    )
    assert r.status is Status.CRITICAL
    assert "refused the credentials" in r.summary  # still said, after the finding


def test_the_last_line_time_is_exported_as_a_metric_and_perfdata() -> None:
    from prometheus_client.parser import text_string_to_metric_families

    from healthcheck.config import ChecksConfig
    from healthcheck.engine.runner import Report
    from healthcheck.service.metrics import (
        HealthCollector,
        generate_latest,
        make_registry,
        nagios_line,
    )

    r = run(BotAliveFacts(sources=[source(T0 + 10)]), T0 + 200)
    c = HealthCollector()
    c.update(Report([r], {}, T0))
    text = generate_latest(make_registry(c)).decode()
    got = {
        (s.name, tuple(s.labels.items())): s.value
        for fam in text_string_to_metric_families(text)
        for s in fam.samples
    }
    assert (
        got[("binance_healthcheck_bot_last_line_timestamp_seconds", (("account", "main"),))]
        == T0 + 10
    )
    line = nagios_line(Report([r], {}, T0), ChecksConfig())
    assert "BINANCE CRITICAL" in line and "'main bot_last_line_age'=190s;;180;0;" in line


def test_an_unreadable_unit_state_is_a_note_when_the_log_is_judged():
    """Under the shipped unit's DynamicUser=, the system bus refuses `systemctl show` (found under
    a real systemd): with the log's silence judged, bot_alive stays OK or CRITICAL on the log and
    keeps the unit's reason in its details; alone, it is UNKNOWN with that reason."""
    refused = UnitState(
        "ft.service",
        error="systemctl show failed: Failed to get properties: Transport endpoint is not "
        "connected",
    )
    fresh = run(BotAliveFacts(sources=[source(T0)], units=[refused]), T0 + 10)
    assert fresh.status is Status.OK, fresh.summary
    assert "Transport endpoint" in str(fresh.details["unit_state_unreadable"])
    silent = run(BotAliveFacts(sources=[source(T0)], units=[refused]), T0 + 600)
    assert silent.status is Status.CRITICAL and "stale_after" in silent.summary
    alone = run(BotAliveFacts(units=[refused]), T0)
    assert alone.status is Status.UNKNOWN and "Transport endpoint" in alone.summary
