"""malloc_trim: freed native memory goes back to the OS (RSS drops), at most once a minute."""

from __future__ import annotations

import threading
import time

import pytest

from healthcheck.service import memtrim

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


_LARGE_BLOCK_CHILD = r"""
import ctypes, sys
from healthcheck.service import memtrim

if sys.argv[1] == "daemon":
    assert memtrim.configure({}), "configure() did not set the threshold"
libc = ctypes.CDLL("libc.so.6")
libc.malloc.restype, libc.malloc.argtypes = ctypes.c_void_p, [ctypes.c_size_t]
libc.free.argtypes = [ctypes.c_void_p]
libc.memset.argtypes = [ctypes.c_void_p, ctypes.c_int, ctypes.c_size_t]

def rss_kib():
    with open("/proc/self/status") as f:
        return next(int(l.split()[1]) for l in f if l.startswith("VmRSS:"))

# one large response body, freed: glibc raises its mmap threshold to its size
first = libc.malloc(16 << 20); libc.memset(first, 1, 16 << 20); libc.free(first)
# the next large body, and a small block that outlives it (the body is not at the heap's top)
body = libc.malloc(8 << 20); libc.memset(body, 1, 8 << 20)
keep = libc.malloc(64); libc.memset(keep, 1, 64)
before = rss_kib()
libc.free(body)
print(before - rss_kib())
"""


@pytest.mark.parametrize("mode", ["default", "daemon"])
def test_a_freed_large_block_leaves_resident_memory_only_without_configure(mode: str) -> None:
    # glibc's dynamic mmap threshold: after one large block is freed, later large blocks are
    # carved out of the heap and their pages stay resident when freed (what made the paced soak's
    # arenas grow); memtrim.configure(), called when the daemon starts, fixes the threshold, so a
    # freed large block goes back to the OS at once
    import os
    import subprocess
    import sys

    env = {
        k: v
        for k, v in os.environ.items()
        if k not in ("MALLOC_MMAP_THRESHOLD_", "GLIBC_TUNABLES", "MALLOC_ARENA_MAX")
    }
    out = subprocess.run(
        [sys.executable, "-c", _LARGE_BLOCK_CHILD, mode],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    released_mib = int(out.stdout) / 1024
    if mode == "daemon":
        assert released_mib > 7, f"freeing an 8 MiB body released only {released_mib:.1f} MiB"
    else:  # the control: what glibc does on its own
        assert released_mib < 1, f"glibc released {released_mib:.1f} MiB without configure()"


def test_configure_leaves_a_users_own_malloc_settings_alone() -> None:
    assert not memtrim.configure({"MALLOC_MMAP_THRESHOLD_": "65536"})
    assert not memtrim.configure({"GLIBC_TUNABLES": "glibc.malloc.mmap_threshold=65536"})
