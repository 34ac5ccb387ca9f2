"""Helpers for tests of the daemon's /metrics endpoint."""

from __future__ import annotations

import re
from typing import Any

from support.receivers import wait_until

_SERVING_RE = re.compile(r"metrics: serving http://127\.0\.0\.1:(\d+)/metrics")


def metrics_port(daemon: Any, timeout: float = 30.0) -> int:
    """Given a DaemonProc started with ``[metrics] listen = "127.0.0.1:0"``, wait for it to log
    its metrics address; return the port it bound."""
    found: list[int] = []

    def seen() -> bool:
        m = _SERVING_RE.search(daemon.log)
        if m:
            found.append(int(m.group(1)))
        return bool(m)

    assert wait_until(seen, timeout, step=0.1), daemon.log[-2000:]
    return found[0]
