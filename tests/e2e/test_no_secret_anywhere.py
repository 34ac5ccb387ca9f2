"""No secret anywhere: every CLI command and a daemon session run with known secret values, and
everything they produce (stdout, stderr, logs, alert bodies, the state database, any file in the
state dir) is grepped for the API secret, the full API key, the private key, request signatures
and the apprise tokens. Also `notify-test` and `check --notify` behaviour.
"""

from __future__ import annotations

import json
import re
import sqlite3
import time

import pytest
from support.daemon import DaemonProc
from support.receivers import JsonReceiver, SmtpReceiver, TelegramFake, wait_until

JSON_PASSWORD = "jsonPassw0rdSecretValue"


@pytest.fixture
def receivers():
    with JsonReceiver() as j, SmtpReceiver() as m, TelegramFake() as t:
        yield {"json": j, "smtp": m, "tg": t}


def _ed25519(tmp_path):
    from Crypto.PublicKey import ECC

    key = ECC.generate(curve="ed25519")
    pem = key.export_key(format="PEM")
    path = tmp_path / "ed.pem"
    path.write_text(pem)
    path.chmod(0o600)
    return pem, key.public_key().export_key(format="PEM"), path


def test_no_secret_in_any_command_or_daemon_output(sim, make_config, receivers, tmp_path, cli):
    hmac_acct = sim.add_account("main")
    pem, pub, pem_path = _ed25519(tmp_path)
    ed_acct = sim.add_account("ed", public_key_pem=pub)
    json_url = receivers["json"].url.replace("json://", f"json://user:{JSON_PASSWORD}@")
    mail_url = receivers["smtp"].url.replace("mailto://", "mailto://ops:MailPassw0rdSecret@")
    config = make_config(
        [
            {"name": "main", "api_key": hmac_acct.api_key, "api_secret": hmac_acct.api_secret},
            {"name": "ed", "api_key": ed_acct.api_key, "private_key_file": str(pem_path)},
        ],
        sections={
            "alerts": {
                "urls": [json_url, mail_url, receivers["tg"].url],
                "failure_threshold": 1,
                "delivery_timeout": 3,
                "retry_backoff_max": 1,
            }
        },
    )
    # faults whose error paths tend to carry URLs, keys and signatures
    sim.set_fault("hedge_mode", account="main")
    sim.set_fault("reset", scope="/api/v3/account")
    sim.set_fault("bad_signature", account="ed")
    produced: list[str] = []
    for args in (
        ["check", "--config", str(config)],
        ["check", "--config", str(config), "--json"],
        ["-vv", "check", "--config", str(config)],
        ["check", "--config", str(config), "--notify"],
        ["config", "show", "--config", str(config)],
        ["config", "validate", "--config", str(config)],
        ["notify-test", "--config", str(config)],
    ):
        p = cli(*args)
        produced += [p.stdout, p.stderr]
        if args[:2] == ["config", "show"]:
            shown = json.loads(p.stdout)
            assert (
                shown["accounts"][0]["api_key"]
                == f"{hmac_acct.api_key[:4]}…{hmac_acct.api_key[-4:]}"
            )
            assert shown["accounts"][0]["api_secret"] == "****"
    d = DaemonProc(
        config,
        tmp_path / "daemon.log",
        telegram_api=receivers["tg"].api_base,
        env={"PYTHONWARNINGS": "default"},
    ).start()
    d.wait_runs(3)
    sim.clear_fault("reset")
    sim.set_fault("timeout", scope="/fapi/v3/account", seconds=5)
    d.wait_more_runs(2)
    assert d.stop() == 0
    produced.append(d.log)
    assert wait_until(lambda: len(receivers["json"].messages) >= 1, 5)
    produced.append(json.dumps(receivers["json"].messages))
    produced.append(json.dumps([r["headers"] for r in receivers["json"].requests]))
    produced += [m.raw.decode(errors="replace") for m in receivers["smtp"].messages]
    produced += [json.dumps(m) for m in receivers["tg"].messages]
    text = "\n".join(produced)
    files = b"".join(p.read_bytes() for p in (tmp_path / "state").rglob("*") if p.is_file())
    secrets = [
        hmac_acct.api_secret,
        hmac_acct.api_key,
        ed_acct.api_key,
        JSON_PASSWORD,
        "MailPassw0rdSecret",
        TelegramFake.TOKEN,
        TelegramFake.TOKEN.split(":")[1],
    ]
    secrets += [line for line in pem.splitlines() if not line.startswith("-----")]
    for secret in secrets:
        assert secret not in text, f"secret leaked: {secret[:6]}…"
        assert secret.encode() not in files, f"secret stored: {secret[:6]}…"
    sigs = re.findall(r"signature=([^&\s\"'<]+)", text)
    assert sigs == [], sigs
    # it did run and alert: the grep was over real output
    assert "position_mode" in text and receivers["json"].messages


