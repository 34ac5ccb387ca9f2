"""Server time: the samples a run takes, the clock offset per host, and when to sample again.

Signed requests carry this machine's time corrected by the offset measured against the host's
server time. An offset is kept for ``OFFSET_REUSE_SECONDS`` (in memory and in ``state_dir``), so
signed calls between clock checks, and a process that ran within five minutes, sign at once.
The clock check of one account may read the samples another account's turn took on the same
host, and a host whose round trips agree needs one sample instead of several.
"""

from __future__ import annotations

import math
import time

from healthcheck.checks.base import TimeMeasurement
from healthcheck.engine.cache import AnswerCache, host_id
from healthcheck.exchange.fetch import FetchError, FetchErrorKind, Outcome

OFFSET_REUSE_SECONDS = 300.0  # between clock checks, signed calls reuse the last offset
# a host's server-time round trips this close to each other are stable: one sample is enough
STABLE_RTT_MS = 25.0
STABLE_RTT_SHARE = 0.5

HostKey = tuple[str, str]  # (base URL, market)


class ClockOffsets:
    """The last clock offset, round trips and clock-check sample time per (base URL, market)."""

    def __init__(self, cache: AnswerCache) -> None:
        self.cache = cache
        self.offsets: dict[HostKey, TimeMeasurement] = {}
        self.offset_at: dict[HostKey, float] = {}  # wall clock
        self.rtts: dict[HostKey, list[float]] = {}  # the last round trips per host
        self.sampled_at: dict[HostKey, float] = {}  # when the clock check last sampled

    def load(self, keys: list[HostKey]) -> None:
        """Start from the offsets a recent process kept for these hosts."""
        for key in keys:
            got = self.cache.fresh(f"offset:{key[1]}:{host_id(key[0])}", OFFSET_REUSE_SECONDS)
            if got is None or key in self.offsets:
                continue
            try:
                meas = TimeMeasurement(
                    key[1], float(got[1]["offset_ms"]), float(got[1]["rtt_ms"] or 0.0), 1
                )
            except (KeyError, TypeError, ValueError):
                continue
            if math.isfinite(meas.offset_ms or 0.0):
                self.offsets[key] = meas
                self.offset_at[key] = got[0]

    def any_known(self) -> TimeMeasurement | None:
        """Return an offset measured on any host (this machine's clock against Binance's)."""
        return next((m for m in self.offsets.values() if m.offset_ms is not None), None)

    def shared(self, key: HostKey, every_seconds: float) -> bool:
        """True when the clock check of another account on this host sampled the server time
        recently enough (within most of the daemon's clock interval) to be read again."""
        at = self.sampled_at.get(key)
        return (
            every_seconds > 0
            and at is not None
            and key in self.offsets
            and 0 <= time.time() - at < every_seconds * 0.9
        )

    def stable(self, key: HostKey) -> bool:
        """True when this host's last round trips agree: one server-time sample is enough."""
        rtts = self.rtts.get(key, [])
        if len(rtts) < 2:
            return False
        low = min(rtts)
        return max(rtts) - low <= max(STABLE_RTT_MS, STABLE_RTT_SHARE * low)

    def recent(self, key: HostKey) -> bool:
        """True when this host's offset is recent enough to sign with, without sampling."""
        at = self.offset_at.get(key)
        return at is not None and 0 <= time.time() - at < OFFSET_REUSE_SECONDS

    def record(
        self, key: HostKey, m: TimeMeasurement, outs: list[Outcome], *, for_clock: bool
    ) -> None:
        """Given a host's new measurement and the answers it came from, keep the offset (in
        the state dir too), the round trips and, for the clock check, when it sampled."""
        if m.offset_ms is None:
            return
        now = time.time()
        self.offsets[key] = m
        self.offset_at[key] = now
        self.cache.put(
            f"offset:{key[1]}:{host_id(key[0])}",
            {"offset_ms": m.offset_ms, "rtt_ms": m.rtt_ms},
            now,
        )
        got = [o.elapsed_ms for o in outs if o.ok]
        self.rtts[key] = (self.rtts.get(key, []) + got)[-3:]
        if for_clock:
            self.sampled_at[key] = time.time()


def _finite(st: object) -> bool:
    try:
        return not isinstance(st, bool) and isinstance(st, int | float) and math.isfinite(st)
    except OverflowError:  # an int beyond any float
        return False


def measure(market: str, outs: list[Outcome]) -> TimeMeasurement:
    """Given the server-time answers of one host, return the offset of the sample with the
    shortest round trip (midpoint of the request against serverTime), or the last error."""
    m = TimeMeasurement(market)
    best: tuple[float, float] | None = None
    for out in outs:
        if not out.ok:
            m.error = out.error
            continue
        st = out.data.get("serverTime") if isinstance(out.data, dict) else None
        if not _finite(st):
            m.error = FetchError(
                FetchErrorKind.MALFORMED, "server time answer has no numeric 'serverTime'"
            )
            continue
        midpoint_ms = (out.started_at + out.finished_at) / 2 * 1000
        rtt = out.elapsed_ms
        offset = midpoint_ms - float(st)  # type: ignore[arg-type]  # finite number above
        m.samples += 1
        if best is None or rtt < best[1]:
            best = (offset, rtt)
    if best is not None:
        m.offset_ms, m.rtt_ms = best
        m.error = None
    return m
