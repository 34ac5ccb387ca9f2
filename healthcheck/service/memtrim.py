"""Keep glibc's malloc from holding on to freed native memory (no-ops on other C libraries).

A paced daemon (1 s ticks, several accounts, faults on and off) grew its RSS by ~0.15-0.25 MiB a
minute with a flat Python heap. Two glibc behaviours, two remedies:

* :func:`configure` (once, when the daemon starts) fixes the mmap threshold at 128 KiB. By
  default glibc raises it to the size of each large block freed, so after the first big HTTP body
  or JSON document every later one is carved out of a thread's malloc arena between small
  long-lived blocks, and the arena keeps those pages. Fixed, large blocks are ``mmap``'d and
  ``munmap``'d: the free memory held in the arenas stopped growing (``bench/soak.py
  --mem-detail``).
* :func:`maybe_trim` (after each tick, at most once per :data:`TRIM_EVERY` seconds) calls
  ``malloc_trim(0)``, which also releases the free pages in the middle of every arena
  (``madvise(MADV_DONTNEED)``); well under a millisecond at this daemon's size.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import logging
import os
import platform
import sys
import threading
import time
from collections.abc import Callable, Mapping

log = logging.getLogger(__name__)

TRIM_EVERY = 60.0  # seconds between two trims
MMAP_THRESHOLD = 128 * 1024  # glibc's own starting value, made fixed (see configure())
_M_MMAP_THRESHOLD = -3  # mallopt parameter numbers from <malloc.h>

_lock = threading.Lock()
_last_mono: float | None = None
_trim: Callable[[int], int] | None = None
_mallopt: Callable[[int, int], int] | None = None
_loaded = False


def _load() -> tuple[Callable[[int], int] | None, Callable[[int, int], int] | None]:
    """Return glibc's ``malloc_trim`` and ``mallopt``, or Nones when this is not glibc."""
    if not sys.platform.startswith("linux") or platform.libc_ver()[0] != "glibc":
        return None, None
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True)
        trim_fn, opt_fn = libc.malloc_trim, libc.mallopt
    except (OSError, AttributeError):
        return None, None
    trim_fn.argtypes = [ctypes.c_size_t]
    trim_fn.restype = ctypes.c_int
    opt_fn.argtypes = [ctypes.c_int, ctypes.c_int]
    opt_fn.restype = ctypes.c_int
    return trim_fn, opt_fn


def available() -> bool:
    """True when ``malloc_trim`` can be called here (glibc on Linux)."""
    global _trim, _mallopt, _loaded
    if not _loaded:
        (_trim, _mallopt), _loaded = _load(), True
    return _trim is not None


def configure(environ: Mapping[str, str] | None = None) -> bool:
    """Fix glibc's mmap threshold at 128 KiB, once, at the daemon's start; True if it was set.

    glibc starts by serving blocks of 128 KiB and more with their own ``mmap`` and gives them back
    with ``munmap`` when freed, but it raises that threshold (up to 32 MiB) each time such a block
    is freed, and the trim threshold with it. After the first large HTTP body or JSON document is
    freed, every later one is carved out of a thread's malloc arena instead, between small
    long-lived blocks, and the arena keeps the pages: in a paced soak the free memory held in the
    arenas grew from 2 to 6 MiB in 20 minutes while the memory in use stayed flat. A threshold
    set with ``mallopt`` is fixed (glibc stops adjusting it), so large blocks always come and go
    with ``mmap``/``munmap``: a syscall pair per large block, nothing at this daemon's rate.
    A user's own ``MALLOC_MMAP_THRESHOLD_`` or ``GLIBC_TUNABLES=glibc.malloc.mmap_threshold``
    is left alone. Elsewhere (musl, macOS, Windows) this is a no-op.
    """
    env = os.environ if environ is None else environ
    if "MALLOC_MMAP_THRESHOLD_" in env or "mmap_threshold" in env.get("GLIBC_TUNABLES", ""):
        return False
    if not available() or _mallopt is None:
        return False
    try:
        return bool(_mallopt(_M_MMAP_THRESHOLD, MMAP_THRESHOLD))
    except OSError:  # pragma: no cover - a foreign libc answering to the name
        return False


def trim() -> bool:
    """Call ``malloc_trim(0)`` now; True if glibc released memory, False otherwise (or no-op)."""
    if not available():
        return False
    assert _trim is not None
    try:
        return bool(_trim(0))
    except OSError:  # pragma: no cover - a foreign libc answering to the name
        log.debug("malloc_trim failed", exc_info=True)
        return False


def maybe_trim(now_mono: float | None = None, every: float = TRIM_EVERY) -> bool:
    """Trim if ``every`` seconds have passed since the last trim; True if it trimmed."""
    global _last_mono
    now = time.monotonic() if now_mono is None else now_mono
    with _lock:
        if _last_mono is not None and now - _last_mono < every:
            return False
        _last_mono = now
    trim()
    return True
