"""`binance-healthcheck explain`: codes (every code issue 10 lists, both meanings where spot/SAPI
and futures differ) and `--log FILE` (no config at all; bad files fail fast with one line)."""

from __future__ import annotations

import json
import os
import time
from pathlib import Path

import pytest
from conftest import run_cli

LISTED = [
    -1003,
    -1008,
    -1013,
    -1015,
    -1021,
    -1022,
    -1125,
    -2010,
    -2013,
    -2014,
    -2015,
    -2018,
    -2019,
    -2021,
    -2024,
    -2025,
    -2027,
    -4004,
    -4005,
    -4007,
    -4013,
    -4014,
    -4016,
    -4023,
    -4024,
    -4045,
    -4061,
    -4113,
    -4131,
    -4141,
    -4142,
    -4164,
    -4189,
    -4400,
    403,
    418,
    429,
]


def test_every_listed_code_is_explained() -> None:
    r = run_cli("explain", *map(str, LISTED))
    assert r.returncode == 0, r.stderr
    for code in LISTED:
        assert f"\n{code} " in "\n" + r.stdout, code
    assert r.stdout.count("Meaning:") >= len(LISTED)
    assert r.stdout.count("Fix:") >= len(LISTED)


def test_json_has_name_products_texts_meaning_causes_fix_and_predictor() -> None:
    r = run_cli("explain", *map(str, LISTED), "--json")
    doc = json.loads(r.stdout)
    assert [c["code"] for c in doc["codes"]] == LISTED
    for c in doc["codes"]:
        assert c["known"] and c["meanings"]
        for m in c["meanings"]:
            assert m["name"] and m["products"] and m["texts"] and m["meaning"] and m["causes"]
            assert m["fix"]
            assert "predicted_by" in m


@pytest.mark.parametrize(
    ("code", "names"),
    [
        ("-4004", ["CAPITAL_UA", "QTY_LESS_THAN_MIN_QTY"]),
        ("-4045", ["CAPITAL_GET_ASSET_ERROR", "MAX_STOP_ORDER_EXCEEDED"]),
        ("-2021", ["CANCEL_REPLACE_PARTIAL", "ORDER_WOULD_IMMEDIATELY_TRIGGER"]),
        ("-1013", ["INVALID_MESSAGE"]),
    ],
)
def test_both_meanings_where_products_differ(code: str, names: list[str]) -> None:
    out = run_cli("explain", code).stdout
    for n in names:
        assert n in out


def test_product_picks_one_meaning_and_names_the_predicting_check() -> None:
    r = run_cli("explain", "-4004", "--product", "usdm")
    assert r.returncode == 0
    assert "QTY_LESS_THAN_MIN_QTY" in r.stdout and "CAPITAL_UA" not in r.stdout
    assert "the `symbols` check" in r.stdout
    r = run_cli("explain", "-2021")
    assert "only the bot's log shows it" in r.stdout


def test_unknown_and_invalid_codes() -> None:
    r = run_cli("explain", "-9876")
    assert r.returncode == 1 and "not in our catalogue" in r.stdout
    r = run_cli("explain", "banana")
    assert r.returncode == 3 and r.stderr.count("\n") == 1 and "'banana'" in r.stderr
    assert "Traceback" not in r.stderr


# sammchardy/python-binance binance/exceptions.py, ccxt binance.py handle_errors, hummingbot
# rest_assistant.py, binance-futures-connector-python error.py (see tests/logwatch/test_parse.py)
LOG = """\
2026-03-01 10:00:00,100 - bot - ERROR - APIError(code=-1021): Timestamp for this request is outside of the recvWindow.
2026-03-01 10:05:00,100 - bot - INFO - order 41021 filled at price -1021.5
2026-03-01 10:06:00,100 - bot - ERROR - APIError(code=-1021): Timestamp for this request is outside of the recvWindow.
2026-03-01 10:07:00,000 - bot - WARNING - Could not create limit buy order. Message: binance {"code":-4164,"msg":"Order's notional must be no smaller than 100 (unless you choose reduce only)."}
2026-03-01 10:08:00,000 - bot - ERROR - APIError(code=-4004): You don't login or auth.
2026-03-01 10:09:00,000 - 42 - hummingbot - ERROR - Error executing request GET https://api.binance.com/api/v3/account. HTTP status is 403. Error: N/A
"""  # noqa: E501 - real log lines are long


