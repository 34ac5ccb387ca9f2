"""Followers: new lines from a file (like ``tail -F``), a command's stdout, or a systemd unit's
journal. None of them ever blocks or raises: trouble becomes one log line and a retry.

A :class:`PathFollower` survives rotation by rename (the old file is read to its end before the
new one), copy-truncate (the file shrinks: start again at 0), a file that does not exist yet or
is replaced, and restarts (identity + offset come from the store; a file rotated while we were
down is found next to the path by its identity and read to its end first).
"""

from __future__ import annotations

import errno
import logging
import os
import signal
import stat
import subprocess
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from healthcheck.logwatch.store import Position

log = logging.getLogger(__name__)

MAX_LINE = 64 * 1024  # longer lines are cut here (a 10 MB line must not live in memory)
READ_CHUNK = 1 << 20
MAX_READ_PER_POLL = 16 << 20  # a huge backlog is read over several polls
TAIL_BYTES = 1 << 20  # on the very first start, only the file's last MiB is looked at
BACKOFF_MAX = 60.0


@dataclass
class Batch:
    """Lines read by one poll; ``backlog`` marks lines written before we started watching."""

    lines: list[str] = field(default_factory=list)
    backlog: bool = False
    mtime: float | None = None


class LineSplitter:
    """Turns byte chunks into text lines: invalid UTF-8 replaced, NULs dropped, lines cut at
    MAX_LINE; reports once per source when a file looks binary or a line is cut."""

    def __init__(self, name: str, warn: Callable[[str, str], None]) -> None:
        self.name = name
        self.warn = warn
        self.partial = b""
        self.skipping = False
        self.consumed = 0  # bytes of input fully turned into lines (or skipped)

    def feed(self, data: bytes) -> list[str]:
        if b"\0" in data:
            if data.count(b"\0") > len(data) // 10:
                self.warn(
                    "binary",
                    f"{self.name}: looks like a binary file (many NUL bytes); "
                    "reading on, text parts are still checked",
                )
            data = data.replace(b"\0", b"")
        buf = self.partial + data if self.partial else data
        last_nl = buf.rfind(b"\n")
        out: list[str] = []
        if last_nl >= 0:
            complete: bytes | None = buf[:last_nl]
            rest = buf[last_nl + 1 :]
            if self.skipping:  # the first segment ends a line already cut: drop it
                first = buf.find(b"\n")
                complete = buf[first + 1 : last_nl] if first < last_nl else None
                self.skipping = False
            if complete is not None:
                # one decode and one split per chunk: per-line Python work is what costs
                out = complete.decode("utf-8", "replace").split("\n")
                if max(map(len, out)) > MAX_LINE:
                    out = [line[:MAX_LINE] for line in out]
                    self.warn(
                        "long",
                        f"{self.name}: a line is longer than {MAX_LINE} bytes; "
                        "only its start is checked",
                    )
        else:
            rest = buf
        if self.skipping:
            rest = b""  # the rest of a line already cut: never kept
        elif len(rest) > MAX_LINE:
            out.append(rest[:MAX_LINE].decode("utf-8", "replace"))
            self.warn(
                "long",
                f"{self.name}: a line is longer than {MAX_LINE} bytes; only its start is checked",
            )
            self.skipping = True
            rest = b""
        self.partial = rest
        return out

    def reset(self) -> None:
        self.partial = b""
        self.skipping = False


SOURCE_TROUBLE = ("missing", "stat", "dir", "special", "perm", "open", "read", "spawn", "exit")


class _Warnings:
    """One log line per kind of trouble until it clears (not one per poll)."""

    def __init__(self) -> None:
        self.active: dict[str, str] = {}

    def warn(self, kind: str, text: str) -> None:
        if kind not in self.active:
            log.warning("%s", text)
        self.active[kind] = text

    def clear(self, *kinds: str) -> None:
        for k in kinds:
            self.active.pop(k, None)

    @property
    def problem(self) -> str | None:
        """Why the source cannot be read right now (None: it can); content trouble such as a
        binary file or a long line is not a problem of the source."""
        for kind in SOURCE_TROUBLE:
            if kind in self.active:
                return self.active[kind]
        return None


