"""Tests for healthcheck.storage.state.bans: bans and the response cache survive a restart."""

from __future__ import annotations

from pathlib import Path

from healthcheck.storage.state import StateDB

T0 = 1_800_000_000.0


def test_a_ban_survives_reopening_and_ends_at_its_time(tmp_path: Path) -> None:
    d = StateDB.open(tmp_path)
    d.set_ban("api.binance.com", T0 + 120, "418 banned")
    d.close()
    d = StateDB.open(tmp_path)
    assert d.get_ban("api.binance.com", T0) == (T0 + 120, "418 banned")
    assert d.active_bans(T0 + 121) == {}
    assert d.get_ban("api.binance.com", T0 + 121) is None
    d.close()


def test_a_shorter_ban_does_not_shorten_a_longer_one(tmp_path: Path) -> None:
    d = StateDB.open(tmp_path)
    d.set_ban("fapi.binance.com", T0 + 600, "418")
    d.set_ban("fapi.binance.com", T0 + 60, "429")
    assert d.active_bans(T0 + 61) == {"fapi.binance.com": (T0 + 600, "418")}
    d.close()


def test_cached_response_survives_reopening_and_is_replaced_by_a_newer_one(tmp_path: Path) -> None:
    d = StateDB.open(tmp_path)
    assert d.get_cache("exchangeInfo") is None
    d.put_cache("exchangeInfo", {"symbols": ["BTCUSDT"]}, T0)
    d.close()
    d = StateDB.open(tmp_path)
    assert d.get_cache("exchangeInfo") == (T0, {"symbols": ["BTCUSDT"]})
    d.put_cache("exchangeInfo", {"symbols": []}, T0 + 5)
    assert d.get_cache("exchangeInfo") == (T0 + 5, {"symbols": []})
    d.close()