def test_log_table_counts_codes_with_product_and_times(tmp_path: Path) -> None:
    log = tmp_path / "bot.log"
    log.write_text(LOG)
    r = run_cli("explain", "--log", str(log))
    assert r.returncode == 0, r.stderr
    assert "5 Binance error(s) of 4 kind(s) in 6 line(s)" in r.stdout
    row = [ln for ln in r.stdout.splitlines() if ln.startswith("-1021")][0]
    assert "2026-03-01 10:00:00" in row and "2026-03-01 10:06:00" in row and " 2 " in row
    r = run_cli("explain", "--log", str(log), "--json")
    doc = json.loads(r.stdout)
    by = {(e["code"], e["product"]): e for e in doc["errors"]}
    assert by[(-1021, "spot")]["count"] == 2
    assert by[(-4164, "usdm")]["name"] == "MIN_NOTIONAL"
    assert by[(-4004, "sapi")]["name"] == "CAPITAL_UA"
    assert by[(403, "http")]["fix"]
    assert doc["lines"] == 6


def test_log_product_option_sets_the_default_for_lines_that_do_not_say(tmp_path: Path) -> None:
    log = tmp_path / "bot.log"
    log.write_text(LOG)
    doc = json.loads(run_cli("explain", "--log", str(log), "--json", "--product", "usdm").stdout)
    assert {(e["code"], e["product"]) for e in doc["errors"]} >= {(-1021, "usdm")}


def test_log_secrets_are_masked_in_samples(tmp_path: Path) -> None:
    key = "vmPUZE6mv9SD5VNHk4HlWFsOr6aKE2zvsw0MuIgwCIPy6utIco14y7Ju91duEh8A"
    log = tmp_path / "bot.log"
    log.write_text(
        f"POST https://api.binance.com/api/v3/order?signature=deadbeefcafe apikey={key}"
        " APIError(code=-1022): Signature for this request is not valid.\n"
    )
    r = run_cli("explain", "--log", str(log), "--json")
    assert key not in r.stdout and "deadbeefcafe" not in r.stdout
    assert json.loads(r.stdout)["errors"][0]["code"] == -1022


@pytest.mark.parametrize("kind", ["missing", "directory", "device"])
def test_bad_log_files_fail_fast_with_one_line(tmp_path: Path, kind: str) -> None:
    path = {
        "missing": str(tmp_path / "nope.log"),
        "directory": str(tmp_path),
        "device": "/dev/zero",
    }[kind]
    t0 = time.monotonic()
    r = run_cli("explain", "--log", path, timeout=30)
    assert r.returncode == 3 and r.stderr.count("\n") == 1, r.stderr
    assert path in r.stderr and "Traceback" not in r.stderr
    assert time.monotonic() - t0 < 20


def test_fifo_without_writer_does_not_hang(tmp_path: Path) -> None:
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    r = run_cli("explain", "--log", str(fifo), timeout=30)
    assert r.returncode == 0 and "no Binance errors in 0 line(s)" in r.stdout


def test_binary_and_huge_line_files_are_read_with_flat_memory(tmp_path: Path) -> None:
    log = tmp_path / "bot.log"
    with open(log, "wb") as f:
        f.write(os.urandom(200_000).replace(b"\n", b""))
        f.write(b"\n" + b"\x00" * 10_000 + b"\n")
        f.write(b"APIError(code=-2015): Invalid API-key, IP, or permissions for action.\n")
        f.write(b"y" * (12 * 1024 * 1024))  # 12 MB without a newline
    r = run_cli("explain", "--log", str(log), "--json", timeout=60)
    assert r.returncode == 0, r.stderr
    assert [e["code"] for e in json.loads(r.stdout)["errors"]] == [-2015]
    assert "binary" in r.stderr and r.stderr.count("\n") <= 3


def test_explain_into_a_reader_that_left_exits_0_without_internal_error() -> None:
    """`explain ... | head`: the pipe closes before everything is written."""
    import subprocess
    import sys

    proc = subprocess.Popen(
        [sys.executable, "-m", "healthcheck", "explain", *map(str, LISTED)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    assert proc.stdout is not None and proc.stderr is not None
    proc.stdout.close()  # the reader is gone before the first line is written
    err = proc.stderr.read().decode()
    assert proc.wait(timeout=60) == 0, err
    assert "internal error" not in err and "Traceback" not in err, err