class PathFollower:
    """Follows one file path; ``poll()`` returns the complete lines written since the last
    poll; ``position`` is what to persist."""

    def __init__(self, path: Path, stored: Position | None, *, name: str | None = None) -> None:
        self.path = path
        self.name = name or str(path)
        self.stored = stored
        self.fd: int | None = None
        self.ident: tuple[int, int] | None = None
        self.read_pos = 0
        self.w = _Warnings()
        self.split = LineSplitter(self.name, self.w.warn)
        self.line_start = 0  # offset just after the last complete line
        self.seen_missing = False

    @property
    def problem(self) -> str | None:
        return self.w.problem

    @property
    def position(self) -> Position | None:
        if self.ident is None:
            return None
        return Position(self.ident[0], self.ident[1], self.line_start)

    def close(self) -> None:
        if self.fd is not None:
            try:
                os.close(self.fd)
            except OSError:
                pass
            self.fd = None

    def poll(self) -> Batch:
        batch = Batch()
        try:
            st = os.stat(self.path)
        except FileNotFoundError:
            self._drain_old(batch)
            self.seen_missing = True
            self.w.warn("missing", f"{self.name}: does not exist (yet); waiting for it")
            return batch
        except OSError as exc:
            self._drain_old(batch)
            self.w.warn("stat", f"{self.name}: cannot read: {exc.strerror}; retrying")
            return batch
        self.w.clear("missing", "stat")
        if stat.S_ISDIR(st.st_mode):
            self._drain_old(batch)
            self.close()
            self.w.warn("dir", f"{self.name}: is a directory, not a log file; waiting for a file")
            return batch
        self.w.clear("dir")
        if not stat.S_ISREG(st.st_mode):
            self.w.warn("special", f"{self.name}: is not a regular file; waiting for a file")
            return batch
        self.w.clear("special")
        ident = (st.st_dev, st.st_ino)
        if self.fd is not None and ident != self.ident:
            # rotated by rename or replaced: finish the old file, then start the new one at 0
            self._drain_old(batch)
            self.close()
            log.info("%s: rotated or replaced; following the new file", self.name)
            self._open(ident, 0)
        elif self.fd is None:
            self._first_open(ident, st, batch)
        if self.fd is None:
            return batch
        try:
            size = os.fstat(self.fd).st_size
        except OSError:
            size = st.st_size
        if size < self.read_pos:
            log.info("%s: truncated (copy-truncate rotation); reading from the start", self.name)
            self.read_pos = self.line_start = 0
            self.split.reset()
            self.split.consumed = 0
        self._read(batch, limit=MAX_READ_PER_POLL)
        batch.mtime = st.st_mtime
        return batch

    # -- internals
    def _first_open(self, ident: tuple[int, int], st: os.stat_result, batch: Batch) -> None:
        stored = self.stored
        if stored is not None and (stored.dev, stored.ino) == ident:
            self._open(ident, stored.offset if stored.offset <= st.st_size else 0)
            batch.backlog = True  # written while we were not running
        elif stored is not None:
            # the file we were reading was rotated while we were down: finish it first
            self._open(ident, 0)
            if self.fd is not None:
                batch.backlog = True
                self._finish_rotated(stored, batch)
        elif not self.seen_missing and self.ident is None:
            # never seen before: only the recent tail, flagged as backlog
            start = max(0, st.st_size - TAIL_BYTES)
            self._open(ident, start)
            if self.fd is not None:
                batch.backlog = True
                self.split.skipping = start > 0  # the first partial line is not a line
        else:
            self._open(ident, 0)
        if self.fd is not None:
            self.stored = None

    def _open(self, ident: tuple[int, int], offset: int) -> None:
        try:
            fd = os.open(self.path, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0))
        except OSError as exc:
            kind = "perm" if exc.errno in (errno.EACCES, errno.EPERM) else "open"
            self.w.warn(kind, f"{self.name}: cannot open: {exc.strerror}; retrying")
            return
        self.w.clear("perm", "open")
        st = os.fstat(fd)
        if (st.st_dev, st.st_ino) != ident:  # swapped between stat and open: take the new one
            ident = (st.st_dev, st.st_ino)
            offset = 0
        self.fd, self.ident = fd, ident
        self.read_pos = self.line_start = offset
        self.split.reset()

    def _read(self, batch: Batch, limit: int) -> None:
        assert self.fd is not None
        total = 0
        while total < limit:
            try:
                data = os.pread(self.fd, READ_CHUNK, self.read_pos)
            except OSError as exc:
                if exc.errno == errno.EISDIR:
                    self.close()
                    return
                self.w.warn("read", f"{self.name}: read failed: {exc.strerror}; retrying")
                return
            self.w.clear("read")
            if not data:
                break
            self.read_pos += len(data)
            total += len(data)
            batch.lines.extend(self.split.feed(data))
            self.line_start = self.read_pos - len(self.split.partial)

    def _drain_old(self, batch: Batch) -> None:
        if self.fd is not None:
            self._read(batch, limit=MAX_READ_PER_POLL)

    def _finish_rotated(self, stored: Position, batch: Batch) -> None:
        try:
            candidates = [
                p
                for p in self.path.parent.iterdir()
                if p.name.startswith(self.path.name) and p != self.path
            ]
        except OSError:
            return
        for p in candidates:
            try:
                st = p.stat()
            except OSError:
                continue
            if (st.st_dev, st.st_ino) == (stored.dev, stored.ino) and stat.S_ISREG(st.st_mode):
                try:
                    with open(p, "rb") as f:
                        f.seek(min(stored.offset, st.st_size))
                        data = f.read(MAX_READ_PER_POLL)
                except OSError:
                    return
                splitter = LineSplitter(str(p), self.w.warn)
                batch.lines.extend(
                    splitter.feed(data + b"\n" if data and not data.endswith(b"\n") else data)
                )
                log.info("%s: read the end of %s (rotated while not running)", self.name, p)
                return


