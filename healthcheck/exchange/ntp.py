"""NTP as an independent second opinion on the local clock.

ntplib sends one SNTP query and accepts whatever comes back; an all-zero reply becomes an offset
of minus two billion seconds. This module applies RFC 4330's sanity checks to each reply (mode 4,
stratum 1-15, leap indicator not 3, non-zero transmit time, our originate time echoed back),
rejects high-delay samples, and lets several servers vote: a server far from the median of the
others is outvoted, not trusted.
"""

from __future__ import annotations

import socket
import statistics
import time
from dataclasses import dataclass, field

import ntplib


@dataclass(frozen=True)
class NtpServer:
    host: str
    port: int = 123

    def __str__(self) -> str:
        return self.host if self.port == 123 else f"{self.host}:{self.port}"


@dataclass(frozen=True)
class NtpConfig:
    servers: tuple[NtpServer, ...] = (NtpServer("pool.ntp.org"), NtpServer("time.google.com"))
    timeout: float = 2.0
    max_delay: float = 0.5  # seconds of round-trip delay above which a sample is rejected
    max_disagreement: float = 1.0  # seconds from the median beyond which a server is outvoted


@dataclass
class NtpSample:
    server: str
    offset_ms: float | None = None
    delay_ms: float | None = None
    stratum: int | None = None
    problem: str = ""  # why this server's answer was not used

    @property
    def usable(self) -> bool:
        return not self.problem and self.offset_ms is not None


@dataclass
class NtpVerdict:
    """The voted offset (server minus local, ms; positive: local clock is behind)."""

    offset_ms: float | None
    samples: list[NtpSample] = field(default_factory=list)
    outvoted: list[str] = field(default_factory=list)

    @property
    def reason(self) -> str:
        if self.offset_ms is not None:
            return ""
        if not self.samples:
            return "no NTP servers configured"
        return (
            "; ".join(f"{s.server}: {s.problem}" for s in self.samples if s.problem)
            or "no usable NTP answer"
        )

    def to_json(self) -> dict:
        return {
            "offset_ms": None if self.offset_ms is None else round(self.offset_ms, 1),
            "servers": [
                {
                    "server": s.server,
                    "offset_ms": None if s.offset_ms is None else round(s.offset_ms, 1),
                    "delay_ms": None if s.delay_ms is None else round(s.delay_ms, 1),
                    "stratum": s.stratum,
                    "problem": s.problem or None,
                }
                for s in self.samples
            ],
            "outvoted": self.outvoted,
        }


NTP_EPOCH_DELTA = 2208988800


def query_server(server: NtpServer, timeout: float, max_delay: float) -> NtpSample:
    """Given one server, return its sample, with ``problem`` set if the reply fails a check."""
    sample = NtpSample(str(server))
    client = ntplib.NTPClient()
    before = time.time()
    try:
        stats = client.request(server.host, version=4, port=server.port, timeout=timeout)
    except ntplib.NTPException as exc:
        text = str(exc)
        sample.problem = "no answer" if "No response" in text else "invalid NTP packet"
        return sample
    except socket.gaierror:
        sample.problem = "DNS lookup failed"
        return sample
    except OSError as exc:
        sample.problem = f"network error ({exc.strerror or type(exc).__name__})"
        return sample
    after = time.time()
    sample.stratum = stats.stratum
    # RFC 4330 section 5 sanity checks
    if stats.mode != 4:
        sample.problem = f"reply mode {stats.mode} is not a server reply"
    elif stats.stratum == 0:
        ref = ntplib.ref_id_to_text(stats.ref_id, stats.stratum) if stats.ref_id else ""
        sample.problem = f"kiss-o'-death{(' ' + ref) if ref else ''}: server asks us to go away"
    elif stats.stratum > 15:
        sample.problem = f"stratum {stats.stratum}: server is not synchronised"
    elif stats.leap == 3:
        sample.problem = "leap indicator 3: server clock is not synchronised"
    elif stats.tx_timestamp == 0:
        sample.problem = "transmit timestamp is zero"
    elif not (before - 1.0 <= stats.orig_time <= after + 1.0):
        sample.problem = "reply does not echo our request time (spoofed or stale answer)"
    elif stats.root_delay > 1.0 or stats.root_dispersion > 1.0:
        sample.problem = "root delay/dispersion above 1 s"
    if sample.problem:
        return sample
    sample.offset_ms = stats.offset * 1000.0
    sample.delay_ms = stats.delay * 1000.0
    if stats.delay > max_delay:
        sample.problem = f"round trip {stats.delay * 1000:.0f} ms is above max_delay"
    return sample


