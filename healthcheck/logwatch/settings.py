"""The ``[[watch]]`` tables: which bot log to follow for which account, and how to judge it.

Parsed here (not in config.py) so the watcher's keys live next to the code that reads them;
config.py only calls :func:`parse_watch` and passes on the one-line problems it returns.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from healthcheck.model.result import Status

PRODUCTS = ("spot", "sapi", "usdm", "coinm")
DEFAULT_WINDOW = 300.0
DEFAULT_THRESHOLD = 1
_UNIT_RE = re.compile(r"^[A-Za-z0-9:_.@\\-]{1,256}$")
KEYS = (
    "account",
    "path",
    "command",
    "unit",
    "window",
    "threshold",
    "severity",
    "product",
    "stale_after",
)
# freqtrade logs "Bot heartbeat" every internals.heartbeat_interval (60 s by default,
# freqtrade/worker.py): three missed heartbeats mean the bot is stuck or dead
SUGGESTED_STALE_AFTER = 180
MAX_STALE_AFTER = 7 * 86400


@dataclass(frozen=True)
class WatchConfig:
    account: str
    path: Path | None = None
    command: tuple[str, ...] = ()
    unit: str | None = None
    window: float = DEFAULT_WINDOW
    threshold: int = DEFAULT_THRESHOLD
    severity: dict[int, Status] = field(default_factory=dict)  # per-code overrides
    product: str | None = None
    index: int = 0
    stale_after: float | None = None  # seconds without a line before bot_alive is CRITICAL

    @property
    def source_id(self) -> str:
        """A stable name for this source (the key of its stored position)."""
        if self.path is not None:
            return f"path:{self.path}"
        if self.unit is not None:
            return f"unit:{self.unit}"
        return "command:" + "\0".join(self.command)

    @property
    def label(self) -> str:
        if self.path is not None:
            return str(self.path)
        if self.unit is not None:
            return f"journal of {self.unit}"
        return "`" + " ".join(self.command) + "`"


Bad = Callable[[str, str], None]  # reports a problem: (key within the table, message)


def parse_watch(
    raw: Any, account_names: set[str] | None = None
) -> tuple[tuple[WatchConfig, ...], list[tuple[str, str]]]:
    """Given the TOML value of ``watch`` (an array of tables) and the configured account names,
    return the watch settings and the problems as (dotted key, message) pairs."""
    problems: list[tuple[str, str]] = []
    if raw is None:
        return (), problems
    if not isinstance(raw, list):
        return (), [("watch", "must be an array of tables: write [[watch]]")]
    out: list[WatchConfig] = []
    for i, table in enumerate(raw):
        if not isinstance(table, dict):
            problems.append((f"watch[{i}]", "must be a table"))
            continue
        got = _parse_table(i, table, account_names, problems)
        if got is not None:
            out.append(got)
    return tuple(out), problems


def _parse_table(
    i: int, table: dict[str, Any], account_names: set[str] | None, problems: list[tuple[str, str]]
) -> WatchConfig | None:
    """Given the i-th ``[[watch]]`` table, return its settings, or None after adding its
    problems to ``problems``."""
    pre = f"watch[{i}]"
    n_before = len(problems)

    def bad(key: str, msg: str) -> None:
        problems.append((f"{pre}.{key}", msg))

    for extra in sorted(set(table) - set(KEYS)):
        bad(str(extra), "unknown key (typo?)")
    account = _account(table, account_names, bad)
    sources = [k for k in ("path", "command", "unit") if k in table]
    if len(sources) != 1:
        problems.append(
            (
                pre,
                "needs exactly one of path, command or unit"
                + (f" (has {', '.join(sources)})" if sources else ""),
            )
        )
    path, command, unit = _path(table, bad), _command(table, bad), _unit(table, bad)
    window, threshold = _limits(table, bad)
    severity = _severity(table, bad)
    product = table.get("product")
    if product is not None and product not in PRODUCTS:
        bad("product", f"{product!r} must be one of {', '.join(PRODUCTS)}")
        product = None
    stale_after = _stale_after(table, bad)
    if len(problems) != n_before:
        return None
    return WatchConfig(
        account=account,
        path=path,
        command=command,
        unit=unit,
        window=window,
        threshold=threshold,
        severity=severity,
        product=product,
        index=i,
        stale_after=stale_after,
    )


def _account(table: dict[str, Any], account_names: set[str] | None, bad: Bad) -> str:
    account = table.get("account")
    if not isinstance(account, str) or not account:
        bad("account", "required: the name of the [[accounts]] entry whose bot writes this log")
        return ""
    if account_names is not None and account not in account_names:
        bad(
            "account",
            f"{account!r} is not a configured account "
            f"(known: {', '.join(sorted(account_names)) or 'none'})",
        )
    return account


def _path(table: dict[str, Any], bad: Bad) -> Path | None:
    if "path" not in table:
        return None
    p = table["path"]
    if not isinstance(p, str) or not p or "\0" in p:
        bad("path", "must be a file path")
        return None
    path = Path(p).expanduser()
    if not path.is_absolute():
        bad(
            "path",
            f"{p!r} must be an absolute path (the daemon's working directory is not yours)",
        )
    return path


def _command(table: dict[str, Any], bad: Bad) -> tuple[str, ...]:
    if "command" not in table:
        return ()
    c = table["command"]
    if (
        not isinstance(c, list)
        or not c
        or not all(isinstance(x, str) and x and "\0" not in x for x in c)
    ):
        bad(
            "command",
            'must be a non-empty array of strings, e.g. ["docker", "logs", '
            '"--follow", "--since", "0s", "freqtrade"]',
        )
        return ()
    return tuple(c)


def _unit(table: dict[str, Any], bad: Bad) -> str | None:
    if "unit" not in table:
        return None
    u = table["unit"]
    if not isinstance(u, str) or not _UNIT_RE.match(u):
        bad("unit", f"{str(u)[:60]!r} is not a systemd unit name")
        return None
    return u


def _limits(table: dict[str, Any], bad: Bad) -> tuple[float, int]:
    """Return the table's window and threshold (the defaults where one is bad)."""
    window = table.get("window", DEFAULT_WINDOW)
    if (
        isinstance(window, bool)
        or not isinstance(window, int | float)
        or not math.isfinite(window)
        or not 10 <= window <= 7 * 86400
    ):
        bad("window", f"{window!r} must be a number of seconds from 10 to 604800")
        window = DEFAULT_WINDOW
    threshold = table.get("threshold", DEFAULT_THRESHOLD)
    if isinstance(threshold, bool) or not isinstance(threshold, int) or threshold < 1:
        bad("threshold", f"{threshold!r} must be a whole number of occurrences, 1 or more")
        threshold = DEFAULT_THRESHOLD
    return float(window), threshold


