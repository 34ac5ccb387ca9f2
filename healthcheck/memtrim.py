"""Hand freed native memory back to the OS: glibc's ``malloc_trim(0)``, at most once a minute.

A paced daemon (1 s ticks, several accounts, faults on and off) grew its RSS by ~0.15-0.25 MiB a
minute with a flat Python heap: the growth is free memory that glibc keeps inside its malloc
arenas (one per thread that ever allocated: the fetch pool, aiohttp's loop, apprise's senders,
SQLite). glibc only returns memory from the top of the main heap on its own; ``malloc_trim(0)``
also releases the free pages in the middle of every arena (``madvise(MADV_DONTNEED)``), which is
what RSS counts. It costs a walk over the arenas' free lists (well under a millisecond at this
daemon's size), so the daemon calls :func:`maybe_trim` after each tick and it trims at most once
per :data:`TRIM_EVERY` seconds. Elsewhere (musl, macOS, Windows) it is a no-op.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import logging
import platform
import sys
import threading
import time
from collections.abc import Callable

log = logging.getLogger(__name__)

TRIM_EVERY = 60.0  # seconds between two trims

_lock = threading.Lock()
_last_mono: float | None = None
_trim: Callable[[int], int] | None = None
_loaded = False


def _load() -> Callable[[int], int] | None:
    """Return glibc's ``malloc_trim`` or None when this is not glibc."""
    if not sys.platform.startswith("linux") or platform.libc_ver()[0] != "glibc":
        return None
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True)
        fn = libc.malloc_trim
    except (OSError, AttributeError):
        return None
    fn.argtypes = [ctypes.c_size_t]
    fn.restype = ctypes.c_int
    return fn


def available() -> bool:
    """True when ``malloc_trim`` can be called here (glibc on Linux)."""
    global _trim, _loaded
    if not _loaded:
        _trim, _loaded = _load(), True
    return _trim is not None


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
