"""What tells whether a trading bot is still alive: when each watched log last wrote a line, the
state of its systemd unit, and what the bot's own REST API says (freqtrade's ``/api/v1/ping``
and ``/api/v1/health``).

Plain data only (no I/O, no third-party import): the log watcher and :mod:`healthcheck.bots.probe`
fill these in, and the ``bot_alive`` check evaluates them.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field


@dataclass(frozen=True)
class SourceSilence:
    """One watched log source of an account: when it last wrote a line (None: no line seen since
    ``watching_since``, when this process started to follow it)."""

    label: str
    stale_after: float | None
    last_line_ts: float | None
    watching_since: float
    problem: str | None = None  # why the source cannot be read now, if it cannot


@dataclass(frozen=True)
class UnitState:
    """``systemctl show`` of a watched unit; ``error`` says why it could not be read."""

    unit: str
    load_state: str = ""
    active_state: str = ""
    sub_state: str = ""
    exec_main_status: int | None = None
    error: str | None = None
    missing_systemctl: bool = False


class ApiFailure(enum.Enum):
    """How a request to the bot's REST API failed (one reason each)."""

    UNREACHABLE = "unreachable"  # connection refused, reset, DNS: nothing answers
    TIMEOUT = "timeout"  # connected (or not) but no answer within the timeout
    AUTH = "auth"  # 401/403: the credentials are refused
    HTTP = "http"  # another non-2xx status
    MALFORMED = "malformed"  # not the JSON freqtrade sends


@dataclass(frozen=True)
class ApiProbe:
    """What the bot's REST API said in one run: ``failure`` and its one-line ``reason`` when a
    request failed; else the health fields (seconds since the epoch; None when freqtrade has not
    processed yet)."""

    url: str  # without credentials
    stale_after: float
    failure: ApiFailure | None = None
    reason: str = ""
    last_process_ts: float | None = None
    bot_start_ts: float | None = None
    bot_startup_ts: float | None = None


@dataclass(frozen=True)
class BotAliveFacts:
    """Everything the bot_alive check judges for one account at one run."""

    sources: list[SourceSilence] = field(default_factory=list)
    units: list[UnitState] = field(default_factory=list)
    api: ApiProbe | None = None
