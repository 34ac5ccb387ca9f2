"""Followers: a file followed like `tail -F` through rotation (rename and copy-truncate), a file
that appears late or is replaced, restarts with the stored position, and bad input; commands
restarted with backoff; the journalctl command line for a unit."""

from __future__ import annotations

import logging
import os
import shutil
import sys
from pathlib import Path

import pytest

from healthcheck.logwatch.follow import (
    MAX_LINE,
    CommandFollower,
    PathFollower,
    journal_argv,
)
from healthcheck.logwatch.store import WatchStore

ERR = "APIError(code=-2019): Margin is insufficient."


def write(path: Path, text: str, mode: str = "a") -> None:
    with open(path, mode) as f:
        f.write(text)


def test_new_lines_only_and_partial_line_waits_for_its_newline(tmp_path: Path) -> None:
    log = tmp_path / "bot.log"
    write(log, "old line\n")
    f = PathFollower(log, None)
    first = f.poll()
    assert first.backlog and first.lines == ["old line"]
    write(log, "one\ntw")
    assert f.poll().lines == ["one"]
    write(log, "o\n")
    assert f.poll().lines == ["two"]
    assert f.poll().lines == []


def test_rotation_by_rename_reads_the_old_file_to_its_end_then_the_new(tmp_path: Path) -> None:
    log = tmp_path / "bot.log"
    write(log, "")
    f = PathFollower(log, None)
    f.poll()
    write(log, "a\n")
    assert f.poll().lines == ["a"]
    write(log, "b\n")  # written just before logrotate renames the file
    log.rename(tmp_path / "bot.log.1")
    assert f.poll().lines == ["b"]  # the new file does not exist yet
    write(log, "c\n")
    assert f.poll().lines == ["c"]


def test_copy_truncate_starts_again_at_the_beginning(tmp_path: Path) -> None:
    log = tmp_path / "bot.log"
    write(log, "")
    f = PathFollower(log, None)
    f.poll()
    write(log, "first line of the old content\n")
    f.poll()
    shutil.copy(log, tmp_path / "bot.log.1")
    with open(log, "r+") as fh:
        fh.truncate(0)
    write(log, "new\n")
    assert f.poll().lines == ["new"]


