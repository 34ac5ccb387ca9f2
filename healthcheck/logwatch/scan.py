"""``explain --log``: count the Binance errors a log file holds, per code and product, without a
config. Reads in chunks (memory stays flat) and never blocks on a pipe without a writer.
"""

from __future__ import annotations

import logging
import os
import stat
from dataclasses import dataclass

from healthcheck.logwatch import bots
from healthcheck.logwatch.follow import MAX_LINE, LineSplitter
from healthcheck.logwatch.parse import candidate_lines, mask, parse_line, resolve_product

log = logging.getLogger(__name__)


@dataclass
class CodeCount:
    code: int
    product: str
    count: int = 0
    first_seen: float | None = None
    last_seen: float | None = None
    sample: str = ""
    msg: str = ""  # Binance's text, or the bot's own words (see logwatch.bots)
    words: str = ""  # the bot message's key when the bot refused by itself


class ScanError(Exception):
    """The file cannot be scanned; the message is one line naming it."""


def scan_file(
    path: str, product: str | None = None, max_bytes: int | None = None
) -> tuple[list[CodeCount], int]:
    """Given a log file (or a pipe), return every Binance error found (per code and product)
    and the number of lines read. Reads in chunks (memory stays flat), refuses devices such as
    /dev/zero, and never waits on a FIFO without a writer."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK)
    except OSError as exc:
        raise ScanError(f"{path}: cannot open: {exc.strerror}") from None
    try:
        st = os.fstat(fd)
        if stat.S_ISDIR(st.st_mode):
            raise ScanError(f"{path}: is a directory, not a log file")
        if not (stat.S_ISREG(st.st_mode) or stat.S_ISFIFO(st.st_mode)):
            raise ScanError(f"{path}: is not a regular file or a pipe")
        if stat.S_ISFIFO(st.st_mode):
            os.set_blocking(fd, True)  # a writer that is there is waited for, like `cat`
        counts: dict[tuple[int, str, str], CodeCount] = {}
        lines = 0
        warned: set[str] = set()
        chain = bots.RetryChain()

        def warn(kind: str, text: str) -> None:
            if kind not in warned:
                warned.add(kind)
                log.warning("%s", text)

        split = LineSplitter(path, warn)
        total = 0
        while True:
            try:
                data = os.read(fd, 1 << 20)
            except BlockingIOError:
                break
            except OSError as exc:
                raise ScanError(f"{path}: read failed: {exc.strerror}") from None
            if not data:
                break
            total += len(data)
            chunk_lines = split.feed(data)
            lines += len(chunk_lines)
            _count(chunk_lines, counts, product, chain)
            if max_bytes is not None and total >= max_bytes:
                warn("cap", f"{path}: stopped after {total} bytes")
                break
        if split.partial:
            lines += 1
            _count([split.partial[:MAX_LINE].decode("utf-8", "replace")], counts, product, chain)
    finally:
        os.close(fd)
    ordered = sorted(counts.values(), key=lambda c: (-c.count, c.code))
    return ordered, lines


def _count(
    lines: list[str],
    counts: dict[tuple[int, str, str], CodeCount],
    product: str | None,
    chain: bots.RetryChain,
) -> None:
    for line in candidate_lines(lines):
        hits = parse_line(line, product)
        if hits and not chain.counts(line):
            continue
        for hit in hits:
            p = resolve_product(hit.code, hit.product, product, hit.family)
            said = bots.words_for(hit.msg)
            key = (hit.code, p, said.key if said else "")
            c = counts.get(key)
            if c is None:
                c = counts[key] = CodeCount(
                    hit.code, p, sample=mask(line), msg=hit.msg, words=key[2]
                )
            c.count += 1
            if hit.ts is not None:
                if c.first_seen is None or hit.ts < c.first_seen:
                    c.first_seen = hit.ts
                if c.last_seen is None or hit.ts > c.last_seen:
                    c.last_seen = hit.ts
