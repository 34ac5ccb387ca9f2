"""The UDP NTP responder, checked with ntplib as the health check uses it."""

from __future__ import annotations

import time

import ntplib
import pytest

from healthcheck.simulator import NtpResponder


def _ask(ntp: NtpResponder, timeout: float = 0.3) -> ntplib.NTPStats:
    host, port = ntp.address
    return ntplib.NTPClient().request(host, version=3, port=port, timeout=timeout)


@pytest.mark.parametrize("offset", [0.0, 2.5, -7.25])
def test_normal_mode_reports_configured_offset(ntp: NtpResponder, offset: float) -> None:
    ntp.offset = offset
    stats = _ask(ntp)
    # 10 ms: a loaded 2-core machine adds milliseconds of asymmetric delay.
    assert stats.offset == pytest.approx(offset, abs=0.01)
    assert (stats.stratum, stats.leap, stats.mode) == (2, 0, 4)
    assert ntp.requests == 1


def test_hold_seconds_is_excluded_from_delay(ntp: NtpResponder) -> None:
    ntp.offset, ntp.hold_seconds = 1.0, 0.1
    stats = _ask(ntp)
    assert stats.offset == pytest.approx(1.0, abs=0.002)
    assert stats.tx_time - stats.recv_time == pytest.approx(0.1, abs=0.02)
    assert stats.delay < 0.02


def test_silent_mode_raises_ntp_exception(ntp: NtpResponder) -> None:
    ntp.mode = "silent"
    with pytest.raises(ntplib.NTPException):
        _ask(ntp, timeout=0.2)


def test_zero_mode_is_accepted_by_ntplib_with_stratum_0(ntp: NtpResponder) -> None:
    ntp.mode = "zero"
    stats = _ask(ntp)
    assert stats.stratum == 0
    assert abs(stats.offset) > 1e9  # timestamps of 1900: nonsense a checker must reject


def test_garbage_mode_raises_ntp_exception(ntp: NtpResponder) -> None:
    ntp.mode = "garbage"
    with pytest.raises(ntplib.NTPException):
        _ask(ntp)


def test_kiss_of_death_has_stratum_0_rate_and_leap_3(ntp: NtpResponder) -> None:
    ntp.mode = "kod"
    stats = _ask(ntp)
    assert (stats.stratum, stats.leap) == (0, 3)
    assert stats.ref_id.to_bytes(4, "big") == b"RATE"


def test_bad_origin_does_not_echo_client_transmit_time(ntp: NtpResponder) -> None:
    ntp.mode = "bad_origin"
    before = time.time()
    stats = _ask(ntp)
    assert abs(stats.orig_time - before) > 1000


@pytest.mark.parametrize("mode,stratum,leap", [("leap_alarm", 2, 3), ("stratum16", 16, 0)])
def test_unsynchronised_modes(ntp: NtpResponder, mode: str, stratum: int, leap: int) -> None:
    ntp.mode = mode
    stats = _ask(ntp)
    assert (stats.stratum, stats.leap) == (stratum, leap)


def test_server_string_and_restartable_lifecycle() -> None:
    with NtpResponder() as ntp:
        host, port = ntp.address
        assert ntp.server_string == f"127.0.0.1:{port}"
        assert _ask(ntp).stratum == 2
