"""Inhibition: a root cause hides the follow-on results it explains (as in Alertmanager).

Given the latest result of every (account, check), :func:`inhibitions` returns which results are
explained by another, active one, and by which:

* ``rate_limit`` CRITICAL with a ban/pause (-1003): the other UNKNOWNs of that account whose
  request was refused or not sent because of it (they name the ban, -1003 or a banned host);
* ``system_status`` in Binance system maintenance: every other UNKNOWN of that account (connection
  failures, 5xx, timeouts during maintenance);
* ``api_key`` CRITICAL with -2015/-2014/-1022 (key rejected): every other UNKNOWN of that account,
  and results (e.g. test orders) failing only with those same codes;
* ``clock`` CRITICAL with -1021: results failing only with -1021, and UNKNOWNs that name -1021;
* ``bot_errors`` (codes seen in the bot's log): covered when another active check of the account
  already predicts each of those codes.

The covered results keep their state (so they alert once the root cause clears and they are still
bad); the root cause's alert lists what it covers.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass

from healthcheck.model.result import Result, Status

KEY_REJECTED = frozenset({-2015, -2014, -1022})
CLOCK_CODES = frozenset({-1021})
BOT_ERRORS = "bot_errors"
# how an UNKNOWN says its request was refused or held back by a ban / pause
_BAN_MARKERS = re.compile(r"-1003|HTTP 418|HTTP 429|\bbanned\b|\bpaused\b", re.IGNORECASE)

Key = tuple[str, str]


@dataclass(frozen=True)
class Cover:
    """Why a result does not alert on its own: the root cause that explains it."""

    root: Key  # (account, check) of the root cause
    reason: str  # e.g. "IP banned or paused (-1003)"

    def describe(self) -> str:
        return f"{self.root[1]} ({self.reason})"


def _root_reason(r: Result) -> tuple[str, frozenset[int], bool] | None:
    """Given a result, return (reason, codes it explains, whether it explains UNKNOWNs) if it is
    an active root cause, else None."""
    codes = set(r.codes)
    if (
        r.check == "rate_limit"
        and r.status is Status.CRITICAL
        and -1003 in codes
        and r.details.get("bans")
    ):
        return "IP banned or requests paused (-1003)", frozenset({-1003}), True
    if (
        r.check == "system_status"
        and r.status is not Status.OK
        and (r.metrics.get("maintenance") == 1 or r.details.get("status") not in (None, 0))
    ):
        return "Binance system maintenance", frozenset(), True
    if r.check == "api_key" and r.status is Status.CRITICAL and codes & KEY_REJECTED:
        rejected = frozenset(codes & KEY_REJECTED)
        return (f"API key rejected ({', '.join(str(c) for c in sorted(rejected))})", rejected, True)
    if r.check == "clock" and r.status is Status.CRITICAL and codes & CLOCK_CODES:
        return "clock outside recvWindow (-1021)", CLOCK_CODES, False
    return None


# order matters: a ban explains the most, then maintenance, then the key, then the clock
_ROOT_ORDER = ("rate_limit", "system_status", "api_key", "clock")


def inhibitions(latest: Mapping[Key, Result]) -> dict[Key, Cover]:
    """Given the latest result per (account, check), return {covered key: Cover}."""
    by_account: dict[str, dict[str, Result]] = {}
    for (account, check), r in latest.items():
        by_account.setdefault(account, {})[check] = r
    covered: dict[Key, Cover] = {}
    for account, results in by_account.items():
        roots: list[tuple[Result, str, frozenset[int], bool]] = []
        for check in _ROOT_ORDER:
            candidate = results.get(check)
            reason = _root_reason(candidate) if candidate is not None else None
            if candidate is not None and reason is not None:
                roots.append((candidate, *reason))
        root_checks = {root.check for root, *_ in roots}
        for check, r in results.items():
            if r.status is Status.OK or check in root_checks:
                continue
            cover = _covered_by(r, roots)
            if cover is None and check == BOT_ERRORS:
                cover = _bot_errors_cover(r, results)
            if cover is not None:
                covered[(account, check)] = cover
    return covered


def _covered_by(r: Result, roots: list[tuple[Result, str, frozenset[int], bool]]) -> Cover | None:
    codes = set(r.codes)
    for root, reason, root_codes, covers_unknown in roots:
        if r.status is Status.UNKNOWN and covers_unknown:
            if root.check != "rate_limit" or _about_the_ban(r, root):
                return Cover((root.account, root.check), reason)
            continue
        if codes and root_codes and codes <= root_codes:
            return Cover((root.account, root.check), reason)
        if (
            r.status is Status.UNKNOWN
            and not codes
            and any(str(c) in r.summary for c in root_codes)
        ):
            return Cover((root.account, root.check), reason)
    return None


def _about_the_ban(r: Result, root: Result) -> bool:
    """True if an UNKNOWN failed because of the ban: it says so, or names a banned host (a
    futures timeout during a spot-only ban is a problem of its own)."""
    if _BAN_MARKERS.search(r.summary):
        return True
    for ban in root.details.get("bans") or []:
        host = str(ban.get("host", "")) if isinstance(ban, dict) else ""
        url = host.split(":", 1)[1] if ":" in host else host
        if url and url in r.summary:
            return True
    return False


def _bot_errors_cover(r: Result, results: Mapping[str, Result]) -> Cover | None:
    seen = set(r.codes)
    if not seen:
        return None
    predictors = []
    for check, other in sorted(results.items()):
        if check == BOT_ERRORS or other.status is Status.OK:
            continue
        predicted = set(other.codes) | set(other.risk_codes)
        if predicted & seen:
            predictors.append((other, predicted & seen))
    explained: set[int] = set()
    for _, codes in predictors:
        explained |= codes
    if not predictors or not seen <= explained:
        return None
    other = predictors[0][0]
    codes_text = ", ".join(str(c) for c in sorted(seen))
    return Cover((other.account, other.check), f"already predicts {codes_text}")


def covered_checks(
    covers: Mapping[Key, Cover], root: Key, latest: Mapping[Key, Result]
) -> list[tuple[str, Status]]:
    """Return [(check, status)] that ``root`` covers, sorted by check."""
    out = [(k[1], latest[k].status) for k, c in covers.items() if c.root == root and k in latest]
    return sorted(out)


def describe_covered(covered: list[tuple[str, Status]]) -> str:
    """Return "Also makes balance, trading_status unknown; also explains bot_errors" or ""."""
    unknown = [c for c, s in covered if s is Status.UNKNOWN]
    other = [c for c, s in covered if s is not Status.UNKNOWN]
    parts = []
    if unknown:
        parts.append(f"also makes {', '.join(unknown)} unknown")
    if other:
        parts.append(f"also explains {', '.join(other)}")
    text = "; ".join(parts)
    return text[:1].upper() + text[1:]
