"""Tests for healthcheck.model.result: statuses, their order, and results as JSON."""

from __future__ import annotations

import pytest

from healthcheck.model.result import Result, Status, worst


def test_worst_orders_critical_over_unknown_over_warning_over_ok() -> None:
    assert worst([Status.OK, Status.WARNING]) is Status.WARNING
    assert worst([Status.WARNING, Status.UNKNOWN]) is Status.UNKNOWN
    assert worst((Status.UNKNOWN, Status.CRITICAL, Status.OK)) is Status.CRITICAL
    assert worst([]) is Status.OK


def test_status_values_are_the_nagios_exit_codes() -> None:
    assert [int(s) for s in (Status.OK, Status.WARNING, Status.CRITICAL, Status.UNKNOWN)] == [
        0,
        1,
        2,
        3,
    ]


def test_parse_accepts_any_case_and_names_the_choices_when_wrong() -> None:
    assert Status.parse(" critical ") is Status.CRITICAL
    with pytest.raises(ValueError, match="use OK, WARNING, CRITICAL or UNKNOWN"):
        Status.parse("fatal")


def test_a_result_survives_json_with_its_fix_and_codes() -> None:
    r = Result(
        "main",
        "position_mode",
        Status.CRITICAL,
        "hedge mode on",
        codes=[-4061],
        metrics={"positions": 2},
        fix="switch to one-way mode",
        risk_codes=[-2019],
    )
    back = Result.from_json(r.to_json())
    assert back.fix == "switch to one-way mode"
    assert (back.status, back.codes, back.risk_codes, back.metrics) == (
        Status.CRITICAL,
        [-4061],
        [-2019],
        {"positions": 2},
    )
