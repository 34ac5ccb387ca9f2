"""Alert rules with an injected clock: inhibition by root causes, silences, maintenance windows,
success_threshold, and the status line; plus their config parsing and storage in the state DB.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime, time
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from healthcheck.alerting.alerts import AlertEngine, AlertKind, AlertMessage
from healthcheck.config import AlertsConfig, ConfigError, parse_config
from healthcheck.model.maintenance import MaintenanceWindow, active_window, parse_duration
from healthcheck.model.result import Result, Status
from healthcheck.model.silences import Silence
from healthcheck.storage.state import CheckState, SilencesChanged, StateDB

OK, WARN, CRIT, UNK = Status.OK, Status.WARNING, Status.CRITICAL, Status.UNKNOWN
T0 = datetime(2026, 11, 29, 12, 0, tzinfo=UTC).timestamp()
STEP = 60.0
FOLLOW_ONS = ("api_key", "position_mode", "trading_status", "balance", "system_status")


def res(
    check: str,
    status: Status,
    codes: tuple[int, ...] = (),
    account: str = "main",
    summary: str = "",
    **kw: object,
) -> Result:
    return Result(account, check, status, summary or f"{check} is {status.name}", list(codes), **kw)  # type: ignore[arg-type]


def ban() -> Result:
    return res(
        "rate_limit",
        CRIT,
        (-1003,),
        summary="IP banned (HTTP 418)",
        details={"bans": [{"host": "spot:http://127.0.0.1:1", "until": "x"}]},
    )


class Clock:
    """Feeds cycles to one engine, keeping the states, at T0 + n * STEP."""

    def __init__(self, cfg: AlertsConfig) -> None:
        self.engine = AlertEngine(cfg)
        self.states: dict[tuple[str, str], CheckState] = {}
        self.now = T0

    def cycle(
        self, results: list[Result], silences: list[Silence] | None = None, step: float = STEP
    ) -> list[AlertMessage]:
        d = self.engine.evaluate(results, self.states, self.now, silences or [])
        self.states = d.states
        self.now += step
        return d.messages


def items(msgs: list[AlertMessage]) -> list[tuple[str, str]]:
    return [(i.check, i.kind.value) for m in msgs for i in m.items]


CFG = AlertsConfig(failure_threshold=2, unknown_threshold=3, repeat_interval=0)


# ------------------------------------------------------------------------------ inhibition


def test_ban_making_five_checks_unknown_sends_one_item_that_names_them() -> None:
    c = Clock(CFG)
    cycle = [ban(), *(res(x, UNK, summary="not sent: IP banned") for x in FOLLOW_ONS)]
    sent = [c.cycle(cycle) for _ in range(5)]
    flat = [m for msgs in sent for m in msgs]
    assert items(flat) == [("rate_limit", "FIRING")]
    body = flat[0].body
    assert (
        "Also makes api_key, balance, position_mode, system_status, trading_status unknown" in body
    )
    # the follow-ons are remembered as inhibited, not forgotten
    assert c.states[("main", "balance")].muted["kind"] == "inhibited"  # type: ignore[index]


def test_follow_on_still_bad_after_the_ban_clears_alerts_then() -> None:
    c = Clock(CFG)
    for _ in range(3):
        assert items(c.cycle([ban(), res("balance", UNK, summary="HTTP 418")])) in (
            [],
            [("rate_limit", "FIRING")],
        )
    msgs = c.cycle([res("rate_limit", OK), res("balance", UNK, summary="timeout")])
    assert sorted(items(msgs)) == [("balance", "FIRING"), ("rate_limit", "RESOLVED")]
    balance = next(i for m in msgs for i in m.items if i.check == "balance")
    assert "Held back by root cause rate_limit" in balance.note


def test_inhibit_false_alerts_every_check() -> None:
    c = Clock(replace(CFG, inhibit=False))
    cycle = [ban(), *(res(x, UNK, summary="IP banned") for x in FOLLOW_ONS)]
    flat = [m for _ in range(3) for m in c.cycle(cycle)]
    assert len(items(flat)) == 6


@pytest.mark.parametrize(
    "root, follow, covered",
    [
        pytest.param(
            ban(),
            res("balance", UNK, summary="not sent: IP banned (HTTP 418)"),
            True,
            id="ban-unknown",
        ),
        pytest.param(
            ban(),
            res("balance", UNK, summary="requests to http://127.0.0.1:1 paused"),
            True,
            id="ban-paused-host",
        ),
        pytest.param(
            ban(),
            res("balance", UNK, summary="timeout after 10 s on https://fapi.x"),
            False,
            id="ban-other-host-timeout",
        ),
        pytest.param(res("api_key", CRIT, (-2015,)), res("balance", UNK), True, id="key-unknown"),
        pytest.param(
            res("api_key", CRIT, (-2015,)),
            res("test_order", CRIT, (-2015,)),
            True,
            id="key-test-order-same-code",
        ),
        pytest.param(
            res("api_key", CRIT, (-2015,)),
            res("test_order", CRIT, (-2010,)),
            False,
            id="key-other-code",
        ),
        pytest.param(
            res("api_key", CRIT, (-1022,)), res("position_mode", UNK), True, id="signature-unknown"
        ),
        pytest.param(
            res("clock", CRIT, (-1021,)), res("test_order", CRIT, (-1021,)), True, id="clock-1021"
        ),
        pytest.param(
            res("clock", CRIT, (-1021,)),
            res("balance", UNK, summary="rejected (-1021)"),
            True,
            id="clock-unknown-naming-1021",
        ),
        pytest.param(
            res("clock", CRIT, (-1021,)),
            res("balance", UNK, summary="timeout"),
            False,
            id="clock-not-other-unknowns",
        ),
        pytest.param(
            res("system_status", WARN, metrics={"maintenance": 1}),
            res("balance", UNK, summary="connection refused"),
            True,
            id="maintenance-connection-failure",
        ),
        pytest.param(
            res("position_mode", CRIT, (-4061,)),
            res("bot_errors", CRIT, (-4061,)),
            True,
            id="bot-errors-predicted",
        ),
        pytest.param(
            res("balance", WARN, risk_codes=[-2019]),
            res("bot_errors", CRIT, (-2019,)),
            True,
            id="bot-errors-risk-predicted",
        ),
        pytest.param(
            res("position_mode", CRIT, (-4061,)),
            res("bot_errors", CRIT, (-4061, -2019)),
            False,
            id="bot-errors-partly-new",
        ),
        pytest.param(
            res("rate_limit", WARN, risk_codes=[-1003]),
            res("balance", UNK),
            False,
            id="weight-warning-is-no-root",
        ),
    ],
)
def test_root_causes_cover_their_consequences(root: Result, follow: Result, covered: bool) -> None:
    c = Clock(replace(CFG, failure_threshold=1, unknown_threshold=1))
    msgs = c.cycle([root, follow])
    checks = [i.check for m in msgs for i in m.items]
    assert (follow.check not in checks) is covered
    if covered:
        root_item = next(i for m in msgs for i in m.items if i.check == root.check)
        assert follow.check in root_item.covers


def test_root_cause_from_an_earlier_cycle_still_covers() -> None:
    """Checks run on their own intervals: a root cause seen last cycle still counts."""
    c = Clock(replace(CFG, failure_threshold=1, unknown_threshold=1))
    assert items(c.cycle([res("api_key", CRIT, (-2015,))])) == [("api_key", "FIRING")]
    assert items(c.cycle([res("balance", UNK)])) == []


# ------------------------------------------------------------------------------ silences


def silence(sid: int = 1, start: float = T0, minutes: float = 30, **kw: object) -> Silence:
    return Silence(sid, start, start + minutes * 60, "deploy", **kw)  # type: ignore[arg-type]


def test_silence_added_while_firing_mutes_reminders_and_its_end_refires() -> None:
    c = Clock(replace(CFG, repeat_interval=120))
    bad = [res("position_mode", CRIT, (-4061,))]
    assert items(c.cycle(bad) + c.cycle(bad)) == [("position_mode", "FIRING")]
    s = silence(start=c.now, minutes=10)
    muted = [c.cycle(bad, [s]) for _ in range(10)]  # reminders were due every 2 min
    assert all(m == [] for m in muted)
    assert c.states[("main", "position_mode")].muted["silence_id"] == 1  # type: ignore[index]
    msgs = c.cycle(bad, [s])  # T = start + 10 min: the silence has ended
    assert items(msgs) == [("position_mode", "REMINDER")]
    assert "Held back by silence 1 'deploy' until" in msgs[0].body


def test_silence_before_the_alert_holds_it_until_it_ends() -> None:
    c = Clock(CFG)
    s = silence(start=T0, minutes=3)
    bad = [res("balance", WARN, risk_codes=[-2019])]
    assert [c.cycle(bad, [s]) for _ in range(3)] == [[], [], []]
    assert items(c.cycle(bad, [s])) == [("balance", "FIRING")]


def test_problem_gone_during_a_silence_sends_nothing_afterwards() -> None:
    c = Clock(CFG)
    s = silence(start=T0, minutes=3)
    bad = [res("balance", WARN)]
    c.cycle(bad, [s])
    c.cycle(bad, [s])
    assert c.cycle([res("balance", OK)], [s]) == []
    assert c.cycle([res("balance", OK)], [s]) == []


@pytest.mark.parametrize(
    "kw, matches",
    [
        ({}, True),
        ({"account": "main"}, True),
        ({"account": "other"}, False),
        ({"check": "balance"}, True),
        ({"check": "clock"}, False),
        ({"code": -2019}, True),  # a risk code counts
        ({"code": -4061}, False),
        ({"account": "main", "check": "balance", "code": -2019}, True),
    ],
)
def test_silence_matches_account_check_and_code(kw: dict, matches: bool) -> None:
    c = Clock(replace(CFG, failure_threshold=1))
    msgs = c.cycle([res("balance", WARN, risk_codes=[-2019])], [silence(**kw)])
    assert (msgs == []) is matches


def test_expired_silence_no_longer_mutes() -> None:
    c = Clock(replace(CFG, failure_threshold=1))
    s = replace(silence(), expired_at=T0 - 1, ends_at=T0 - 1)
    assert items(c.cycle([res("balance", WARN)], [s])) == [("balance", "FIRING")]


# ------------------------------------------------------------------------------ maintenance


def window(**kw: object) -> MaintenanceWindow:
    base: dict[str, object] = {"name": "deploy", "start": time(11, 59), "duration_seconds": 300.0}
    base.update(kw)
    return MaintenanceWindow(**base)  # type: ignore[arg-type]


def test_window_now_mutes_and_its_end_fires() -> None:
    c = Clock(replace(CFG, maintenance=(window(),)))  # 11:59-12:04 UTC, T0 = 12:00
    bad = [res("position_mode", CRIT, (-4061,))]
    assert [c.cycle(bad) for _ in range(4)] == [[], [], [], []]
    assert c.states[("main", "position_mode")].muted["kind"] == "maintenance"  # type: ignore
    msgs = c.cycle(bad)  # 12:04: the window is over
    assert items(msgs) == [("position_mode", "FIRING")]
    assert "maintenance window 'deploy'" in msgs[0].body


def test_window_holds_the_resolved_notice_until_it_ends() -> None:
    c = Clock(replace(CFG, failure_threshold=1))
    bad, good = [res("balance", WARN)], [res("balance", OK)]
    assert items(c.cycle(bad)) == [("balance", "FIRING")]
    c.engine = AlertEngine(
        replace(
            CFG,
            failure_threshold=1,
            maintenance=(window(start=time(12, 1), duration_seconds=120.0),),
        )
    )
    assert c.cycle(good) == []  # 12:01 in the window
    assert c.cycle(good) == []  # 12:02
    assert items(c.cycle(good)) == [("balance", "RESOLVED")]  # 12:03


@pytest.mark.parametrize(
    "w, at, active",
    [
        pytest.param(window(), "2026-11-29T12:00:00+00:00", True, id="daily-inside"),
        pytest.param(window(), "2026-11-29T12:04:00+00:00", False, id="daily-end-exclusive"),
        pytest.param(window(), "2026-11-29T11:58:59+00:00", False, id="daily-before"),
        # 23:30 Berlin for 1 h crosses midnight; in winter Berlin is UTC+1
        pytest.param(
            window(start=time(23, 30), duration_seconds=3600.0, timezone="Europe/Berlin"),
            "2026-11-29T23:10:00+00:00",
            True,
            id="crosses-midnight-local",
        ),
        pytest.param(
            window(start=time(23, 30), duration_seconds=3600.0, timezone="Europe/Berlin"),
            "2026-11-29T23:35:00+00:00",
            False,
            id="tz-not-utc",
        ),
        # 2026-11-29 is a Sunday, 2026-11-30 a Monday
        pytest.param(window(every=(0,)), "2026-11-29T12:00:00+00:00", False, id="weekly-other-day"),
        pytest.param(window(every=(0,)), "2026-11-30T12:00:00+00:00", True, id="weekly-monday"),
        pytest.param(
            window(every=(6,), start=time(23, 0), duration_seconds=7200.0),
            "2026-11-30T00:30:00+00:00",
            True,
            id="weekly-spans-into-monday",
        ),
        pytest.param(
            window(on_date=date(2026, 11, 29)),
            "2026-11-29T12:01:00+00:00",
            True,
            id="one-off-on-its-date",
        ),
        pytest.param(
            window(on_date=date(2026, 11, 29)),
            "2026-11-30T12:01:00+00:00",
            False,
            id="one-off-only-once",
        ),
        # DST: on 2026-03-29 Berlin jumps 02:00 -> 03:00; a 01:30 window of 1 h ends 03:30 local
        pytest.param(
            window(start=time(1, 30), duration_seconds=3600.0, timezone="Europe/Berlin"),
            "2026-03-29T01:15:00+00:00",
            True,
            id="dst-spring-forward",
        ),
    ],
)
def test_window_occurrences(w: MaintenanceWindow, at: str, active: bool) -> None:
    ts = datetime.fromisoformat(at).timestamp()
    assert (active_window([w], "main", "clock", ts) is not None) is active


def test_window_limited_to_accounts_and_checks() -> None:
    w = window(accounts=("main",), checks=("balance",))
    assert active_window([w], "main", "balance", T0) is not None
    assert active_window([w], "main", "clock", T0) is None
    assert active_window([w], "other", "balance", T0) is None


# ------------------------------------------------------------------------------ success_threshold


def test_flapping_with_success_threshold_3_sends_one_alert_not_pairs() -> None:
    c = Clock(replace(CFG, failure_threshold=1, success_threshold=3))
    bad, good = [res("position_mode", CRIT, (-4061,))], [res("position_mode", OK)]
    sent = [c.cycle(r) for r in [bad, good, bad, good, good, bad, good, bad]]
    assert items([m for msgs in sent for m in msgs]) == [("position_mode", "FIRING")]
    sent = [c.cycle(good) for _ in range(3)]
    assert [items(m) for m in sent] == [[], [], [("position_mode", "RESOLVED")]]
    # the notice says since when it was bad: the first bad run, not the last relapse
    assert "Was bad since 2026-11-29T12:00:00+00:00" in sent[2][0].body


def test_success_threshold_1_resolves_at_once() -> None:
    c = Clock(replace(CFG, failure_threshold=1))
    c.cycle([res("balance", WARN)])
    assert items(c.cycle([res("balance", OK)])) == [("balance", "RESOLVED")]


# ------------------------------------------------------------------------------ config


def _cfg(**extra: object) -> dict:
    data = {"accounts": [{"name": "main", "api_key": "A" * 64, "api_secret": "S" * 64}]}
    data.update(extra)  # type: ignore[arg-type]
    return data


def test_config_reads_rules_and_both_maintenance_spellings() -> None:
    cfg = parse_config(
        _cfg(
            alerts={
                "success_threshold": 3,
                "inhibit": False,
                "maintenance": [
                    {
                        "name": "deploy",
                        "start": "23:00",
                        "duration": "30m",
                        "timezone": "Europe/Berlin",
                        "every": ["Mon", "thursday"],
                        "accounts": ["main"],
                    }
                ],
            },
            maintenance=[{"start": "09:00:30", "duration": 3600, "date": date(2026, 12, 1)}],
        )
    )
    a = cfg.alerts
    assert a.success_threshold == 3 and a.inhibit is False
    first, second = a.maintenance
    assert first.every == (0, 3) and first.duration_seconds == 1800
    assert first.timezone == "Europe/Berlin" and first.accounts == ("main",)
    assert second.on_date == date(2026, 12, 1) and second.start == time(9, 0, 30)
    assert second.name == "window 1"


@pytest.mark.parametrize(
    "extra, key, words",
    [
        ({"alerts": {"success_threshold": 0}}, "alerts.success_threshold", "at least 1"),
        ({"alerts": {"inhibit": "no"}}, "alerts.inhibit", "true or false"),
        ({"maintenance": [{"start": "25:00", "duration": "1h"}]}, "maintenance[0].start", "valid"),
        ({"maintenance": [{"duration": "1h"}]}, "maintenance[0].start", "required"),
        ({"maintenance": [{"start": "10:00"}]}, "maintenance[0].duration", "required"),
        (
            {"maintenance": [{"start": "10:00", "duration": "soon"}]},
            "maintenance[0].duration",
            "not a duration",
        ),
        (
            {"maintenance": [{"start": "10:00", "duration": "1h", "timezone": "Mars/Base"}]},
            "maintenance[0].timezone",
            "IANA",
        ),
        (
            {"maintenance": [{"start": "10:00", "duration": "1h", "every": ["Funday"]}]},
            "maintenance[0].every",
            "weekday",
        ),
        (
            {"maintenance": [{"start": "10:00", "duration": "1h", "dayz": 1}]},
            "maintenance[0].dayz",
            "unknown key",
        ),
        ({"alerts": {"maintenance": {"start": "10:00"}}}, "alerts.maintenance", "array of tables"),
        (
            {
                "maintenance": [
                    {"name": "w", "start": "10:00", "duration": "1h", "accounts": ["mian"]}
                ]
            },
            "maintenance window 'w'.accounts",
            "no account 'mian'",
        ),
    ],
)
def test_config_errors_name_the_key(extra: dict, key: str, words: str) -> None:
    with pytest.raises(ConfigError) as e:
        parse_config(_cfg(**extra))
    assert any(key in p and words in p and "\n" not in p for p in e.value.problems), (
        e.value.problems
    )


@pytest.mark.parametrize(
    "text, seconds",
    [
        ("90s", 90),
        ("15m", 900),
        ("2h", 7200),
        ("1h30m", 5400),
        ("1d", 86400),
        ("45", 45),
        (600, 600),
        ("1.5h", 5400),
        ("10min", 600),
    ],
)
def test_parse_duration(text: object, seconds: float) -> None:
    assert parse_duration(text) == seconds


@pytest.mark.parametrize("text", ["", "soon", "0", "-5m", "400d", "2x", True])
def test_parse_duration_rejects(text: object) -> None:
    with pytest.raises(ValueError):
        parse_duration(text)


# ------------------------------------------------------------------------------ storage


def test_silences_persist_expire_and_bump_the_revision(tmp_path: Path) -> None:
    db = StateDB.open(tmp_path)
    rev0 = db.silences_revision()
    s = db.add_silence(ends_at=T0 + 3600, reason="deploy", check="balance", code=-2019, now=T0)
    assert db.silences_revision() != rev0
    db.close()
    db = StateDB.open(tmp_path)
    assert db.silences(now=T0 + 1) == [s]
    assert db.expire_silence(s.id, now=T0 + 60) is not None
    assert db.expire_silence(s.id, now=T0 + 61) is None  # already ended
    assert db.silences(now=T0 + 62) == []
    ended = db.silences(include_ended=True, now=T0 + 62)[0]
    assert ended.expired_at == T0 + 60 and not ended.active(T0 + 62)
    db.close()


def test_commit_refuses_a_decision_made_before_a_silence_was_added(tmp_path: Path) -> None:
    db = StateDB.open(tmp_path)
    rev = db.silences_revision()
    db.add_silence(ends_at=T0 + 3600, reason="x", now=T0)  # e.g. by the CLI, meanwhile
    st = {("main", "balance"): CheckState(last_status=WARN)}
    with pytest.raises(SilencesChanged):
        db.commit_cycle(st, [], [], silences_rev=rev)
    assert db.load_check_states() == {}  # nothing of the stale decision was saved
    assert db.commit_cycle(st, [], [], silences_rev=db.silences_revision()) is True
    db.close()


def test_item_kinds_are_the_known_ones() -> None:
    assert {k.value for k in AlertKind} == {"FIRING", "UPDATE", "REMINDER", "RESOLVED"}


# ------------------------------------------------------------------------------ crash safety


class _SilenceArrivesMidRun(AlertEngine):
    """An engine during whose first decision an operator adds a silence (another process)."""

    def __init__(self, cfg: AlertsConfig, other: StateDB) -> None:
        super().__init__(cfg)
        self.other = other
        self.calls = 0

    def evaluate(self, results, states, now, silences=()):  # type: ignore[no-untyped-def]
        self.calls += 1
        if self.calls == 1:
            self.other.add_silence(ends_at=now + 3600, reason="deploy", now=now - 1)
        return super().evaluate(results, states, now, silences)


def test_silence_added_while_a_run_decides_keeps_that_runs_alert_out(tmp_path: Path) -> None:
    from healthcheck.service.daemon import decide_and_commit

    cfg = parse_config(_cfg(alerts={"urls": ["json://127.0.0.1:9/"], "failure_threshold": 1}))
    db, cli_db = StateDB.open(tmp_path), StateDB.open(tmp_path)
    engine = _SilenceArrivesMidRun(cfg.alerts, cli_db)
    decision, rows = decide_and_commit(engine, cfg, db, [res("balance", WARN)], {}, T0)
    assert engine.calls == 2  # decided again with the new silence
    assert decision.messages == [] and rows == [] and db.pending_count() == 0
    assert db.load_check_states()[("main", "balance")].held is True
    db.close()
    cli_db.close()


# ------------------------------------------------------------------------------ properties

_statuses = st.lists(st.sampled_from([OK, WARN, CRIT, UNK]), min_size=1, max_size=30)


@settings(max_examples=200, deadline=None)
@given(seq=_statuses, a=st.integers(0, 30), length=st.integers(1, 30), threshold=st.integers(1, 3))
def test_property_nothing_but_resolved_goes_out_during_a_silence(
    seq: list[Status], a: int, length: int, threshold: int
) -> None:
    c = Clock(
        replace(CFG, failure_threshold=threshold, unknown_threshold=threshold, repeat_interval=120)
    )
    s = Silence(1, T0 + a * STEP, T0 + (a + length) * STEP, "x")
    held_at_end = False
    for n, status in enumerate(seq):
        codes = (-4061,) if status is CRIT else ()
        msgs = c.cycle([res("position_mode", status, codes)], [s])
        inside = a <= n < a + length
        kinds = {i.kind for m in msgs for i in m.items}
        if inside:
            assert kinds <= {AlertKind.RESOLVED}
        if (
            n == a + length
            and held_at_end
            and status is not OK
            and c.states[("main", "position_mode")].consecutive_bad >= threshold
        ):
            assert kinds, "the silence ended with the problem still there: it must alert now"
        held_at_end = c.states[("main", "position_mode")].held


@settings(max_examples=200, deadline=None)
@given(seq=_statuses, k=st.integers(1, 4))
def test_property_resolved_only_after_success_threshold_ok_runs(seq: list[Status], k: int) -> None:
    c = Clock(replace(CFG, failure_threshold=1, unknown_threshold=1, success_threshold=k))
    oks = 0
    for status in seq:
        oks = oks + 1 if status is OK else 0
        msgs = c.cycle([res("balance", status)])
        if any(i.kind is AlertKind.RESOLVED for m in msgs for i in m.items):
            assert oks >= k
