"""malloc_trim: freed native memory goes back to the OS (RSS drops), at most once a minute."""

from __future__ import annotations

import threading
import time

import pytest

from healthcheck import memtrim

pytestmark = pytest.mark.skipif(not memtrim.available(), reason="glibc only")


def _rss_mib() -> float:
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    raise AssertionError("no VmRSS")


def test_trim_returns_freed_native_memory_to_the_os() -> None:
    # what the daemon's threads leave behind: many malloc'd blocks freed, a few kept alive in
    # between, so glibc cannot shrink its heap from the top and the free pages stay resident
    kept: list[bytes] = []

    def churn() -> None:
        blocks = [bytes(2000) + bytes([i % 256]) for i in range(20_000)]  # ~40 MiB, not mmap'd
        kept.extend(blocks[::32])

    t = threading.Thread(target=churn)
    t.start()
    t.join()
    before = _rss_mib()
    memtrim.trim()
    after = _rss_mib()
    assert len(kept) == 625
    assert before - after > 10, f"RSS {before:.1f} -> {after:.1f} MiB"


def test_maybe_trim_runs_at_most_once_per_interval() -> None:
    t0 = time.monotonic() + 10_000  # past any trim another test's daemon did
    assert memtrim.maybe_trim(t0)
    assert not memtrim.maybe_trim(t0 + 30)
    assert not memtrim.maybe_trim(t0 + memtrim.TRIM_EVERY - 1)
    assert memtrim.maybe_trim(t0 + memtrim.TRIM_EVERY + 1)
