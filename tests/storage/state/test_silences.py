"""Tests for healthcheck.storage.state.silences: stored silences and their revision counter."""

from __future__ import annotations

from pathlib import Path

from healthcheck.storage.state import StateDB

T0 = 1_800_000_000.0


def test_a_silence_survives_a_restart_and_ends_at_its_time(tmp_path: Path) -> None:
    d = StateDB.open(tmp_path)
    s = d.add_silence(ends_at=T0 + 3600, reason="maintenance", account="main", now=T0)
    d.close()
    d = StateDB.open(tmp_path)
    assert [(x.id, x.account, x.reason) for x in d.silences(now=T0 + 1)] == [
        (s.id, "main", "maintenance")
    ]
    assert d.silences(now=T0 + 3601) == []
    assert [x.id for x in d.silences(include_ended=True, now=T0 + 3601)] == [s.id]
    d.close()


def test_expiring_ends_a_silence_once_and_bumps_the_revision(tmp_path: Path) -> None:
    d = StateDB.open(tmp_path)
    s = d.add_silence(ends_at=T0 + 3600, reason="x", check="balance", code=-2019, now=T0)
    rev = d.silences_revision()
    ended = d.expire_silence(s.id, now=T0 + 10)
    assert ended is not None and ended.ends_at == T0 + 10
    assert d.silences_revision() != rev
    assert d.expire_silence(s.id, now=T0 + 20) is None
    assert d.silences(now=T0 + 11) == []
    d.close()


def test_a_secret_in_the_reason_is_not_stored(tmp_path: Path) -> None:
    d = StateDB.open(tmp_path)
    s = d.add_silence(
        ends_at=T0 + 60, reason="see https://bob:hunter2pass@hooks.example.test/x", now=T0
    )
    assert "hunter2pass" not in s.reason
    assert all("hunter2pass" not in x.reason for x in d.silences(now=T0))
    d.close()
    assert b"hunter2pass" not in (tmp_path / "state.db").read_bytes()
