"""Tests for healthcheck.alerting.alerts: the alert state machine, grouping, rendering and
routing."""

from __future__ import annotations

import itertools
from dataclasses import replace

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from healthcheck.alerting.alerts import (
    MAX_BODY_CHARS,
    AlertEngine,
    AlertKind,
    AlertMessage,
    format_metrics,
    outbox_rows_for,
)
from healthcheck.config import AlertsConfig, AlertUrl
from healthcheck.model.result import Result, Status
from healthcheck.storage.secrets import Secret
from healthcheck.storage.state import CheckState, dest_fingerprint

OK, WARN, CRIT, UNK = Status.OK, Status.WARNING, Status.CRITICAL, Status.UNKNOWN
T0 = 1_800_000_000.0
STEP = 60.0


def res(
    status: Status,
    check: str = "position_mode",
    account: str = "main",
    codes: tuple[int, ...] = (),
    **kw: object,
) -> Result:
    if status is Status.CRITICAL and not codes and check == "position_mode":
        codes = (-4061,)
    return Result(account, check, status, f"{check} is {status.name}", list(codes), **kw)  # type: ignore[arg-type]


def run(
    engine: AlertEngine, seq: list[Result | list[Result]], start: float = T0
) -> list[list[AlertMessage]]:
    """Feed one result (or list of results) per cycle; return the messages of each cycle."""
    states: dict[tuple[str, str], CheckState] = {}
    out = []
    for n, item in enumerate(seq):
        results = item if isinstance(item, list) else [item]
        d = engine.evaluate(results, states, start + n * STEP)
        states = d.states
        out.append(d.messages)
    return out


def kinds(cycles: list[list[AlertMessage]]) -> list[list[str]]:
    return [[i.kind.value for m in msgs for i in m.items] for msgs in cycles]


ENGINE = AlertEngine(AlertsConfig(failure_threshold=2, unknown_threshold=3, repeat_interval=0))


@pytest.mark.parametrize(
    "seq, expected",
    [
        pytest.param([CRIT, CRIT, CRIT], [[], ["FIRING"], []], id="bad-bad-fires-once"),
        pytest.param([CRIT, OK, CRIT, OK], [[], [], [], []], id="blips-below-threshold-silent"),
        pytest.param([OK, OK], [[], []], id="first-ok-silent"),
        pytest.param(
            [WARN, WARN, CRIT], [[], ["FIRING"], ["UPDATE"]], id="warning-to-critical-updates"
        ),
        pytest.param([CRIT, CRIT, WARN, WARN], [[], ["FIRING"], [], []], id="deescalation-silent"),
        pytest.param(
            [CRIT, CRIT, WARN, CRIT],
            [[], ["FIRING"], [], ["UPDATE"]],
            id="relapse-after-deescalation-updates",
        ),
        pytest.param([CRIT, CRIT, OK, OK], [[], ["FIRING"], ["RESOLVED"], []], id="resolved-once"),
        pytest.param([UNK, UNK, UNK, UNK], [[], [], ["FIRING"], []], id="unknown-needs-three"),
        pytest.param([UNK, UNK, OK], [[], [], []], id="unknown-blip-silent"),
        pytest.param([WARN, UNK], [[], []], id="mixed-bad-uses-current-threshold"),
        pytest.param([UNK, WARN], [[], ["FIRING"]], id="any-non-ok-counts-toward-threshold"),
        pytest.param(
            [UNK, UNK, UNK, CRIT],
            [[], [], ["FIRING"], ["UPDATE"]],
            id="unknown-to-critical-updates",
        ),
        pytest.param(
            [CRIT, CRIT, UNK, CRIT],
            [[], ["FIRING"], [], []],
            id="unknown-blip-during-incident-silent",
        ),
    ],
)
def test_state_machine_table(seq: list[Status], expected: list[list[str]]) -> None:
    assert kinds(run(ENGINE, [res(s) for s in seq])) == expected


def test_code_change_while_critical_sends_update() -> None:
    seq = [
        res(CRIT, codes=(-4061,)),
        res(CRIT, codes=(-4061,)),
        res(CRIT, codes=(-2019,)),
        res(CRIT, codes=(-2019,)),
    ]
    cycles = run(ENGINE, seq)
    assert kinds(cycles) == [[], ["FIRING"], ["UPDATE"], []]
    assert "different Binance errors" in cycles[2][0].body


@pytest.mark.parametrize(
    "repeat, expected",
    [
        (3600.0, [[], ["FIRING"]] + [[]] * 59 + [["REMINDER"]] + [[]] * 5),
        (0.0, [[], ["FIRING"]] + [[]] * 65),
    ],
)
def test_reminder_after_repeat_interval_and_none_when_zero(
    repeat: float, expected: list[list[str]]
) -> None:
    engine = AlertEngine(AlertsConfig(failure_threshold=2, repeat_interval=repeat))
    assert kinds(run(engine, [res(CRIT)] * 67)) == expected