def _stale_after(table: dict[str, Any], bad: Bad) -> float | None:
    stale_after = table.get("stale_after")
    if stale_after is not None and (
        isinstance(stale_after, bool)
        or not isinstance(stale_after, int | float)
        or not 1 <= stale_after <= MAX_STALE_AFTER  # NaN and inf fail too
    ):
        bad(
            "stale_after",
            f"{repr(stale_after)[:40]} must be a number of seconds from 1 to "
            f"{MAX_STALE_AFTER} (freqtrade: 3 x heartbeat_interval, "
            f"{SUGGESTED_STALE_AFTER} by default)",
        )
        stale_after = None
    return None if stale_after is None else float(stale_after)


def _severity(table: dict[str, Any], bad: Bad) -> dict[int, Status]:
    """Return the table's per-code severity overrides."""
    severity: dict[int, Status] = {}
    sev = table.get("severity", {})
    if not isinstance(sev, dict):
        bad("severity", 'must be a table like { "-2013" = "ok", "-1008" = "critical" }')
        return severity
    for k, v in sev.items():
        try:
            code = int(str(k))
        except ValueError:
            bad(
                f"severity.{k}",
                'the key must be a Binance code such as "-2013" or an HTTP status such as "403"',
            )
            continue
        try:
            severity[code] = Status.parse(str(v))
        except ValueError as exc:
            bad(f"severity.{k}", str(exc))
    return severity
