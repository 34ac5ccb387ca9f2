"""The check registry: the one list of checks, in evaluation order (an explicit table, no magic).

Everything else is derived from it: check ids, the ``[checks.<id>]`` config sections and their
defaults, ``--only``, per-check intervals, ``plan`` and the example config. Adding a check
touches its module, its tests, one line here, its section in config.example.toml and one README
row (tests/checks/test_registry.py fails when a doc is missing).
"""

from __future__ import annotations

from typing import Any

from healthcheck.checks.api_key import ApiKeyCheck
from healthcheck.checks.balance import BalanceCheck
from healthcheck.checks.base import Check, CheckSettings
from healthcheck.checks.bot_alive import BotAliveCheck
from healthcheck.checks.bot_errors import BotErrorsCheck
from healthcheck.checks.clock import ClockCheck
from healthcheck.checks.leverage import LeverageCheck
from healthcheck.checks.open_orders import OpenOrdersCheck
from healthcheck.checks.position_mode import PositionModeCheck
from healthcheck.checks.rate_limit import RateLimitCheck
from healthcheck.checks.symbols import SymbolsCheck
from healthcheck.checks.system_status import SystemStatusCheck
from healthcheck.checks.trading_status import TradingStatusCheck

REGISTRY: tuple[type[Any], ...] = (
    ClockCheck,
    ApiKeyCheck,
    PositionModeCheck,
    TradingStatusCheck,
    BalanceCheck,
    SymbolsCheck,
    OpenOrdersCheck,
    LeverageCheck,
    SystemStatusCheck,
    RateLimitCheck,  # it reads the weight headers of everything fetched before
    BotAliveCheck,  # no Binance request: the bot's log, unit and REST API
    BotErrorsCheck,  # last: it quotes the other checks' results
)

BY_ID: dict[str, type[Any]] = {}
for _cls in REGISTRY:
    if _cls.id in BY_ID:  # one source of truth: a duplicate id is a programming error
        raise RuntimeError(f"check id {_cls.id!r} is registered twice")
    BY_ID[_cls.id] = _cls

CHECK_IDS: tuple[str, ...] = tuple(BY_ID)


def default_settings() -> dict[str, CheckSettings]:
    return {cls.id: cls.Settings() for cls in REGISTRY}


def build_checks(settings: Any, only: set[str] | None = None) -> list[Check]:
    """Given the [checks] settings, return the enabled check objects in evaluation order."""
    out = []
    for cls in REGISTRY:
        s = settings.get(cls.id)
        if not s.enabled or (only is not None and cls.id not in only):
            continue
        out.append(cls(s))
    return out


EXAMPLE_BEGIN = (
    "# ---- [checks.*]: generated from the check registry (binance-healthcheck config checks)"
)
EXAMPLE_END = "# ---- end of the generated [checks.*] sections"


def _toml_value(value: Any, default_interval: float) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if value is None:
        return f"{default_interval:g}"
    if isinstance(value, str):
        return f'"{value}"'
    return f"{value:g}" if isinstance(value, float) else str(value)


def example_toml(default_interval: float = 60.0) -> str:
    """The documented ``[checks.<id>]`` sections of every registered check, with defaults and
    help text, as they stand in config.example.toml."""
    from healthcheck.checks.base import setting_fields

    lines = [EXAMPLE_BEGIN]
    for cls in REGISTRY:
        lines.append("")
        lines.append(f"[checks.{cls.id}]  # {cls.title}")
        for f in setting_fields(cls.Settings):
            help_text = str(f.metadata.get("help", ""))
            choices = f.metadata.get("choices")
            if choices:
                help_text += f" ({' | '.join(choices)})"
            lines.append(f"# {help_text}")
            lines.append(f"{f.name} = {_toml_value(f.default, default_interval)}")
    lines.append(EXAMPLE_END)
    return "\n".join(lines) + "\n"
