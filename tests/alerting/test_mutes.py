"""What keeps a result from alerting right now (healthcheck/alerting/mutes.py): the one place the
alert engine, `check` and `status` ask, so they agree. Maintenance beats a silence, a silence
beats a root cause; checks that did not run this cycle still count with their last result."""

from __future__ import annotations

from datetime import UTC, datetime, time

from healthcheck.alerting.inhibit import Cover
from healthcheck.alerting.mutes import known_results, mute_for
from healthcheck.model.maintenance import MaintenanceWindow
from healthcheck.model.result import Result, Status
from healthcheck.model.silences import Silence
from healthcheck.storage.state import CheckState

T0 = datetime(2026, 11, 29, 12, 0, tzinfo=UTC).timestamp()
WINDOW = MaintenanceWindow("deploy", time(11, 55), 600.0)  # 11:55-12:05 UTC
SILENCE = Silence(7, T0 - 60, T0 + 3600, "known")
COVER = Cover(("main", "api_key"), "API key rejected (-2015)")
BAD = Result("main", "balance", Status.CRITICAL, "low", [-2019])
GOOD = Result("main", "balance", Status.OK, "fine")


def test_maintenance_beats_a_silence_which_beats_a_root_cause() -> None:
    m = mute_for(BAD, [WINDOW], [SILENCE], COVER, T0)
    assert m is not None and m.kind == "maintenance"
    assert m.until == T0 + 300
    assert m.to_json()["until"] == "2026-11-29T12:05:00+00:00"
    m = mute_for(BAD, [], [SILENCE], COVER, T0)
    assert m is not None and (m.kind, m.silence_id, m.until) == ("silence", 7, T0 + 3600)
    assert m.by == "silence 7 'known' until 2026-11-29T13:00:00+00:00"
    m = mute_for(BAD, [], [], COVER, T0)
    assert m is not None and (m.kind, m.until) == ("inhibited", None)
    assert m.by == "root cause api_key (API key rejected (-2015))"
    assert mute_for(BAD, [], [], None, T0) is None


def test_a_window_holds_an_ok_result_too_but_a_silence_does_not() -> None:
    # the resolved notice waits for the end of the window; a silence only holds bad news
    assert mute_for(GOOD, [WINDOW], [], None, T0) is not None
    assert mute_for(GOOD, [], [SILENCE], COVER, T0) is None


def test_after_the_window_ends_the_result_alerts_again() -> None:
    assert mute_for(BAD, [WINDOW], [], None, T0 + 301) is None


def test_checks_that_did_not_run_count_with_their_last_result() -> None:
    earlier = Result("main", "position_mode", Status.CRITICAL, "hedge", [-4061])
    states = {
        ("main", "position_mode"): CheckState(Status.CRITICAL, last_result=earlier.to_json()),
        ("main", "balance"): CheckState(Status.OK, last_result=GOOD.to_json()),
        ("main", "clock"): CheckState(Status.OK, last_result={"garbage": True}),
        ("main", "leverage"): CheckState(Status.OK),
    }
    known = known_results({("main", "balance"): BAD}, states)
    assert known[("main", "balance")] is BAD  # this cycle's result wins
    assert known[("main", "position_mode")].codes == [-4061]
    assert set(known) == {("main", "balance"), ("main", "position_mode")}  # unreadable: left out
