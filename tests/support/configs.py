"""Writes real TOML config files pointing at the simulator, for CLI and runner tests."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any


def toml_value(v: Any) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, int | float):
        return repr(v)
    if isinstance(v, str):
        return '"' + v.replace("\\", "\\\\").replace('"', '\\"') + '"'
    if isinstance(v, list | tuple):
        return "[" + ", ".join(toml_value(x) for x in v) + "]"
    if isinstance(v, dict):
        return "{ " + ", ".join(f"{k} = {toml_value(x)}" for k, x in v.items()) + " }"
    raise TypeError(type(v))


def write_config(
    path: Path,
    *,
    sim_url: str,
    accounts: list[dict[str, Any]],
    ntp: list[str] | None = None,
    state_dir: Path | None = None,
    sections: dict[str, dict[str, Any]] | None = None,
    mode: int = 0o600,
) -> Path:
    """Given account tables (name, api_key, api_secret, ...), write a config file and return it.

    Accounts default to both markets on the simulator, one-way mode, recvWindow 5000.
    """
    lines: list[str] = []
    sections = dict(sections or {})
    # every check every second needs ~1300 weight/min on /fapi for one account: the whole limit
    # as budget keeps the tests' 1 s schedule unstretched (tests of the budget set their share)
    daemon: dict[str, Any] = {"interval": 1, "request_timeout": 3, "weight_budget_share": 1.0}
    if state_dir is not None:
        daemon["state_dir"] = str(state_dir)
    daemon.update(sections.pop("daemon", {}))
    ntp_section = {"servers": ntp or [], "timeout": 0.5}
    ntp_section.update(sections.pop("ntp", {}))
    # tests run the daemon at 1 s: every check every tick unless a test says otherwise
    # (the order-side checks keep their default intervals: a test that wants them sets them)
    checks = {
        c: {"interval": 1}
        for c in (
            "clock",
            "api_key",
            "position_mode",
            "trading_status",
            "balance",
            "rate_limit",
            "system_status",
        )
    }
    for c, table in sections.pop("checks", {}).items():
        checks[c] = {**checks.get(c, {}), **table}
    all_sections = {"daemon": daemon, "ntp": ntp_section, **sections, "checks": checks}
    for name, table in all_sections.items():
        lines.append(f"[{name}]")
        for k, v in table.items():
            lines.append(f"{k} = {toml_value(v)}")
        lines.append("")
    for acc in accounts:
        acc = {
            "markets": ["spot", "usdm"],
            "spot_url": sim_url,
            "futures_url": sim_url,
            "coinm_url": sim_url,
            "papi_url": sim_url,
            **acc,
        }
        acc = {k: v for k, v in acc.items() if v is not None}  # None: leave the key out
        lines.append("[[accounts]]")
        for k, v in acc.items():
            lines.append(f"{k} = {toml_value(v)}")
        lines.append("")
    path.write_text("\n".join(lines))
    os.chmod(path, mode)
    return path
