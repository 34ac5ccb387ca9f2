"""Acquisition for the bot_alive check: reads the state of each watched systemd unit
(``systemctl show``) and asks the bot's REST API (freqtrade's ping and health), then hands the
check a :class:`~healthcheck.bots.liveness.BotAliveFacts`. The only I/O of bot_alive; every
failure becomes a reason in the facts, never an exception.
"""

from __future__ import annotations

import logging
import os
import shutil
import subprocess
from typing import Any

from healthcheck.bots.freqtrade_api import BotApiError, FreqtradeApi
from healthcheck.bots.liveness import ApiFailure, ApiProbe, BotAliveFacts, UnitState
from healthcheck.storage.redact import scrub

log = logging.getLogger(__name__)

SYSTEMCTL_TIMEOUT_SECONDS = 5.0
UNIT_PROPERTIES = ("LoadState", "ActiveState", "SubState", "ExecMainStatus")


def unit_state(unit: str, timeout_seconds: float = SYSTEMCTL_TIMEOUT_SECONDS) -> UnitState:
    """Given a systemd unit name, return its state as ``systemctl show`` reports it (the error,
    one line, when systemctl is missing, fails or takes too long)."""
    systemctl = shutil.which("systemctl")
    if systemctl is None:
        return UnitState(unit, error="systemctl is not installed here", missing_systemctl=True)
    argv = [systemctl, "show", "--property=" + ",".join(UNIT_PROPERTIES), "--", unit]
    try:
        done = subprocess.run(
            argv,
            capture_output=True,
            timeout=timeout_seconds,
            stdin=subprocess.DEVNULL,
            env={**os.environ, "SYSTEMD_PAGER": "", "LC_ALL": "C"},
            check=False,
        )
    except subprocess.TimeoutExpired:
        return UnitState(unit, error=f"systemctl show did not answer in {timeout_seconds:g} s")
    except OSError as exc:
        return UnitState(unit, error=f"cannot run systemctl: {exc.strerror or exc}")
    out = done.stdout.decode("utf-8", "replace")
    props = dict(line.split("=", 1) for line in out.splitlines() if "=" in line)
    if done.returncode != 0 or "ActiveState" not in props:
        err = done.stderr.decode("utf-8", "replace").strip().splitlines()
        why = err[0] if err else f"exit status {done.returncode}"
        return UnitState(unit, error=f"systemctl show failed: {scrub(why)[:200]}")
    status: int | None
    try:
        status = int(props.get("ExecMainStatus", ""))
    except ValueError:
        status = None
    return UnitState(
        unit,
        load_state=props.get("LoadState", ""),
        active_state=props.get("ActiveState", ""),
        sub_state=props.get("SubState", ""),
        exec_main_status=status,
    )


def probe_api(bot_api: Any, timeout_seconds: float) -> ApiProbe:
    """Given an account's ``bot_api`` settings, return what freqtrade's ping and health say."""
    api = FreqtradeApi(
        bot_api.url,
        bot_api.username,
        bot_api.password.reveal(),
        timeout_seconds=timeout_seconds,
    )
    try:
        api.ping()
        h = api.health()
    except BotApiError as exc:
        return ApiProbe(api.url, bot_api.stale_after, failure=exc.kind, reason=scrub(str(exc)))
    except Exception as exc:  # noqa: BLE001 - errors never escape a check's acquisition
        log.warning("asking the bot's API at %s failed: %s", api.url, scrub(repr(exc)))
        return ApiProbe(
            api.url,
            bot_api.stale_after,
            failure=ApiFailure.MALFORMED,
            reason=f"{api.url}: unexpected error ({type(exc).__name__})",
        )
    finally:
        api.close()
    return ApiProbe(
        api.url,
        bot_api.stale_after,
        last_process_ts=h.last_process_ts,
        bot_start_ts=h.bot_start_ts,
        bot_startup_ts=h.bot_startup_ts,
    )


def gather(account: Any, watcher: Any, timeout_seconds: float) -> BotAliveFacts | None:
    """Given an account, the log watcher (None without [[watch]]) and the request timeout, return
    the facts of bot_alive (None when the account has neither a watched log nor ``bot_api``)."""
    sources = watcher.silences_for(account.name) if watcher is not None else []
    units = watcher.units_for(account.name) if watcher is not None else []
    bot_api = getattr(account, "bot_api", None)
    if not any(s.stale_after for s in sources) and not units and bot_api is None:
        return None  # nothing asked for: a [[watch]] without stale_after only reads errors
    return BotAliveFacts(
        sources=sources,
        units=[unit_state(u) for u in dict.fromkeys(units)],
        api=probe_api(bot_api, timeout_seconds) if bot_api is not None else None,
    )
