"""NTP politeness and sanity against UDP responders on loopback (RFC 4330)."""

from __future__ import annotations

from healthcheck.config import NtpConfig, NtpServer
from healthcheck.exchange.ntp import KOD_BACKOFF_SECONDS, MIN_POLL_SECONDS, NtpClient


def _cfg(responders):
    return NtpConfig(servers=tuple(NtpServer(*r.address) for r in responders), timeout=0.3)


def test_servers_are_polled_at_most_every_15_seconds(ntp_servers):
    now = [1000.0]
    client = NtpClient(clock=lambda: now[0])
    first = client.measure(_cfg(ntp_servers))
    assert first.offset_ms is not None
    asked = [r.requests for r in ntp_servers]
    now[0] += MIN_POLL_SECONDS - 1
    assert client.measure(_cfg(ntp_servers)) is first
    assert [r.requests for r in ntp_servers] == asked
    now[0] += 2
    client.measure(_cfg(ntp_servers))
    assert [r.requests for r in ntp_servers] == [a + 1 for a in asked]


def test_kiss_of_death_server_is_left_alone_and_others_still_vote(ntp_servers):
    now = [1000.0]
    client = NtpClient(clock=lambda: now[0])
    ntp_servers[0].mode = "kod"
    v = client.measure(_cfg(ntp_servers))
    assert v.offset_ms is not None  # the two others agree
    assert any("kiss-o'-death" in s.problem for s in v.samples)
    asked = ntp_servers[0].requests
    now[0] += MIN_POLL_SECONDS + 1
    v = client.measure(_cfg(ntp_servers))
    assert ntp_servers[0].requests == asked
    assert any(s.problem == "skipped after kiss-o'-death" for s in v.samples)
    now[0] += KOD_BACKOFF_SECONDS
    client.measure(_cfg(ntp_servers))
    assert ntp_servers[0].requests == asked + 1


def test_originate_mismatch_and_leap_alarm_are_rejected(ntp_servers):
    ntp_servers[0].mode = "bad_origin"
    ntp_servers[1].mode = "leap_alarm"
    ntp_servers[2].mode = "stratum16"
    v = NtpClient().measure(_cfg(ntp_servers))
    assert v.offset_ms is None
    problems = " ".join(s.problem for s in v.samples)
    assert "echo" in problems and "leap" in problems and "stratum 16" in problems
