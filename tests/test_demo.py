"""demo: the whole tool against the built-in simulator, in one command (run as a user runs it)."""

from __future__ import annotations

import os
import subprocess
import sys


def demo(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "healthcheck", "demo", *args],
        capture_output=True,
        text=True,
        timeout=180,
        env={**os.environ, "NO_COLOR": "1"},
        check=False,
    )


def test_demo_one_shot_shows_a_healthy_and_a_broken_account_and_exits_0():
    done = demo("--no-daemon")
    assert done.returncode == 0, done.stderr[-2000:]
    out = done.stdout
    assert "Account 'healthy' is fine; account 'broken' has several faults." in out
    assert "CRITICAL  broken  position_mode" in out and "-4061" in out
    assert "OK        healthy symbols" in out
    assert "would exit 2 = CRITICAL" in out
    assert "alert received" not in out  # --no-daemon skips the alert part
    assert "Traceback" not in done.stderr


def test_demo_daemon_part_alerts_once_then_resolves():
    done = demo()
    assert done.returncode == 0, done.stderr[-2000:]
    out = done.stdout
    assert out.count(">>> alert received (failure): [CRITICAL] healthy: position_mode") == 1
    assert "No other messages: one alert for the problem, one when it was resolved." in out
    assert "Traceback" not in done.stderr
    # the demo's 1-s schedule against its own simulator is not stretched (nor says so)
    assert "stretched" not in done.stderr + done.stdout
