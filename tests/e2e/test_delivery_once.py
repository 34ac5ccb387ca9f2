"""No duplicate alerts from slow channels, and a shutdown within 10 s whatever a channel does.

* a webhook that answers in 6 s gets the alert once (apprise's own 4 s read timeout used to
  fail the send although the receiver had it, and the retry sent it again);
* SIGHUP while a slow but successful delivery runs does not send it a second time;
* SIGTERM while an SMTP server accepts and never speaks, or a json:// URL with ``rto=30``
  hangs: the daemon exits within 10 s, the alert stays in the outbox, no "closed database".
"""

from __future__ import annotations

import signal
import socket
import sqlite3
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from support.receivers import JsonReceiver, wait_until

from healthcheck.alerting.notify import Notifier, _load
from healthcheck.config import AlertUrl
from healthcheck.storage.secrets import Secret
from healthcheck.storage.state import OutboxRow, StateDB

T0 = 1_800_000_000.0


def url(raw: str) -> AlertUrl:
    return AlertUrl(Secret(raw, "alert url"))


def queue(db: StateDB, dest: AlertUrl, alert_id: str = "a1") -> None:
    from healthcheck.storage.state import dest_fingerprint

    db.commit_cycle(
        {},
        [
            OutboxRow(
                dest=dest_fingerprint(dest.url.reveal()),
                title="t",
                body=f"b\nAlert id: {alert_id}",
                notify_type="failure",
                alert_id=alert_id,
                kind="FIRING",
                created_at=T0,
                next_attempt_at=T0,
            )
        ],
        [],
    )


def test_webhook_answering_in_6_s_gets_the_alert_once(tmp_path: Path) -> None:
    with JsonReceiver() as rx:
        rx.hang_seconds = 6.0
        db = StateDB.open(tmp_path)
        dest = url(rx.url)
        queue(db, dest)
        n = Notifier([dest], db, timeout=30)
        report = n.deliver_due(T0)
        assert (report.delivered, report.failed) == (1, 0), report.errors
        assert n.deliver_due(T0 + 600).attempted == 0
        assert rx.hits == 1 and len(rx.messages) == 1
        db.close()


@pytest.mark.parametrize(
    "raw,budget",
    [
        ("json://127.0.0.1:9/x?rto=30", 5.0),
        ("json://127.0.0.1:9/x", 30.0),
        ("mailto://127.0.0.1:9?from=a@x.test&to=b@x.test", 3.0),
    ],
)
def test_apprise_socket_timeouts_fit_the_delivery_deadline(raw: str, budget: float) -> None:
    obj, error = _load(raw, budget)
    assert obj is not None, error
    service = obj[0]
    total = service.socket_connect_timeout + (
        0 if hasattr(service, "smtp_host") else service.socket_read_timeout
    )
    assert total <= budget
    if not hasattr(service, "smtp_host"):
        assert service.socket_read_timeout >= budget * 0.5  # a slow receiver has time


# ------------------------------------------------------------------------------- daemon


@pytest.fixture
def account(sim):
    return sim.add_account("main")


def daemon_config(make_config, account, urls: list[str], **alerts):
    return make_config(
        [{"name": "main", "api_key": account.api_key, "api_secret": account.api_secret}],
        sections={
            "alerts": {"urls": urls, "failure_threshold": 1, "retry_backoff_max": 1, **alerts}
        },
    )


def test_sighup_during_a_slow_successful_delivery_sends_it_once(
    sim, make_config, account, start_daemon
) -> None:
    with JsonReceiver() as rx:
        rx.hang_seconds = 6.0
        config = daemon_config(make_config, account, [rx.url], delivery_timeout=20)
        sim.set_fault("hedge_mode", account="main")
        d = start_daemon(config)
        assert wait_until(lambda: rx.hits == 1, timeout=30), d.log
        d.signal(signal.SIGHUP)
        assert wait_until(lambda: "configuration reloaded" in d.log, timeout=20), d.log
        assert wait_until(lambda: len(rx.messages) == 1, timeout=20), d.log
        # the old worker's send ended; give the new worker time to (wrongly) send it again
        d.wait_more_runs(3)
        time.sleep(2.0)  # a quiet period to prove a negative: nothing more arrives
        assert rx.hits == 1, d.log
        assert "Alert id: " in rx.messages[0]["message"]
        assert d.stop() == 0


class SilentSmtp:
    """Accepts TCP connections and never says a word (no 220 greeting)."""

    def __init__(self) -> None:
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(8)
        self.port = self.sock.getsockname()[1]
        self.accepted = 0
        self._conns: list[socket.socket] = []
        self._stop = threading.Event()
        threading.Thread(target=self._run, daemon=True).start()

    def _run(self) -> None:
        self.sock.settimeout(0.1)
        while not self._stop.is_set():
            try:
                conn, _ = self.sock.accept()
            except OSError:
                continue
            self._conns.append(conn)
            self.accepted += 1

    def close(self) -> None:
        self._stop.set()
        for c in self._conns:
            c.close()
        self.sock.close()


@pytest.fixture
def silent_smtp() -> Iterator[SilentSmtp]:
    s = SilentSmtp()
    yield s
    s.close()


@pytest.fixture
def hanging_json() -> Iterator[JsonReceiver]:
    with JsonReceiver() as rx:
        rx.hang_seconds = 120.0
        yield rx


def pending_rows(state_dir: Path) -> int:
    with sqlite3.connect(f"file:{state_dir}/state.db?mode=ro", uri=True) as conn:
        return int(
            conn.execute(
                "SELECT count(*) FROM outbox WHERE delivered_at IS NULL AND dropped_at IS NULL"
            ).fetchone()[0]
        )


@pytest.mark.parametrize("channel", ["smtp_never_speaks", "json_rto_30"])
def test_sigterm_exits_within_10_s_whatever_the_channel_does(
    sim, make_config, account, start_daemon, tmp_path, silent_smtp, hanging_json, channel
) -> None:
    if channel == "smtp_never_speaks":
        target = f"mailto://127.0.0.1:{silent_smtp.port}?from=hc@x.test&to=ops@x.test"
        started = lambda: silent_smtp.accepted >= 1  # noqa: E731
    else:
        target = hanging_json.url + "?rto=30"
        started = lambda: hanging_json.hits >= 1  # noqa: E731
    config = daemon_config(make_config, account, [target])  # delivery_timeout 30 (default)
    sim.set_fault("hedge_mode", account="main")
    d = start_daemon(config)
    assert wait_until(started, timeout=30), d.log
    t0 = time.monotonic()
    assert d.stop(timeout=30) == 0
    took = time.monotonic() - t0
    assert took < 10, f"{took:.1f} s\n{d.log}"
    assert "closed database" not in d.log and "Traceback" not in d.log
    assert pending_rows(tmp_path / "state") == 1  # the alert waits for the next start
