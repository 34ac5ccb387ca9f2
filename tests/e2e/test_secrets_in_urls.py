"""The last secret leaks: webhook tokens in URL paths, apprise's abbreviated tokens in its own
log lines, a proxy password in spot_url/futures_url; help texts are not redacted; a config with
no alert destinations is warned about."""

from __future__ import annotations

import re
import sqlite3

import pytest
from support.receivers import JsonReceiver, wait_until

PATH_TOKEN = "hookT0KENpath9x"
UNPARSEABLE_TOKEN = "HsecretTok6"
PROXY_PASSWORD = "proxyPassw0rdSecret"


@pytest.fixture
def account(sim):
    return sim.add_account("main")


def test_webhook_path_token_is_masked_in_config_show_notify_test_and_logs(
    make_config, account, cli
) -> None:
    with JsonReceiver(path=f"/{PATH_TOKEN}") as rx:
        rx.fail_status = 500
        config = make_config(
            [{"name": "main", "api_key": account.api_key, "api_secret": account.api_secret}],
            sections={
                "alerts": {
                    "urls": [rx.url, f"unknownsvc://host/ping/{UNPARSEABLE_TOKEN}"],
                    "failure_threshold": 1,
                    "delivery_timeout": 3,
                }
            },
        )
        outputs = []
        show = cli("config", "show", "--config", str(config))
        assert show.returncode == 0 and "json://127.0.0.1" in show.stdout
        outputs.append(show)
        test = cli("notify-test", "--config", str(config))
        assert test.returncode == 1 and "json://127.0.0.1" in test.stdout
        assert rx.hits == 1  # it did reach the receiver, with the token in the path
        outputs.append(test)
        outputs.append(cli("-vv", "check", "--notify", "--config", str(config)))
    text = "\n".join(p.stdout + p.stderr for p in outputs)
    assert PATH_TOKEN not in text and UNPARSEABLE_TOKEN not in text
    # apprise's privacy mode abbreviates tokens to first...last character: a fragment too
    assert "H...6" not in text and "h...x" not in text
    assert not re.search(r"\b\w\.\.\.\w\b", text), text


def test_proxy_password_in_base_urls_is_not_stored_or_printed(
    sim, make_config, tmp_path, cli
) -> None:
    acct = sim.add_account("main")
    base = sim.url.replace("http://", f"http://user:{PROXY_PASSWORD}@")
    config = make_config(
        [
            {
                "name": "main",
                "api_key": acct.api_key,
                "api_secret": acct.api_secret,
                "spot_url": base,
                "futures_url": base,
            }
        ]
    )
    sim.set_fault("banned")
    p = cli("-vv", "check", "--config", str(config))
    assert PROXY_PASSWORD not in p.stdout + p.stderr
    state = tmp_path / "state"
    assert wait_until(lambda: (state / "state.db").exists(), timeout=5)
    with sqlite3.connect(f"file:{state}/state.db?mode=ro", uri=True) as conn:
        keys = [r[0] for r in conn.execute("SELECT key FROM bans")]
    assert keys and all("127.0.0.1" in k and "@" not in k for k in keys), keys
    for f in state.iterdir():
        assert PROXY_PASSWORD.encode() not in f.read_bytes(), f


def test_help_and_error_placeholders_are_not_redacted(make_config, account, cli) -> None:
    config = make_config(
        [{"name": "main", "api_key": account.api_key, "api_secret": account.api_secret}],
        sections={"alerts": {"urls": ["not a url"]}},
    )
    p = cli("config", "validate", "--config", str(config))
    assert p.returncode == 3
    assert 'such as "tgram://TOKEN/CHAT"' in p.stderr, p.stderr
    for args in (
        ["--help"],
        ["check", "--help"],
        ["run", "--help"],
        ["simulator", "--help"],
        ["config", "--help"],
        ["notify-test", "--help"],
    ):
        h = cli(*args)
        assert "<redacted>" not in h.stdout + h.stderr, args


def test_no_alert_destinations_is_warned_at_validate_and_at_daemon_start(
    make_config, account, cli, start_daemon
) -> None:
    config = make_config(
        [{"name": "main", "api_key": account.api_key, "api_secret": account.api_secret}]
    )
    p = cli("config", "validate", "--config", str(config))
    assert p.returncode == 0 and "no alert destinations" in p.stderr
    d = start_daemon(config)
    d.wait_runs(1)
    assert "no alert destinations" in d.log
    assert d.stop() == 0
