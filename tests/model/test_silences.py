"""Silences (healthcheck/model/silences.py): which results an operator's silence holds back, for
how long, and how it describes itself in `silence list` and in the alert of a muted check."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from healthcheck.model.result import Result, Status
from healthcheck.model.silences import Silence, silenced_by

T0 = datetime(2026, 11, 29, 12, 0, tzinfo=UTC).timestamp()


def silence(id: int = 1, hours: float = 2.0, **kw: object) -> Silence:
    return Silence(id, T0, T0 + hours * 3600, "deploy", **kw)  # type: ignore[arg-type]


def bad(
    check: str = "balance",
    account: str = "main",
    codes: tuple[int, ...] = (),
    risk: tuple[int, ...] = (),
) -> Result:
    return Result(account, check, Status.CRITICAL, "bad", list(codes), risk_codes=list(risk))


@pytest.mark.parametrize(
    ("kw", "result", "held"),
    [
        ({}, bad(), True),
        ({"account": "main"}, bad(account="other"), False),
        ({"check": "balance"}, bad(check="position_mode"), False),
        ({"code": -2019}, bad(risk=(-2019,)), True),  # a risk code counts as the code
        ({"code": -2019}, bad(codes=(-4061,)), False),
        ({"account": "main", "check": "balance", "code": -2019}, bad(codes=(-2019,)), True),
    ],
)
def test_every_given_field_must_match_and_left_out_fields_match_anything(
    kw: dict, result: Result, held: bool
) -> None:
    assert (silenced_by([silence(**kw)], result, T0 + 60) is not None) is held


def test_in_force_from_its_creation_until_its_end_or_its_expiry() -> None:
    s = silence(hours=1)
    assert not s.active(T0 - 1)
    assert s.active(T0) and s.active(T0 + 3599)
    assert not s.active(T0 + 3600)
    expired = Silence(1, T0, T0 + 60, "deploy", expired_at=T0 + 60)
    assert not expired.active(T0 + 30)  # `silence expire` ends it at once


def test_of_several_silences_the_one_lasting_longest_is_named() -> None:
    short, long_ = silence(1, hours=1), silence(2, hours=5, check="balance")
    over = Silence(3, T0 - 7200, T0 + 24 * 3600, "old", expired_at=T0 - 3600)
    assert silenced_by([short, long_, over], bad(), T0 + 60) is long_


def test_describe_scope_and_json_say_what_is_silenced_until_when() -> None:
    s = silence(3, account="main", check="balance", code=-2019)
    assert s.describe() == "silence 3 'deploy' until 2026-11-29T14:00:00+00:00"
    assert s.scope() == "account main, check balance, code -2019"
    assert silence().scope() == "everything"
    doc = s.to_json(now=T0 + 60)
    assert doc["active"] is True and doc["ends_at"] == "2026-11-29T14:00:00+00:00"
    assert doc["expired_at"] is None and doc["code"] == -2019
    assert s.to_json(now=T0 + 3 * 3600)["active"] is False
