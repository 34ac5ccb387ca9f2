"""Tests for healthcheck.service.sdnotify against a fake systemd notify socket."""

from __future__ import annotations

import os
import socket
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from healthcheck.service import sdnotify

pytestmark = pytest.mark.skipif(
    not sys.platform.startswith("linux"),
    reason="sd_notify is Linux-only (AF_UNIX abstract namespace)",
)


class FakeNotifySocket:
    """A datagram socket standing in for PID 1's notify socket."""

    def __init__(self, sock: socket.socket, env_value: str) -> None:
        self.sock = sock
        self.env_value = env_value

    def receive(self) -> str:
        return self.sock.recv(4096).decode("utf-8")

    def assert_empty(self) -> None:
        self.sock.setblocking(False)
        try:
            with pytest.raises(BlockingIOError):
                self.sock.recv(4096)
        finally:
            self.sock.setblocking(True)
            self.sock.settimeout(2.0)


def _bind(address: str, env_value: str) -> FakeNotifySocket:
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    sock.bind(address)
    sock.settimeout(2.0)
    return FakeNotifySocket(sock, env_value)


@pytest.fixture(params=["abstract", "path"])
def fake_socket(
    request: pytest.FixtureRequest, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[FakeNotifySocket]:
    if request.param == "abstract":
        name = f"healthcheck-test-notify-{os.getpid()}-{uuid.uuid4().hex}"
        fake = _bind("\0" + name, "@" + name)
    else:
        # AF_UNIX paths are limited to ~107 bytes; tmp_path may be long, so keep the name short.
        path = tmp_path / "n.sock"
        if len(str(path)) > 100:
            pytest.skip("tmp path too long for an AF_UNIX socket")
        fake = _bind(str(path), str(path))
    monkeypatch.setenv("NOTIFY_SOCKET", fake.env_value)
    try:
        yield fake
    finally:
        fake.sock.close()


def test_ready_with_status(fake_socket: FakeNotifySocket) -> None:
    assert sdnotify.ready("polling 3 accounts") is True
    assert fake_socket.receive() == "READY=1\nSTATUS=polling 3 accounts"


def test_ready_without_status(fake_socket: FakeNotifySocket) -> None:
    assert sdnotify.ready() is True
    assert fake_socket.receive() == "READY=1"


def test_watchdog(fake_socket: FakeNotifySocket) -> None:
    assert sdnotify.watchdog() is True
    assert fake_socket.receive() == "WATCHDOG=1"


def test_stopping(fake_socket: FakeNotifySocket) -> None:
    assert sdnotify.stopping() is True
    assert fake_socket.receive() == "STOPPING=1"


def test_raw_notify(fake_socket: FakeNotifySocket) -> None:
    assert sdnotify.notify("RELOADING=1") is True
    assert fake_socket.receive() == "RELOADING=1"


def test_status_is_single_line(fake_socket: FakeNotifySocket) -> None:
    assert sdnotify.status("line one\nline two\r\n\tline three") is True
    assert fake_socket.receive() == "STATUS=line one line two line three"


def test_status_is_capped(fake_socket: FakeNotifySocket) -> None:
    assert sdnotify.status("x" * 1000) is True
    msg = fake_socket.receive()
    assert msg.startswith("STATUS=x")
    text = msg.removeprefix("STATUS=")
    assert len(text) == sdnotify.STATUS_MAX_CHARS
    assert "\n" not in text


def test_status_utf8(fake_socket: FakeNotifySocket) -> None:
    assert sdnotify.status("Kontostand ok \u2713") is True
    assert fake_socket.receive() == "STATUS=Kontostand ok \u2713"


def test_several_messages_arrive_in_order(fake_socket: FakeNotifySocket) -> None:
    assert sdnotify.ready("starting")
    assert sdnotify.watchdog()
    assert sdnotify.status("ok")
    assert [fake_socket.receive() for _ in range(3)] == [
        "READY=1\nSTATUS=starting",
        "WATCHDOG=1",
        "STATUS=ok",
    ]
    fake_socket.assert_empty()


def test_unset_socket_returns_false(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("NOTIFY_SOCKET", raising=False)
    assert sdnotify.notify("READY=1") is False
    assert sdnotify.ready("x") is False
    assert sdnotify.watchdog() is False
    assert sdnotify.status("x") is False
    assert sdnotify.stopping() is False


@pytest.mark.parametrize("value", ["", "@", "relative/path", "vsock:2:1234"])
def test_unusable_socket_value_returns_false(monkeypatch: pytest.MonkeyPatch, value: str) -> None:
    monkeypatch.setenv("NOTIFY_SOCKET", value)
    assert sdnotify.notify("READY=1") is False


def test_nobody_listening_returns_false(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("NOTIFY_SOCKET", str(tmp_path / "missing.sock"))
    assert sdnotify.watchdog() is False
    monkeypatch.setenv("NOTIFY_SOCKET", f"@healthcheck-nobody-{uuid.uuid4().hex}")
    assert sdnotify.watchdog() is False


def test_socket_path_is_not_a_socket(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    regular = tmp_path / "file"
    regular.write_text("not a socket")
    monkeypatch.setenv("NOTIFY_SOCKET", str(regular))
    assert sdnotify.ready() is False


def test_notify_does_not_raise_on_odd_input(fake_socket: FakeNotifySocket) -> None:
    assert sdnotify.notify("") is False
    assert sdnotify.notify("STATUS=\udcff lone surrogate") is True
    assert fake_socket.receive().startswith("STATUS=")


# --- WATCHDOG_USEC / WATCHDOG_PID -------------------------------------------------------------


@pytest.fixture
def clean_watchdog_env(monkeypatch: pytest.MonkeyPatch) -> pytest.MonkeyPatch:
    monkeypatch.delenv("WATCHDOG_USEC", raising=False)
    monkeypatch.delenv("WATCHDOG_PID", raising=False)
    return monkeypatch


def test_watchdog_unset(clean_watchdog_env: pytest.MonkeyPatch) -> None:
    assert sdnotify.watchdog_interval_seconds() is None


def test_watchdog_usec_parsed(clean_watchdog_env: pytest.MonkeyPatch) -> None:
    clean_watchdog_env.setenv("WATCHDOG_USEC", "60000000")
    assert sdnotify.watchdog_interval_seconds() == 60.0
    clean_watchdog_env.setenv("WATCHDOG_USEC", "1500000")
    assert sdnotify.watchdog_interval_seconds() == 1.5


def test_watchdog_pid_matches(clean_watchdog_env: pytest.MonkeyPatch) -> None:
    clean_watchdog_env.setenv("WATCHDOG_USEC", "30000000")
    clean_watchdog_env.setenv("WATCHDOG_PID", str(os.getpid()))
    assert sdnotify.watchdog_interval_seconds() == 30.0


def test_watchdog_pid_other_process(clean_watchdog_env: pytest.MonkeyPatch) -> None:
    clean_watchdog_env.setenv("WATCHDOG_USEC", "30000000")
    clean_watchdog_env.setenv("WATCHDOG_PID", str(os.getpid() + 1))
    assert sdnotify.watchdog_interval_seconds() is None


@pytest.mark.parametrize("usec", ["0", "-5", "abc", "1.5", " ", "60s"])
def test_watchdog_usec_invalid(clean_watchdog_env: pytest.MonkeyPatch, usec: str) -> None:
    clean_watchdog_env.setenv("WATCHDOG_USEC", usec)
    assert sdnotify.watchdog_interval_seconds() is None


@pytest.mark.parametrize("pid", ["abc", "0", "-1"])
def test_watchdog_pid_invalid(clean_watchdog_env: pytest.MonkeyPatch, pid: str) -> None:
    clean_watchdog_env.setenv("WATCHDOG_USEC", "30000000")
    clean_watchdog_env.setenv("WATCHDOG_PID", pid)
    assert sdnotify.watchdog_interval_seconds() is None
