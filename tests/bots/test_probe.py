"""bots.probe: bot_alive's acquisition; every failure is a reason, never an exception."""

from __future__ import annotations

import socket

from healthcheck.bots.liveness import ApiFailure
from healthcheck.bots.probe import gather, probe_api, unit_state
from healthcheck.exchange.account import BotApi
from healthcheck.storage.secrets import Secret

PASSWORD = "bot-api-password-xyz"


def test_unit_state_without_systemctl_on_path_says_so(tmp_path, monkeypatch):
    monkeypatch.setenv("PATH", str(tmp_path))  # an empty folder: no systemctl
    st = unit_state("freqtrade.service")
    assert st.missing_systemctl and st.error == "systemctl is not installed here"
    assert st.active_state == ""


def test_unit_state_when_systemctl_fails_gives_its_first_error_line(tmp_path, monkeypatch):
    fake = tmp_path / "systemctl"
    fake.write_text("#!/bin/sh\necho 'Failed to connect to bus: No such file' >&2\nexit 1\n")
    fake.chmod(0o755)
    monkeypatch.setenv("PATH", str(tmp_path))
    st = unit_state("freqtrade.service")
    assert st.error == "systemctl show failed: Failed to connect to bus: No such file"
    assert not st.missing_systemctl


def test_probe_api_of_a_bot_that_is_down_is_unreachable_without_the_password():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    api = BotApi(f"http://127.0.0.1:{port}", "bot", Secret(PASSWORD, "bot api password"), 60)
    p = probe_api(api, timeout_seconds=2.0)
    assert p.failure is ApiFailure.UNREACHABLE and p.reason
    assert PASSWORD not in p.reason and p.last_process_ts is None


def test_gather_asks_nothing_when_the_account_has_no_log_unit_or_api():
    class Account:
        name = "main"
        bot_api = None

    assert gather(Account(), None, 1.0) is None
