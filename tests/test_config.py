"""The config loader: the example file loads and documents every key; bad values are named."""

from __future__ import annotations

import dataclasses
import re
import tomllib
from pathlib import Path

import pytest

from healthcheck import config as cfgmod
from healthcheck.config import ConfigError, parse_config
from healthcheck.model.markets import MARKETS
from healthcheck.model.result import Status

EXAMPLE = Path(__file__).resolve().parent.parent / "config.example.toml"


def _example_data(tmp_path: Path) -> tuple[dict, dict]:
    """The example with its file paths pointed at real private files in tmp_path."""
    from Crypto.PublicKey import ECC

    data = tomllib.loads(EXAMPLE.read_text())
    creds = tmp_path / "creds"
    creds.mkdir()
    (creds / "hedge-api-key").write_text("K" * 64)
    (creds / "hedge-ed25519.pem").write_text(
        ECC.generate(curve="ed25519").export_key(
            format="PEM", passphrase="pw", protection="PBKDF2WithHMAC-SHA512AndAES256-CBC"
        )
    )
    urls = tmp_path / "apprise-urls"
    urls.write_text("# comment\njson://127.0.0.1:9/\nCRITICAL=tgram://123:abc/42\n")
    for p in [*creds.iterdir(), urls]:
        p.chmod(0o600)
    data["alerts"]["urls_file"] = str(urls)
    env = {
        "BINANCE_API_KEY": "A" * 64,
        "BINANCE_API_SECRET": "S" * 64,
        "CREDENTIALS_DIRECTORY": str(creds),
        "HEDGE_KEY_PASSPHRASE": "pw",
        "FT_API_PASSWORD": "ft-api-password-0",
    }
    return data, env


def test_example_config_loads(tmp_path):
    data, env = _example_data(tmp_path)
    cfg = parse_config(data, env=env)
    assert [a.name for a in cfg.accounts] == ["main", "hedge-bot"]
    assert cfg.accounts[1].private_key is not None  # the encrypted Ed25519 key was decrypted
    assert cfg.accounts[1].position_mode == "hedge"
    assert cfg.checks.api_key.interval == 600
    assert [u.min_status for u in cfg.alerts.urls] == [
        Status.WARNING,
        Status.CRITICAL,
        Status.WARNING,
        Status.CRITICAL,
    ]
    assert [u.max_chars for u in cfg.alerts.urls] == [100_000, 3500, 3500, 3500]


def _documented_keys(data: dict, prefix: str = "") -> set[str]:
    keys = set()
    for k, v in data.items():
        name = f"{prefix}{k}"
        keys.add(name)
        if isinstance(v, dict) and k not in ("min_available", "test_order_quantity"):
            keys |= _documented_keys(v, name + ".")
    return keys


def test_example_documents_every_setting_of_the_models():
    documented = _documented_keys(tomllib.loads(EXAMPLE.read_text()))
    account_keys = _documented_keys(
        tomllib.loads(EXAMPLE.read_text())["accounts"][0]
    ) | _documented_keys(tomllib.loads(EXAMPLE.read_text())["accounts"][1])
    # keys documented commented out (bot, bot_config: a real file would be needed to load them)
    account_keys |= set(re.findall(r"^# (\w+) = ", EXAMPLE.read_text(), re.M))
    missing = []
    for section, cls in (
        ("daemon", cfgmod.DaemonConfig),
        ("ntp", cfgmod.NtpConfig),
        ("alerts", cfgmod.AlertsConfig),
    ):
        for f in dataclasses.fields(cls):
            if f"{section}.{f.name}" not in documented:
                missing.append(f"{section}.{f.name}")
    for check in cfgmod.CHECK_IDS:
        cls = type(getattr(cfgmod.ChecksConfig(), check))
        for f in dataclasses.fields(cls):
            if f"checks.{check}.{f.name}" not in documented:
                missing.append(f"checks.{check}.{f.name}")
    for f in dataclasses.fields(cfgmod.AccountConfig):
        if f.name == "urls":  # one key per market row
            missing += [
                f"accounts.{m.url_setting}"
                for m in MARKETS.values()
                if m.url_setting not in account_keys
            ]
            continue
        names = {f.name, f"{f.name}_env", f"{f.name}_file"}
        if not names & account_keys:
            missing.append(f"accounts.{f.name}")
    assert missing == []


def _base(**acc):
    a = {"name": "main", "api_key": "A" * 64, "api_secret": "S" * 64}
    a.update(acc)
    return {"accounts": [a]}