class CommandFollower:
    """Runs a command and follows its stdout; restarts it with backoff when it exits. Its
    stderr is logged (a few lines per minute), never parsed. ``poll()`` never blocks."""

    def __init__(
        self,
        argv: list[str],
        *,
        name: str | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.argv = list(argv)
        self.name = name or " ".join(argv)
        self.clock = clock
        self.proc: subprocess.Popen[bytes] | None = None
        self.next_start = 0.0
        self.backoff = 1.0
        self.started_at = 0.0
        self.w = _Warnings()
        self.split = LineSplitter(self.name, self.w.warn)
        self.err_split = LineSplitter(self.name + " (stderr)", self.w.warn)
        self.err_budget: tuple[float, int] = (0.0, 0)
        self.restarts = 0
        self.last_exit: int | None = None

    @property
    def problem(self) -> str | None:
        return self.w.problem

    def poll(self) -> Batch:
        batch = Batch()
        now = self.clock()
        if self.proc is None:
            if now < self.next_start:
                return batch
            self._start(now)
            if self.proc is None:
                return batch
        assert self.proc is not None
        self._drain(batch)
        code = self.proc.poll()
        if code is not None:
            self._drain(batch)
            ran = now - self.started_at
            if ran > BACKOFF_MAX:
                self.backoff = 1.0
            log.warning(
                "%s: exited with code %s; restarting in %.0f s", self.name, code, self.backoff
            )
            self.last_exit = code
            self._close_pipes()
            self.proc = None
            self.next_start = now + self.backoff
            self.backoff = min(BACKOFF_MAX, self.backoff * 2)
            self.restarts += 1
        return batch

    def close(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            try:
                os.killpg(self.proc.pid, signal.SIGTERM)
            except OSError:
                self.proc.terminate()
            try:
                self.proc.wait(timeout=3)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=3)
        if self.proc is not None:
            self._close_pipes()
        self.proc = None

    def _start(self, now: float) -> None:
        try:
            self.proc = subprocess.Popen(
                self.argv,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                stdin=subprocess.DEVNULL,
                start_new_session=True,
            )
        except OSError as exc:
            self.w.warn(
                "spawn",
                f"{self.name}: cannot start: {exc.strerror or exc}; retrying "
                f"in {self.backoff:.0f} s",
            )
            self.next_start = now + self.backoff
            self.backoff = min(BACKOFF_MAX, self.backoff * 2)
            return
        self.w.clear("spawn")
        assert self.proc.stdout is not None and self.proc.stderr is not None
        os.set_blocking(self.proc.stdout.fileno(), False)
        os.set_blocking(self.proc.stderr.fileno(), False)
        self.started_at = now
        self.split.reset()
        self.err_split.reset()

    def _drain(self, batch: Batch) -> None:
        assert self.proc is not None and self.proc.stdout is not None
        for _ in range(64):
            data = _read_nb(self.proc.stdout.fileno())
            if not data:
                break
            batch.lines.extend(self.split.feed(data))
        assert self.proc.stderr is not None
        for _ in range(8):
            data = _read_nb(self.proc.stderr.fileno())
            if not data:
                break
            for line in self.err_split.feed(data):
                self._log_stderr(line)

    def _log_stderr(self, line: str) -> None:
        from healthcheck.logwatch.parse import mask

        start, n = self.err_budget
        now = self.clock()
        if now - start > 60:
            start, n = now, 0
        n += 1
        self.err_budget = (start, n)
        if n <= 5:
            log.warning("%s: stderr: %s", self.name, mask(line))
        elif n == 6:
            log.warning("%s: more stderr output this minute is not logged", self.name)

    def _close_pipes(self) -> None:
        assert self.proc is not None
        for f in (self.proc.stdout, self.proc.stderr):
            if f is not None:
                try:
                    f.close()
                except OSError:
                    pass


def _read_nb(fd: int) -> bytes:
    try:
        return os.read(fd, READ_CHUNK)
    except BlockingIOError:
        return b""
    except OSError:
        return b""


def journal_argv(
    unit: str, cursor_file: Path, *, since_seconds: float | None, follow: bool
) -> list[str]:
    """Given a systemd unit, return the journalctl command that prints its new lines.

    The cursor file makes journalctl resume exactly after the last entry it printed (across
    restarts of the watcher); without one, ``since_seconds`` limits the first read.
    """
    argv = [
        "journalctl",
        f"--unit={unit}",
        "--output=short-iso",
        "--no-pager",
        "--quiet",
        f"--cursor-file={cursor_file}",
    ]
    if since_seconds is not None and not cursor_file.exists():
        argv.append(f"--since=-{int(since_seconds)}s")
    if follow:
        # --merge: under the unit's ProcSubset=pid, `--follow` alone implies the current boot and
        # fails with "Failed to get boot id" (systemd 252; found by
        # tests/packaging/test_systemd_live.py)
        argv += ["--follow", "--merge"]
    return argv
