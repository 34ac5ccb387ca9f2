"""One in-process run of the checks against the simulator, and picking a result out of it."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from healthcheck.config import load_config
from healthcheck.engine.runner import Report, Runner
from healthcheck.storage.state import StateDB


def run_once(config_path: Path, only: set[str] | None = None) -> Report:
    """Given a config file, run the (given) checks once with a real state dir; return the report."""
    cfg = load_config(config_path)
    state = StateDB.open(cfg.state_dir())
    runner = Runner(cfg, state)
    try:
        return runner.run(only)
    finally:
        runner.close()
        state.close()


def result(report: Report, check: str, account: str = "main") -> Any:
    found = [r for r in report.results if r.check == check and r.account == account]
    assert found, f"no {check} result for {account}: {[r.check for r in report.results]}"
    return found[0]
