"""The simulator survives bad control input, bad or huge Content-Length, idle and excess
connections, and its CLI reports usage errors in one line with exit 3 (issue 9)."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

import pytest

from healthcheck.simulator import Simulator

REPO = Path(__file__).resolve().parents[2]


def _post(url: str, body: Any) -> tuple[int, dict[str, Any]]:
    req = urllib.request.Request(url, data=json.dumps(body).encode(), method="POST")
    try:
        with urllib.request.urlopen(req, timeout=5) as r:
            return r.status, json.loads(r.read())
    except urllib.error.HTTPError as e:
        return e.code, json.loads(e.read())


def _time_ok(sim: Simulator) -> bool:
    with urllib.request.urlopen(sim.url + "/api/v3/time", timeout=5) as r:
        return r.status == 200 and "serverTime" in json.loads(r.read())


@pytest.mark.parametrize("value", ["inf", "nan", "-Infinity", "x", True, None, [1]])
def test_clock_offset_that_is_not_a_finite_number_is_400_and_changes_nothing(
    sim: Simulator, value: Any
) -> None:
    status, body = _post(sim.url + "/_sim/clock", {"offset_ms": value})
    assert status == 400 and "offset_ms" in body["error"]
    assert sim.clock_offset_ms == 0
    assert _time_ok(sim)


@pytest.mark.parametrize(
    "fault",
    [
        {"name": "timeout", "params": {"seconds": "x"}},
        {"name": "slow", "params": {"seconds": "nan"}},
        {"name": "rate_limited", "params": {"retry_after": "soon"}},
        {"name": "http_500", "count": "two"},
        {"name": "http_503", "params": {"kind": "weird"}},
        {"name": "delist_announced", "params": {"days": "x"}},
        {"name": "symbol_closed", "params": {"symbol": "NOPE"}},
    ],
)
def test_fault_with_bad_parameters_is_400_naming_it_and_never_a_later_500(
    sim: Simulator, fault: dict[str, Any]
) -> None:
    status, body = _post(sim.url + "/_sim/faults", {"set": [fault]})
    assert status == 400
    assert fault["name"] in body["error"] or "symbol" in body["error"]
    assert sim.faults == []
    assert _time_ok(sim)


def _raw(sim: Simulator, request: bytes, timeout: float = 5) -> bytes:
    host, port = sim.address
    with socket.create_connection((host, port), timeout=timeout) as s:
        s.sendall(request)
        chunks = []
        while True:
            try:
                data = s.recv(65536)
            except TimeoutError:
                break
            if not data:
                break
            chunks.append(data)
        return b"".join(chunks)


@pytest.mark.parametrize("length", ["abc", "100000000", "-5"])
def test_bad_or_huge_content_length_is_400_at_once_without_traceback(
    sim: Simulator, length: str, capfd: pytest.CaptureFixture[str]
) -> None:
    started = time.monotonic()
    answer = _raw(
        sim,
        f"POST /api/v3/order HTTP/1.1\r\nHost: x\r\nContent-Length: {length}\r\n\r\nab".encode(),
    )
    assert answer.startswith(b"HTTP/1.1 400"), answer[:80]
    assert b"Content-Length" in answer
    assert time.monotonic() - started < 4  # answered, not left reading 100 MB
    assert "Traceback" not in capfd.readouterr().err
    assert _time_ok(sim)


def test_idle_connection_is_closed_after_the_idle_timeout() -> None:
    with Simulator(idle_timeout_seconds=0.3) as sim:
        host, port = sim.address
        with socket.create_connection((host, port), timeout=10) as s:
            started = time.monotonic()
            assert s.recv(100) == b""  # closed by the server, not by our 10 s timeout
            assert time.monotonic() - started < 8


def test_connection_cap_bounds_threads_under_a_slowloris() -> None:
    with Simulator(max_connections=8, idle_timeout_seconds=0.5) as sim:
        base = threading.active_count()
        socks = [socket.create_connection(sim.address, timeout=5) for _ in range(60)]
        try:
            for s in socks:
                s.sendall(b"GET /api/v3/time HTTP/1.1\r\n")  # headers never finished
            time.sleep(0.2)  # let the server accept what it will
            assert threading.active_count() - base <= 8
        finally:
            for s in socks:
                s.close()
        deadline = time.monotonic() + 10
        while True:  # once the idle ones time out, normal clients are served again
            try:
                if _time_ok(sim):
                    break
            except (urllib.error.URLError, ConnectionError, TimeoutError):
                pass
            assert time.monotonic() < deadline, "simulator never recovered"
            time.sleep(0.1)


def _cli(*args: str, timeout: float = 30) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    return subprocess.run(
        [sys.executable, "-m", "healthcheck", "simulator", *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        env=env,
        cwd=REPO,
    )


def test_cli_unknown_fault_exits_3_with_one_line() -> None:
    r = _cli("--fault", "nope")
    assert r.returncode == 3
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1 and "nope" in lines[0] and "hedge_mode" in lines[0]
    assert "Traceback" not in r.stderr


def test_cli_port_out_of_range_or_in_use_exits_3_with_one_line() -> None:
    r = _cli("--port", "70000")
    assert r.returncode == 3 and r.stderr.strip().count("\n") == 0 and "70000" in r.stderr
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        r = _cli("--port", str(port))
    assert r.returncode == 3, r.stderr
    assert r.stderr.strip().count("\n") == 0 and str(port) in r.stderr
    assert "internal error" not in r.stderr


def test_cli_help_lists_every_fault_name() -> None:
    from healthcheck.simulator import FAULTS

    r = _cli("--help")
    assert r.returncode == 0
    text = " ".join(r.stdout.split())
    assert all(name in text for name in FAULTS)


def test_cli_fault_takes_several_names_as_the_readme_shows() -> None:
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    proc = subprocess.Popen(
        [sys.executable, "-m", "healthcheck", "simulator", "--fault", "clock_warn", "hedge_mode"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
        cwd=REPO,
    )
    try:
        assert proc.stdout is not None
        deadline = time.monotonic() + 30
        seen = ""
        while "Faults:" not in seen and time.monotonic() < deadline:
            line = proc.stdout.readline()
            if not line:
                break
            seen += line
        assert "Faults: clock_warn, hedge_mode" in seen, seen
    finally:
        proc.terminate()
        proc.wait(timeout=10)
