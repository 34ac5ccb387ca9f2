"""Tests for healthcheck.alerting.notify: real apprise sends to loopback receivers, retries,
deadlines, and no secret in the database or the logs."""

from __future__ import annotations

import io
import logging
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from support.receivers import HttpReceiver, JsonReceiver, SmtpReceiver, TelegramFake, wait_until

from healthcheck.alerting.alerts import AlertEngine, outbox_rows_for
from healthcheck.alerting.notify import (
    DeliveryReport,
    DeliveryWorker,
    Notifier,
    mask_url,
    ping_heartbeat,
    send_test,
)
from healthcheck.config import AlertsConfig, AlertUrl
from healthcheck.model.result import Result, Status
from healthcheck.storage import redact
from healthcheck.storage.secrets import Secret
from healthcheck.storage.state import OutboxRow, StateDB, dest_fingerprint

T0 = 1_800_000_000.0


def url(text: str, min_status: Status = Status.WARNING) -> AlertUrl:
    return AlertUrl(Secret(text, kind="url"), min_status)


def queue_alert(
    db: StateDB,
    urls: list[AlertUrl],
    now: float = T0,
    check: str = "position_mode",
    summary: str = "Hedge mode is on but the bot sends one-way orders",
) -> str:
    """Run two CRITICAL cycles through the engine and queue the resulting alert; return its id."""
    engine = AlertEngine(AlertsConfig(urls=tuple(urls), failure_threshold=1))
    r = Result(
        "main",
        check,
        Status.CRITICAL,
        summary,
        [-4061],
        fix="Switch to One-way mode",
        metrics={"margin_ratio": 0.5},
    )
    d = engine.evaluate([r], db.load_check_states(), now)
    rows = [row for m in d.messages for row in outbox_rows_for(m, urls, now)]
    assert db.commit_cycle(d.states, rows, d.history_rows)
    return d.messages[0].alert_id


def plain_row(dest: AlertUrl, title: str, body: str, now: float = T0) -> OutboxRow:
    return OutboxRow(
        dest=dest_fingerprint(dest.url.reveal()),
        title=title,
        body=body,
        notify_type="info",
        alert_id=title,
        kind="FIRING",
        created_at=now,
        next_attempt_at=now,
    )


@pytest.fixture
def db(tmp_path: Path) -> Iterator[StateDB]:
    d = StateDB.open(tmp_path)
    yield d
    d.close()


def test_json_receiver_gets_exactly_one_message(db: StateDB, json_receiver: JsonReceiver) -> None:
    dest = url(json_receiver.url)
    alert_id = queue_alert(db, [dest])
    n = Notifier([dest], db, timeout=5)
    report = n.deliver_due(T0)
    assert (report.attempted, report.delivered, report.failed) == (1, 1, 0)
    assert n.deliver_due(T0 + 10).attempted == 0
    assert len(json_receiver.messages) == 1
    msg = json_receiver.messages[0]
    assert msg["title"] == "[CRITICAL] main: position_mode"
    assert msg["type"] == "failure"
    assert "Fix: Switch to One-way mode" in msg["message"] and alert_id in msg["message"]
    assert db.pending_count() == 0


def test_receiver_500_is_retried_with_backoff_and_delivered_once(
    db: StateDB, json_receiver: JsonReceiver
) -> None:
    dest = url(json_receiver.url)
    queue_alert(db, [dest])
    n = Notifier([dest], db, timeout=5, backoff_max=30)
    json_receiver.fail_status = 500
    r1 = n.deliver_due(T0)
    assert r1.failed == 1 and "500" in r1.errors[0]
    assert n.degraded
    retry_at = db.due_outbox(T0 + 100, 10)[0].next_attempt_at
    assert T0 + 2 <= retry_at <= T0 + 2.2  # first retry after 2 s (+ <=10 % jitter)
    assert n.deliver_due(T0 + 1).attempted == 0  # not due yet
    r2 = n.deliver_due(T0 + 3)  # still failing: second backoff is 4 s
    assert r2.failed == 1
    assert T0 + 3 + 4 <= db.due_outbox(T0 + 100, 10)[0].next_attempt_at <= T0 + 3 + 4.4
    json_receiver.fail_status = None
    assert n.deliver_due(T0 + 8).delivered == 1
    for t in range(9, 60, 5):
        assert n.deliver_due(T0 + t).attempted == 0
    assert len(json_receiver.messages) == 1 and json_receiver.hits == 3
    assert not n.degraded


