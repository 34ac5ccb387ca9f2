"""A real freqtrade (pinned, in a venv of its own) run against the simulator, for real-bot tests.

The venv is built once per version into ``/var/cache/binance-healthcheck/freqtrade-<version>``
(``~/.cache/binance-healthcheck/`` when that is not writable; ``.ci/run`` builds it before the
tests; ``BHC_FREQTRADE_VENV`` points elsewhere, ``BHC_FREQTRADE_SKIP`` skips) and reused: a
``.complete`` marker is written last, so a half-built venv is rebuilt. Where it cannot be built
(no registry), the tests skip with the reason. Only the URLs of freqtrade's config point at the
simulator; the strategy enters on every candle at the other side of the book, so orders go out
and fill at once, and exits on its own signal a few seconds later.
"""

from __future__ import annotations

import fcntl
import json
import os
import re
import shutil
import signal
import subprocess
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

VERSION = "2026.9"
CACHE = Path(os.environ.get("BHC_NSPAWN_CACHE", "/var/cache/binance-healthcheck"))

# ccxt 4.5's Binance URL keys (freqtrade's ccxt_config is deep-merged into ccxt's own urls)
CCXT_API_PATHS = {
    "public": "/api/v3", "private": "/api/v3", "v1": "/api/v1", "v3": "/api/v3",
    "sapi": "/sapi/v1", "sapiV2": "/sapi/v2", "sapiV3": "/sapi/v3", "sapiV4": "/sapi/v4",
    "fapiPublic": "/fapi/v1", "fapiPublicV2": "/fapi/v2", "fapiPublicV3": "/fapi/v3",
    "fapiPrivate": "/fapi/v1", "fapiPrivateV2": "/fapi/v2", "fapiPrivateV3": "/fapi/v3",
    "fapiData": "/futures/data",
    "dapiPublic": "/dapi/v1", "dapiPrivate": "/dapi/v1", "dapiPrivateV2": "/dapi/v2",
    "dapiData": "/futures/data",
    "papi": "/papi/v1", "papiV2": "/papi/v2",
}  # fmt: skip

# Enters long on every candle at the other side of the book (the ask: a limit entry that fills at
# once), except for the pairs in the config's "bhc_unfilled_pairs", whose entries rest below the
# market until freqtrade cancels them on its unfilled timeout. A filled trade gets a stoploss on
# the exchange and exits by the strategy's own signal (custom_exit) after "bhc_exit_after_seconds".
STRATEGY = """
from datetime import datetime
from pandas import DataFrame
from freqtrade.strategy import IStrategy


class EnterAtOnce(IStrategy):
    INTERFACE_VERSION = 3
    timeframe = "1m"
    can_short = False
    minimal_roi = {"0": 10}
    stoploss = -0.10
    startup_candle_count = 1
    process_only_new_candles = False
    order_types = {
        "entry": "limit", "exit": "limit", "stoploss": "limit",
        "stoploss_on_exchange": True, "stoploss_on_exchange_interval": 60,
    }

    def populate_indicators(self, dataframe: DataFrame, metadata: dict) -> DataFrame:
        return dataframe

    def populate_entry_trend(self, dataframe: DataFrame, metadata: dict) -> DataFrame:
        dataframe["enter_long"] = 1
        return dataframe

    def populate_exit_trend(self, dataframe: DataFrame, metadata: dict) -> DataFrame:
        dataframe["exit_long"] = 0
        return dataframe

    def custom_entry_price(self, pair, trade, current_time, proposed_rate, entry_tag, side,
                           **kwargs):
        if pair in self.config.get("bhc_unfilled_pairs", []):
            return proposed_rate * 0.99
        return proposed_rate

    def custom_exit(self, pair, trade, current_time: datetime, current_rate, current_profit,
                    **kwargs):
        after = float(self.config.get("bhc_exit_after_seconds", 8))
        if (current_time - trade.open_date_utc).total_seconds() >= after:
            return "bhc_time_exit"
        return None
"""