def test_file_that_does_not_exist_yet_is_read_from_its_start(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    log = tmp_path / "bot.log"
    f = PathFollower(log, None)
    with caplog.at_level(logging.WARNING):
        assert f.poll().lines == []
        assert f.poll().lines == []
    assert sum("does not exist" in r.getMessage() for r in caplog.records) == 1
    write(log, "x\ny\n")
    batch = f.poll()
    assert batch.lines == ["x", "y"] and not batch.backlog


def test_replaced_file_is_followed_from_its_start(tmp_path: Path) -> None:
    log = tmp_path / "bot.log"
    write(log, "")
    f = PathFollower(log, None)
    f.poll()
    other = tmp_path / "new.log"
    write(other, "fresh 1\nfresh 2\n")
    os.replace(other, log)
    assert f.poll().lines == ["fresh 1", "fresh 2"]


def test_restart_resumes_at_the_stored_position(tmp_path: Path) -> None:
    log = tmp_path / "bot.log"
    store = WatchStore.open(tmp_path / "state")
    write(log, "seen 1\n")
    f = PathFollower(log, store.position("p"))
    assert f.poll().lines == ["seen 1"]
    write(log, "seen 2\npart")
    f.poll()
    assert f.position is not None
    store.commit_batch({"p": f.position}, [])
    store.close()
    f.close()
    write(log, "ial\nwritten while down\n")
    store = WatchStore.open(tmp_path / "state")
    f2 = PathFollower(log, store.position("p"))
    batch = f2.poll()
    assert batch.lines == ["partial", "written while down"]
    assert batch.backlog  # dated by their own timestamps, not "now"


def test_restart_after_rotation_while_down_finishes_the_rotated_file(tmp_path: Path) -> None:
    log = tmp_path / "bot.log"
    store = WatchStore.open(tmp_path / "state")
    write(log, "a\n")
    f = PathFollower(log, None)
    f.poll()
    assert f.position is not None
    store.commit_batch({"p": f.position}, [])
    f.close()
    write(log, "b (before rotation)\n")
    log.rename(tmp_path / "bot.log.1")
    write(log, "c (after rotation)\n")
    f2 = PathFollower(log, store.position("p"))
    assert f2.poll().lines == ["b (before rotation)", "c (after rotation)"]


def test_invalid_utf8_nul_bytes_and_binary_do_not_stop_it(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    log = tmp_path / "bot.log"
    write(log, "")
    f = PathFollower(log, None)
    f.poll()
    with open(log, "ab") as fh:
        fh.write(b"\xff\xfe bad utf8 " + ERR.encode() + b"\n")
        fh.write(b"nul\x00in\x00line\n")
        fh.write(b"\x00" * 5000 + b"\n")
        fh.write(b"after\n")
    with caplog.at_level(logging.WARNING):
        lines = f.poll().lines
    assert lines[0].endswith(ERR) and "\ufffd" in lines[0]
    assert lines[1] == "nulinline" and lines[-1] == "after"
    assert sum("binary" in r.getMessage() for r in caplog.records) == 1


def test_ten_megabyte_line_without_newline_is_cut_and_memory_stays_small(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    log = tmp_path / "bot.log"
    write(log, "")
    f = PathFollower(log, None)
    f.poll()
    with open(log, "ab") as fh:
        fh.write(ERR.encode() + b"x" * (10 * 1024 * 1024))
    with caplog.at_level(logging.WARNING):
        lines = f.poll().lines
    assert len(lines) == 1 and len(lines[0]) == MAX_LINE and lines[0].startswith(ERR)
    assert len(f.split.partial) == 0  # nothing of the 10 MB is held
    write(log, "rest of the long line\nnext\n")
    assert f.poll().lines == ["next"]
    assert sum("longer than" in r.getMessage() for r in caplog.records) == 1


def test_path_that_becomes_a_directory_is_reported_once_and_watched_again(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    log = tmp_path / "bot.log"
    write(log, "")
    f = PathFollower(log, None)
    f.poll()
    log.unlink()
    log.mkdir()
    with caplog.at_level(logging.WARNING):
        f.poll()
        f.poll()
    assert sum("is a directory" in r.getMessage() for r in caplog.records) == 1
    log.rmdir()
    write(log, "back\n")
    assert f.poll().lines == ["back"]


@pytest.mark.skipif(os.geteuid() == 0, reason="root reads files whatever their mode")
def test_permission_denied_is_reported_once_and_retried(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    log = tmp_path / "bot.log"
    write(log, "x\n")
    log.chmod(0)
    f = PathFollower(log, None)
    with caplog.at_level(logging.WARNING):
        f.poll()
        f.poll()
    assert sum("Permission denied" in r.getMessage() for r in caplog.records) == 1
    log.chmod(0o644)
    assert f.poll().lines == ["x"]


class FakeClock:
    def __init__(self) -> None:
        self.t = 1000.0

    def __call__(self) -> float:
        return self.t


def wait_for(predicate, timeout: float = 20.0) -> bool:
    import time

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.02)
    return False


def test_command_is_restarted_with_backoff_and_stderr_is_logged_not_parsed(
    caplog: pytest.LogCaptureFixture,
) -> None:
    script = (
        "import sys; print('APIError(code=-1021): from stdout', flush=True); "
        "print('APIError(code=-2015): from stderr', file=sys.stderr, flush=True)"
    )
    clock = FakeClock()
    f = CommandFollower([sys.executable, "-c", script], clock=clock)
    lines: list[str] = []
    with caplog.at_level(logging.WARNING):
        assert wait_for(lambda: (lines.extend(f.poll().lines), f.restarts >= 1)[1])
        assert f.proc is None and f.next_start == clock.t + 1.0  # first backoff 1 s
        assert f.poll().lines == []  # not restarted before its time: never blocks either
        clock.t += 1.0
        assert wait_for(lambda: (lines.extend(f.poll().lines), f.restarts >= 2)[1])
        assert f.next_start == clock.t + 2.0  # doubled
    f.close()
    assert lines == ["APIError(code=-1021): from stdout"] * 2
    messages = " ".join(r.getMessage() for r in caplog.records)
    assert "stderr: APIError(code=-2015): from stderr" in messages
    assert "exited with code 0" in messages


def test_command_that_cannot_start_is_retried_not_raised(caplog: pytest.LogCaptureFixture) -> None:
    clock = FakeClock()
    f = CommandFollower(["/nonexistent/bot-logs"], clock=clock)
    with caplog.at_level(logging.WARNING):
        assert f.poll().lines == []
        clock.t += 1.0
        assert f.poll().lines == []
    assert sum("cannot start" in r.getMessage() for r in caplog.records) == 1


def test_journal_argv_for_a_unit(tmp_path: Path) -> None:
    cursor = tmp_path / "journal-mybot.service.cursor"
    assert journal_argv("mybot.service", cursor, since_seconds=300, follow=True) == [
        "journalctl",
        "--unit=mybot.service",
        "--output=short-iso",
        "--no-pager",
        "--quiet",
        f"--cursor-file={cursor}",
        "--since=-300s",
        "--follow",
        "--merge",
    ]
    cursor.write_text("s=abc")
    # once journalctl has written its cursor, it resumes there: no --since
    assert journal_argv("mybot.service", cursor, since_seconds=300, follow=False) == [
        "journalctl",
        "--unit=mybot.service",
        "--output=short-iso",
        "--no-pager",
        "--quiet",
        f"--cursor-file={cursor}",
    ]


@pytest.mark.parametrize("size", [1, 2, 7, 64, 4096])
def test_splitter_gives_the_same_lines_whatever_the_chunk_size(size: int) -> None:
    from healthcheck.logwatch.follow import LineSplitter

    data = ("a\n\nb é c\n" + "x" * (MAX_LINE + 10) + "\nafter long\nlast").encode()
    whole = LineSplitter("t", lambda k, t: None)
    expected = whole.feed(data)
    s = LineSplitter("t", lambda k, t: None)
    got: list[str] = []
    for i in range(0, len(data), size):
        got.extend(s.feed(data[i : i + size]))
    assert got == expected == ["a", "", "b é c", "x" * MAX_LINE, "after long"]
    assert s.partial == whole.partial == b"last"
