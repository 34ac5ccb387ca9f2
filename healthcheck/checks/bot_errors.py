"""bot_errors: the Binance errors the bot itself got, read from its own log ([[watch]]).

Some failures no read endpoint predicts (-1008 overload, -2021 stop would trigger, -2013, a WAF
403); the bot's log shows them first. Per watched account this check lists the codes seen in the
last ``window`` seconds with count, first/last seen, a masked sample, meaning and fix, and what
the check that predicts the code says in the same run. A bot's own refusal (freqtrade's
"ignoring trade", "Hedge Mode is not supported by freqtrade", see healthcheck.logwatch.bots)
counts as the code it stands for, with the bot's meaning, fix and severity. The worst code's
summary quotes the bot's (masked) line, says what it means and what the predicting check sees
now. The evaluation is the pure function :func:`evaluate_bot_errors`; the watcher
(healthcheck.service.watcher) feeds it.
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any, ClassVar

from healthcheck.checks.base import CheckBase, CheckSettings, Facts
from healthcheck.exchange import catalogue
from healthcheck.logwatch import bots
from healthcheck.logwatch.parse import resolve_product
from healthcheck.logwatch.settings import WatchConfig
from healthcheck.logwatch.store import Occurrence
from healthcheck.model.result import CodeRef, Result, Status, worst

CHECK_ID = "bot_errors"

# An account that cannot sign, trade or open positions: every order fails until someone acts.
CRITICAL_CODES = {
    -1021,
    -1022,
    -2014,
    -2015,
    -2018,
    -2019,
    -4087,
    -4088,
    -4189,
    -4400,
    -4401,
    418,
    403,
}
# Binance-side overload and order-state noise: worth a WARNING only when it keeps happening.
TRANSIENT_CODES = {-1000, -1001, -1003, -1008, -1015, -2011, -2013, 429}
TRANSIENT_MIN = 5  # occurrences in the window before a transient code warns
HARMLESS_CODES = {-4046, -4059}  # "no need to change ...": the setting is already right
QUOTE_CHARS = 300  # of the bot's (masked) line quoted in the summary


@dataclass(frozen=True)
class CodeSummary:
    code: int
    product: str
    count: int
    first_seen: float
    last_seen: float
    sample: str
    msg: str
    status: Status


def default_status(code: int, msg: str) -> Status:
    """Given a code and Binance's text, return its default severity once it counts."""
    if code in HARMLESS_CODES:
        return Status.OK
    if code in CRITICAL_CODES:
        return Status.CRITICAL
    if code == -1003 and "banned" in msg:
        return Status.CRITICAL
    if code == -2010 and "insufficient balance" in msg:
        return Status.CRITICAL
    return Status.WARNING


def _iso(ts: float) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(ts))


def active_check_says(check_id: str, others: Iterable[Result]) -> str:
    """Given the id of the check that predicts a code and the other results of this run, return
    what that check says now, in one phrase."""
    if not check_id:
        return "no read endpoint predicts this code: only the bot's log shows it"
    for r in others:
        if r.check != check_id:
            continue
        offset = r.metrics.get("offset_ms")
        if check_id == "clock" and isinstance(offset, int | float):
            return f"the clock check measures {offset / 1000:+.1f} s ({r.status.name}): {r.summary}"
        return f"the {check_id} check says {r.status.name}: {r.summary}"
    return f"the {check_id} check did not run for this account in this run"


def summarize(
    occurrences: Sequence[Occurrence],
    settings: WatchConfig,
    now: float,
    default_product: str | None,
) -> list[CodeSummary]:
    """Given occurrences, return one summary per code inside the window, most severe first."""
    since = now - settings.window
    by_code: dict[int, list[Occurrence]] = {}
    for o in occurrences:
        if since <= o.ts <= now + 60:
            by_code.setdefault(o.code, []).append(o)
    out = []
    for code, occ in by_code.items():
        occ.sort(key=lambda o: o.ts)
        last = occ[-1]
        product = resolve_product(code, last.product or None, default_product)
        if code in settings.severity:
            status = settings.severity[code] if len(occ) >= settings.threshold else Status.OK
        else:
            need = (
                max(settings.threshold, TRANSIENT_MIN)
                if code in TRANSIENT_CODES
                else settings.threshold
            )
            said = bots.words_for(last.msg)
            status = said.status if said else default_status(code, last.msg)
            if len(occ) < need:
                status = Status.OK
        out.append(
            CodeSummary(code, product, len(occ), occ[0].ts, last.ts, last.sample, last.msg, status)
        )
    out.sort(key=lambda s: (-s.status.severity, -s.count, s.code))
    return out


def _code_info(c: CodeSummary, others: list[Result]) -> dict[str, Any]:
    """Given one code's summary and the other results of this run, return its details entry: the
    counts, what the catalogue (or the bot, for its own refusal) says it means and how to fix it,
    and what the check that predicts it says now."""
    entry = catalogue.lookup(c.code, c.product)
    said = bots.words_for(c.msg)
    predicted = said.predicted_by if said else (entry.predicted_by if entry else "")
    return {
        "code": c.code,
        "product": c.product,
        "count": c.count,
        "first_seen": _iso(c.first_seen),
        "last_seen": _iso(c.last_seen),
        "sample": c.sample,
        "status": c.status.name,
        "name": entry.name if entry else None,
        "meaning": entry.meaning if entry else f"Binance said: {c.msg}",
        "fix": said.fix if said else (entry.fix if entry else ""),
        "predicted_by": predicted or None,
        "active_check": active_check_says(predicted, others),
        "bot": said.bot if said else None,
        "bot_says": said.explain(c.msg) if said else None,
    }