def default_venv_path() -> Path:
    """The cache .ci/run uses: /var/cache/... as root (or where writable), else ~/.cache/..."""
    shared = CACHE / f"freqtrade-{VERSION}"
    if shared.exists() or os.geteuid() == 0 or os.access(CACHE, os.W_OK):
        return shared
    home = Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache"))
    return home / "binance-healthcheck" / f"freqtrade-{VERSION}"


def venv() -> Path:
    """Return the freqtrade venv, building it on first use; skip the test when that cannot work.
    Test workers (pytest-xdist) that need it at once take turns on a lock file: one builds."""
    reason = os.environ.get("BHC_FREQTRADE_SKIP")
    if reason:
        pytest.skip(reason)
    path = Path(os.environ.get("BHC_FREQTRADE_VENV", default_venv_path()))
    if (path / ".complete").exists():
        return path
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        lock = open(path.parent / f".{path.name}.lock", "w")  # noqa: SIM115 - held until built
    except OSError as exc:
        pytest.skip(f"freqtrade=={VERSION}: cannot use {path.parent}: {exc}")
    with lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if (path / ".complete").exists():  # another worker built it meanwhile
            return path
        return _build(path)


def _build(path: Path) -> Path:
    if path.exists():
        shutil.rmtree(path, ignore_errors=True)  # half-built: a venv cannot be repaired in place
    try:
        subprocess.run(
            ["python3", "-m", "venv", str(path)], check=True, capture_output=True, timeout=120
        )
        subprocess.run(
            [
                str(path / "bin" / "pip"),
                "install",
                "-q",
                "--disable-pip-version-check",
                f"freqtrade=={VERSION}",
            ],
            check=True,
            capture_output=True,
            timeout=900,
        )
    except (OSError, subprocess.SubprocessError) as exc:
        err = getattr(exc, "stderr", b"") or b""
        tail = err.decode(errors="replace").strip().splitlines()[-1:] if err else [str(exc)]
        shutil.rmtree(path, ignore_errors=True)
        pytest.skip(f"freqtrade=={VERSION} could not be installed into {path}: {tail[0]}")
    (path / ".complete").write_text(VERSION + "\n")
    return path


def ccxt_urls(sim_url: str) -> dict[str, Any]:
    return {"urls": {"api": {k: sim_url + p for k, p in CCXT_API_PATHS.items()}}}


def config(
    sim_url: str,
    api_key: str,
    api_secret: str,
    *,
    trading_mode: str = "spot",
    margin_mode: str | None = None,
    pairs: tuple[str, ...] = ("BTC/USDT",),
    stake_amount: float | str = 200,
    api_port: int | None = None,
    api_password: str = "not-a-real-password-0",
    **extra: Any,
) -> dict[str, Any]:
    """Given the simulator's URL and an account, return a live (``dry_run: false``) config."""
    cfg: dict[str, Any] = {
        "trading_mode": trading_mode,
        "max_open_trades": 2,
        "stake_currency": "USDT",
        "stake_amount": stake_amount,
        "tradable_balance_ratio": 0.99,
        "dry_run": False,
        "cancel_open_orders_on_exit": False,
        "timeframe": "1m",
        "unfilledtimeout": {"entry": 10, "exit": 10, "exit_timeout_count": 0, "unit": "seconds"},
        # the other side of the book: entries and exits cross it and fill. Binance futures
        # tickers have no bid/ask, so freqtrade prices from the order book there.
        "entry_pricing": {
            "price_side": "other",
            "use_order_book": True,
            "order_book_top": 1,
            "price_last_balance": 0.0,
        },
        "exit_pricing": {"price_side": "other", "use_order_book": True, "order_book_top": 1},
        "exchange": {
            "name": "binance",
            "key": api_key,
            "secret": api_secret,
            "enable_ws": False,
            "ccxt_config": ccxt_urls(sim_url),
            "ccxt_async_config": ccxt_urls(sim_url),
            "pair_whitelist": list(pairs),
            "pair_blacklist": [],
        },
        "pairlists": [{"method": "StaticPairList"}],
        "telegram": {"enabled": False, "token": "", "chat_id": ""},
        "bot_name": "bhc-test",
        "initial_state": "running",
        "force_entry_enable": False,
        "internals": {"process_throttle_secs": 1, "heartbeat_interval": 60},
    }
    if margin_mode:
        cfg["margin_mode"] = margin_mode
    if api_port is not None:
        cfg["api_server"] = {
            "enabled": True, "listen_ip_address": "127.0.0.1", "listen_port": api_port,
            "verbosity": "error", "enable_openapi": False, "jwt_secret_key": "0" * 32,
            "CORS_origins": [], "username": "bhc", "password": api_password,
        }  # fmt: skip
    cfg.update(extra)
    return cfg


