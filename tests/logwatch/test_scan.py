"""logwatch.scan: explain --log's counting of a file, the same whatever its chunks and junk."""

from __future__ import annotations

from pathlib import Path

import pytest

from healthcheck.logwatch.follow import MAX_LINE
from healthcheck.logwatch.scan import ScanError, scan_file

FIXTURE = Path(__file__).resolve().parent.parent / "fixtures" / "freqtrade" / "margin_type_4048.log"


def counts(path: Path) -> list[tuple[int, str, int]]:
    found, _lines = scan_file(str(path))
    return [(c.code, c.product, c.count) for c in found]


def test_a_real_freqtrade_log_is_counted_per_code_and_product(tmp_path):
    found = counts(FIXTURE)
    assert found and found[0][0] == -4048 and found[0][2] >= 1


def test_counts_do_not_depend_on_chunks_huge_lines_or_binary(tmp_path):
    expected = counts(FIXTURE)
    p = tmp_path / "noisy.log"
    filler = b"2026-12-07 01:00:00,000 - freqtrade - INFO - heartbeat\n" * 30000  # > 1 MiB
    junk = b"\x00\xff\xfe binary \x00" * 100 + b"\n" + b"x" * (MAX_LINE * 3) + b"\n"
    p.write_bytes(filler + junk + FIXTURE.read_bytes())
    assert counts(p) == expected
    _found, lines = scan_file(str(p))
    assert lines > 30000


def test_a_folder_or_missing_file_is_one_line_naming_it(tmp_path):
    with pytest.raises(ScanError, match="is a directory"):
        scan_file(str(tmp_path))
    with pytest.raises(ScanError, match="nope.log: cannot open"):
        scan_file(str(tmp_path / "nope.log"))