def test_backoff_is_capped_with_small_jitter(db: StateDB) -> None:
    n = Notifier([], db, backoff_max=30)
    assert 2 <= n.backoff_delay(1) <= 2.2
    assert 16 <= n.backoff_delay(4) <= 17.6
    assert all(30 <= n.backoff_delay(a) <= 33 for a in (5, 10, 100, 10_000))


def test_hanging_receiver_does_not_block_beyond_deadline(
    db: StateDB, json_receiver: JsonReceiver
) -> None:
    dest = url(json_receiver.url)
    queue_alert(db, [dest])
    json_receiver.hang_seconds = 30
    n = Notifier([dest], db, timeout=1)
    start = time.monotonic()
    report = n.deliver_due(T0)
    assert time.monotonic() - start < 2.5
    assert report.failed == 1
    assert db.pending_count() == 1


class _StuckApprise:
    """Stands in for an apprise.Apprise whose notify() ignores its timeout."""

    def __init__(self) -> None:
        self.release = threading.Event()
        self.calls = 0

    def notify(self, **kwargs: object) -> bool:
        self.calls += 1
        self.release.wait(30)
        return True


def test_send_outliving_deadline_blocks_its_destination_and_late_success_counts(
    db: StateDB, json_receiver: JsonReceiver
) -> None:
    dest = url(json_receiver.url)
    queue_alert(db, [dest])
    n = Notifier([dest], db, timeout=0.5)
    stuck = _StuckApprise()
    n._dests[dest_fingerprint(json_receiver.url)].apprise = stuck  # type: ignore[assignment]
    start = time.monotonic()
    assert n.deliver_due(T0).failed == 1
    assert time.monotonic() - start < 2.0
    # while the old send still runs, a retry would risk a duplicate: hold it back
    assert n.deliver_due(T0 + 60).skipped == 1 and stuck.calls == 1
    stuck.release.set()
    deadline = time.monotonic() + 5
    while n.inflight.running() and time.monotonic() < deadline:
        time.sleep(0.01)
    assert n.inflight.running() == 0
    report = n.deliver_due(T0 + 120)
    assert report.attempted == 0 and stuck.calls == 1
    assert db.pending_count() == 0  # the late success was recorded


def test_failed_row_keeps_order_for_its_destination_and_spares_other_channels(db: StateDB) -> None:
    with JsonReceiver() as good, JsonReceiver() as bad:
        d_good, d_bad = url(good.url), url(bad.url)
        n = Notifier([d_good, d_bad], db, timeout=5)
        bad.fail_status = 500
        db.commit_cycle(
            {},
            [
                plain_row(d_bad, "alert 1", "one"),
                plain_row(d_good, "g1", "x"),
                plain_row(d_bad, "alert 2", "two"),
            ],
            [],
        )
        report = n.deliver_due(T0)
        assert (report.delivered, report.failed, report.skipped) == (1, 1, 1)
        assert bad.hits == 1  # alert 2 was not tried after alert 1 failed
        bad.fail_status = None
        assert n.deliver_due(T0 + 5).delivered == 2
        assert [m["title"] for m in bad.messages] == ["alert 1", "alert 2"]
        assert [m["title"] for m in good.messages] == ["g1"]  # never re-sent


def test_smtp_delivery_to_aiosmtpd(db: StateDB, smtp_receiver: SmtpReceiver) -> None:
    dest = url(smtp_receiver.url)
    queue_alert(db, [dest])
    report = Notifier([dest], db, timeout=10).deliver_due(T0)
    assert report.delivered == 1, report.errors
    (mail,) = smtp_receiver.messages
    assert mail.subject == "[CRITICAL] main: position_mode"
    assert mail.rcpt_tos == ["ops@example.test"]
    assert "Binance error: -4061 POSITION_SIDE_NOT_MATCH" in mail.body


@pytest.mark.parametrize("code", [421, 550])
def test_smtp_refusing_then_accepting_delivers_once(
    db: StateDB, smtp_receiver: SmtpReceiver, code: int
) -> None:
    dest = url(smtp_receiver.url)
    queue_alert(db, [dest])
    n = Notifier([dest], db, timeout=10)
    smtp_receiver.refuse_code = code
    report = n.deliver_due(T0)
    assert report.failed == 1 and "email" in report.errors[0].lower()
    smtp_receiver.refuse_code = None
    assert n.deliver_due(T0 + 3).delivered == 1
    assert n.deliver_due(T0 + 60).attempted == 0
    assert len(smtp_receiver.messages) == 1 and smtp_receiver.attempts == 2