def vote(samples: list[NtpSample], max_disagreement_s: float) -> NtpVerdict:
    """Given samples, return the median offset of the servers that agree with each other."""
    usable = [s for s in samples if s.usable]
    if not usable:
        return NtpVerdict(None, samples)
    median = statistics.median(s.offset_ms for s in usable if s.offset_ms is not None)
    limit_ms = max_disagreement_s * 1000.0
    outvoted: list[str] = []
    if len(usable) >= 3:
        kept = []
        for s in usable:
            if s.offset_ms is not None and abs(s.offset_ms - median) > limit_ms:
                s.problem = (
                    f"outvoted: {s.offset_ms / 1000:+.3f} s disagrees with the other servers"
                )
                outvoted.append(s.server)
            else:
                kept.append(s)
        if not kept:
            # the servers split into camps far from each other: no majority to trust
            for s in usable:
                s.problem = "servers disagree and none is close to their median"
            return NtpVerdict(None, samples, [])
        usable = kept
    elif len(usable) == 2:
        a, b = usable
        if (
            a.offset_ms is not None
            and b.offset_ms is not None
            and abs(a.offset_ms - b.offset_ms) > limit_ms
        ):
            # two servers that disagree: neither can be trusted without a third vote
            for s in usable:
                s.problem = "disagrees with the other server and there is no third to decide"
            return NtpVerdict(None, samples, [])
    offset = statistics.median(s.offset_ms for s in usable if s.offset_ms is not None)
    return NtpVerdict(offset, samples, outvoted)


MIN_POLL_SECONDS = 15.0  # RFC 4330 section 10: never poll a server more often
KOD_BACKOFF_SECONDS = 600.0  # a server that sent kiss-o'-death is left alone this long


class NtpClient:
    """Polite polling: at most one query per server per 15 s (the last verdict is reused in
    between), and a server that answered kiss-o'-death is skipped for ten minutes."""

    def __init__(self, clock=time.monotonic) -> None:
        self._clock = clock
        self._last: tuple[float, NtpVerdict] | None = None
        self._kod_until: dict[str, float] = {}

    def measure(self, cfg: NtpConfig, submit=None) -> NtpVerdict:
        """Given the NTP settings, query every server (concurrently via ``submit``) and vote."""
        now = self._clock()
        if self._last is not None and now - self._last[0] < MIN_POLL_SECONDS:
            return self._last[1]
        if not cfg.servers:
            return NtpVerdict(None, [])
        servers = [s for s in cfg.servers if self._kod_until.get(str(s), 0.0) <= now]
        skipped = [
            NtpSample(str(s), problem="skipped after kiss-o'-death")
            for s in cfg.servers
            if s not in servers
        ]
        if submit is None:
            samples = [query_server(s, cfg.timeout, cfg.max_delay) for s in servers]
        else:
            futures = [submit(query_server, s, cfg.timeout, cfg.max_delay) for s in servers]
            samples = [f.result() for f in futures]
        for s in samples:
            if s.problem.startswith("kiss-o'-death"):
                self._kod_until[s.server] = now + KOD_BACKOFF_SECONDS
        verdict = vote(samples, cfg.max_disagreement)
        verdict.samples.extend(skipped)
        self._last = (now, verdict)
        return verdict


def measure(cfg: NtpConfig, submit=None) -> NtpVerdict:
    """Given the NTP settings, query every server once (no rate limiting) and vote."""
    return NtpClient().measure(cfg, submit)