def _quiet_result(
    account: str,
    codes: Sequence[CodeSummary],
    window: str,
    details: dict[str, Any],
    metrics: dict[str, float | int],
    unavailable: Sequence[str],
) -> Result:
    """Given an account whose codes all stay below their thresholds, return its Result: UNKNOWN
    if a log source cannot be read (never OK then), else OK with the count of errors seen."""
    if unavailable:
        return Result(
            account,
            CHECK_ID,
            Status.UNKNOWN,
            "could not read the bot's log: " + "; ".join(unavailable),
            details=details,
            metrics=metrics,
            fix="check that the log exists and is readable by this service's user "
            "(or that the command/journalctl runs)",
        )
    if codes:
        summary = (
            f"{metrics['errors']} Binance error(s) in the bot's log in the last "
            f"{window}, below the alert threshold"
        )
    else:
        summary = f"no Binance errors in the bot's log in the last {window}"
    return Result(account, CHECK_ID, Status.OK, summary, details=details, metrics=metrics)


def _counts_text(bad: Sequence[CodeSummary]) -> str:
    """Given the codes that alert, most severe first, return up to four of them with their name
    and count (and whether it is the bot's own refusal), then how many more."""
    parts = []
    for c in bad[:4]:
        entry = catalogue.lookup(c.code, c.product)
        name = f" {entry.name}" if entry else ""
        said = bots.words_for(c.msg)
        own = f" ({said.bot}'s own refusal)" if said else ""
        parts.append(f"{c.code}{name} x{c.count}{own}")
    more = f" and {len(bad) - 4} more" if len(bad) > 4 else ""
    return f"{', '.join(parts)}{more}"


def _worst_text(top: CodeSummary, info: dict[str, Any]) -> str:
    """Given the most severe code and its details entry, return what the summary says of it: its
    meaning (the bot's words for its own refusal, else the catalogue's), the bot's (masked) line
    quoted, and what the predicting check sees now."""
    entry = catalogue.lookup(top.code, top.product)
    text = ""
    if info["bot_says"]:
        text = f": {info['bot_says']}"
    elif entry is not None:
        text = f": {entry.meaning}"
    now_says = str(info["active_check"])
    quote = top.sample[:QUOTE_CHARS]
    return f'{text}. The bot\'s line: "{quote}". {now_says[:1].upper()}{now_says[1:]}'


def _alert_result(
    account: str,
    bad: Sequence[CodeSummary],
    infos: Sequence[dict[str, Any]],
    window: str,
    settings: WatchConfig,
    details: dict[str, Any],
    metrics: dict[str, float | int],
    unavailable: Sequence[str],
) -> Result:
    """Given the codes that alert (most severe first) and their details entries, return the
    Result: the worst of their statuses, their codes and Binance's text, the fixes joined."""
    summary = (
        f"the bot got {_counts_text(bad)} in the last {window} (from {settings.label})"
        + _worst_text(bad[0], infos[0])
    )
    if unavailable:
        summary += f" (also could not read: {unavailable[0]})"
    fixes = [str(i["fix"]) for i in infos if i["fix"]]
    return Result(
        account,
        CHECK_ID,
        worst([c.status for c in bad]),
        summary,
        codes=[c.code for c in bad],
        # Binance's text as the bot's log quoted it (not the bot's own words for a refusal)
        refs=[CodeRef(c.code, c.product, "" if bots.words_for(c.msg) else c.msg) for c in bad],
        details=details,
        metrics=metrics,
        fix="; ".join(dict.fromkeys(f.rstrip(".") for f in fixes)),
    )


def evaluate_bot_errors(
    account: str,
    occurrences: Sequence[Occurrence],
    settings: WatchConfig,
    now: float,
    others: Iterable[Result] = (),
    default_product: str | None = None,
    unavailable: Sequence[str] = (),
) -> Result:
    """Given the account's occurrences, its [[watch]] settings, the time, the other results
    of this run for the account and why a log source cannot be read now (if so), return the
    bot_errors Result (pure: no I/O). An unreadable log is UNKNOWN, never OK."""
    others = list(others)
    codes = summarize(occurrences, settings, now, default_product)
    window = f"{settings.window:g} s"
    infos = [_code_info(c, others) for c in codes]
    details: dict[str, Any] = {
        "window_seconds": settings.window,
        "source": settings.label,
        "codes": infos,
    }
    metrics: dict[str, float | int] = {"errors": sum(c.count for c in codes), "codes": len(codes)}
    if unavailable:
        details["unavailable"] = list(unavailable)
    alerting = [(c, i) for c, i in zip(codes, infos, strict=True) if c.status is not Status.OK]
    if not alerting:
        return _quiet_result(account, codes, window, details, metrics, unavailable)
    bad = [c for c, _ in alerting]
    bad_infos = [i for _, i in alerting]
    return _alert_result(account, bad, bad_infos, window, settings, details, metrics, unavailable)


@dataclass(frozen=True)
class BotErrorsCheck(CheckBase):
    """bot_errors in the registry. It sends no request: the log watcher (healthcheck.logwatch)
    hands the runner each watched account's occurrences as ``facts.bot_log``, and this check
    evaluates them with the latest result of every other check of the account (it runs last)."""

    settings: CheckSettings
    id: ClassVar[str] = CHECK_ID
    title: ClassVar[str] = "Binance errors in the bot's own log ([[watch]])"
    Settings: ClassVar[type[CheckSettings]] = CheckSettings

    def evaluate(self, facts: Facts) -> Result | None:
        log = facts.bot_log
        if log is None:
            return None  # no [[watch]] for this account
        r = evaluate_bot_errors(
            facts.account.name,
            log.occurrences,
            log.settings,
            facts.now,
            facts.results,
            log.default_product,
            unavailable=log.unavailable,
        )
        if log.note:
            r.summary += f" ({log.note})"
        return r