class FreqtradeRun:
    """``freqtrade trade`` as a subprocess with its own user_data dir; its log is a file.

    Use as a context manager; ``wait_for(pattern)`` waits for a log line (an event, not a sleep).
    """

    def __init__(self, workdir: Path, cfg: dict[str, Any], strategy: str = STRATEGY) -> None:
        self.workdir = workdir
        self.cfg = cfg
        self.strategy = strategy
        self.log_path = workdir / "freqtrade.log"
        self.config_path = workdir / "config.json"
        self.proc: subprocess.Popen[bytes] | None = None

    def __enter__(self) -> FreqtradeRun:
        env_dir = venv()
        user_data = self.workdir / "user_data"
        (user_data / "strategies").mkdir(parents=True, exist_ok=True)
        (user_data / "strategies" / "enter_at_once.py").write_text(self.strategy)
        self.config_path.write_text(json.dumps(self.cfg, indent=2))
        # FREQTRADE__* would override the config; with PYTEST_VERSION set (pytest sets it for its
        # children too) freqtrade skips its logging set-up and --logfile stays empty.
        env = {k: v for k, v in os.environ.items() if not k.startswith(("FREQTRADE__", "PYTEST_"))}
        cmd = [
            str(env_dir / "bin" / "freqtrade"), "trade", "--config", str(self.config_path),
            "--strategy", "EnterAtOnce", "--userdir", str(user_data),
            "--db-url", f"sqlite:///{self.workdir / 'trades.sqlite'}",
            "--logfile", str(self.log_path),
        ]  # fmt: skip
        self.out_path = self.workdir / "freqtrade.out"  # stdout/stderr: what comes before the log
        with self.out_path.open("wb") as out:
            self.proc = subprocess.Popen(
                cmd,
                cwd=self.workdir,
                env=env,
                stdout=out,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                start_new_session=True,
            )
        return self

    def output(self) -> str:
        """freqtrade's stdout and stderr (argument errors and crashes before logging starts)."""
        try:
            return self.out_path.read_text(errors="replace")
        except (AttributeError, FileNotFoundError):
            return ""

    def log(self) -> str:
        try:
            return self.log_path.read_text(errors="replace")
        except FileNotFoundError:
            return ""

    def wait_for(self, pattern: str | Callable[[], bool], timeout: float = 60) -> str:
        """Wait until ``pattern`` (a regex on the log, or a predicate) holds; return the log."""
        deadline = time.monotonic() + timeout
        while True:
            text = self.log()
            ok = pattern() if callable(pattern) else re.search(pattern, text, re.M)
            if ok:
                return text
            if self.proc is not None and self.proc.poll() is not None and not callable(pattern):
                raise AssertionError(
                    f"freqtrade exited ({self.proc.returncode}) before "
                    f"{pattern!r}; log tail:\n{text[-3000:]}\n"
                    f"output tail:\n{self.output()[-2000:]}"
                )
            if time.monotonic() > deadline:
                raise AssertionError(
                    f"no {pattern!r} in freqtrade's log within {timeout} s; "
                    f"log tail:\n{text[-3000:]}"
                )
            time.sleep(0.2)

    def stop(self) -> None:
        if self.proc is None or self.proc.poll() is not None:
            return
        os.killpg(self.proc.pid, signal.SIGINT)
        try:
            self.proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait()

    def __exit__(self, *exc: object) -> None:
        self.stop()
