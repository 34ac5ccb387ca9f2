"""The registry is the one source of truth: config sections, ids, docs and the plan follow it."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

from healthcheck.checks import BY_ID, CHECK_IDS, REGISTRY, example_toml
from healthcheck.checks.base import CheckSettings, setting_fields
from healthcheck.config import ChecksConfig, ConfigError, parse_config
from healthcheck.engine.plan import build_plan
from healthcheck.exchange.endpoints import ENDPOINTS
from tests.checks.factbook import account

ROOT = Path(__file__).resolve().parents[2]


def test_ids_are_unique_and_settings_are_check_settings():
    assert len(CHECK_IDS) == len(set(CHECK_IDS)) == len(REGISTRY)
    for cls in REGISTRY:
        assert issubclass(cls.Settings, CheckSettings), cls.id
        assert cls.title and isinstance(cls.roles, tuple)
        for f in setting_fields(cls.Settings):
            assert f.metadata.get("help"), f"{cls.id}.{f.name} has no help text"


def test_every_registered_check_is_in_config_example_as_generated():
    text = (ROOT / "config.example.toml").read_text()
    assert example_toml() in text, "run: binance-healthcheck config checks, and paste it"
    for cid in CHECK_IDS:
        assert f"[checks.{cid}]" in text


def test_every_registered_check_has_a_row_in_the_readme_checks_table():
    readme = (ROOT / "README.md").read_text()
    rows = set(re.findall(r"^\| `([a-z_]+)`[^|]*\|", readme, re.M))
    missing = [cid for cid in CHECK_IDS if cid not in rows]
    assert missing == []


def test_every_declared_request_names_a_known_endpoint():
    acc = account(
        symbols={"spot": ("ETHUSDT",), "usdm": ("BTCUSDT",)}, test_order_symbols=("BTCUSDT",)
    )
    from decimal import Decimal

    acc = type(acc)(**{**acc.__dict__, "order_size": {"default": Decimal(50)}})
    for cls in REGISTRY:
        for req in cls(cls.Settings()).needs(acc):
            assert req.endpoint in ENDPOINTS, (cls.id, req.endpoint)


def test_config_sections_come_from_the_registry():
    base = {"accounts": [{"name": "a", "api_key": "k" * 64, "api_secret": "s" * 64}]}
    cfg = parse_config({**base, "checks": {"leverage": {"warning": 0.5, "interval": 30}}})
    assert cfg.checks.get("leverage").warning == 0.5
    assert isinstance(cfg.checks, ChecksConfig) and set(CHECK_IDS) == {
        k for k, _ in cfg.checks.items()
    }
    with pytest.raises(ConfigError) as exc:
        parse_config(
            {**base, "checks": {"leverage": {"warnign": 0.5}, "symbols": {"price_margin": 2}}}
        )
    text = "\n".join(exc.value.problems)
    assert "checks.leverage.warnign: unknown key" in text
    assert "checks.symbols.price_margin: must be at most 0.9" in text


def test_cross_field_problems_are_reported_by_the_settings_themselves():
    base = {"accounts": [{"name": "a", "api_key": "k" * 64, "api_secret": "s" * 64}]}
    with pytest.raises(ConfigError) as exc:
        parse_config({**base, "checks": {"rate_limit": {"warning": 0.95, "critical": 0.9}}})
    assert any("checks.rate_limit.warning" in p for p in exc.value.problems)


def test_only_accepts_every_registered_id_and_names_them_when_wrong(tmp_path):
    from healthcheck.cli import _parse_only

    assert _parse_only(",".join(CHECK_IDS)) == set(CHECK_IDS)
    with pytest.raises(ValueError) as exc:
        _parse_only("clock,nope")
    assert all(cid in str(exc.value) for cid in BY_ID)


def test_plan_merges_requests_public_once_per_host_signed_per_account():
    base = {
        "name": "a",
        "api_key": "k" * 64,
        "api_secret": "s" * 64,
        "markets": ["usdm"],
        "symbols": ["BTCUSDT"],
        "order_size": 200,
        "futures_url": "http://h:1",
    }
    cfg = parse_config({"accounts": [base, {**base, "name": "b", "api_key": "j" * 64}]})
    plan = build_plan(cfg)
    marks = [p for p in plan.requests if p.request.endpoint == "fapi.markPrice"]
    assert len(marks) == 1 and marks[0].readers == {"a", "b"}
    accs = [p for p in plan.requests if p.request.endpoint == "fapi.accountConfig"]
    assert sorted(p.account for p in accs) == ["a", "b"]
    # accountConfig serves api_key, position_mode and trading_status: sent once per account
    assert accs[0].checks >= {"api_key", "position_mode", "trading_status"}
    assert len(plan.exchange) == 1 and plan.exchange[0].symbols == {"BTCUSDT"}


def test_config_checks_command_prints_the_generated_block():
    p = subprocess.run(
        [sys.executable, "-m", "healthcheck", "config", "checks"],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=60,
    )
    assert p.returncode == 0 and p.stdout == example_toml()


def test_checks_and_their_types_import_no_third_party_package():
    """A check module (and fetch/weights/markets/endpoints/plan) must import without
    python-binance, aiohttp, apprise, requests or APScheduler being importable at all."""
    code = (
        "import sys\n"
        "class Block:\n"
        "    def find_spec(self, name, path=None, target=None):\n"
        "        if name.split('.')[0] in {'binance', 'aiohttp', 'apprise', 'requests', "
        "'apscheduler', 'ntplib', 'Crypto', 'prometheus_client'}:\n"
        "            raise ImportError('blocked: ' + name)\n"
        "sys.meta_path.insert(0, Block())\n"
        "import healthcheck.checks, healthcheck.exchange.fetch, healthcheck.exchange.weights, "
        "healthcheck.model.markets, healthcheck.exchange.endpoints, healthcheck.engine.plan\n"
        "print('ok')\n"
    )
    p = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, timeout=60
    )
    assert p.returncode == 0 and p.stdout.strip() == "ok", p.stderr[-2000:]


def test_plan_needs_no_secret_and_prints_no_proxy_password(tmp_path):
    cfg = tmp_path / "c.toml"
    cfg.write_text(
        '[[accounts]]\nname = "main"\napi_key_env = "NOT_SET_ANYWHERE"\n'
        'api_secret_file = "/nonexistent/secret"\nmarkets = ["spot", "usdm"]\n'
        'futures_url = "http://bob:s3cretProxyPass@127.0.0.1:3128"\n'
        'spot_url = "http://bob:s3cretProxyPass@127.0.0.1:3128"\n'
        'symbols = ["BTCUSDT"]\norder_size = 50\n'
    )
    for args in ([], ["--json"]):
        p = subprocess.run(
            [sys.executable, "-m", "healthcheck", "plan", "--config", str(cfg), *args],
            capture_output=True,
            text=True,
            cwd=ROOT,
            timeout=60,
        )
        assert p.returncode == 0, p.stderr
        assert "s3cretProxyPass" not in p.stdout + p.stderr
        assert "/fapi/v1/premiumIndex" in p.stdout and "127.0.0.1:3128" in p.stdout
