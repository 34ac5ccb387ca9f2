"""Runs `binance-healthcheck run` as a real subprocess and watches its log, for e2e tests.

The subprocess gets a `sitecustomize` that points apprise's Telegram plugin at a local fake
(``NotifyTelegram.notify_url``, the endpoint attribute apprise exposes; nothing else is touched)
when ``BHC_TEST_TELEGRAM_API`` is set.
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
SITE = Path(__file__).resolve().parent / "site"

_RUN_RE = re.compile(r"\brun (\d+):")


class DaemonProc:
    def __init__(
        self,
        config: Path,
        log_path: Path,
        *,
        telegram_api: str | None = None,
        env: dict[str, str] | None = None,
    ) -> None:
        self.config = config
        self.log_path = log_path
        self.telegram_api = telegram_api
        self.extra_env = env or {}
        self.proc: subprocess.Popen | None = None
        self._log = None

    def start(self) -> DaemonProc:
        env = {
            k: v
            for k, v in os.environ.items()
            if k
            not in (
                "NOTIFY_SOCKET",
                "WATCHDOG_USEC",
                "WATCHDOG_PID",
                "CREDENTIALS_DIRECTORY",
                "STATE_DIRECTORY",
            )
        }
        env["PYTHONPATH"] = os.pathsep.join([str(SITE), str(REPO), env.get("PYTHONPATH", "")])
        if self.telegram_api:
            env["BHC_TEST_TELEGRAM_API"] = self.telegram_api
        env.update(self.extra_env)
        self._log = open(self.log_path, "ab")  # noqa: SIM115 - kept open for the process
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "healthcheck", "run", "--config", str(self.config)],
            stdout=self._log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            env=env,
        )
        return self

    @property
    def log(self) -> str:
        return self.log_path.read_text(errors="replace")

    def runs(self) -> int:
        found = _RUN_RE.findall(self.log)
        return int(found[-1]) if found else 0

    def wait_runs(self, n: int, timeout: float = 30.0) -> int:
        """Wait until this process logged its n-th run (counted from its start)."""
        start_text_len = 0
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            text = self.log[start_text_len:]
            found = _RUN_RE.findall(text)
            if found and int(found[-1]) >= n:
                return int(found[-1])
            if self.proc is not None and self.proc.poll() is not None:
                raise AssertionError(f"daemon exited with {self.proc.returncode}:\n{self.log}")
            time.sleep(0.05)
        raise AssertionError(f"daemon did not reach run {n} in {timeout} s:\n{self.log[-3000:]}")

    def wait_more_runs(self, k: int, timeout: float = 30.0) -> int:
        return self.wait_runs(self.runs() + k, timeout)

    def signal(self, sig: int) -> None:
        assert self.proc is not None
        self.proc.send_signal(sig)

    def stop(self, timeout: float = 15.0) -> int:
        assert self.proc is not None
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
        try:
            rc = self.proc.wait(timeout)
        finally:
            if self.proc.poll() is None:
                self.proc.kill()
                self.proc.wait()
            if self._log is not None:
                self._log.close()
        return rc

    def kill(self) -> None:
        assert self.proc is not None
        self.proc.kill()
        self.proc.wait()
        if self._log is not None:
            self._log.close()