def test_emails_in_a_row_are_not_throttled(db: StateDB, smtp_receiver: SmtpReceiver) -> None:
    dest = url(smtp_receiver.url)
    n = Notifier([dest], db, timeout=10)
    db.commit_cycle({}, [plain_row(dest, f"m{i}", "b") for i in range(3)], [])
    start = time.monotonic()
    assert n.deliver_due(T0).delivered == 3
    assert time.monotonic() - start < 3.0  # apprise's default e-mail throttle alone is 11 s


def test_telegram_fake_accepts_our_alert_html_escaped(
    db: StateDB, telegram_fake: TelegramFake
) -> None:
    dest = url(telegram_fake.url)
    queue_alert(db, [dest], summary="Margin < 5% & falling <fast>")
    report = Notifier([dest], db, timeout=5).deliver_due(T0)
    assert report.delivered == 1, (report.errors, telegram_fake.rejected)
    (msg,) = telegram_fake.messages
    assert msg["parse_mode"] == "HTML" and str(msg["chat_id"]) == "4242"
    assert "Margin < 5% & falling <fast>" in msg["visible"]
    assert msg["visible"].startswith("[CRITICAL] main: position_mode")


def test_telegram_fake_rejects_text_over_4096(db: StateDB, telegram_fake: TelegramFake) -> None:
    dest = url(telegram_fake.url)
    db.commit_cycle({}, [plain_row(dest, "long", "x" * 5000)], [])
    report = Notifier([dest], db, timeout=5).deliver_due(T0)
    assert report.failed == 1 and "message is too long" in report.errors[0]
    assert telegram_fake.messages == [] and len(telegram_fake.rejected) == 1


@pytest.mark.parametrize(
    "text, ok",
    [
        ("<b>bold</b> &amp; <i>it</i>", True),
        ("a < b", False),
        ("<div>x</div>", False),
        ("<b>unclosed", False),
        ("fish & chips", False),
    ],
)
def test_telegram_html_validation(text: str, ok: bool) -> None:
    from support.receivers import telegram_html_error

    assert (telegram_html_error(text) is None) is ok


def test_outbox_survives_reopening_the_database(
    tmp_path: Path, json_receiver: JsonReceiver
) -> None:
    dest = url(json_receiver.url)
    db = StateDB.open(tmp_path)
    queue_alert(db, [dest])
    json_receiver.fail_status = 503
    assert Notifier([dest], db, timeout=5).deliver_due(T0).failed == 1
    db.close()
    json_receiver.fail_status = None
    db = StateDB.open(tmp_path)
    assert db.pending_count() == 1
    assert Notifier([dest], db, timeout=5).deliver_due(T0 + 60).delivered == 1
    assert len(json_receiver.messages) == 1 and db.pending_count() == 0
    db.close()


def test_row_for_a_removed_destination_is_dropped(db: StateDB, json_receiver: JsonReceiver) -> None:
    old = url("json://127.0.0.1:1/removed")
    db.commit_cycle({}, [plain_row(old, "t", "b")], [])
    report = Notifier([url(json_receiver.url)], db).deliver_due(T0)
    assert report.attempted == 0 and db.pending_count() == 0


def test_delivery_worker_delivers_after_kick_and_survives_errors(
    db: StateDB, json_receiver: JsonReceiver
) -> None:
    dest = url(json_receiver.url)
    notifier = Notifier([dest], db, timeout=5)
    real = notifier.deliver_due
    calls = {"n": 0}

    def flaky(now: float) -> DeliveryReport:
        calls["n"] += 1
        if calls["n"] == 1:
            raise RuntimeError("bug with secret json://user:pw123456@host/")
        return real(now)

    notifier.deliver_due = flaky  # type: ignore[method-assign]
    worker = DeliveryWorker(notifier, wakeup_interval=30).start()
    try:
        assert wait_until(lambda: calls["n"] >= 1)
        queue_alert(db, [dest], now=time.time())
        worker.kick()
        assert wait_until(lambda: len(json_receiver.messages) == 1)
    finally:
        assert worker.stop(timeout=5)