def test_resolved_notice_not_sent_when_send_resolved_off_but_state_cleared() -> None:
    engine = AlertEngine(AlertsConfig(failure_threshold=2, send_resolved=False))
    assert kinds(run(engine, [res(CRIT), res(CRIT), res(OK), res(CRIT), res(CRIT)])) == [
        [],
        ["FIRING"],
        [],
        [],
        ["FIRING"],
    ]


def test_three_checks_of_one_account_form_one_message_other_account_its_own() -> None:
    cycle = [
        res(CRIT, "position_mode"),
        res(WARN, "clock"),
        res(CRIT, "balance", codes=(-2019,)),
        res(CRIT, "clock", account="alt"),
    ]
    cycles = run(ENGINE, [cycle, cycle])
    assert cycles[0] == []
    msgs = {m.account: m for m in cycles[1]}
    assert set(msgs) == {"main", "alt"}
    main = msgs["main"]
    assert [i.check for i in main.items] == ["balance", "position_mode", "clock"]
    assert main.title == "[CRITICAL] main: balance, position_mode, clock"
    assert main.alert_id != msgs["alt"].alert_id and len(main.alert_id) == 32


def test_title_counts_resolved_and_resolved_only_title() -> None:
    first = [res(CRIT, "position_mode"), res(CRIT, "clock")]
    cycles = run(
        ENGINE,
        [first, first, [res(CRIT, "position_mode"), res(OK, "clock")], [res(OK, "position_mode")]],
    )
    # cycle 3: position_mode has nothing new to say, clock resolved
    assert cycles[2][0].title == "[RESOLVED] main: clock"
    cycles = run(
        ENGINE, [first, first, [res(CRIT, "position_mode", codes=(-2019,)), res(OK, "clock")]]
    )
    assert cycles[2][0].title == "[CRITICAL] main: position_mode (+1 resolved)"
    assert cycles[2][0].notify_type == "failure"


def test_history_row_on_every_flip_but_not_first_ok() -> None:
    states: dict[tuple[str, str], CheckState] = {}
    flips = []
    for n, s in enumerate([OK, OK, WARN, WARN, CRIT, OK]):
        d = ENGINE.evaluate([res(s)], states, T0 + n)
        states = d.states
        flips += [(h.old_status, h.new_status) for h in d.history_rows]
    assert flips == [(OK, WARN), (WARN, CRIT), (CRIT, OK)]


def test_evaluate_does_not_mutate_input_states_and_keeps_unreported_checks() -> None:
    d1 = ENGINE.evaluate([res(CRIT), res(OK, "clock")], {}, T0)
    before = {k: replace(v) for k, v in d1.states.items()}
    d2 = ENGINE.evaluate([res(CRIT)], d1.states, T0 + 60)
    assert d1.states == before
    assert d2.states[("main", "clock")] == before[("main", "clock")]
    assert d2.states[("main", "position_mode")].notified_status is CRIT


def test_body_explains_error_fix_figures_and_time() -> None:
    r = res(
        CRIT,
        fix="Switch position mode to One-way.",
        metrics={"offset_ms": 1234.5, "margin_ratio": 0.853, "used_weight": 1200},
    )
    msg = run(ENGINE, [r, r])[1][0]
    body = msg.body
    assert "CRITICAL position_mode" in body
    assert "What: position_mode is CRITICAL" in body
    assert (
        "Binance error: -4061 POSITION_SIDE_NOT_MATCH — Order's position side does not match "
        "user's setting."
    ) in body
    assert "Fix: Switch position mode to One-way." in body
    assert "offset 1,234 ms" in body and "margin ratio 85.3%" in body
    assert "used weight 1,200" in body
    assert "Bad since: 2027-01-15T08:00:00+00:00 (60 s)" in body
    assert body.endswith(f"Alert id: {msg.alert_id}")
    assert "Time: 2027-01-15T08:01:00+00:00" in body


def test_warning_with_risk_codes_says_at_risk() -> None:
    r = res(WARN, "balance", details={"risk_codes": [-2019]})
    body = run(ENGINE, [r, r])[1][0].body
    assert "At risk of Binance error: -2019 MARGIN_NOT_SUFFICIEN — Margin is insufficient." in body


def test_long_body_is_truncated_politely_under_limit() -> None:
    results = [
        Result("main", f"check_{n:02d}", CRIT, "x" * 900, [-4061], fix="y" * 300) for n in range(10)
    ]
    msg = run(ENGINE, [results, results])[1][0]
    assert len(msg.body) <= MAX_BODY_CHARS
    assert "more checks not shown" in msg.body
    assert msg.body.endswith(msg.alert_id)


