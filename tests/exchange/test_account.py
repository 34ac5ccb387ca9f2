"""``healthcheck.exchange.account``: AccountConfig is plain data in a leaf module (issue 20)."""

from __future__ import annotations

import subprocess
import sys

from healthcheck.exchange.account import AccountConfig
from healthcheck.storage.secrets import Secret


def test_importing_account_config_loads_no_check_config_or_network_code() -> None:
    """A check imports AccountConfig; that must not pull in the config loader, the check
    registry, the bots' readers or python-binance (the cycle issue 20 removed)."""
    code = (
        "import sys, healthcheck.exchange.account\n"
        "mods = (m for m in sys.modules if m.startswith(('healthcheck', 'binance')))\n"
        "print(' '.join(sorted(mods)))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    loaded = set(out.stdout.split())
    assert "healthcheck.exchange.account" in loaded
    assert not {
        m
        for m in loaded
        if m.startswith(("healthcheck.config", "healthcheck.checks", "healthcheck.bots", "binance"))
    }, loaded
    assert loaded <= {
        "healthcheck",
        "healthcheck.exchange",
        "healthcheck.exchange.account",
        "healthcheck.model",
        "healthcheck.model.markets",
        "healthcheck.storage",
        "healthcheck.storage.secrets",
        "healthcheck.storage.redact",
    }, loaded


def test_an_account_runs_every_registered_check_unless_it_lists_them() -> None:
    every = AccountConfig("a", Secret("k" * 64, "api key"))
    assert every.runs("clock") and every.runs("bot_alive")
    some = AccountConfig("a", Secret("k" * 64, "api key"), checks=("clock",))
    assert some.runs("clock") and not some.runs("balance")
    assert "k" * 64 not in repr(some)
