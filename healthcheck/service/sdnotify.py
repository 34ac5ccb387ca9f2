"""Minimal, stdlib-only implementation of systemd's ``sd_notify`` protocol.

Under ``Type=notify`` systemd passes the path of a datagram socket in ``$NOTIFY_SOCKET``. Each
notification is one datagram of newline-separated ``KEY=VALUE`` assignments (see sd_notify(3)):

* ``READY=1``     - start-up finished; systemd considers the unit "started" only after this.
* ``STATUS=...``  - a single line of free-form status text shown by ``systemctl status``.
* ``WATCHDOG=1``  - keep-alive ping; required at least every ``WatchdogSec=`` when that is set.
* ``STOPPING=1``  - the service is shutting down.

An address starting with ``/`` is a file-system socket, one starting with ``@`` lives in Linux's
abstract namespace (the ``@`` stands for a leading NUL byte).

Every function here is safe to call outside systemd: nothing raises, and :func:`notify` simply
returns ``False`` when ``$NOTIFY_SOCKET`` is unset or the send fails. As sd_notify(3) recommends,
callers normally ignore the return value.
"""

from __future__ import annotations

import os
import socket

__all__ = [
    "STATUS_MAX_CHARS",
    "notify",
    "ready",
    "status",
    "stopping",
    "watchdog",
    "watchdog_interval_seconds",
]

#: Maximum length of a ``STATUS=`` text; longer texts are cut and end with an ellipsis.
STATUS_MAX_CHARS = 200


def _address(raw: str) -> str | None:
    """Translate a ``$NOTIFY_SOCKET`` value into an AF_UNIX address, or ``None`` if unusable."""
    if raw.startswith("@") and len(raw) > 1:
        return "\0" + raw[1:]
    if raw.startswith("/"):
        return raw
    # systemd also knows vsock: addresses (VM guests); not supported here.
    return None


def notify(message: str) -> bool:
    """Send *message* (e.g. ``"READY=1"``) to ``$NOTIFY_SOCKET``.

    Returns ``True`` if the datagram was sent, ``False`` if the variable is unset or invalid or the
    send failed. Never raises.
    """
    try:
        raw = os.environ.get("NOTIFY_SOCKET", "")
        addr = _address(raw) if raw else None
        if addr is None or not message:
            return False
        data = message.encode("utf-8", errors="replace")
        with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM | socket.SOCK_CLOEXEC) as sock:
            sock.settimeout(1.0)
            sock.connect(addr)
            sent = sock.send(data)
        return sent == len(data)
    except Exception:  # notification must never take the daemon down
        return False


def _one_line(text: str) -> str:
    """Collapse all whitespace runs (including newlines) into single spaces and cap the length."""
    line = " ".join(str(text).split())
    if len(line) > STATUS_MAX_CHARS:
        line = line[: STATUS_MAX_CHARS - 1] + "\u2026"
    return line


def status(text: str) -> bool:
    """Publish a one-line ``STATUS=`` text (newlines collapsed, at most 200 characters)."""
    return notify("STATUS=" + _one_line(text))


def ready(status: str | None = None) -> bool:
    """Tell systemd that start-up is complete, optionally with a status text (same datagram)."""
    message = "READY=1"
    if status:
        message += "\nSTATUS=" + _one_line(status)
    return notify(message)


def watchdog() -> bool:
    """Send a watchdog keep-alive (``WATCHDOG=1``)."""
    return notify("WATCHDOG=1")


def stopping(status: str | None = None) -> bool:
    """Tell systemd the service has begun shutting down."""
    message = "STOPPING=1"
    if status:
        message += "\nSTATUS=" + _one_line(status)
    return notify(message)


def watchdog_interval_seconds() -> float | None:
    """Return the watchdog timeout in seconds from ``$WATCHDOG_USEC``, or ``None`` if disabled.

    Like sd_watchdog_enabled(3), returns ``None`` when ``$WATCHDOG_PID`` is set and names another
    process (the variables were inherited and are not meant for us), or when the values are not
    positive integers. Callers should ping every half of the returned interval.
    """
    try:
        raw_usec = os.environ.get("WATCHDOG_USEC", "").strip()
        if not raw_usec:
            return None
        usec = int(raw_usec, 10)
        if usec <= 0:
            return None
        raw_pid = os.environ.get("WATCHDOG_PID", "").strip()
        if raw_pid:
            pid = int(raw_pid, 10)
            if pid <= 0 or pid != os.getpid():
                return None
        return usec / 1_000_000
    except (ValueError, TypeError):
        return None
