"""The check registry: check id -> the class that implements it (an explicit table, no magic).

Adding a check touches its module, its tests, one line here, its section in
config.example.toml and one README row.
"""

from __future__ import annotations

from typing import Any

from healthcheck.checks.api_key import ApiKeyCheck
from healthcheck.checks.balance import BalanceCheck
from healthcheck.checks.bot_errors import BotErrorsCheck
from healthcheck.checks.clock import ClockCheck
from healthcheck.checks.position_mode import PositionModeCheck
from healthcheck.checks.rate_limit import RateLimitCheck
from healthcheck.checks.system_status import SystemStatusCheck
from healthcheck.checks.trading_status import TradingStatusCheck
from healthcheck.config import ChecksConfig

REGISTRY: dict[str, type] = {
    "clock": ClockCheck,
    "api_key": ApiKeyCheck,
    "position_mode": PositionModeCheck,
    "trading_status": TradingStatusCheck,
    "balance": BalanceCheck,
    "system_status": SystemStatusCheck,
    "rate_limit": RateLimitCheck,  # last: it reads the headers of everything fetched before
}
# evaluated after REGISTRY's checks (it quotes their results), per [[watch]] account
LOG_CHECKS: dict[str, type] = {"bot_errors": BotErrorsCheck}


def build_checks(cfg: ChecksConfig, only: set[str] | None = None) -> list[Any]:
    """Given the [checks] settings, return the enabled check objects in evaluation order."""
    out = []
    for check_id, cls in REGISTRY.items():
        settings = cfg.get(check_id)
        if not settings.enabled or (only is not None and check_id not in only):
            continue
        out.append(cls(settings))
    return out