@pytest.mark.parametrize(
    "data,key,value",
    [
        ({**_base(), "daemon": {"interval": 0}}, "daemon.interval", "0"),
        ({**_base(), "daemon": {"request_timeout": "10"}}, "daemon.request_timeout", "'10'"),
        ({**_base(), "alerts": {"failure_threshold": 1.5}}, "alerts.failure_threshold", "1.5"),
        (
            {**_base(), "alerts": {"urls": [{"url": "json://x", "min_status": "LOUD"}]}},
            "alerts.urls[0].min_status",
            "'LOUD'",
        ),
        (
            {**_base(), "alerts": {"urls": [{"url": "json://x", "max_chars": 100}]}},
            "alerts.urls[0].max_chars",
            "100",
        ),
        (
            {**_base(), "checks": {"balance": {"margin_ratio_critical": 1.5}}},
            "checks.balance.margin_ratio_critical",
            "1.5",
        ),
        ({**_base(), "checks": {"clok": {}}}, "checks.clok", "unknown key"),
        (_base(recv_window_ms=70000), "accounts[0].recv_window_ms", "70000"),
        (_base(min_available={"USDT": -1}), "accounts[0].min_available.USDT", "-1"),
        (_base(spot_url="https://api.binance.com/api"), "accounts[0].spot_url", "base URL only"),
        (_base(api_key_env="X"), "accounts[0].api_key", "only one of"),
        (
            {"accounts": [{"name": "a b", "api_key": "A" * 64, "api_secret": "S"}]},
            "accounts[0].name",
            "'a b'",
        ),
        ({"accounts": {"name": "x"}}, "accounts", "[[accounts]]"),
        ({**_base(), "ntp": {"servers": ["host:port"]}}, "ntp.servers[0]", "'port'"),
    ],
)
def test_bad_value_names_key_and_value(data, key, value):
    with pytest.raises(ConfigError) as exc:
        parse_config(data, env={})
    assert any(key in p and value in p for p in exc.value.problems), exc.value.problems


def test_all_problems_are_reported_at_once():
    data = {"daemon": {"interval": -1, "bogus": 1}, "accounts": [{"name": "x"}]}
    with pytest.raises(ConfigError) as exc:
        parse_config(data, env={})
    assert len(exc.value.problems) >= 4


def test_testnet_switch_uses_testnet_urls():
    cfg = parse_config(_base(testnet=True), env={})
    assert cfg.accounts[0].base_url("spot") == cfgmod.TESTNET_SPOT_URL
    assert cfg.accounts[0].base_url("usdm") == cfgmod.TESTNET_FUTURES_URL
    assert cfg.accounts[0].base_url("coinm") == "https://testnet.binancefuture.com"
    assert cfg.accounts[0].pm is False  # no Portfolio Margin on the testnet


def test_state_dir_defaults_to_systemd_state_directory(monkeypatch, tmp_path):
    monkeypatch.setenv("STATE_DIRECTORY", str(tmp_path / "sd"))
    cfg = parse_config(_base(), env={})
    assert cfg.state_dir() == tmp_path / "sd"


def test_secret_values_never_in_repr():
    cfg = parse_config(_base(), env={})
    assert "S" * 64 not in repr(cfg) and "A" * 64 not in repr(cfg)


def test_group_readable_private_key_file_is_refused(tmp_path):
    from Crypto.PublicKey import ECC

    pem = tmp_path / "ed.pem"
    pem.write_text(ECC.generate(curve="ed25519").export_key(format="PEM"))
    pem.chmod(0o644)
    data = {"accounts": [{"name": "main", "api_key": "A" * 64, "private_key_file": str(pem)}]}
    with pytest.raises(ConfigError) as exc:
        parse_config(data, env={})
    assert any(
        "private_key_file" in p and "0644" in p and "chmod 600" in p for p in exc.value.problems
    ), exc.value.problems
    pem.chmod(0o600)
    assert parse_config(data, env={}).accounts[0].private_key is not None


def test_crlf_ed25519_key_is_accepted(tmp_path):
    """python-binance takes a >120-char key for RSA; CRLF line ends push Ed25519 over that."""
    from Crypto.PublicKey import ECC

    pem = tmp_path / "ed.pem"
    pem.write_bytes(
        ECC.generate(curve="ed25519").export_key(format="PEM").replace("\n", "\r\n").encode()
    )
    pem.chmod(0o600)
    data = {"accounts": [{"name": "main", "api_key": "A" * 64, "private_key_file": str(pem)}]}
    key = parse_config(data, env={}).accounts[0].private_key.reveal()
    assert "\r" not in key and len(key) <= 120
