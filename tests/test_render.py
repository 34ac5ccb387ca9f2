"""How a report reads on a terminal: a line per check, the fix and Binance's quote under each
problem, and the summary (healthcheck/render.py)."""

from __future__ import annotations

import io

from healthcheck.engine.runner import Report
from healthcheck.model.result import Result, Status
from healthcheck.render import render_text


def test_a_problem_shows_its_code_fix_and_the_summary_counts() -> None:
    report = Report(
        [
            Result("main", "balance", Status.OK, "enough USDT"),
            Result(
                "main",
                "position_mode",
                Status.CRITICAL,
                "hedge mode is on",
                [-4061],
                fix="switch to one-way mode",
            ),
        ],
        metrics={"accounts": 1, "request_weight": 12, "duration_ms": 340.2},
    )
    out = io.StringIO()
    render_text(report, out)
    lines = out.getvalue().splitlines()
    assert lines[0].startswith("OK        main    balance         enough USDT")
    assert lines[1].startswith("CRITICAL  main    position_mode   hedge mode is on")
    assert any("bot's orders fail with -4061" in x for x in lines)
    assert any(x.strip() == "fix: switch to one-way mode" for x in lines)
    assert lines[-1] == (
        "CRITICAL: 1 account(s), 2 checks: 1 CRITICAL, 1 OK; request weight 12, 340 ms"
    )


def test_an_ok_result_has_no_fix_line() -> None:
    out = io.StringIO()
    render_text(Report([Result("main", "clock", Status.OK, "fine", fix="x")]), out)
    assert "fix:" not in out.getvalue()
