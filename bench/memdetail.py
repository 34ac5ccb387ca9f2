"""Where a process's anonymous memory is, for hunting slow RSS growth (used by bench/soak.py).

    from memdetail import mem_detail; mem_detail()  # -> dict of KiB figures

* ``py_arenas`` / ``py_used`` / ``py_free``: pymalloc's object arenas (1 MiB ``mmap`` each on
  3.10+), bytes in allocated blocks and free blocks/pools inside them (``sys._debugmallocstats``);
* ``malloc_used`` / ``malloc_free`` / ``malloc_mmap``: glibc's ``mallinfo2`` summed over every
  arena: bytes handed out, free bytes kept in the arenas, bytes in direct mmaps;
* ``malloc_arenas``: how many glibc arenas exist (``malloc_info``);
* ``sqlite``: SQLite's own allocator (``sqlite3_memory_used``) for the library Python links;
* ``objects``: objects the garbage collector tracks.

Linux/glibc only; a figure that cannot be read is -1.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import gc
import os
import re
import sys
import tempfile
from typing import Any


class _MallInfo2(ctypes.Structure):
    _fields_ = [
        (n, ctypes.c_size_t)
        for n in (
            "arena",
            "ordblks",
            "smblks",
            "hblks",
            "hblkhd",
            "usmblks",
            "fsmblks",
            "uordblks",
            "fordblks",
            "keepcost",
        )
    ]


_libc: Any = None
_sqlite: Any = None


def _load() -> None:
    global _libc, _sqlite
    if _libc is None:
        try:
            _libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
            _libc.mallinfo2.restype = _MallInfo2
            _libc.fdopen.restype = ctypes.c_void_p
            _libc.fdopen.argtypes = [ctypes.c_int, ctypes.c_char_p]
            _libc.malloc_info.argtypes = [ctypes.c_int, ctypes.c_void_p]
            _libc.fflush.argtypes = [ctypes.c_void_p]
            _libc.fclose.argtypes = [ctypes.c_void_p]
        except (OSError, AttributeError):
            _libc = False
    if _sqlite is None:
        import _sqlite3

        path = getattr(_sqlite3, "__file__", "")
        lib = None
        try:  # the libsqlite3 that _sqlite3 links (the same global counters)
            with open("/proc/self/maps") as f:
                for line in f:
                    if "libsqlite3" in line:
                        lib = line.split()[-1]
                        break
            _sqlite = ctypes.CDLL(lib or path)
            _sqlite.sqlite3_memory_used.restype = ctypes.c_int64
        except (OSError, AttributeError):
            _sqlite = False


def _capture_stderr(fn: Any) -> str:
    """Run ``fn`` with C-level fd 2 pointed at a temporary file; return what it wrote."""
    sys.stderr.flush()
    saved = os.dup(2)
    with tempfile.TemporaryFile() as tmp:
        os.dup2(tmp.fileno(), 2)
        try:
            fn()
        finally:
            os.dup2(saved, 2)
            os.close(saved)
        tmp.seek(0)
        return tmp.read().decode("utf-8", "replace")


def _malloc_arenas() -> int:
    if not _libc:
        return -1
    with tempfile.TemporaryFile() as tmp:
        fp = _libc.fdopen(os.dup(tmp.fileno()), b"w")
        _libc.malloc_info(0, fp)
        _libc.fclose(fp)
        tmp.seek(0)
        return tmp.read().decode().count("<heap nr=")


def mem_detail() -> dict[str, int]:
    _load()
    out = {
        k: -1
        for k in (
            "py_arenas",
            "py_used",
            "py_free",
            "malloc_used",
            "malloc_free",
            "malloc_mmap",
            "malloc_arenas",
            "sqlite",
            "objects",
        )
    }
    text = _capture_stderr(sys._debugmallocstats)
    m = re.search(r"# arenas allocated current\s*=\s*([\d,]+)", text)
    if m:
        out["py_arenas"] = int(m.group(1).replace(",", ""))
    m = re.search(r"# bytes in allocated blocks\s*=\s*([\d,]+)", text)
    if m:
        out["py_used"] = int(m.group(1).replace(",", "")) // 1024
    free = 0
    for key in (
        "available blocks",
        "unused pools",
        "lost to pool headers",
        "lost to quantization",
        "lost to arena alignment",
    ):
        m = re.search(rf"# bytes {key}\s*=\s*([\d,]+)", text) or re.search(
            rf"# bytes {key.split()[0]} {key.split()[1]}.*?=\s*([\d,]+)", text
        )
        if m:
            free += int(m.group(1).replace(",", ""))
    out["py_free"] = free // 1024
    if _libc:
        mi = _libc.mallinfo2()
        out["malloc_used"] = mi.uordblks // 1024
        out["malloc_free"] = mi.fordblks // 1024
        out["malloc_mmap"] = mi.hblkhd // 1024
        out["malloc_arenas"] = _malloc_arenas()
    if _sqlite:
        out["sqlite"] = _sqlite.sqlite3_memory_used() // 1024
    out["objects"] = len(gc.get_objects())
    return out


if __name__ == "__main__":
    print(mem_detail())