def test_notify_test_reports_each_url_and_fails_if_one_fails(make_config, sim, receivers, cli):
    acct = sim.add_account("main")
    receivers["smtp"].refuse_code = 550
    config = make_config(
        [{"name": "main", "api_key": acct.api_key, "api_secret": acct.api_secret}],
        sections={
            "alerts": {
                "urls": [receivers["json"].url, receivers["smtp"].url],
                "delivery_timeout": 5,
            }
        },
    )
    p = cli("notify-test", "--config", str(config))
    assert p.returncode == 1
    lines = p.stdout.strip().splitlines()
    assert lines[0].startswith("delivered") and "json://" in lines[0]
    assert lines[1].startswith("FAILED") and "mailto://" in lines[1]
    assert len(receivers["json"].messages) == 1
    receivers["smtp"].refuse_code = None
    p = cli("notify-test", "--config", str(config))
    assert p.returncode == 0
    assert len(receivers["smtp"].messages) == 1


def test_check_notify_uses_thresholds_and_state_like_the_daemon(make_config, sim, receivers, cli):
    acct = sim.add_account("main")
    config = make_config(
        [{"name": "main", "api_key": acct.api_key, "api_secret": acct.api_secret}],
        sections={"alerts": {"urls": [receivers["json"].url], "failure_threshold": 2}},
    )
    sim.set_fault("hedge_mode", account="main")
    assert cli("check", "--config", str(config), "--notify").returncode == 2
    assert receivers["json"].messages == []  # one bad run is under the threshold
    cli("check", "--config", str(config), "--notify")
    assert len(receivers["json"].messages) == 1
    cli("check", "--config", str(config), "--notify")
    assert len(receivers["json"].messages) == 1  # no duplicate from the next cron run
    sim.clear_fault("hedge_mode")
    assert cli("check", "--config", str(config), "--notify").returncode == 0
    assert len(receivers["json"].messages) == 2
    assert receivers["json"].messages[1]["title"].startswith("[RESOLVED]")


def test_check_notify_keeps_undelivered_alert_for_the_next_run(make_config, sim, receivers, cli):
    acct = sim.add_account("main")
    config = make_config(
        [{"name": "main", "api_key": acct.api_key, "api_secret": acct.api_secret}],
        sections={
            "alerts": {
                "urls": [receivers["json"].url],
                "failure_threshold": 1,
                "delivery_timeout": 3,
            }
        },
    )
    sim.set_fault("hedge_mode", account="main")
    receivers["json"].fail_status = 503
    p = cli("check", "--config", str(config), "--notify")
    assert "not delivered yet" in p.stderr
    receivers["json"].fail_status = None
    # wait for the event itself: the failed row's retry time (2-2.2 s backoff) has passed
    state_dir = json.loads(cli("config", "show", "--config", str(config)).stdout)[
        "resolved_state_dir"
    ]
    with sqlite3.connect(f"file:{state_dir}/state.db?mode=ro", uri=True) as conn:
        (retry_at,) = conn.execute(
            "SELECT max(next_attempt_at) FROM outbox WHERE delivered_at IS NULL"
        ).fetchone()
    assert retry_at is not None
    assert wait_until(lambda: time.time() > retry_at + 0.05, timeout=30)
    cli("check", "--config", str(config), "--notify")
    assert len(receivers["json"].messages) == 1
