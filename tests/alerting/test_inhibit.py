"""Inhibition (healthcheck/alerting/inhibit.py): a root cause hides the follow-on results it
explains, and only those; its alert then says what else it makes unknown."""

from __future__ import annotations

from healthcheck.alerting.inhibit import covered_checks, describe_covered, inhibitions
from healthcheck.model.result import Result, Status

OK, WARN, CRIT, UNK = Status.OK, Status.WARNING, Status.CRITICAL, Status.UNKNOWN


def res(
    check: str,
    status: Status,
    codes: tuple[int, ...] = (),
    summary: str = "",
    account: str = "main",
    **kw: object,
) -> Result:
    return Result(account, check, status, summary or f"{check} {status.name}", list(codes), **kw)  # type: ignore[arg-type]


def latest(*results: Result) -> dict[tuple[str, str], Result]:
    return {(r.account, r.check): r for r in results}


def ban(host: str = "fapi:http://127.0.0.1:1") -> Result:
    return res(
        "rate_limit",
        CRIT,
        (-1003,),
        "IP banned (HTTP 418)",
        details={"bans": [{"host": host, "until": "x"}]},
    )


def test_a_ban_covers_what_it_held_back_but_not_an_unrelated_timeout() -> None:
    held = res("balance", UNK, summary="not sent: http://127.0.0.1:1 is banned until 12:10")
    elsewhere = res("trading_status", UNK, summary="http://127.0.0.1:2/api/v3/account: timeout")
    covers = inhibitions(latest(ban(), held, elsewhere))
    assert set(covers) == {("main", "balance")}
    assert (
        covers[("main", "balance")].describe()
        == "rate_limit (IP banned or requests paused (-1003))"
    )


def test_a_rejected_key_covers_unknowns_and_results_failing_with_that_code_only() -> None:
    key = res("api_key", CRIT, (-2015,))
    same = res("trading_status", CRIT, (-2015,))
    other = res("position_mode", CRIT, (-4061,))
    unknown = res("balance", UNK, summary="connection reset")
    covers = inhibitions(latest(key, same, other, unknown))
    assert set(covers) == {("main", "trading_status"), ("main", "balance")}
    assert covers[("main", "balance")].reason == "API key rejected (-2015)"


def test_a_root_cause_covers_only_its_own_account() -> None:
    covers = inhibitions(
        latest(res("api_key", CRIT, (-2015,)), res("balance", UNK, account="other"))
    )
    assert covers == {}


def test_a_clock_error_covers_only_results_failing_with_minus_1021() -> None:
    clock = res("clock", CRIT, (-1021,))
    covers = inhibitions(
        latest(
            clock,
            res("trading_status", CRIT, (-1021,)),
            res("balance", UNK, summary="timeout"),
            res("api_key", UNK, summary="order test refused: -1021"),
        )
    )
    assert set(covers) == {("main", "trading_status"), ("main", "api_key")}


def test_bot_errors_are_covered_when_a_check_already_predicts_every_code() -> None:
    mode = res("position_mode", CRIT, (-4061,))
    predicted = res("bot_errors", WARN, (-4061,))
    assert set(inhibitions(latest(mode, predicted))) == {("main", "bot_errors")}
    unexplained = res("bot_errors", WARN, (-4061, -2019))
    assert inhibitions(latest(mode, unexplained)) == {}


def test_ok_results_and_a_cleared_root_cause_cover_nothing() -> None:
    assert inhibitions(latest(res("api_key", OK), res("balance", UNK, summary="x"))) == {}
    assert inhibitions(latest(ban(), res("balance", OK))) == {}


def test_the_root_alert_lists_what_it_covers() -> None:
    results = latest(
        res("api_key", CRIT, (-2015,)),
        res("balance", UNK, summary="x"),
        res("trading_status", CRIT, (-2015,)),
        res("clock", UNK, summary="y"),
    )
    covered = covered_checks(inhibitions(results), ("main", "api_key"), results)
    assert covered == [("balance", UNK), ("clock", UNK), ("trading_status", CRIT)]
    assert describe_covered(covered) == (
        "Also makes balance, clock unknown; also explains trading_status"
    )
    assert describe_covered([]) == ""