def test_max_chars_per_url_gives_an_email_every_item_and_telegram_a_short_message() -> None:
    results = [
        Result("main", f"check_{n:02d}", CRIT, "x" * 900, [-4061], fix="y" * 300) for n in range(10)
    ]
    msg = run(ENGINE, [results, results])[1][0]
    tgram = AlertUrl(Secret("tgram://123456:ABCDEF/42", kind="url"), WARN)  # default 3500
    mail = AlertUrl(Secret("mailto://u:p@example.com", kind="url"), WARN, max_chars=100_000)
    rows = {r.dest: r for r in outbox_rows_for(msg, [tgram, mail], T0)}
    short = rows[dest_fingerprint("tgram://123456:ABCDEF/42")].body
    full = rows[dest_fingerprint("mailto://u:p@example.com")].body
    assert len(short) <= MAX_BODY_CHARS and "more checks not shown" in short
    assert "not shown" not in full
    assert all(f"CRITICAL check_{n:02d}" in full for n in range(10))
    assert full.endswith(f"Alert id: {msg.alert_id}")


def test_format_metrics_units() -> None:
    assert (
        format_metrics({"rtt_ms": 12, "ban_seconds": 90.0, "expires_in_days": 3.25, "label": "x"})
        == "ban 90.0 s, expires in 3.2 days, rtt 12 ms"
    )  # type: ignore[dict-item]


def _url(text: str, min_status: Status) -> AlertUrl:
    return AlertUrl(Secret(text, kind="url"), min_status)


def test_min_status_routes_items_per_destination() -> None:
    crit_only = _url("json://127.0.0.1:1/critical", CRIT)
    everything = _url("json://127.0.0.1:1/all", WARN)
    cycle = [res(CRIT, "position_mode"), res(WARN, "clock")]
    msg = run(ENGINE, [cycle, cycle])[1][0]
    rows = {r.dest: r for r in outbox_rows_for(msg, [crit_only, everything, crit_only], T0)}
    assert len(rows) == 2  # the duplicate URL is queued once
    crit_row = rows[dest_fingerprint("json://127.0.0.1:1/critical")]
    all_row = rows[dest_fingerprint("json://127.0.0.1:1/all")]
    assert crit_row.title == "[CRITICAL] main: position_mode"
    assert "clock" not in crit_row.body
    assert all_row.title == "[CRITICAL] main: position_mode, clock"
    assert crit_row.alert_id == all_row.alert_id == msg.alert_id
    assert crit_row.kind == "FIRING" and crit_row.next_attempt_at == T0


def test_warning_only_message_not_queued_for_critical_destination() -> None:
    msg = run(ENGINE, [res(WARN), res(WARN)])[1][0]
    assert outbox_rows_for(msg, [_url("json://127.0.0.1:1/c", CRIT)], T0) == []
    assert msg.notify_type == "warning"


def test_resolved_goes_to_destinations_that_heard_the_peak_after_deescalation() -> None:
    crit_only = _url("json://127.0.0.1:1/c2", CRIT)
    cycles = run(ENGINE, [res(CRIT), res(CRIT), res(WARN), res(OK)])
    resolved = cycles[3][0]
    assert [i.kind for i in resolved.items] == [AlertKind.RESOLVED]
    rows = outbox_rows_for(resolved, [crit_only], T0)
    assert len(rows) == 1 and rows[0].notify_type == "success"
    assert rows[0].title == "[RESOLVED] main: position_mode"
    assert "RESOLVED position_mode (was WARNING)" in rows[0].body


def test_alert_ids_unique_across_messages() -> None:
    ids = itertools.count()
    engine = AlertEngine(AlertsConfig(failure_threshold=1), new_id=lambda: f"id{next(ids)}")
    d = engine.evaluate([res(CRIT, account="a"), res(CRIT, account="b")], {}, T0)
    assert [m.alert_id for m in d.messages] == ["id0", "id1"]


@settings(max_examples=300, deadline=None)
@given(
    statuses=st.lists(st.sampled_from([OK, WARN, CRIT, UNK]), max_size=40),
    failure_threshold=st.integers(1, 3),
    unknown_threshold=st.integers(1, 4),
)
def test_incident_invariants_hold_for_any_status_sequence(
    statuses: list[Status], failure_threshold: int, unknown_threshold: int
) -> None:
    engine = AlertEngine(
        AlertsConfig(
            failure_threshold=failure_threshold,
            unknown_threshold=unknown_threshold,
            repeat_interval=0,
        )
    )
    open_incident = False
    for n, (status, msgs) in enumerate(
        zip(statuses, run(engine, [res(s) for s in statuses]), strict=True)
    ):
        assert len(msgs) <= 1  # one check, one account: at most one message per cycle
        got = [i.kind for m in msgs for i in m.items]
        if status is OK:
            assert got == ([AlertKind.RESOLVED] if open_incident else [])
            open_incident = False
            continue
        run_len = next((k for k, s in enumerate(reversed(statuses[: n + 1])) if s is OK), n + 1)
        threshold = unknown_threshold if status is UNK else failure_threshold
        if got == [AlertKind.FIRING]:
            assert not open_incident and run_len >= threshold
            open_incident = True
        elif got:
            assert open_incident and got == [AlertKind.UPDATE]
        elif not open_incident:
            assert run_len < threshold  # bad long enough always fires