def test_send_test_reports_each_url(json_receiver: JsonReceiver) -> None:
    with JsonReceiver() as failing:
        failing.fail_status = 500
        out = send_test(
            [url(json_receiver.url), url(failing.url), url("notaservice://abc")], timeout=5
        )
    assert [ok for _, ok, _ in out] == [True, False, False]
    assert out[0][0].startswith("json://127.0.0.1:")
    assert "500" in out[1][2]
    assert out[2][0] == "notaservice://…"
    assert len(json_receiver.messages) == 1


def test_mask_url_hides_tokens_and_passwords() -> None:
    masked = mask_url("tgram://123456789:AAH-test-token-xyz/4242")
    assert "AAH-test-token-xyz" not in masked and masked.startswith("tgram://")
    masked = mask_url("mailtos://alice:hunter2secret@example.com?to=ops@example.test")
    assert "hunter2secret" not in masked and "****" in masked


def test_ping_heartbeat_ok_fail_and_unreachable() -> None:
    with HttpReceiver() as hb:
        assert ping_heartbeat(hb.url + "/ping/abc-uuid", failed=False, timeout=5) is True
        assert ping_heartbeat(hb.url + "/ping/abc-uuid?rid=1", failed=True, timeout=5) is True
        assert [r["path"] for r in hb.requests] == ["/ping/abc-uuid", "/ping/abc-uuid/fail?rid=1"]
        hb.fail_status = 500
        assert ping_heartbeat(hb.url + "/ping/abc-uuid", failed=False, timeout=5) is False
        port = hb.port
    assert ping_heartbeat(f"http://127.0.0.1:{port}/ping/x", failed=False, timeout=2) is False


BOT_TOKEN = "987654321:AAFsecretTokenValue_for-tests"
SMTP_PASSWORD = "Sm7pPassw0rd-not-to-leak"


def test_secrets_never_reach_state_db_or_logs(
    tmp_path: Path,
    telegram_fake: TelegramFake,
    smtp_receiver: SmtpReceiver,
    caplog: pytest.LogCaptureFixture,
) -> None:
    tg = telegram_fake.url.replace(TelegramFake.TOKEN, BOT_TOKEN)  # wrong token: 401
    mail = smtp_receiver.url.replace("mailto://", f"mailto://hc:{SMTP_PASSWORD}@")  # no AUTH: fails
    dests = [url(tg), url(mail)]
    stream = io.StringIO()
    root = logging.getLogger()
    saved = (list(root.handlers), root.level, logging.getLogger("apprise").level)
    redact.setup_logging(logging.DEBUG, stream=stream)
    # worst case: someone turns apprise's DEBUG on, where it logs the bot token in URLs
    logging.getLogger("apprise").setLevel(logging.DEBUG)
    root.addHandler(caplog.handler)
    caplog.handler.setLevel(logging.DEBUG)
    try:
        db = StateDB.open(tmp_path)
        queue_alert(db, dests)
        n = Notifier(dests, db, timeout=5)
        report = n.deliver_due(T0)
        report2 = n.deliver_due(T0 + 5)
        send_test(dests, timeout=5)
        db.close()
    finally:
        root.handlers[:] = saved[0]
        root.setLevel(saved[1])
        logging.getLogger("apprise").setLevel(saved[2])
    assert report.failed == 2 and report2.failed == 2, report.errors
    secret_parts = [BOT_TOKEN, BOT_TOKEN.split(":")[1], SMTP_PASSWORD]
    blobs = {p.name: p.read_bytes() for p in tmp_path.iterdir() if p.is_file()}
    assert "state.db" in blobs
    for name, blob in blobs.items():
        for s in secret_parts:
            assert s.encode() not in blob, f"{s!r} found in {name}"
    ours = "\n".join(r.getMessage() for r in caplog.records if r.name.startswith("healthcheck"))
    texts = {
        "formatted log": stream.getvalue(),
        "our log messages": ours,
        "report": "\n".join(report.errors + report2.errors),
    }
    assert "failed" in texts["formatted log"]
    assert "/bot<redacted>/sendMessage" in texts["formatted log"]  # the DEBUG line was there
    for name, text in texts.items():
        for s in secret_parts:
            assert s not in text, f"{s!r} found in {name}"


def test_importing_notify_does_not_import_apprise_or_requests() -> None:
    import subprocess
    import sys

    code = (
        "import sys, healthcheck.alerting.notify, healthcheck.alerting.alerts, "
        "healthcheck.storage.state; "
        "print(sorted(m for m in ('apprise', 'requests') if m in sys.modules))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        cwd=Path(__file__).parents[2],
        timeout=60,
    )
    assert out.stdout.strip() == "[]", out.stderr
